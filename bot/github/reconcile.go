package github

import (
	"context"
	"errors"
	"fmt"
	"time"

	gh "github.com/google/go-github/v62/github"
	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// fanOut handles KindPolicyChanged jobs: for each branch whose policy
// changed, it lists the open PRs into it (GET /repos/{owner}/{repo}/pulls?
// state=open&base=BRANCH) and queues a KindPR job for each, as one
// delivery derived from the push's, so that a retry queues nothing twice.
func (a *App) fanOut(ctx context.Context, jobs []store.Job) error {
	type branch struct{ repo, name string }
	seen := map[branch]bool{}
	for _, e := range decodeJobs(ctx, jobs) {
		b := branch{e.Repo, e.Branch}
		if seen[b] {
			continue
		}
		seen[b] = true
		log := zerolog.Ctx(ctx).With().Str(bot.FieldHost, string(policies.GitHub)).Str(bot.FieldHandler, KindPolicyChanged).
			Str(bot.FieldRepo, e.Repo).Str("branch", e.Branch).Str(bot.FieldDelivery, e.DeliveryID).Logger()
		s, err := a.session(ctx, e.Installation, e.Repo)
		if err != nil {
			return err
		}
		prs, _, err := listAll(maxListed, func(o gh.ListOptions) ([]*gh.PullRequest, *gh.Response, error) {
			return s.gh.PullRequests.List(ctx, s.owner, s.name, &gh.PullRequestListOptions{State: "open", Base: e.Branch, ListOptions: o})
		})
		if err != nil {
			return s.wrap(err, "listing open pull requests of %s into %s", e.Repo, e.Branch)
		}
		cause := e
		cause.Event, cause.Action = "policy_changed", ""
		queued, err := a.queue(ctx, "policy:"+e.DeliveryID+":"+e.Branch, cause, prs, 0)
		if err != nil {
			return err
		}
		log.Info().Int("queued", queued).Msg("policy changed: open pull requests queued for evaluation")
	}
	return nil
}

// queue records a delivery of the adapter's own, with a KindPR job for
// each PR (its payload holds the listed PR, so that the job need not fetch
// it), the i-th to run spacing×i from now.
func (a *App) queue(ctx context.Context, deliveryID string, cause Event, prs []*gh.PullRequest, spacing time.Duration) (int, error) {
	if len(prs) == 0 {
		return 0, nil
	}
	now := a.cfg.Now()
	jobs := make([]store.Job, 0, len(prs))
	for i, pr := range prs {
		e := Event{
			Event: cause.Event, Action: cause.Action, DeliveryID: deliveryID, Installation: cause.Installation,
			Repo: cause.Repo, Number: pr.GetNumber(), HeadSHA: pr.GetHead().GetSHA(), Sender: cause.Sender,
		}
		if pr.GetBase() != nil {
			e.PR = slimPR(pr) // a PR as listed: the job need not read it again
		}
		jobs = append(jobs, store.Job{
			Kind: KindPR, Key: KeyPR(e.Repo, e.Number), Payload: mustJSON(e), RunAt: now.Add(time.Duration(i) * spacing),
		})
	}
	dup, err := a.cfg.Acceptor.Accept(ctx, store.Delivery{
		Host: string(policies.GitHub), ID: deliveryID, Event: cause.Event, Action: cause.Action, Payload: mustJSON(cause), ReceivedAt: now,
	}, jobs...)
	if err != nil {
		return 0, fmt.Errorf("queueing evaluations of %s: %w", cause.Repo, err)
	}
	if dup {
		return 0, nil
	}
	return len(jobs), nil
}

// callsPerEvaluation is a generous estimate of the API calls of one
// evaluation, to keep Reconcile within the rate-limit budget.
const callsPerEvaluation = 8

// Reconcile queues a new evaluation of up to limit open PRs whose check is
// missing or older than their latest activity, so that missed webhooks
// and evaluations that failed for good do not leave a stale check. It
// takes the PRs from the store (StalePRs), queues them spread
// Config.ReconcileSpacing apart, and queues fewer, or none, when GitHub's
// remaining rate limit comes near Config.RateReserve. A PR is queued at
// most once an hour while it stays stale. It returns how many it queued.
//
// The PRs of a repository whose webhooks never arrived at all are found by
// ReconcileRepo.
func (a *App) Reconcile(ctx context.Context, limit int) (int, error) {
	limit = min(limit, a.budget())
	if limit <= 0 {
		zerolog.Ctx(ctx).Info().Msg("reconcile skipped: rate limit reserve reached")
		return 0, nil
	}
	stale, err := a.cfg.Store.StalePRs(ctx, policies.GitHub, limit)
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, st := range stale {
		e := Event{Event: "reconcile", Repo: st.Repo, Number: st.Number, HeadSHA: st.HeadSHA}
		pr := &gh.PullRequest{Number: gh.Int(st.Number)}
		n, err := a.queueReconcile(ctx, e, pr, st.HeadSHA, st.LastActivityAt, queued)
		if err != nil {
			return queued, err
		}
		queued += n
	}
	return queued, nil
}

// ReconcileRepo lists the open PRs of repo ("owner/name"), most recently
// updated first (GET /repos/{owner}/{repo}/pulls?state=open&sort=updated),
// and queues a new evaluation of up to limit of them whose check is
// missing or older than their head or their last update, within the
// rate-limit budget as Reconcile does. installation may be 0.
func (a *App) ReconcileRepo(ctx context.Context, installation int64, repo string, limit int) (int, error) {
	limit = min(limit, a.budget())
	if limit <= 0 {
		return 0, nil
	}
	s, err := a.session(ctx, installation, repo)
	if err != nil {
		return 0, err
	}
	prs, _, err := s.gh.PullRequests.List(ctx, s.owner, s.name, &gh.PullRequestListOptions{
		State: "open", Sort: "updated", Direction: "desc", ListOptions: gh.ListOptions{PerPage: 100},
	})
	if err != nil {
		return 0, s.wrap(err, "listing open pull requests of %s", repo)
	}
	queued := 0
	for _, pr := range prs {
		if queued >= limit {
			break
		}
		st, err := a.cfg.Store.GetPR(ctx, policies.GitHub, repo, pr.GetNumber())
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return queued, err
		}
		// Shipgate's own comment and labels move updated_at a little after
		// its evaluation; a minute of slack keeps them from counting.
		fresh := err == nil && st.CheckRunID != 0 && st.LastEvaluatedSHA == pr.GetHead().GetSHA() &&
			!pr.GetUpdatedAt().Time.After(st.LastEvaluatedAt.Add(time.Minute))
		if fresh {
			continue
		}
		e := Event{Event: "reconcile", Installation: installation, Repo: repo, Number: pr.GetNumber(), HeadSHA: pr.GetHead().GetSHA()}
		n, err := a.queueReconcile(ctx, e, pr, pr.GetHead().GetSHA(), pr.GetUpdatedAt().Time, queued)
		if err != nil {
			return queued, err
		}
		queued += n
	}
	return queued, nil
}

