package github

import (
	"context"
	"fmt"

	"github.com/shipgate/shipgate/policies"
)

// CheckLive evaluates a live pull request the way the bot does, and
// publishes nothing: it reads the PR (GET /repos/{owner}/{repo}/pulls/
// {pull_number}), the policy from its base branch, and the facts the
// policy needs, builds the Change and evaluates it at Config.Now. It is
// what `shipgate check --repo OWNER/NAME --pr N` runs with a token.
//
// The error is ErrNoPolicy when the base branch has no policy, and wraps
// the policy's *policies.FieldError list (policies.FieldErrors) when it is
// invalid; the Change is returned whenever the PR could be read.
func (a *App) CheckLive(ctx context.Context, repo string, number int) (policies.Verdict, *policies.Change, error) {
	res, err := a.CheckPR(ctx, repo, number, CheckOptions{})
	return res.Verdict, res.Change, err
}

// CheckOptions say where CheckPR reads the policy.
type CheckOptions struct {
	// PolicyFile is the policy's path in the repository (default
	// PolicyFile).
	PolicyFile string
	// AtBaseSHA reads the policy at the PR's base commit rather than at
	// the tip of its base branch: the Action judges the commit its run
	// was started for.
	AtBaseSHA bool
}

// Checked is what CheckPR read and decided.
type Checked struct {
	Verdict policies.Verdict
	// Change is set whenever the PR could be read.
	Change *policies.Change
	// PolicyRevision is the policy file's blob SHA ("" when missing).
	PolicyRevision string
}

// CheckPR is CheckLive with the policy read as o says; the Action's check
// runs it. Its errors are CheckLive's.
func (a *App) CheckPR(ctx context.Context, repo string, number int, o CheckOptions) (Checked, error) {
	s, err := a.session(ctx, 0, repo)
	if err != nil {
		return Checked{}, err
	}
	pr, err := s.getPR(ctx, number)
	if err != nil {
		return Checked{}, err
	}
	file, ref := o.PolicyFile, pr.GetBase().GetRef()
	if file == "" {
		file = PolicyFile
	}
	if o.AtBaseSHA && pr.GetBase().GetSHA() != "" {
		ref = pr.GetBase().GetSHA()
	}
	out := Checked{Change: BuildChange(ChangeInput{PR: pr})}
	lp, err := s.loadPolicyFile(ctx, file, ref)
	out.PolicyRevision = lp.Revision
	switch {
	case err != nil:
		return out, err
	case lp.Missing:
		return out, fmt.Errorf("%s#%d: %w %s", repo, number, ErrNoPolicy, pr.GetBase().GetRef())
	case lp.Invalid != nil:
		return out, fmt.Errorf("the policy of %s on %s is invalid: %w", repo, pr.GetBase().GetRef(), lp.Invalid)
	}
	_, c, err := s.changeOf(ctx, pr, lp.Policy, known{})
	if err != nil {
		return out, err
	}
	out.Change = c
	out.Verdict = policies.Evaluate(lp.Policy, out.Change, a.cfg.Now())
	return out, nil
}
