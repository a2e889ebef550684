package github

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	gh "github.com/google/go-github/v62/github"
	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Kinds implements bot.Processor.
func (a *App) Kinds() []string {
	return []string{KindPR, KindPolicyChanged, KindTag, KindHeadChanged, KindTeamChanged, KindMergeGroup}
}

// Process implements bot.Processor. A KindPR batch (the jobs of one PR,
// oldest first) runs the commands of its new comments in order, then
// evaluates the PR's latest state once and publishes the check run, the
// sticky comment and the records. A KindPolicyChanged, KindHeadChanged or
// KindTeamChanged batch queues a KindPR job for every open PR the change
// may concern. A KindTag batch validates, reports and releases one tag
// (processTags); a KindMergeGroup batch judges one merge queue group
// (processMergeGroups).
//
// API failures come back as errors (a *bot.RetryError when GitHub said
// when to try again) so that the worker retries the batch; when a job of
// the batch is on its last attempt, the PR first gets a failing check that
// says Shipgate could not evaluate it, and why.
func (a *App) Process(ctx context.Context, b store.Batch) error {
	handlers := []struct {
		kind   string
		handle func(context.Context, []store.Job) error
	}{
		{KindHeadChanged, a.headChanged},
		{KindTeamChanged, a.teamChanged},
		{KindTag, a.processTags},
		{KindMergeGroup, a.processMergeGroups},
		{KindPolicyChanged, a.fanOut},
		{KindPR, a.processPR},
	}
	byKind := map[string][]store.Job{}
	for _, j := range b.Jobs {
		byKind[j.Kind] = append(byKind[j.Kind], j)
	}
	var errs []error
	for _, h := range handlers {
		if jobs := byKind[h.kind]; len(jobs) > 0 {
			errs = append(errs, h.handle(ctx, jobs))
		}
	}
	return errors.Join(errs...)
}

// decodeEvent reads a job payload.
func decodeEvent(payload []byte) (Event, error) {
	var e Event
	err := json.Unmarshal(payload, &e)
	return e, err
}

// decodeJobs reads the payloads of jobs, leaving out (and logging) any
// that cannot be read: a retry would not make them readable.
func decodeJobs(ctx context.Context, jobs []store.Job) []Event {
	out := make([]Event, 0, len(jobs))
	for _, j := range jobs {
		e, err := decodeEvent(j.Payload)
		if err != nil || e.Repo == "" {
			zerolog.Ctx(ctx).Error().Err(err).Int64(bot.FieldJob, j.ID).Msg("unreadable job payload: skipped")
			continue
		}
		out = append(out, e)
	}
	return out
}

// lastAttempt reports whether a job of the batch has no try left after
// this one.
func lastAttempt(jobs []store.Job) bool {
	for _, j := range jobs {
		if j.MaxAttempts > 0 && j.Attempts+1 >= j.MaxAttempts {
			return true
		}
	}
	return false
}

// retried reports whether the batch holds a job tried before.
func retried(jobs []store.Job) bool {
	for _, j := range jobs {
		if j.Attempts > 0 {
			return true
		}
	}
	return false
}

// prWork is the processing of one PR's batch.
type prWork struct {
	a      *App
	s      *session
	events []Event
	jobs   []store.Job
	number int
	pr     *gh.PullRequest
	state  store.PRState
	policy loadedPolicy
	// comments are the PR's comments when the evaluation read them, to
	// find the sticky comment when the state lost it.
	comments []*gh.IssueComment
	reviews  []*gh.PullRequestReview
	// pushedAt is the HeadPushedAt the evaluation used.
	pushedAt time.Time
}

