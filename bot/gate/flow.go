package gate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// work is the processing of one change's batch.
type work struct {
	g      *Gate
	events []Event
	number int
	// retry tells that the batch was tried before: idempotent command
	// effects (labels, reactions) are repeated.
	retry bool

	self  string
	repo  Repo
	snap  Snapshot
	read  bool // snap holds the change
	state store.PRState
	// policy is the base branch's policy.
	policy Loaded
	// change is the change the evaluation judged; pushedAt the time of
	// its head's push it used.
	change   *policies.Change
	pushedAt time.Time
	// comments are the change's comments when read, to find the sticky
	// comment when the state lost it.
	comments []policies.Comment
}

// run is the work on the change, in order: state, change, withdrawal,
// policy, commands, evaluation, publishing, records.
func (w *work) run(ctx context.Context) error {
	g, last := w.g, w.events[len(w.events)-1]
	var err error
	// Shipgate's own comments are never commands: know them first.
	if w.self, err = g.cfg.Host.Identify(ctx); err != nil {
		return err
	}
	if w.repo, err = g.cfg.Host.Repo(ctx, last.Repo, scopeOf(w.events)); err != nil {
		return err
	}
	if err := w.loadState(ctx); err != nil {
		return err
	}
	if err := w.readChange(ctx); err != nil {
		return err
	}
	if err := w.withdrawIfMoved(ctx); err != nil {
		return err
	}
	st := &w.state
	st.LastActivityAt = w.activityAt()
	if w.snap.State != Open {
		st.State = store.PRClosed
		if err := g.cfg.Store.PutPR(ctx, *st); err != nil {
			return err
		}
		if err := w.afterMerge(ctx); err != nil {
			return err
		}
		return w.closedCommands(ctx) // /release on a merged change; no evaluation
	}
	st.State, st.BaseBranch, st.HeadSHA = store.PROpen, w.snap.Base, w.snap.HeadSHA
	// Record the activity first: if the evaluation fails for good, the
	// change stays stale and reconciliation takes it up again.
	if err := g.cfg.Store.PutPR(ctx, *st); err != nil {
		return err
	}
	zerolog.Ctx(ctx).UpdateContext(func(c zerolog.Context) zerolog.Context { return c.Str(bot.FieldSHA, w.snap.HeadSHA) })
	if w.policy, err = LoadPolicy(ctx, w.repo, review.PolicyFile, w.snap.Base); err != nil {
		return err
	}
	if err := g.recordBases(ctx, w.repo.Name(), w.policy.Bases); err != nil {
		return err
	}
	for _, e := range w.events {
		if c := e.Comment; c != nil && !c.Edited && !c.Deleted {
			if err := w.runCommands(ctx, e); err != nil {
				return err
			}
		}
	}
	if !w.mayChangeVerdict() {
		zerolog.Ctx(ctx).Debug().Msg("no event of the batch can change the verdict: not evaluated")
		return nil
	}
	return w.evaluateAndPublish(ctx)
}

// scopeOf is the newest scope the events give (0: none).
func scopeOf(events []Event) int64 {
	var scope int64
	for _, e := range events {
		if e.Scope != 0 {
			scope = e.Scope
		}
	}
	return scope
}

// loadState reads what Shipgate stored of the change; a change it never
// saw starts open.
func (w *work) loadState(ctx context.Context) error {
	g, repo := w.g, w.repo.Name()
	st, err := g.cfg.Store.GetPR(ctx, g.host, repo, w.number)
	switch {
	case errors.Is(err, store.ErrNotFound):
		st = store.PRState{Host: g.host, Repo: repo, Number: w.number, State: store.PROpen}
	case err != nil:
		return fmt.Errorf("reading the state of %s: %w", w.ref(), err)
	}
	w.state = st
	return nil
}

// ref names the change in messages: "owner/name#12".
func (w *work) ref() string { return fmt.Sprintf("%s#%d", w.repo.Name(), w.number) }

