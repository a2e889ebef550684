package github

import (
	"context"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/gate"
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

var _ gate.Repo = (*Session)(nil)

func (s *Session) Host() policies.Host { return policies.GitHub }
func (s *Session) Name() string        { return s.repo }

// ReadChange reads a pull request as it is now:
// GET /repos/{owner}/{repo}/pulls/{pull_number}.
func (s *Session) ReadChange(ctx context.Context, number int) (gate.Snapshot, error) {
	pr, err := s.getPR(ctx, number)
	if err != nil {
		return gate.Snapshot{}, err
	}
	return SnapshotOf(pr), nil
}

// ReadFile reads a file at a ref; revision is its blob SHA.
func (s *Session) ReadFile(ctx context.Context, path, ref string) ([]byte, string, bool, error) {
	return s.readFile(ctx, path, ref)
}

// Role is a login's repository role (permission).
func (s *Session) Role(ctx context.Context, login string) (policies.Permission, error) {
	return s.permission(ctx, login)
}

// Facts reads what p needs of the pull request beyond snap and k, and
// digests its files.
func (s *Session) Facts(ctx context.Context, snap gate.Snapshot, p *policies.Policy, k gate.Known) (gate.Facts, error) {
	in, err := s.facts(ctx, snap, p, k)
	if err != nil {
		return gate.Facts{}, err
	}
	c := buildChange(snap, s.repo, in)
	if k.Reviews != nil {
		c.Reviews = append([]policies.Review{}, k.Reviews...)
	}
	if k.Comments != nil {
		c.Comments = append([]policies.Comment{}, k.Comments...)
	}
	return gate.Facts{Change: c, Content: contentDigest(in)}, nil
}

// SetLabels adds and removes labels: POST /repos/{owner}/{repo}/issues/
// {issue_number}/labels and DELETE …/labels/{name} (a label already gone
// is no error).
func (s *Session) SetLabels(ctx context.Context, number int, add, remove []string) error {
	if len(add) > 0 {
		if _, _, err := s.gh.Issues.AddLabelsToIssue(ctx, s.owner, s.name, number, add); err != nil {
			return s.wrap(err, "adding labels %v to %s#%d", add, s.repo, number)
		}
	}
	for _, l := range remove {
		// go-github puts the name in the path as it is: "a/b" must be escaped.
		_, err := s.gh.Issues.RemoveLabelForIssue(ctx, s.owner, s.name, number, url.PathEscape(l))
		if err != nil && !isNotFound(err) {
			return s.wrap(err, "removing label %s from %s#%d", l, s.repo, number)
		}
	}
	return nil
}

// React gives a comment a 👍:
// POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions.
func (s *Session) React(ctx context.Context, number int, commentID int64) error {
	if _, _, err := s.gh.Reactions.CreateIssueCommentReaction(ctx, s.owner, s.name, commentID, "+1"); err != nil {
		return s.wrap(err, "reacting to comment %d on %s#%d", commentID, s.repo, number)
	}
	return nil
}

// Comments lists a pull request's conversation.
func (s *Session) Comments(ctx context.Context, number int) ([]policies.Comment, error) {
	cs, _, err := s.listComments(ctx, number)
	if err != nil {
		return nil, err
	}
	out := make([]policies.Comment, 0, len(cs))
	for _, c := range cs {
		out = append(out, commentOf(c))
	}
	return out, nil
}

// CreateComment posts a comment:
// POST /repos/{owner}/{repo}/issues/{issue_number}/comments.
func (s *Session) CreateComment(ctx context.Context, number int, body string) (int64, error) {
	body = review.Truncate(body, maxCommentBody)
	c, _, err := s.gh.Issues.CreateComment(ctx, s.owner, s.name, number, &gh.IssueComment{Body: &body})
	if err != nil {
		return 0, s.wrap(err, "commenting on %s#%d", s.repo, number)
	}
	return c.GetID(), nil
}

// EditComment replaces a comment's body:
// PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}.
func (s *Session) EditComment(ctx context.Context, number int, id int64, body string) error {
	body = review.Truncate(body, maxCommentBody)
	_, _, err := s.gh.Issues.EditComment(ctx, s.owner, s.name, id, &gh.IssueComment{Body: &body})
	switch {
	case isNotFound(err):
		return gate.ErrGone
	case err != nil:
		return s.wrap(err, "editing comment %d of %s#%d", id, s.repo, number)
	}
	return nil
}

// PublishVerdict creates the check run named `shipgate: <base>`
// (review.CheckName) on the SHA, or updates the one already there for that
// SHA and base (prev), unless what it would say is what it says already; a
// completed run that becomes pending again is replaced by a new run, as
// GitHub keeps a conclusion once given:
// POST /repos/{owner}/{repo}/check-runs or
// PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}.
func (s *Session) PublishVerdict(ctx context.Context, t gate.Target, ro review.Outcome, prev gate.Published) (gate.Published, error) {
	o := checkOutcome(ro)
	summary, err := templates.String(templates.CheckSummary, o.report)
	if err != nil {
		return prev, err
	}
	output := &gh.CheckRunOutput{
		Title: gh.String(review.Truncate(o.report.Title(), 250)), Summary: gh.String(review.Truncate(summary, maxSummary)),
		Annotations: o.annotations,
	}
	pub := gate.Published{SHA: t.SHA, Base: t.Base, Digest: review.Digest(o.status, o.conclusion, output), Status: o.status}
	status := gh.String(o.status)
	var conclusion *string
	var completed *gh.Timestamp
	if o.conclusion != "" {
		conclusion = gh.String(o.conclusion)
		completed = &gh.Timestamp{Time: s.a.cfg.Now().UTC().Truncate(time.Second)}
	}
	name := review.CheckName(t.Base)
	if (prev.ID == 0 || prev.SHA != t.SHA || prev.Base != t.Base) && t.Retried && !t.Fresh {
		found, err := s.unrecordedRun(ctx, t, name)
		if err != nil {
			return prev, err
		}
		prev = found
	}
	if prev.ID != 0 && prev.SHA == t.SHA && prev.Base == t.Base && !t.Fresh {
		switch {
		case prev.Digest == pub.Digest:
			return prev, nil
		case o.status == "completed" || prev.Status != "" && prev.Status != "completed":
			_, _, err := s.gh.Checks.UpdateCheckRun(ctx, s.owner, s.name, prev.ID, gh.UpdateCheckRunOptions{
				Name: name, Status: status, Conclusion: conclusion, CompletedAt: completed, Output: output, DetailsURL: s.detailsURL(t.Number),
			})
			if err == nil {
				pub.ID = prev.ID
				return pub, nil
			}
			if !isNotFound(err) {
				return prev, s.wrap(err, "updating the check run of %s#%d", s.repo, t.Number)
			}
			// The run is gone: create another.
		}
		// A completed run's conclusion cannot be taken back: a verdict that
		// is pending again gets a new run, which GitHub shows instead.
	}
	cr, _, err := s.gh.Checks.CreateCheckRun(ctx, s.owner, s.name, gh.CreateCheckRunOptions{
		Name: name, HeadSHA: t.SHA, ExternalID: gh.String(gate.Key(policies.GitHub, s.repo, t.Number)),
		Status: status, Conclusion: conclusion, CompletedAt: completed, Output: output, DetailsURL: s.detailsURL(t.Number),
	})
	if err != nil {
		return prev, s.wrap(err, "creating the check run of %s#%d", s.repo, t.Number)
	}
	pub.ID = cr.GetID()
	return pub, nil
}

// detailsURL is the check run's link to the change's dashboard page; nil
// without a public URL.
func (s *Session) detailsURL(number int) *string {
	if s.a.cfg.ChangeURL == nil {
		return nil
	}
	return gh.String(s.a.cfg.ChangeURL(s.repo, number))
}

// unrecordedRun finds the change's newest check run on t.SHA, which an
// earlier try may have created without living to record it, so that a
// retry edits it instead of adding a second run:
// GET /repos/{owner}/{repo}/commits/{ref}/check-runs?check_name=….
// Runs of other changes on the commit (another external ID), and runs of
// other Apps, are not this change's to edit.
func (s *Session) unrecordedRun(ctx context.Context, t gate.Target, name string) (gate.Published, error) {
	key := gate.Key(policies.GitHub, s.repo, t.Number)
	login, err := s.a.Identify(ctx)
	if err != nil {
		return gate.Published{}, err
	}
	// Only a run of Shipgate's own App is its own: another App can name a
	// run and set its external ID as it likes.
	slug, isApp := strings.CutSuffix(login, "[bot]")
	if !isApp {
		return gate.Published{}, nil
	}
	res, _, err := s.gh.Checks.ListCheckRunsForRef(ctx, s.owner, s.name, t.SHA, &gh.ListCheckRunsOptions{
		CheckName: gh.String(name), ListOptions: gh.ListOptions{PerPage: 100},
	})
	if err != nil {
		return gate.Published{}, s.wrap(err, "looking for the check run of %s#%d", s.repo, t.Number)
	}
	var found gate.Published
	for _, cr := range res.CheckRuns {
		if cr.GetExternalID() == key && cr.GetApp().GetSlug() == slug && cr.GetID() > found.ID {
			found = gate.Published{ID: cr.GetID(), SHA: t.SHA, Base: t.Base, Status: cr.GetStatus()}
		}
	}
	return found, nil
}

// outcome is an outcome as a check run says it.
type outcome struct {
	report templates.Report
	// status is in_progress or completed; conclusion is set when completed.
	status, conclusion string
	annotations        []*gh.CheckRunAnnotation
}

// checkOutcome maps the host-neutral outcome onto a check run: pending is
// an in-progress run without a conclusion; an invalid policy's errors
// become annotations.
func checkOutcome(ro review.Outcome) outcome {
	o := outcome{report: ro.Report, status: "completed", conclusion: string(ro.Conclusion)}
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
		column := e.Column
		if e.File != "" && e.File != PolicyFile {
			// An error in a base policy (extends) is shown on the first
			// line of the repository's own file, naming where it is.
			msg, line, column = e.Error(), 1, 0
		}
		a := &gh.CheckRunAnnotation{
			Path: gh.String(PolicyFile), StartLine: gh.Int(line), EndLine: gh.Int(line),
			AnnotationLevel: gh.String("failure"), Message: gh.String(msg), Title: gh.String("Invalid Shipgate policy"),
		}
		if column > 0 {
			a.StartColumn, a.EndColumn = gh.Int(column), gh.Int(column)
		}
		out = append(out, a)
	}
	return out
}

