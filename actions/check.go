package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// checkCommand judges the pull request of a pull_request,
// pull_request_target, pull_request_review or issue_comment run (on a pull
// request), or the merge group of a merge_group run, exactly as the bot
// does: the Change is built through the API by bot/github and the policy is
// read at the PR's base commit, never from the workspace, which holds the
// PR's own version. It writes the verdict as the commit status
// `shipgate: <base>` on the commit it is about, because the job's own check
// run is attached to another commit on a review, a comment or a merge
// group, and is named after the job for every base.
type checkCommand struct{}

func (checkCommand) Name() string { return "check" }

func (checkCommand) Run(ctx context.Context, st *State) error {
	if st.Event == "merge_group" {
		return checkMergeGroup(ctx, st)
	}
	number, err := st.pullRequest()
	if err != nil {
		return err
	}
	app, failOnPending, err := st.startCheck(fmt.Sprintf("%s#%d", st.Repo, number))
	if err != nil {
		return err
	}
	file := st.input(inPolicy)
	rv, err := st.records()
	if err != nil {
		return err
	}
	res, err := app.CheckPR(ctx, st.Repo, number, github.CheckOptions{PolicyFile: file, AtBaseSHA: true, Records: rv})
	rep := templates.Report{Repo: st.Repo, Number: number, PolicyFile: file, PolicyRevision: res.PolicyRevision}
	if c := res.Change; c != nil {
		rep.HeadSHA, rep.BaseBranch = c.HeadSHA, c.BaseBranch
	}
	st.report.Check = &rep
	if err != nil {
		return st.notEvaluated(ctx, &rep, err)
	}
	return st.evaluated(ctx, &rep, res.Verdict, failOnPending)
}

// startCheck names what the check judges, and reads what every check
// needs: the fail-on-pending input and the API.
func (st *State) startCheck(subject string) (app *github.App, failOnPending bool, err error) {
	st.report.Subject = subject
	if failOnPending, err = st.boolInput(inFailOnPending); err != nil {
		return nil, false, err
	}
	app, err = st.api()
	return app, failOnPending, err
}

// pullRequest is the number of the pull request the run's event is
// about, or a *NotApplicable for an event that names none. A comment by a
// bot is checked like any: its commands count for nothing (the bot's rule,
// which CheckPR applies), so the check can only find what holds anyway.
func (st *State) pullRequest() (int, error) {
	p := st.payload
	switch st.Event {
	case "pull_request", "pull_request_target", "pull_request_review":
		number := p.Number
		if pr := p.PullRequest; pr != nil && pr.Number != 0 {
			number = pr.Number
		}
		if number == 0 {
			return 0, errors.New("the event file has no pull request number")
		}
		return number, nil
	case "issue_comment":
		switch is := p.Issue; {
		case is == nil || is.Number == 0:
			return 0, errors.New("the event file has no issue number")
		case len(is.PullRequest) == 0 || string(is.PullRequest) == "null":
			return 0, skip("the comment is on issue #%d, not on a pull request", is.Number)
		}
		if c := p.Comment; c != nil && c.User != nil && (c.User.Type == "Bot" || strings.HasSuffix(c.User.Login, "[bot]")) {
			st.gha.Infof("the comment is by the bot %s: its commands count for nothing; the pull request is checked as it stands", c.User.Login)
		}
		return p.Issue.Number, nil
	}
	return 0, skip("a %s run has no pull request to check; run the check command on pull_request, pull_request_target, pull_request_review, issue_comment or merge_group", eventName(st.Event))
}