// readChange finds the change as it is now: as the newest event that holds
// it has it, when the events after that one (comments, checks) cannot have
// changed it. Without such an event it is the change the last evaluation
// saw, with the title, body, labels and state of the newest comment
// event's issue, when no other replica evaluated since and the head is the
// one stored; otherwise it is read.
func (w *work) readChange(ctx context.Context) error {
	var issue *Issue
	for i := len(w.events) - 1; i >= 0; i-- {
		e := w.events[i]
		if e.Change != nil {
			w.snap, w.read = *e.Change, true
			return nil
		}
		if issue == nil {
			issue = e.Issue
		}
		if e.Kind != KindComment && e.Kind != KindCheck {
			return w.readNow(ctx)
		}
	}
	// A comment on a closed change: whether it was merged is read.
	closed := issue != nil && issue.State != Open
	if sn, ok := w.seen(); ok && !closed && sn.snap.HeadSHA == w.state.HeadSHA && w.headsAgree(sn.snap.HeadSHA) {
		w.snap, w.read = sn.snap, true
		if issue != nil {
			w.snap.Title, w.snap.Body, w.snap.Labels = issue.Title, issue.Body, issue.Labels
		}
		return nil
	}
	return w.readNow(ctx)
}

// readNow reads the change from the host.
func (w *work) readNow(ctx context.Context) error {
	snap, err := w.repo.ReadChange(ctx, w.number)
	if err != nil {
		return err
	}
	w.snap, w.read = snap, true
	return nil
}

// headsAgree reports whether the events that name a head SHA name head.
func (w *work) headsAgree(head string) bool {
	for _, e := range w.events {
		if e.HeadSHA != "" && e.HeadSHA != head {
			return false
		}
	}
	return true
}

// activityAt is the time of the newest event that says when it happened.
func (w *work) activityAt() time.Time {
	t := w.state.LastActivityAt
	for _, e := range w.events {
		if e.At.After(t) {
			t = e.At
		}
	}
	if t.IsZero() {
		t = w.g.cfg.Now()
	}
	return t
}

// mayChangeVerdict reports whether an event of the batch can change the
// verdict: a completed check matters only to a policy with a checks rule
// (policy-bot's trigger idea: skip what an event cannot affect).
func (w *work) mayChangeVerdict() bool {
	for _, e := range w.events {
		if e.Kind != KindCheck {
			return true
		}
	}
	return w.policy.Policy != nil && w.policy.Policy.Needs().Has(policies.NeedChecks)
}

// withdrawIfMoved withdraws the verdict the change published for a base it
// no longer targets, or that it will not merge into.
func (w *work) withdrawIfMoved(ctx context.Context) error {
	switch base := w.snap.Base; {
	case w.snap.State == Closed:
		return w.withdraw(ctx, "was closed without merging")
	case w.state.CheckBase != "" && w.state.CheckBase != base:
		return w.withdraw(ctx, "now targets "+base)
	}
	return nil
}

// withdraw replaces the verdict the change last published, for the base it
// had then, with a failure that says why (it was retargeted or closed
// unmerged): a check belongs to a commit, and that verdict must not let
// another change of the same head into that base merge unjudged. The
// other open changes on the commit are then queued to publish their own.
func (w *work) withdraw(ctx context.Context, why string) error {
	g, st := w.g, &w.state
	sha, base := st.LastEvaluatedSHA, st.CheckBase
	if sha == "" || base == "" {
		return nil
	}
	o := review.Withdrawn(w.report(sha, base), why)
	if _, err := w.repo.PublishVerdict(ctx, Target{Number: w.number, SHA: sha, Base: base, URL: w.snap.URL}, o, w.published()); err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Str("base", base).Str(bot.FieldSHA, sha).Str("why", why).Msg("verdict withdrawn")
	st.CheckRunID, st.CheckDigest, st.CheckStatus, st.CheckBase = 0, "", "", ""
	if err := g.cfg.Store.PutPR(ctx, *st); err != nil {
		return err
	}
	return review.RequeueOthers(ctx, g.cfg.Store, g.cfg.Acceptor, Rechecker(g.host), g.host, w.repo.Name(), w.number, sha, g.cfg.Now())
}

// published is what the state says was published for the change.
func (w *work) published() Published {
	st := w.state
	return Published{ID: st.CheckRunID, SHA: st.LastEvaluatedSHA, Base: st.CheckBase, Digest: st.CheckDigest, Status: st.CheckStatus}
}

// setPublished keeps what was published in the state.
func (w *work) setPublished(p Published) {
	st := &w.state
	st.CheckRunID, st.LastEvaluatedSHA, st.CheckBase, st.CheckDigest, st.CheckStatus = p.ID, p.SHA, p.Base, p.Digest, p.Status
}
