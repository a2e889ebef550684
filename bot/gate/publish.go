package gate

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// report is the part of the report every outcome of the change shares.
func (w *work) report(sha, base string) templates.Report {
	return templates.Report{
		Host: w.g.host, Repo: w.repo.Name(), Number: w.number, HeadSHA: sha, BaseBranch: base,
		PolicyFile: cmp.Or(w.policy.File, review.PolicyFile), PolicyRevision: w.policy.Revision,
	}
}

// evaluateAndPublish judges the change and publishes the outcome: the
// verdict, the sticky comment, then the records.
func (w *work) evaluateAndPublish(ctx context.Context) error {
	rep := w.report(w.snap.HeadSHA, w.snap.Base)
	var (
		o       review.Outcome
		verdict policies.Verdict
	)
	switch lp := w.policy; {
	case lp.Missing:
		o = review.NoPolicy(rep)
	case lp.Invalid != nil:
		o = review.InvalidPolicy(rep, lp.Invalid)
	default:
		var err error
		if verdict, err = w.evaluate(ctx); err != nil {
			return err
		}
		o = review.Evaluated(rep, verdict)
	}
	if err := w.publishVerdict(ctx, o); err != nil {
		return err
	}
	if err := w.publishComment(ctx, o); err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Str("conclusion", string(o.Conclusion)).Str("policy_revision", w.policy.Revision).Msg("evaluated")
	return w.record(ctx, verdict, o.Conclusion)
}

// evaluate builds the Change with the facts the policy needs and judges it.
func (w *work) evaluate(ctx context.Context) (policies.Verdict, error) {
	g, p := w.g, w.policy.Policy
	k := w.known()
	j := judge{repo: w.repo, host: g.host, self: w.self, st: g.cfg.Store, now: g.cfg.Now(), records: g.cfg.Records, fresh: w.freshRecords()}
	c, listed, err := j.change(ctx, w.snap, p, k)
	if err != nil {
		return policies.Verdict{}, err
	}
	w.change, w.comments, w.pushedAt = c, listed, c.HeadPushedAt
	// Of this head: headPushedAt trusts it only while LastEvaluatedSHA is
	// the head.
	w.state.HeadPushedAt = c.HeadPushedAt
	return policies.Evaluate(p, c, g.cfg.Now()), nil
}

// publishVerdict publishes o on the change's head for its base, and keeps
// what was published in the state.
func (w *work) publishVerdict(ctx context.Context, o review.Outcome) error {
	t := Target{Number: w.number, SHA: w.snap.HeadSHA, Base: w.snap.Base, URL: w.snap.URL, Fresh: w.fresh(), Retried: w.retry}
	pub, err := w.repo.PublishVerdict(ctx, t, o, w.published())
	if err != nil {
		return err
	}
	w.setPublished(pub)
	return nil
}

// fresh reports whether the batch asks for a new verdict rather than an
// edit of the change's own: another change's withdrawn verdict on the same
// commit and base may be newer than this change's.
func (w *work) fresh() bool {
	for _, e := range w.events {
		if e.Kind == KindRecheck && e.Action == ActionWithdrawn {
			return true
		}
	}
	return false
}

// publishComment keeps the one sticky comment in step: it edits it only
// when its text changes, finds it by its marker when the state lost it,
// and creates it when o asks for it and there is none.
func (w *work) publishComment(ctx context.Context, o review.Outcome) error {
	st := &w.state
	if st.CommentID == 0 && !w.wantsComment() {
		return nil
	}
	body, err := o.CommentBody(w.g.cfg.Host.CommentLimit())
	if err != nil {
		return err
	}
	digest := review.Digest(body)
	if st.CommentID == 0 {
		if err := w.findComment(ctx); err != nil {
			return err
		}
	}
	if id := st.CommentID; id != 0 {
		if st.CommentDigest == digest {
			return nil
		}
		switch err := w.repo.EditComment(ctx, w.number, id, body); err {
		case nil:
			st.CommentDigest = digest
			return nil
		case ErrGone:
			st.CommentID, st.CommentDigest = 0, "" // deleted by someone
		default:
			return err
		}
	}
	if !o.Comment {
		return nil
	}
	id, err := w.repo.CreateComment(ctx, w.number, body)
	if err != nil {
		return err
	}
	st.CommentID, st.CommentDigest = id, digest
	return nil
}