// queueReconcile queues one PR's evaluation, the i-th of this round; the
// delivery ID holds the head SHA, the time of the activity found and the
// hour, so that one stale state is queued once, and again an hour later if
// it is still stale, not on every round.
func (a *App) queueReconcile(ctx context.Context, cause Event, pr *gh.PullRequest, head string, activity time.Time, i int) (int, error) {
	now := a.cfg.Now()
	id := fmt.Sprintf("reconcile:%s#%d:%s:%d:%d", cause.Repo, cause.Number, head, activity.Unix(), now.Unix()/3600)
	e := Event{
		Event: cause.Event, DeliveryID: id, Installation: cause.Installation, Repo: cause.Repo, Number: cause.Number, HeadSHA: head,
	}
	if pr.GetHead() != nil {
		e.PR = slimPR(pr)
	}
	dup, err := a.cfg.Acceptor.Accept(ctx, store.Delivery{Host: string(policies.GitHub), ID: id, Event: "reconcile", Payload: mustJSON(e), ReceivedAt: now},
		store.Job{Kind: KindPR, Key: KeyPR(e.Repo, e.Number), Payload: mustJSON(e), RunAt: now.Add(time.Duration(i) * a.cfg.ReconcileSpacing)})
	if err != nil {
		return 0, fmt.Errorf("queueing the reconciliation of %s#%d: %w", cause.Repo, cause.Number, err)
	}
	if dup {
		return 0, nil
	}
	return 1, nil
}

// budget is how many evaluations the remaining rate limit allows beyond
// the reserve; unlimited until GitHub has reported a limit.
func (a *App) budget() int {
	rem := a.rate.remaining.Load()
	if rem < 0 {
		return int(^uint(0) >> 1)
	}
	if reset := time.Unix(a.rate.reset.Load(), 0); !reset.IsZero() && a.cfg.Now().After(reset) {
		return int(^uint(0) >> 1) // the window has reset since
	}
	return int(max(0, (rem-int64(a.cfg.RateReserve))/callsPerEvaluation))
}
