package github

import (
	"context"
	"fmt"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"
	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// GitHub's limits on a check run's output and a comment's body.
const (
	maxSummary     = 65535
	maxCommentBody = 65536
	maxAnnotations = 50 // per request
)

// outcome is what is published for one evaluation.
type outcome struct {
	report templates.Report
	// status is in_progress or completed; conclusion is set when completed.
	status, conclusion string
	annotations        []*gh.CheckRunAnnotation
	// comment: create the sticky comment when there is none yet (it is
	// updated whenever one exists).
	comment bool
}

// evaluateAndPublish judges the PR and publishes the outcome: the check
// run, the sticky comment, then the records.
func (w *prWork) evaluateAndPublish(ctx context.Context) error {
	rep := templates.Report{
		Repo: w.s.repo, Number: w.number, HeadSHA: w.pr.GetHead().GetSHA(), BaseBranch: w.pr.GetBase().GetRef(),
		PolicyFile: PolicyFile, PolicyRevision: w.policy.Revision,
	}
	var (
		o       outcome
		verdict policies.Verdict
		change  *policies.Change
	)
	switch lp := w.policy; {
	case lp.Missing:
		o = checkOutcome(review.NoPolicy(rep))
	case lp.Invalid != nil:
		o = checkOutcome(review.InvalidPolicy(rep, lp.Invalid))
	default:
		var err error
		if verdict, change, err = w.evaluate(ctx); err != nil {
			return err
		}
		o = checkOutcome(review.Evaluated(rep, verdict))
	}
	if err := w.publishCheck(ctx, o); err != nil {
		return err
	}
	if err := w.publishComment(ctx, o); err != nil {
		return err
	}
	conclusion := o.conclusion
	if conclusion == "" {
		conclusion = string(policies.Pending)
	}
	zerolog.Ctx(ctx).Info().Str("conclusion", conclusion).Str("policy_revision", w.policy.Revision).Msg("evaluated")
	return w.record(ctx, verdict, change, conclusion)
}

// checkOutcome maps the host-neutral outcome onto a check run: pending is
// an in-progress run without a conclusion; an invalid policy's errors
// become annotations.
func checkOutcome(ro review.Outcome) outcome {
	o := outcome{report: ro.Report, status: "completed", conclusion: string(ro.Conclusion), comment: ro.Comment}
	if ro.Conclusion == review.Pending {
		o.status, o.conclusion = "in_progress", ""
	}
	if ro.Report.Kind == templates.InvalidPolicy {
		o.annotations = annotations(ro.Report.PolicyErrors)
	}
	return o
}

// annotations place policy errors on the lines of the policy file.
func annotations(errs []*policies.FieldError) []*gh.CheckRunAnnotation {
	out := make([]*gh.CheckRunAnnotation, 0, min(len(errs), maxAnnotations))
	for _, e := range errs[:min(len(errs), maxAnnotations)] {
		line := max(e.Line, 1)
		msg := e.Msg
		if e.Path != "" {
			msg = e.Path + ": " + msg
		}
		a := &gh.CheckRunAnnotation{
			Path: gh.String(PolicyFile), StartLine: gh.Int(line), EndLine: gh.Int(line),
			AnnotationLevel: gh.String("failure"), Message: gh.String(msg), Title: gh.String("Invalid Shipgate policy"),
		}
		if e.Column > 0 {
			a.StartColumn, a.EndColumn = gh.Int(e.Column), gh.Int(e.Column)
		}
		out = append(out, a)
	}
	return out
}

// publishCheck creates the check run named `shipgate: <base>`
// (review.CheckName) on the head SHA, or updates the one already there for
// that SHA and base (its ID is in the PR's state), unless what it would say
// is what it says already; a completed run that becomes pending again is
// replaced by a new run, as GitHub keeps a conclusion once given:
// POST /repos/{owner}/{repo}/check-runs or
// PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}.
func (w *prWork) publishCheck(ctx context.Context, o outcome) error {
	s, a := w.s, w.a
	head, base := w.pr.GetHead().GetSHA(), w.pr.GetBase().GetRef()
	name := review.CheckName(base)
	summary, err := templates.String(templates.CheckSummary, o.report)
	if err != nil {
		return err
	}
	output := &gh.CheckRunOutput{
		Title: gh.String(review.Truncate(o.report.Title(), 250)), Summary: gh.String(review.Truncate(summary, maxSummary)),
		Annotations: o.annotations,
	}
	digest := review.Digest(o.status, o.conclusion, output)
	var status, conclusion *string
	var completed *gh.Timestamp
	status = gh.String(o.status)
	if o.conclusion != "" {
		conclusion = gh.String(o.conclusion)
		completed = &gh.Timestamp{Time: a.cfg.Now().UTC().Truncate(time.Second)}
	}
	if id := w.state.CheckRunID; id != 0 && w.state.LastEvaluatedSHA == head && w.state.CheckBase == base && !w.freshCheck() {
		key := fmt.Sprintf("%s/%d", s.repo, id)
		prev, known := a.checks.get(key)
		if !known && w.state.CheckDigest != "" {
			// After a restart the store remembers what was published.
			prev, known = published{w.state.CheckDigest, w.state.CheckStatus}, true
		}
		switch {
		case known && prev.digest == digest:
			return nil
		case o.status == "completed" || known && prev.status != "completed":
			_, _, err := s.gh.Checks.UpdateCheckRun(ctx, s.owner, s.name, id, gh.UpdateCheckRunOptions{
				Name: name, Status: status, Conclusion: conclusion, CompletedAt: completed, Output: output,
			})
			if err == nil {
				a.checks.put(key, published{digest, o.status})
				w.state.CheckDigest, w.state.CheckStatus = digest, o.status
				return nil
			}
			if !isNotFound(err) {
				return s.wrap(err, "updating the check run of %s#%d", s.repo, w.number)
			}
			// The run is gone: create another.
		}
		// A completed run's conclusion cannot be taken back: a verdict that
		// is pending again gets a new run, which GitHub shows instead.
	}
	cr, _, err := s.gh.Checks.CreateCheckRun(ctx, s.owner, s.name, gh.CreateCheckRunOptions{
		Name: name, HeadSHA: head, ExternalID: gh.String(KeyPR(s.repo, w.number)),
		Status: status, Conclusion: conclusion, CompletedAt: completed, Output: output,
	})
	if err != nil {
		return s.wrap(err, "creating the check run of %s#%d", s.repo, w.number)
	}
	w.state.CheckRunID, w.state.LastEvaluatedSHA, w.state.CheckBase = cr.GetID(), head, base
	w.state.CheckDigest, w.state.CheckStatus = digest, o.status
	a.checks.put(fmt.Sprintf("%s/%d", s.repo, cr.GetID()), published{digest, o.status})
	return nil
}

// publishComment keeps the one sticky comment in step: it edits it only
// when its text changes, finds it by its marker when the state lost it,
// and creates it when o asks for it and there is none:
// PATCH /repos/{owner}/{repo}/issues/comments/{comment_id} or
// POST /repos/{owner}/{repo}/issues/{issue_number}/comments.
func (w *prWork) publishComment(ctx context.Context, o outcome) error {
	s := w.s
	body, err := templates.String(templates.Comment, o.report)
	if err != nil {
		return err
	}
	body = review.Truncate(body, maxCommentBody)
	digest := review.Digest(body)
	if w.state.CommentID == 0 {
		if err := w.findComment(ctx); err != nil {
			return err
		}
	}
	if id := w.state.CommentID; id != 0 {
		if w.state.CommentDigest == digest {
			return nil
		}
		_, _, err := s.gh.Issues.EditComment(ctx, s.owner, s.name, id, &gh.IssueComment{Body: &body})
		switch {
		case err == nil:
			w.state.CommentDigest = digest
			return nil
		case !isNotFound(err):
			return s.wrap(err, "editing the summary comment of %s#%d", s.repo, w.number)
		}
		w.state.CommentID, w.state.CommentDigest = 0, "" // deleted by someone
	}
	if !o.comment {
		return nil
	}
	c, _, err := s.gh.Issues.CreateComment(ctx, s.owner, s.name, w.number, &gh.IssueComment{Body: &body})
	if err != nil {
		return s.wrap(err, "creating the summary comment of %s#%d", s.repo, w.number)
	}
	w.state.CommentID, w.state.CommentDigest = c.GetID(), digest
	return nil
}

// findComment looks for Shipgate's sticky comment among the PR's comments
// (reading them when the evaluation did not): a comment that starts with
// the marker, written by Shipgate itself.
func (w *prWork) findComment(ctx context.Context) error {
	comments := w.comments
	if comments == nil {
		var err error
		if comments, err = w.s.comments(ctx, w.number); err != nil {
			return err
		}
		w.comments = comments
	}
	self, err := w.a.Identify(ctx)
	if err != nil {
		return err
	}
	for _, c := range comments {
		if strings.EqualFold(c.GetUser().GetLogin(), self) && strings.HasPrefix(c.GetBody(), templates.CommentMarker) {
			w.state.CommentID, w.state.CommentDigest = c.GetID(), review.Digest(c.GetBody())
			return nil
		}
	}
	return nil
}

// publishFailure tells the PR that Shipgate could not evaluate it, after
// the last try failed: a failing check run that says why (never a green or
// a silent one). Its own failure is only logged.
func (w *prWork) publishFailure(ctx context.Context, cause error) {
	log := zerolog.Ctx(ctx)
	if w.pr == nil {
		head := w.state.HeadSHA
		for _, e := range w.events {
			if e.HeadSHA != "" {
				head = e.HeadSHA
			}
		}
		if head == "" {
			log.Error().Err(cause).Msg("evaluation failed for good, and the head SHA is unknown: no check published")
			return
		}
		w.pr = &gh.PullRequest{Number: gh.Int(w.number), Head: &gh.PullRequestBranch{SHA: gh.String(head)},
			Base: &gh.PullRequestBranch{Ref: gh.String(w.state.BaseBranch)}}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rep := templates.Report{
		Repo: w.s.repo, Number: w.number, HeadSHA: w.pr.GetHead().GetSHA(),
		BaseBranch: w.pr.GetBase().GetRef(), PolicyFile: PolicyFile,
	}
	o := checkOutcome(review.Failed(rep, cause))
	if err := w.publishCheck(ctx, o); err != nil {
		log.Error().Err(err).AnErr("cause", cause).Msg("publishing the failure check")
		return
	}
	if err := w.a.cfg.Store.PutPR(ctx, w.state); err != nil {
		log.Error().Err(err).Msg("storing the state after the failure check")
	}
	log.Error().Err(cause).Msg("evaluation failed for good: failure check published")
}

// freshCheck reports whether the batch asks for a new check run rather
// than an edit of the PR's own: another PR's withdrawn verdict on the same
// commit and base may be newer than this PR's run, and GitHub reads the
// newest run of a name.
func (w *prWork) freshCheck() bool {
	for _, e := range w.events {
		if e.Event == eventWithdrawn {
			return true
		}
	}
	return false
}

// eventWithdrawn is the adapter's own event that re-evaluates the open PRs
// on a commit whose verdict for their base another PR withdrew.
const eventWithdrawn = "withdrawn"

// withdraw replaces the verdict the PR last published, for the base it
// had then, with a failure that says why (it was retargeted or closed
// unmerged): a check run belongs to a commit, and that verdict must not let
// another PR of the same head into that base merge unjudged. The other
// open PRs on the commit are then queued to publish their own verdicts:
// PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}.
func (w *prWork) withdraw(ctx context.Context, why string) error {
	s, st := w.s, &w.state
	id, sha, base := st.CheckRunID, st.LastEvaluatedSHA, st.CheckBase
	if id == 0 || sha == "" || base == "" {
		return nil
	}
	rep := templates.Report{Repo: s.repo, Number: w.number, HeadSHA: sha, BaseBranch: base, PolicyFile: PolicyFile}
	o := checkOutcome(review.Withdrawn(rep, why))
	summary, err := templates.String(templates.CheckSummary, o.report)
	if err != nil {
		return err
	}
	_, _, err = s.gh.Checks.UpdateCheckRun(ctx, s.owner, s.name, id, gh.UpdateCheckRunOptions{
		Name: review.CheckName(base), Status: gh.String(o.status), Conclusion: gh.String(o.conclusion),
		CompletedAt: &gh.Timestamp{Time: w.a.cfg.Now().UTC().Truncate(time.Second)},
		Output:      &gh.CheckRunOutput{Title: gh.String(review.Truncate(o.report.Title(), 250)), Summary: gh.String(review.Truncate(summary, maxSummary))},
	})
	if err != nil && !isNotFound(err) {
		return s.wrap(err, "withdrawing the check run of %s#%d for %s", s.repo, w.number, base)
	}
	zerolog.Ctx(ctx).Info().Str("base", base).Str(bot.FieldSHA, sha).Str("why", why).Msg("verdict withdrawn")
	st.CheckRunID, st.CheckDigest, st.CheckStatus, st.CheckBase = 0, "", "", ""
	if err := w.a.cfg.Store.PutPR(ctx, *st); err != nil {
		return err
	}
	return review.RequeueOthers(ctx, w.a.cfg.Store, w.a.cfg.Acceptor, ChangeJob, policies.GitHub, w.s.repo, w.number, sha, w.a.cfg.Now())
}