func (a *App) processPR(ctx context.Context, jobs []store.Job) error {
	events := decodeJobs(ctx, jobs)
	if len(events) == 0 {
		return nil
	}
	last := events[len(events)-1]
	var installation int64
	for _, e := range events {
		if e.Installation != 0 {
			installation = e.Installation
		}
	}
	log := zerolog.Ctx(ctx).With().Str(bot.FieldHost, string(policies.GitHub)).Str(bot.FieldHandler, KindPR).
		Str(bot.FieldRepo, last.Repo).Int(bot.FieldNumber, last.Number).Str(bot.FieldDelivery, last.DeliveryID).
		Str(bot.FieldEvent, last.Event).Str(bot.FieldAction, last.Action).Logger()
	if log.GetLevel() == zerolog.Disabled {
		log = a.cfg.Logger.With().Str(bot.FieldHost, string(policies.GitHub)).Str(bot.FieldHandler, KindPR).
			Str(bot.FieldRepo, last.Repo).Int(bot.FieldNumber, last.Number).Str(bot.FieldDelivery, last.DeliveryID).Logger()
	}
	ctx = log.WithContext(ctx)
	var calls callCount
	ctx = withCallCount(ctx, &calls)
	began := a.cfg.Now()

	w := &prWork{a: a, events: events, jobs: jobs, number: last.Number}
	err := w.run(ctx, installation)
	ev := log.Info()
	if err != nil {
		ev = log.Warn().Err(err)
	}
	ev.Int("events", len(events)).Int64("api_calls", calls.calls.Load()).Int64("api_not_modified", calls.notModified.Load()).
		Dur("took", a.cfg.Now().Sub(began)).Msg("pull request processed")
	if err != nil && lastAttempt(jobs) && w.s != nil {
		w.publishFailure(context.WithoutCancel(ctx), err)
	}
	return err
}

