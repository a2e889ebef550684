package github

import (
	"context"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/policies"
)

// CheckLive evaluates a live pull request the way the bot does, and
// publishes nothing (gate.Check). It is what `shipgate check --repo
// OWNER/NAME --pr N` runs with a token.
func (a *App) CheckLive(ctx context.Context, repo string, number int) (policies.Verdict, *policies.Change, error) {
	res, err := a.CheckPR(ctx, repo, number, CheckOptions{})
	return res.Verdict, res.Change, err
}

// CheckOptions say where CheckPR reads the policy.
type CheckOptions = gate.CheckOptions

// Checked is what CheckPR read and decided.
type Checked = gate.Checked

// CheckPR is gate.Check on a pull request of repo, with Shipgate's own
// login when the adapter knows it; the Action's check runs it. Its errors
// are gate.Check's: ErrNoPolicy, the policy's errors, API errors.
func (a *App) CheckPR(ctx context.Context, repo string, number int, o CheckOptions) (Checked, error) {
	s, err := a.Session(ctx, 0, repo)
	if err != nil {
		return Checked{}, err
	}
	if o.Self == "" {
		o.Self = a.knownSelf()
	}
	return gate.Check(ctx, s, number, a.cfg.Now, o)
}
