package server

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// fanOut handles KindPolicyChanged jobs: for each branch whose policy
// changed it queues an evaluation of each open PR into it (gate.FanOut).
func (s *Server) fanOut(ctx context.Context, jobs []store.Job) error {
	type branch struct{ repo, name string }
	seen := map[branch]bool{}
	for _, e := range decodeJobs(ctx, jobs) {
		b := branch{e.Repo, e.Branch}
		if seen[b] {
			continue
		}
		seen[b] = true
		r, err := s.cfg.App.Repo(ctx, e.Repo, e.Installation)
		if err != nil {
			return err
		}
		queued, err := gate.FanOut(ctx, r, s.cfg.Acceptor, e.Installation, e.Branch, e.DeliveryID, e.Sender, s.cfg.Now())
		if err != nil {
			return err
		}
		zerolog.Ctx(ctx).Info().Str(bot.FieldHandler, KindPolicyChanged).Str(bot.FieldRepo, e.Repo).Str("branch", e.Branch).
			Int("queued", queued).Msg("policy changed: open pull requests queued for evaluation")
	}
	return nil
}

// callsPerEvaluation is a generous estimate of the API calls of one
// evaluation, to keep Reconcile within the rate-limit budget.
const callsPerEvaluation = 8

// reconciler is the gate's reconciliation of GitHub's pull requests.
func (s *Server) reconciler() gate.Reconciler {
	return gate.Reconciler{Host: policies.GitHub, Store: s.cfg.Store, Acceptor: s.cfg.Acceptor, Spacing: s.cfg.ReconcileSpacing, Now: s.cfg.Now}
}

// Reconcile queues a new evaluation of up to limit open PRs whose check is
// missing or older than their latest activity (gate.Reconciler), spread
// Config.ReconcileSpacing apart, and fewer, or none, when GitHub's
// remaining rate limit comes near Config.RateReserve. It returns how many
// it queued. The PRs of a repository whose webhooks never arrived at all
// are found by ReconcileRepo.
func (s *Server) Reconcile(ctx context.Context, limit int) (int, error) {
	limit = min(limit, s.budget())
	if limit <= 0 {
		zerolog.Ctx(ctx).Info().Msg("reconcile skipped: rate limit reserve reached")
		return 0, nil
	}
	return s.reconciler().Reconcile(ctx, limit)
}

// ReconcileRepo queues a new evaluation of up to limit open PRs of repo
// ("owner/name") whose check is missing or older than their head or their
// last update, within the rate-limit budget as Reconcile does.
// installation may be 0.
func (s *Server) ReconcileRepo(ctx context.Context, installation int64, repo string, limit int) (int, error) {
	limit = min(limit, s.budget())
	if limit <= 0 {
		return 0, nil
	}
	r, err := s.cfg.App.Repo(ctx, repo, installation)
	if err != nil {
		return 0, err
	}
	return s.reconciler().ReconcileRepo(ctx, r, installation, limit)
}

// budget is how many evaluations the remaining rate limit allows beyond
// the reserve; unlimited until GitHub has reported a limit.
func (s *Server) budget() int {
	rem, reset := s.cfg.App.RateLimit()
	if rem < 0 {
		return int(^uint(0) >> 1)
	}
	if !reset.IsZero() && s.cfg.Now().After(reset) {
		return int(^uint(0) >> 1) // the window has reset since
	}
	return int(max(0, (rem-int64(s.cfg.RateReserve))/callsPerEvaluation))
}
