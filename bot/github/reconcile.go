package github

import (
	"context"
	"time"

	gh "github.com/google/go-github/v62/github"
	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// fanOut handles KindPolicyChanged jobs: for each branch whose policy
// changed it queues an evaluation of each open PR into it (gate.FanOut).
func (a *App) fanOut(ctx context.Context, jobs []store.Job) error {
	type branch struct{ repo, name string }
	seen := map[branch]bool{}
	for _, e := range decodeJobs(ctx, jobs) {
		b := branch{e.Repo, e.Branch}
		if seen[b] {
			continue
		}
		seen[b] = true
		s, err := a.session(ctx, e.Installation, e.Repo)
		if err != nil {
			return err
		}
		queued, err := gate.FanOut(ctx, s, a.cfg.Acceptor, e.Installation, e.Branch, e.DeliveryID, e.Sender, a.cfg.Now())
		if err != nil {
			return err
		}
		zerolog.Ctx(ctx).Info().Str(bot.FieldHandler, KindPolicyChanged).Str(bot.FieldRepo, e.Repo).Str("branch", e.Branch).
			Int("queued", queued).Msg("policy changed: open pull requests queued for evaluation")
	}
	return nil
}

// OpenChanges lists the open pull requests into base ("" for all), most
// recently updated first: GET /repos/{owner}/{repo}/pulls?state=open.
func (s *session) OpenChanges(ctx context.Context, base string) ([]gate.Snapshot, error) {
	prs, _, err := listAll(maxListed, func(o gh.ListOptions) ([]*gh.PullRequest, *gh.Response, error) {
		return s.gh.PullRequests.List(ctx, s.owner, s.name, &gh.PullRequestListOptions{State: "open", Base: base, Sort: "updated", Direction: "desc", ListOptions: o})
	})
	if err != nil {
		return nil, s.wrap(err, "listing the open pull requests of %s", s.repo)
	}
	out := make([]gate.Snapshot, 0, len(prs))
	for _, pr := range prs {
		out = append(out, snapshotOf(pr))
	}
	return out, nil
}

// callsPerEvaluation is a generous estimate of the API calls of one
// evaluation, to keep Reconcile within the rate-limit budget.
const callsPerEvaluation = 8

// reconciler is the gate's reconciliation of GitHub's pull requests.
func (a *App) reconciler() gate.Reconciler {
	return gate.Reconciler{Host: policies.GitHub, Store: a.cfg.Store, Acceptor: a.cfg.Acceptor, Spacing: a.cfg.ReconcileSpacing, Now: a.cfg.Now}
}

// Reconcile queues a new evaluation of up to limit open PRs whose check is
// missing or older than their latest activity (gate.Reconciler), spread
// Config.ReconcileSpacing apart, and fewer, or none, when GitHub's
// remaining rate limit comes near Config.RateReserve. It returns how many
// it queued. The PRs of a repository whose webhooks never arrived at all
// are found by ReconcileRepo.
func (a *App) Reconcile(ctx context.Context, limit int) (int, error) {
	limit = min(limit, a.budget())
	if limit <= 0 {
		zerolog.Ctx(ctx).Info().Msg("reconcile skipped: rate limit reserve reached")
		return 0, nil
	}
	return a.reconciler().Reconcile(ctx, limit)
}

// ReconcileRepo queues a new evaluation of up to limit open PRs of repo
// ("owner/name") whose check is missing or older than their head or their
// last update, within the rate-limit budget as Reconcile does.
// installation may be 0.
func (a *App) ReconcileRepo(ctx context.Context, installation int64, repo string, limit int) (int, error) {
	limit = min(limit, a.budget())
	if limit <= 0 {
		return 0, nil
	}
	s, err := a.session(ctx, installation, repo)
	if err != nil {
		return 0, err
	}
	return a.reconciler().ReconcileRepo(ctx, s, installation, limit)
}

// budget is how many evaluations the remaining rate limit allows beyond
// the reserve; unlimited until GitHub has reported a limit.
func (a *App) budget() int {
	rem := a.rate.Remaining.Load()
	if rem < 0 {
		return int(^uint(0) >> 1)
	}
	if reset := time.Unix(a.rate.Reset.Load(), 0); !reset.IsZero() && a.cfg.Now().After(reset) {
		return int(^uint(0) >> 1) // the window has reset since
	}
	return int(max(0, (rem-int64(a.cfg.RateReserve))/callsPerEvaluation))
}