// notEvaluated reports a pull request the policy could not judge: no
// policy on the base (neutral, and no status: nothing is enforced), an
// invalid policy (a failing status, annotations on its lines), or an
// error (a failing status that says so, when the head is known).
func (st *State) notEvaluated(ctx context.Context, rep *templates.Report, err error) error {
	fieldErrs := policies.FieldErrors(err)
	switch {
	case errors.Is(err, github.ErrNoPolicy):
		rep.Kind = templates.NoPolicy
		st.gha.Infof("no %s on %s: no commit status written", rep.PolicyFile, rep.BaseBranch)
		return st.setOutput(outConclusion, "neutral")
	case len(fieldErrs) > 0:
		rep.Kind, rep.PolicyErrors = templates.InvalidPolicy, fieldErrs
		st.annotatePolicy(rep.PolicyFile, fieldErrs)
		if err := st.setOutput(outConclusion, string(policies.Failure)); err != nil {
			return err
		}
		if err := st.publishVerdict(ctx, rep.HeadSHA, rep.BaseBranch, policies.Failure, rep.Title()); err != nil {
			return err
		}
		return &reported{code: ExitCouldNotRun, why: fmt.Sprintf("the policy %s at the base of %s is invalid", rep.PolicyFile, st.report.Subject)}
	}
	st.report.Check = nil
	if rep.HeadSHA != "" && rep.BaseBranch != "" {
		err = errors.Join(err, st.publishVerdict(ctx, rep.HeadSHA, rep.BaseBranch, policies.Failure, "Shipgate could not evaluate this pull request: "+err.Error()))
	}
	return err
}

// evaluated reports a verdict: outputs, one annotation per failing rule,
// the commit status, and the step's end.
func (st *State) evaluated(ctx context.Context, rep *templates.Report, v policies.Verdict, failOnPending bool) error {
	rep.Kind, rep.Verdict = templates.Evaluated, v
	if err := st.setOutputs(
		outConclusion, string(v.Conclusion),
		outBump, string(v.Bump),
		outChangeRecords, strings.Join(v.ChangeRecords, ","),
		outNotes, v.ReleaseNote,
	); err != nil {
		return err
	}
	for _, r := range v.Results {
		if r.Status == policies.Fail {
			st.gha.WithFieldsMap(map[string]string{"title": "Shipgate: " + r.Name}).Errorf("%s", r.Message)
		}
	}
	if err := st.publishVerdict(ctx, rep.HeadSHA, rep.BaseBranch, v.Conclusion, rep.Title()); err != nil {
		return err
	}
	return unsatisfied(v.Conclusion, rep.Title(), failOnPending)
}

// unsatisfied ends the step for a conclusion: failure, and pending with
// fail-on-pending, fail it.
func unsatisfied(c policies.Conclusion, title string, failOnPending bool) error {
	switch {
	case c == policies.Success:
		return nil
	case c == policies.Pending && !failOnPending:
		return nil
	case c == policies.Pending:
		return &reported{code: ExitUnsatisfied, why: title + " (fail-on-pending is true)"}
	}
	return &reported{code: ExitUnsatisfied, why: title}
}

// publishVerdict writes a verdict as the commit status `shipgate: <base>`
// on sha, linked to the workflow run, through bot/github.
func (st *State) publishVerdict(ctx context.Context, sha, base string, c policies.Conclusion, description string) error {
	if sha == "" || base == "" {
		return fmt.Errorf("no commit or base branch to write the verdict of %s on", st.report.Subject)
	}
	app, err := st.api()
	if err != nil {
		return err
	}
	if err := app.PublishVerdictStatus(ctx, st.Repo, sha, base, c, description, st.runURL()); err != nil {
		return fmt.Errorf("%w: the workflow needs `permissions: statuses: write` (a pull request from a fork gets a read-only token on pull_request and pull_request_review: use pull_request_target)", err)
	}
	st.gha.Infof("wrote the commit status %q (%s) on %.7s", review.CheckName(base), c, sha)
	return nil
}

// runURL is the web page of the workflow run, "" outside a runner.
func (st *State) runURL() string {
	if st.RunID == 0 || st.ServerURL == "" || st.Repo == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s/actions/runs/%d", strings.TrimSuffix(st.ServerURL, "/"), st.Repo, st.RunID)
}

// eventName names an event for messages.
func eventName(e string) string {
	if e == "" {
		return "workflow (no GITHUB_EVENT_NAME)"
	}
	return e
}
