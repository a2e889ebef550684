package gate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Rechecks are changes of one repository to judge again, queued as one
// delivery of Shipgate's own.
type Rechecks struct {
	Host  policies.Host
	Repo  string
	Scope int64
	// DeliveryID identifies the queueing: a retry queues nothing twice.
	DeliveryID string
	// Reason is the jobs' Action (ActionReconcile, "policy_changed", …);
	// Sender who caused them.
	Reason, Sender string
	// Changes name the changes (Number and HeadSHA); one listed whole (its
	// Base known) rides in its job, which need not read it again.
	Changes []Snapshot
	// Spacing spreads the jobs: the i-th runs Spacing×i from now.
	Spacing time.Duration
}

// Queue queues the rechecks and returns how many were queued (0 when the
// delivery was queued before).
func (r Rechecks) Queue(ctx context.Context, q bot.Acceptor, now time.Time) (int, error) {
	if len(r.Changes) == 0 {
		return 0, nil
	}
	jobs := make([]store.Job, 0, len(r.Changes))
	for i, c := range r.Changes {
		e := Event{Kind: KindRecheck, Action: r.Reason, DeliveryID: r.DeliveryID, Host: r.Host, Scope: r.Scope, Repo: r.Repo,
			Number: c.Number, HeadSHA: c.HeadSHA, Sender: r.Sender}
		if c.Base != "" {
			e.Change = &c
		}
		j := Job(e)
		j.RunAt = now.Add(time.Duration(i) * r.Spacing)
		jobs = append(jobs, j)
	}
	dup, err := q.Accept(ctx, store.Delivery{Host: string(r.Host), ID: r.DeliveryID, Event: r.Reason, Payload: []byte("{}"), ReceivedAt: now}, jobs...)
	switch {
	case err != nil:
		return 0, fmt.Errorf("queueing evaluations of %s: %w", r.Repo, err)
	case dup:
		return 0, nil
	}
	return len(jobs), nil
}

// FanOut queues a recheck of every open change into base (a push changed
// its policy or its CODEOWNERS): one delivery derived from cause's.
func FanOut(ctx context.Context, repo Repo, q bot.Acceptor, scope int64, base, cause, sender string, now time.Time) (int, error) {
	open, err := repo.OpenChanges(ctx, base)
	if err != nil {
		return 0, err
	}
	r := Rechecks{Host: repo.Host(), Repo: repo.Name(), Scope: scope, DeliveryID: "policy:" + cause + ":" + base,
		Reason: "policy_changed", Sender: sender, Changes: open}
	return r.Queue(ctx, q, now)
}

// StaleStore is the part of the store reconciliation reads.
type StaleStore interface {
	StalePRs(ctx context.Context, host policies.Host, limit int) ([]store.PRState, error)
	GetPR(ctx context.Context, host policies.Host, repo string, number int) (store.PRState, error)
}

// Reconciler queues new evaluations of changes whose events were missed or
// whose evaluation failed for good, so that no verdict stays stale.
type Reconciler struct {
	Host     policies.Host
	Store    StaleStore
	Acceptor bot.Acceptor
	// Spacing spreads the evaluations of one round.
	Spacing time.Duration
	Now     func() time.Time
}

// Reconcile queues up to limit open changes the store knows whose verdict
// is missing or older than their latest activity, least recently active
// first. A change is queued at most once an hour while it stays stale.
func (r Reconciler) Reconcile(ctx context.Context, limit int) (int, error) {
	stale, err := r.Store.StalePRs(ctx, r.Host, limit)
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, st := range stale {
		n, err := r.queue(ctx, st.Repo, 0, Snapshot{Number: st.Number, HeadSHA: st.HeadSHA}, st.LastActivityAt, queued)
		if err != nil {
			return queued, err
		}
		queued += n
	}
	return queued, nil
}

// ReconcileRepo lists the open changes of a repository, most recently
// updated first, and queues up to limit whose verdict is missing or older
// than their head or their last update: the changes of a repository whose
// webhooks never arrived at all.
func (r Reconciler) ReconcileRepo(ctx context.Context, repo Repo, scope int64, limit int) (int, error) {
	open, err := repo.OpenChanges(ctx, "")
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, c := range open {
		if queued >= limit {
			break
		}
		st, err := r.Store.GetPR(ctx, r.Host, repo.Name(), c.Number)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return queued, err
		}
		// Shipgate's own comment and labels move updated_at a little after
		// its evaluation; a minute of slack keeps them from counting.
		fresh := err == nil && st.CheckBase != "" && st.LastEvaluatedSHA == c.HeadSHA &&
			!c.UpdatedAt.After(st.LastEvaluatedAt.Add(time.Minute))
		if fresh {
			continue
		}
		n, err := r.queue(ctx, repo.Name(), scope, c, c.UpdatedAt, queued)
		if err != nil {
			return queued, err
		}
		queued += n
	}
	return queued, nil
}

// queue queues one change's evaluation, the i-th of this round; the
// delivery ID holds the head SHA, the time of the activity found and the
// hour, so that one stale state is queued once, and again an hour later if
// it is still stale, not on every round.
func (r Reconciler) queue(ctx context.Context, repo string, scope int64, c Snapshot, activity time.Time, i int) (int, error) {
	now := r.Now()
	id := fmt.Sprintf("reconcile:%s#%d:%s:%d:%d", repo, c.Number, c.HeadSHA, activity.Unix(), now.Unix()/3600)
	rc := Rechecks{Host: r.Host, Repo: repo, Scope: scope, DeliveryID: id, Reason: ActionReconcile, Changes: []Snapshot{c}}
	return rc.Queue(ctx, r.Acceptor, now.Add(time.Duration(i)*r.Spacing))
}