// run is the work on the PR, in order: state, PR, policy, commands,
// evaluation, publishing, records.
func (w *prWork) run(ctx context.Context, installation int64) error {
	a := w.a
	last := w.events[len(w.events)-1]
	// Shipgate's own comments are never commands: know them first.
	if _, err := a.Identify(ctx); err != nil {
		return err
	}
	s, err := a.session(ctx, installation, last.Repo)
	if err != nil {
		return err
	}
	w.s = s
	w.state, err = a.cfg.Store.GetPR(ctx, policies.GitHub, s.repo, w.number)
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.state = store.PRState{Host: policies.GitHub, Repo: s.repo, Number: w.number, State: store.PROpen}
	case err != nil:
		return err
	}
	if w.pr, err = w.currentPR(ctx); err != nil {
		return err
	}
	if w.state.CheckBase == "" && w.state.CheckRunID != 0 {
		w.state.CheckBase = w.state.BaseBranch // published before check_base was kept
	}
	switch base := w.pr.GetBase().GetRef(); {
	case w.pr.GetState() == "closed" && !w.pr.GetMerged():
		if err := w.withdraw(ctx, "was closed without merging"); err != nil {
			return err
		}
	case w.state.CheckBase != "" && w.state.CheckBase != base:
		if err := w.withdraw(ctx, "now targets "+base); err != nil {
			return err
		}
	}
	if w.pr.GetState() == "closed" {
		w.state.State = store.PRClosed
		w.state.LastActivityAt = w.activityAt()
		if err := a.cfg.Store.PutPR(ctx, w.state); err != nil {
			return err
		}
		return w.closedCommands(ctx) // /release on a merged PR; no evaluation
	}
	w.state.State, w.state.BaseBranch, w.state.HeadSHA = store.PROpen, w.pr.GetBase().GetRef(), w.pr.GetHead().GetSHA()
	w.state.LastActivityAt = w.activityAt()
	// Record the activity first: if the evaluation fails for good, the PR
	// stays stale and Reconcile takes it up again.
	if err := a.cfg.Store.PutPR(ctx, w.state); err != nil {
		return err
	}
	zerolog.Ctx(ctx).UpdateContext(func(c zerolog.Context) zerolog.Context {
		return c.Str(bot.FieldSHA, w.state.HeadSHA)
	})
	if w.policy, err = s.loadPolicy(ctx, w.pr.GetBase().GetRef()); err != nil {
		return err
	}
	for _, ev := range w.events {
		if c := ev.Comment; c != nil && !c.Edited && !c.Deleted {
			if err := w.runCommands(ctx, ev, retried(w.jobs)); err != nil {
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

// currentPR is the PR as the newest payload that holds it has it, when
// the events after that one (comments, check runs) cannot have changed
// it. Without such a payload it is the PR the last evaluation saw, with
// the title, body, labels and state of the newest comment event's issue,
// when no other replica evaluated since and the head is the one stored;
// otherwise it is fetched.
func (w *prWork) currentPR(ctx context.Context) (*gh.PullRequest, error) {
	var issue *gh.Issue
	for i := len(w.events) - 1; i >= 0; i-- {
		e := w.events[i]
		if e.PR != nil {
			return e.PR, nil
		}
		if issue == nil {
			issue = e.Issue
		}
		if e.Event != "issue_comment" && e.Event != "check_run" && e.Event != "check_suite" {
			return w.s.getPR(ctx, w.number)
		}
	}
	if sn, ok := w.seen(); ok && sn.pr != nil && sn.pr.GetHead().GetSHA() == w.state.HeadSHA && w.headsAgree(sn.pr.GetHead().GetSHA()) {
		pr := *sn.pr
		if issue != nil {
			pr.Title, pr.Body, pr.State = issue.Title, issue.Body, issue.State
			pr.Labels = issue.Labels
		}
		return &pr, nil
	}
	return w.s.getPR(ctx, w.number)
}

// headsAgree reports whether the events that name a head SHA (check runs
// and suites) name head.
func (w *prWork) headsAgree(head string) bool {
	for _, e := range w.events {
		if e.HeadSHA != "" && e.HeadSHA != head {
			return false
		}
	}
	return true
}

// seen returns what the last evaluation of the PR saw, if this process
// made it, no other replica evaluated since, and it is less than an hour
// old (so that a missed webhook cannot keep it wrong for long).
func (w *prWork) seen() (seen, bool) {
	sn, ok := w.a.seen.get(KeyPR(w.s.repo, w.number))
	if !ok || w.state.LastEvaluatedAt.IsZero() || !sn.evaluatedAt.Equal(w.state.LastEvaluatedAt) ||
		w.a.cfg.Now().Sub(sn.evaluatedAt) > time.Hour {
		return seen{}, false
	}
	for _, e := range w.events {
		if e.Event == "reconcile" {
			return seen{}, false // reconciliation reads everything again
		}
	}
	return sn, true
}

// activityAt is the time of the newest event that says when it happened.
func (w *prWork) activityAt() time.Time {
	t := w.state.LastActivityAt
	for _, e := range w.events {
		if e.At.After(t) {
			t = e.At
		}
	}
	if t.IsZero() {
		t = w.a.cfg.Now()
	}
	return t
}

// headPushedAt is when the head was pushed: the time of the newest
// synchronize event of the batch for it; for a PR just opened, its
// creation (no command can be older); else what the last evaluation knew.
// Zero when unknown: the head commit's date then stands in (BuildChange).
func (w *prWork) headPushedAt() time.Time {
	head := w.pr.GetHead().GetSHA()
	for i := len(w.events) - 1; i >= 0; i-- {
		if e := w.events[i]; e.Event == "pull_request" && e.Action == "synchronize" && e.HeadSHA == head {
			return e.At
		}
	}
	if first := w.events[0]; first.Event == "pull_request" && first.Action == "opened" && first.HeadSHA == head {
		return w.pr.GetCreatedAt().Time
	}
	if sn, ok := w.seen(); ok && sn.pr.GetHead().GetSHA() == head {
		return sn.headPushedAt
	}
	if w.state.LastEvaluatedSHA == head && !w.state.HeadPushedAt.IsZero() {
		return w.state.HeadPushedAt // remembered across restarts and replicas
	}
	return time.Time{}
}

// mayChangeVerdict reports whether an event of the batch can change the
// verdict: a completed CI check matters only to a policy with a checks
// rule (policy-bot's trigger idea: skip what an event cannot affect).
func (w *prWork) mayChangeVerdict() bool {
	for _, e := range w.events {
		if !(e.Event == "check_run" && e.Action == "completed") && e.Event != "status" {
			return true
		}
	}
	return w.policy.Policy != nil && w.policy.Policy.Needs().Has(policies.NeedChecks)
}

// policyForCommands is the policy commands are authorised by: the base
// branch's, or an empty one (default roles, default hold label) when it
// has none or an invalid one.
func (w *prWork) policyForCommands() *policies.Policy {
	return review.PolicyForCommands(w.policy.Policy)
}

func (w *prWork) repoRef() policies.Repo {
	return policies.Repo{Owner: w.s.owner, Name: w.s.name}
}

func (w *prWork) labels() []string {
	out := make([]string, 0, len(w.pr.Labels))
	for _, l := range w.pr.Labels {
		out = append(out, l.GetName())
	}
	return out
}

// evaluate builds the Change with the facts the policy needs and judges
// it.
func (w *prWork) evaluate(ctx context.Context) (policies.Verdict, *policies.Change, error) {
	p := w.policy.Policy
	k := w.known()
	k.HeadPushedAt = w.headPushedAt()
	in, c, err := w.s.changeOf(ctx, w.pr, p, k)
	if err != nil {
		return policies.Verdict{}, nil, err
	}
	w.pushedAt = c.HeadPushedAt
	w.state.HeadPushedAt = c.HeadPushedAt // of this head: headPushedAt trusts it only while LastEvaluatedSHA is the head
	w.comments, w.reviews = in.Comments, in.Reviews
	return policies.Evaluate(p, c, w.a.cfg.Now()), c, nil
}

// known are the facts the batch need not read. A PR just opened has no
// reviews and no comments but those whose events the batch holds; and the
// reviews and comments the last evaluation read still hold, with the
// review and comment events of the batch applied, as GitHub sends an event
// for every review submitted, edited or dismissed and every comment
// created, edited or deleted (bot comments, filtered out on receipt, are
// never commands and do not matter).
func (w *prWork) known() known {
	var reviews []*gh.PullRequestReview
	var comments []*gh.IssueComment
	if first := w.events[0]; first.Event == "pull_request" && first.Action == "opened" {
		reviews, comments = []*gh.PullRequestReview{}, []*gh.IssueComment{}
	} else if sn, ok := w.seen(); ok {
		reviews, comments = sn.reviews, sn.comments
	}
	var k known
	if reviews != nil {
		k.Reviews = applyReviewEvents(reviews, w.events)
	}
	if comments != nil {
		k.Comments = applyCommentEvents(comments, w.events)
	}
	return k
}

// applyReviewEvents returns reviews with the batch's review events
// applied, leaving reviews itself unchanged.
func applyReviewEvents(reviews []*gh.PullRequestReview, events []Event) []*gh.PullRequestReview {
	out := slices.Clone(reviews)
	for _, e := range events {
		r := e.Review
		if r == nil {
			continue
		}
		if e.Action == "dismissed" {
			r = &gh.PullRequestReview{ID: r.ID, User: r.User, State: gh.String(string(policies.ReviewDismissed)), CommitID: r.CommitID, SubmittedAt: r.SubmittedAt}
		}
		if i := slices.IndexFunc(out, func(have *gh.PullRequestReview) bool { return have.GetID() == r.GetID() }); i >= 0 {
			out[i] = r
		} else {
			out = append(out, r)
		}
	}
	return out
}

// applyCommentEvents returns comments with the batch's comment events
// applied, leaving comments itself unchanged.
func applyCommentEvents(comments []*gh.IssueComment, events []Event) []*gh.IssueComment {
	out := slices.Clone(comments)
	for _, e := range events {
		c := e.Comment
		if c == nil {
			continue
		}
		i := slices.IndexFunc(out, func(have *gh.IssueComment) bool { return have.GetID() == c.ID })
		switch {
		case c.Deleted && i >= 0:
			out = slices.Delete(out, i, i+1)
		case c.Deleted:
		case i >= 0:
			out[i] = c.issueComment()
		default:
			out = append(out, c.issueComment())
		}
	}
	return out
}

// ChangeJob is the review.ChangeJob of GitHub: the evaluation of a PR
// again, for reason (the job's event).
func ChangeJob(repo string, number int, reason, cause string) (store.Job, error) {
	e := Event{Event: reason, DeliveryID: cause, Repo: repo, Number: number}
	return store.Job{Kind: KindPR, Key: KeyPR(repo, number), Payload: mustJSON(e)}, nil
}

// record saves the evaluation, its audit entry and the PR's state.
func (w *prWork) record(ctx context.Context, v policies.Verdict, c *policies.Change, conclusion string) error {
	a, s := w.a, w.s
	now := a.cfg.Now()
	head := w.pr.GetHead().GetSHA()
	last := w.events[len(w.events)-1]
	if err := (review.Evaluation{
		Host: policies.GitHub, Repo: s.repo, Number: w.number, HeadSHA: head, PolicyRevision: w.policy.Revision,
		Change: c, Verdict: v, Conclusion: review.Conclusion(conclusion), Actor: last.Sender, DeliveryID: last.DeliveryID,
		Events: len(w.events), At: now,
	}).Record(ctx, a.cfg.Store, &w.state); err != nil {
		return err
	}
	a.seen.put(KeyPR(s.repo, w.number), seen{evaluatedAt: now, pr: w.pr, reviews: w.reviews, comments: w.comments, headPushedAt: w.pushedAt})
	return review.ScheduleFreezeChange(ctx, a.cfg.Acceptor, policies.GitHub, s.repo, w.pr.GetBase().GetRef(), w.policy.Policy, now)
}
