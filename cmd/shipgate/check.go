package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	gh "github.com/google/go-github/v62/github"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/policies"
)

// checkOptions are the flags of `shipgate check`.
type checkOptions struct {
	repo                                                string
	pr                                                  int
	policy, event, eventName                            string
	reviews, comments, files, commits, checks, statuses string
	teams, codeowners, bodyTemplate, now, format        string
}

func newCheckCmd() *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Evaluate the policy on a saved pull_request webhook payload",
		Long: `Evaluate the policy on a pull request saved as a GitHub pull_request webhook
payload, with optional GitHub REST API responses for the facts the policy needs.
Offline there is no permission data, so comment commands count as given by
authorised users (the author still cannot approve their own change).

Exit status: 0 success, 1 failure or pending, 2 usage or policy error.`,
		Example: `  shipgate check --policy examples/.shipgate.yml --event examples/pr/pull_request.json \
    --reviews examples/pr/reviews.json --teams examples/teams.yaml --format json
  SHIPGATE_GITHUB_TOKEN=ghp_… shipgate check --repo acme/widgets --pr 42`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.repo != "" || o.pr != 0 {
				return runCheckLive(cmd, o)
			}
			if o.event == "" {
				return usageError(errors.New(`required flag "event" not set: pass --event FILE, or --repo OWNER/NAME --pr N for a live PR`))
			}
			return runCheck(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.repo, "repo", "", "evaluate a live PR of OWNER/NAME through the API (with --pr; SHIPGATE_GITHUB_TOKEN, SHIPGATE_GITHUB_API_URL)")
	f.IntVar(&o.pr, "pr", 0, "the PR number, with --repo")
	f.StringVar(&o.policy, "policy", ".shipgate.yml", "policy file")
	f.StringVar(&o.event, "event", "", "pull_request webhook payload (JSON); required unless --repo")
	f.StringVar(&o.eventName, "event-name", "pull_request", "event name: pull_request or pull_request_target")
	f.StringVar(&o.reviews, "reviews", "", "reviews: response of GET /repos/{owner}/{repo}/pulls/{n}/reviews")
	f.StringVar(&o.comments, "comments", "", "comments: response of GET /repos/{owner}/{repo}/issues/{n}/comments")
	f.StringVar(&o.files, "files", "", "changed files: response of GET /repos/{owner}/{repo}/pulls/{n}/files")
	f.StringVar(&o.commits, "commits", "", "commits: response of GET /repos/{owner}/{repo}/pulls/{n}/commits")
	f.StringVar(&o.checks, "checks", "", "check runs: response of GET /repos/{owner}/{repo}/commits/{ref}/check-runs")
	f.StringVar(&o.statuses, "statuses", "", "commit statuses: response of GET /repos/{owner}/{repo}/commits/{ref}/statuses")
	f.StringVar(&o.teams, "teams", "", "team members as YAML or JSON: {org/team: [login, ...]}")
	f.StringVar(&o.codeowners, "codeowners", "", "CODEOWNERS file of the base branch")
	f.StringVar(&o.bodyTemplate, "body-template", "", "PR description template; lines left unchanged from it are not content")
	f.StringVar(&o.now, "now", "", "evaluation time, RFC 3339 (default: now)")
	f.StringVar(&o.format, "format", "text", "output format: text or json")
	cmd.MarkFlagsMutuallyExclusive("repo", "event")
	return cmd
}