// SnapshotOf is a pull request as the gate reads it.
func SnapshotOf(pr *gh.PullRequest) gate.Snapshot {
	state := gate.Open
	switch {
	case pr.GetMerged():
		state = gate.Merged
	case pr.GetState() == "closed":
		state = gate.Closed
	}
	labels := make([]string, 0, len(pr.Labels))
	for _, l := range pr.Labels {
		labels = append(labels, l.GetName())
	}
	return gate.Snapshot{
		Number: pr.GetNumber(), Title: pr.GetTitle(), Body: pr.GetBody(), Author: ActorOf(pr.GetUser()),
		Base: pr.GetBase().GetRef(), Head: pr.GetHead().GetRef(), BaseSHA: pr.GetBase().GetSHA(), HeadSHA: pr.GetHead().GetSHA(),
		State: state, Draft: pr.GetDraft(), Labels: labels, ChangedFiles: pr.GetChangedFiles(), Commits: pr.GetCommits(),
		URL: pr.GetHTMLURL(), CreatedAt: pr.GetCreatedAt().Time, UpdatedAt: pr.GetUpdatedAt().Time,
	}
}

// commentOf is a comment as the gate reads it.
func commentOf(c *gh.IssueComment) policies.Comment {
	return policies.Comment{
		ID: c.GetID(), Author: ActorOf(c.GetUser()), Body: c.GetBody(), CreatedAt: c.GetCreatedAt().Time,
		Edited: c.GetUpdatedAt().After(c.GetCreatedAt().Time),
	}
}

