package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// checkCommand judges the pull request of a pull_request or
// pull_request_target run, exactly as the bot does: the Change is built
// through the API by bot/github and the policy is read at the PR's base
// commit, never from the workspace, which holds the PR's own version.
type checkCommand struct{}

func (checkCommand) Name() string { return "check" }

func (checkCommand) Run(ctx context.Context, st *State) error {
	if st.Event != "pull_request" && st.Event != "pull_request_target" {
		return skip("a %s run has no pull request to check; run the check command on pull_request or pull_request_target", eventName(st.Event))
	}
	number := st.payload.Number
	if pr := st.payload.PullRequest; pr != nil && pr.Number != 0 {
		number = pr.Number
	}
	if number == 0 {
		return errors.New("the event file has no pull request number")
	}
	st.report.Subject = fmt.Sprintf("%s#%d", st.Repo, number)
	failOnPending, err := st.boolInput(inFailOnPending)
	if err != nil {
		return err
	}
	app, err := st.api()
	if err != nil {
		return err
	}
	file := st.input(inPolicy)
	res, err := app.CheckPR(ctx, st.Repo, number, github.CheckOptions{PolicyFile: file, AtBaseSHA: true})
	rep := templates.Report{Repo: st.Repo, Number: number, PolicyFile: file, PolicyRevision: res.PolicyRevision}
	if c := res.Change; c != nil {
		rep.HeadSHA, rep.BaseBranch = c.HeadSHA, c.BaseBranch
	}
	st.report.Check = &rep
	fieldErrs := policies.FieldErrors(err)
	switch {
	case errors.Is(err, github.ErrNoPolicy):
		rep.Kind = templates.NoPolicy
		return st.setOutput(outConclusion, "neutral")
	case len(fieldErrs) > 0:
		rep.Kind, rep.PolicyErrors = templates.InvalidPolicy, fieldErrs
		st.annotatePolicy(file, fieldErrs)
		if err := st.setOutput(outConclusion, string(policies.Failure)); err != nil {
			return err
		}
		return &reported{code: ExitCouldNotRun, why: fmt.Sprintf("the policy %s at the base of %s is invalid", file, st.report.Subject)}
	case err != nil:
		st.report.Check = nil
		return err
	}
	v := res.Verdict
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
	switch {
	case v.Conclusion == policies.Failure:
		return &reported{code: ExitUnsatisfied, why: rep.Title()}
	case v.Conclusion == policies.Pending && failOnPending:
		return &reported{code: ExitUnsatisfied, why: rep.Title() + " (fail-on-pending is true)"}
	}
	return nil
}

// eventName names an event for messages.
func eventName(e string) string {
	if e == "" {
		return "workflow (no GITHUB_EVENT_NAME)"
	}
	return e
}