// runCheckLive evaluates a live PR exactly as the bot does, reading the
// policy from the PR's base branch, and publishes nothing.
func runCheckLive(cmd *cobra.Command, o checkOptions) error {
	if o.repo == "" || o.pr <= 0 || !strings.Contains(o.repo, "/") {
		return usageError(errors.New("--repo OWNER/NAME and --pr N go together"))
	}
	if cmd.Flags().Changed("policy") {
		return usageError(errors.New("with --repo the policy is read from the PR's base branch, as the bot does: drop --policy (or evaluate a saved payload with --event)"))
	}
	if o.format != "text" && o.format != "json" {
		return usageError(fmt.Errorf("--format %q: want text or json", o.format))
	}
	token := os.Getenv("SHIPGATE_GITHUB_TOKEN")
	if token == "" {
		return usageError(errors.New("set SHIPGATE_GITHUB_TOKEN to a token that can read the repository"))
	}
	now := time.Now
	if o.now != "" {
		t, err := time.Parse(time.RFC3339, o.now)
		if err != nil {
			return usageError(fmt.Errorf("--now %q: want an RFC 3339 time such as 2026-11-22T10:00:00Z", o.now))
		}
		now = func() time.Time { return t }
	}
	app, err := github.New(github.Config{
		APIURL: envOr("SHIPGATE_GITHUB_API_URL", github.DefaultAPIURL),
		Token:  bot.Secret(token),
		Now:    now,
		Logger: zerolog.Nop(),
	})
	if err != nil {
		return usageError(err)
	}
	rv, err := recordVerifier()
	if err != nil {
		return err
	}
	res, err := app.CheckPR(cmd.Context(), o.repo, o.pr, github.CheckOptions{Records: rv})
	v, change := res.Verdict, res.Change
	switch {
	case errors.Is(err, github.ErrNoPolicy):
		return usageError(fmt.Errorf("%s has no .shipgate.yml on the base branch of #%d: add one (examples/.shipgate.yml is a start)", o.repo, o.pr))
	case err != nil:
		return usageError(fmt.Errorf("checking %s#%d: %w", o.repo, o.pr, err))
	}
	return reportVerdict(cmd.OutOrStdout(), o.format, change, v)
}

// reportVerdict prints the verdict in the chosen format; a verdict other
// than success exits 1.
func reportVerdict(out io.Writer, format string, change *policies.Change, v policies.Verdict) error {
	var err error
	if format == "json" {
		err = writeVerdictJSON(out, v)
	} else {
		err = writeVerdictText(out, change, v)
	}
	if err != nil {
		return err
	}
	if v.Conclusion != policies.Success {
		return unsatisfied()
	}
	return nil
}

func runCheck(ctx context.Context, out io.Writer, o checkOptions) error {
	if o.format != "text" && o.format != "json" {
		return usageError(fmt.Errorf("--format %q: want text or json", o.format))
	}
	if o.eventName != "pull_request" && o.eventName != "pull_request_target" {
		return usageError(fmt.Errorf("--event-name %q: shipgate check evaluates pull_request or pull_request_target payloads", o.eventName))
	}
	now := time.Now()
	if o.now != "" {
		t, err := time.Parse(time.RFC3339, o.now)
		if err != nil {
			return usageError(fmt.Errorf("--now %q: want an RFC 3339 time such as 2026-11-22T10:00:00Z", o.now))
		}
		now = t
	}
	policy, err := readPolicy(ctx, o.policy)
	if err != nil {
		return usageError(err)
	}
	in, err := o.changeInput()
	if err != nil {
		return usageError(err)
	}
	change := github.BuildChange(in)
	if err := verifyOffline(ctx, policy, change); err != nil {
		return err
	}
	return reportVerdict(out, o.format, change, policies.Evaluate(policy, change, now))
}

// changeInput reads the payload and the optional API responses.
func (o checkOptions) changeInput() (github.ChangeInput, error) {
	var in github.ChangeInput
	var ev gh.PullRequestEvent
	if err := readJSON(o.event, &ev); err != nil {
		return in, err
	}
	if ev.PullRequest == nil {
		return in, fmt.Errorf("%s has no pull_request object: pass a pull_request webhook payload", o.event)
	}
	in.PR = ev.PullRequest
	if ev.PullRequest.GetBase().GetRepo() == nil && ev.Repo != nil {
		in.PR.Base.Repo = ev.Repo
	}
	for _, f := range []struct {
		path string
		dst  any
	}{
		{o.reviews, &in.Reviews}, {o.comments, &in.Comments}, {o.files, &in.Files},
		{o.commits, &in.Commits}, {o.statuses, &in.Statuses},
	} {
		if f.path == "" {
			continue
		}
		if err := readJSON(f.path, f.dst); err != nil {
			return in, err
		}
	}
	if o.checks != "" {
		runs, err := readCheckRuns(o.checks)
		if err != nil {
			return in, err
		}
		in.CheckRuns = runs
	}
	if o.teams != "" {
		data, err := os.ReadFile(o.teams)
		if err != nil {
			return in, fmt.Errorf("reading teams: %w", err)
		}
		var teams policies.TeamMap
		if err := yaml.Unmarshal(data, &teams); err != nil {
			return in, fmt.Errorf("%s: want a mapping of org/team to a list of logins: %w", o.teams, err)
		}
		in.Teams = teams
	}
	if o.codeowners != "" {
		data, err := os.ReadFile(o.codeowners)
		if err != nil {
			return in, fmt.Errorf("reading CODEOWNERS: %w", err)
		}
		if in.CodeOwners, err = policies.ParseCodeOwners(data); err != nil {
			return in, fmt.Errorf("%s: %w", o.codeowners, err)
		}
	}
	return in, nil
}