// hasLabel reports whether labels hold label.
func hasLabel(labels []string, label string) bool {
	for _, l := range labels {
		if strings.EqualFold(l, label) {
			return true
		}
	}
	return false
}

// OpenChanges lists the open pull requests into base ("" for all), most
// recently updated first: GET /repos/{owner}/{repo}/pulls?state=open.
func (s *Session) OpenChanges(ctx context.Context, base string) ([]gate.Snapshot, error) {
	prs, _, err := listAll(maxListed, func(o gh.ListOptions) ([]*gh.PullRequest, *gh.Response, error) {
		return s.gh.PullRequests.List(ctx, s.owner, s.name, &gh.PullRequestListOptions{State: "open", Base: base, Sort: "updated", Direction: "desc", ListOptions: o})
	})
	if err != nil {
		return nil, s.wrap(err, "listing the open pull requests of %s", s.repo)
	}
	out := make([]gate.Snapshot, 0, len(prs))
	for _, pr := range prs {
		out = append(out, SnapshotOf(pr))
	}
	return out, nil
}

// OpenPRsOn lists the open pull requests whose head is sha (installation
// may be 0): GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls.
func (a *App) OpenPRsOn(ctx context.Context, installation int64, repo, sha string) ([]gate.Snapshot, error) {
	s, err := a.Session(ctx, installation, repo)
	if err != nil {
		return nil, err
	}
	all, _, err := s.gh.PullRequests.ListPullRequestsWithCommit(ctx, s.owner, s.name, sha, &gh.ListOptions{PerPage: 100})
	if err != nil {
		return nil, s.wrap(err, "listing the pull requests of %.7s in %s", sha, repo)
	}
	var out []gate.Snapshot
	for _, pr := range all {
		if pr.GetState() == "open" && pr.GetHead().GetSHA() == sha {
			out = append(out, gate.Snapshot{Number: pr.GetNumber(), HeadSHA: sha})
		}
	}
	return out, nil
}

// RateLimit is the primary rate limit GitHub last reported: the calls
// remaining (-1 until known) and when the window resets.
func (a *App) RateLimit() (remaining int64, reset time.Time) {
	remaining = a.rate.Remaining.Load()
	if r := a.rate.Reset.Load(); r != 0 {
		reset = time.Unix(r, 0)
	}
	return remaining, reset
}