// wantsComment reports whether the change gets a sticky comment:
// notify.comment always, or auto where the host's verdict does not show
// the whole report (a sticky comment made before is kept in step either
// way, so that it never goes stale).
func (w *work) wantsComment() bool {
	mode := policies.CommentAuto
	if p := w.policy.Policy; p != nil {
		mode = p.Notify.Comment
	}
	switch mode {
	case policies.CommentAlways:
		return true
	case policies.CommentNever:
		return false
	}
	return !w.g.cfg.Host.VerdictHoldsReport()
}

// findComment looks for Shipgate's sticky comment among the change's
// comments (reading them when the evaluation did not, or on a retry: the
// failed try may have created it, its answer lost, after they were read
// or remembered): one that starts with the marker, written by Shipgate
// itself.
func (w *work) findComment(ctx context.Context) error {
	comments := w.comments
	if comments == nil || w.retry {
		var err error
		if comments, err = w.repo.Comments(ctx, w.number); err != nil {
			return err
		}
		w.comments = comments
	}
	for _, c := range comments {
		if policies.SameLogin(c.Author.Login, w.self) && strings.HasPrefix(c.Body, templates.CommentMarker) {
			w.state.CommentID, w.state.CommentDigest = c.ID, review.Digest(c.Body)
			return nil
		}
	}
	return nil
}

// record saves the evaluation, its audit entry and the change's state, and
// remembers what the evaluation saw.
func (w *work) record(ctx context.Context, v policies.Verdict, conclusion review.Conclusion) error {
	g := w.g
	now := g.cfg.Now()
	last := w.events[len(w.events)-1]
	if err := (review.Evaluation{
		Host: g.host, Repo: w.repo.Name(), Number: w.number, HeadSHA: w.snap.HeadSHA, PolicyRevision: w.policy.Revision,
		Change: w.change, Verdict: v, Conclusion: conclusion, Actor: last.Sender, DeliveryID: last.DeliveryID,
		Events: len(w.events), At: now,
	}).Record(ctx, g.cfg.Store, &w.state); err != nil {
		return err
	}
	sn := seen{evaluatedAt: now, snap: w.snap, comments: w.comments, pushedAt: w.pushedAt}
	if w.change != nil {
		sn.reviews = w.change.Reviews
	}
	g.seen.Add(Key(g.host, w.repo.Name(), w.number), sn)
	if err := w.followRecords(ctx, v, now); err != nil {
		return err
	}
	if err := review.ScheduleFreezeChange(ctx, g.cfg.Acceptor, g.host, w.repo.Name(), w.snap.Base, w.policy.Policy, now); err != nil {
		return err
	}
	if err := ScheduleFreezeNotice(ctx, g.cfg.Acceptor, g.host, w.repo.Name(), scopeOf(w.events), w.policy.Policy, now); err != nil {
		return err
	}
	// The main line's policy schedules its release trains.
	if p := w.policy.Policy; p != nil && p.Trains != nil && p.Trains.From == w.snap.Base {
		return ScheduleTrain(ctx, g.cfg.Acceptor, g.host, w.repo.Name(), scopeOf(w.events), p, now)
	}
	return nil
}

// publishFailure tells the change that Shipgate could not judge it, after
// the last try failed: a failing verdict that says why (never a green or a
// silent one). Its own failure is only logged.
func (w *work) publishFailure(ctx context.Context, cause error) {
	log := zerolog.Ctx(ctx)
	if w.repo == nil {
		log.Error().Err(cause).Msg("evaluation failed for good before the repository was reached: no verdict published")
		return
	}
	sha, base := w.state.HeadSHA, w.state.BaseBranch
	for _, e := range w.events {
		if e.HeadSHA != "" {
			sha = e.HeadSHA
		}
	}
	if w.read {
		sha, base = w.snap.HeadSHA, w.snap.Base
	}
	if sha == "" || base == "" {
		log.Error().Err(cause).Msg("evaluation failed for good, and the head or the base is unknown: no verdict published")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	o := review.Failed(w.report(sha, base), cause)
	pub, err := w.repo.PublishVerdict(ctx, Target{Number: w.number, SHA: sha, Base: base, URL: w.snap.URL}, o, w.published())
	if err != nil {
		log.Error().Err(err).AnErr("cause", cause).Msg("publishing the failure verdict")
		return
	}
	w.setPublished(pub)
	if err := w.g.cfg.Store.PutPR(ctx, w.state); err != nil {
		log.Error().Err(err).Msg("storing the state after the failure verdict")
	}
	log.Error().Err(cause).Msg("evaluation failed for good: failure verdict published")
}