// readCheckRuns accepts the API's {"total_count", "check_runs"} object or a
// bare list of check runs.
func readCheckRuns(path string) ([]*gh.CheckRun, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading check runs: %w", err)
	}
	if trimmed := strings.TrimSpace(string(data)); strings.HasPrefix(trimmed, "[") {
		var runs []*gh.CheckRun
		if err := json.Unmarshal(data, &runs); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return runs, nil
	}
	var res gh.ListCheckRunsResults
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("%s: want the response of the list check runs API: %w", path, err)
	}
	if res.CheckRuns == nil {
		res.CheckRuns = []*gh.CheckRun{}
	}
	return res.CheckRuns, nil
}

func readJSON(path string, dst any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if err := json.Unmarshal(data, dst); err != nil {
		return fmt.Errorf("%s is not valid JSON of the expected shape: %w", path, err)
	}
	return nil
}

// readPolicy loads and compiles a policy file; a missing file says how to
// create one.
func readPolicy(ctx context.Context, path string) (*policies.Policy, error) {
	p, found, err := loadPolicy(ctx, path)
	if err == nil && !found {
		return nil, fmt.Errorf("no policy at %s: create one (examples/.shipgate.yml is a start) or pass --policy FILE", path)
	}
	return p, err
}

// verdictJSON is the stable JSON shape of `shipgate check --format json`.
type verdictJSON struct {
	Conclusion    policies.Conclusion `json:"conclusion"`
	Rules         []ruleJSON          `json:"rules"`
	Bump          policies.Bump       `json:"bump"`
	ChangeRecords []string            `json:"change_records"`
	ReleaseNote   string              `json:"release_note"`
}

type ruleJSON struct {
	Rule    string          `json:"rule"`
	Name    string          `json:"name"`
	Status  policies.Status `json:"status"`
	Message string          `json:"message"`
}

func writeVerdictJSON(w io.Writer, v policies.Verdict) error {
	out := verdictJSON{Conclusion: v.Conclusion, Rules: []ruleJSON{}, Bump: v.Bump, ChangeRecords: []string{}, ReleaseNote: v.ReleaseNote}
	out.ChangeRecords = append(out.ChangeRecords, v.ChangeRecords...)
	for _, r := range v.Results {
		out.Rules = append(out.Rules, ruleJSON{Rule: r.Rule, Name: r.Name, Status: r.Status, Message: r.Message})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// statusMarks are the text output's markers, readable without colour.
var statusMarks = map[policies.Status]string{
	policies.Pass: "pass", policies.Fail: "FAIL", policies.Wait: "wait", policies.Skipped: "skip",
}

func writeVerdictText(w io.Writer, c *policies.Change, v policies.Verdict) error {
	fmt.Fprintf(w, "%s: %s#%d %q (%s <- %s)\n\n", v.Conclusion, c.Repo, c.Number, c.Title, c.BaseBranch, c.HeadBranch)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range v.Results {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", statusMarks[r.Status], r.Name, r.Message)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nbump: %s\n", v.Bump)
	if len(v.ChangeRecords) > 0 {
		fmt.Fprintf(w, "change records: %s\n", strings.Join(v.ChangeRecords, ", "))
	}
	if v.ReleaseNote != "" {
		fmt.Fprintf(w, "release note: %s\n", v.ReleaseNote)
	}
	_, err := fmt.Fprintln(w)
	return err
}
