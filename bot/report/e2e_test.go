package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/announce"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/github"
	ghdeploy "github.com/shipgate/shipgate/bot/github/deployments"
	"github.com/shipgate/shipgate/bot/report"
	"github.com/shipgate/shipgate/bot/slack"
	"github.com/shipgate/shipgate/bot/store"
	_ "github.com/shipgate/shipgate/bot/store/drivers"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakeslack"
	"github.com/shipgate/shipgate/internal/golden"
	"github.com/shipgate/shipgate/internal/testclock"
	"github.com/shipgate/shipgate/policies"
)

const (
	repo       = "acme/widgets"
	token      = "ghs_test"
	slackToken = "xoxb-test"
)

const policy = `version: 1
deploy:
  environments:
    - name: staging
      on: release
      steps:
        - github_workflow: {workflow: deploy.yml, inputs: {environment: staging}}
        - wait: 15m
    - name: production
      after: staging
      approval: {required: 1, from: [alice]}
      steps:
        - github_workflow: {workflow: deploy.yml, inputs: {environment: production}}
      rollback:
        - github_workflow: {workflow: rollback.yml}
notify:
  slack: {channel: "#releases"}
`

// world is a Shipgate process (store, GitHub, Slack, orchestrator and the
// release closer) against fake GitHub and Slack.
type world struct {
	t      *testing.T
	ctx    context.Context
	clock  *testclock.Clock
	gh     *fakegithub.Server
	slack  *fakeslack.Server
	st     *store.Store
	o      *deploy.Orchestrator
	closer *report.Closer
	n      int
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, ctx: context.Background(), clock: testclock.New(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))}
	w.gh = fakegithub.New(t, fakegithub.WithClock(w.clock.Now), fakegithub.WithToken(token))
	w.slack = fakeslack.New(t, slackToken)
	w.gh.AddRepo(fakegithub.Repo{FullName: repo})
	var err error
	if w.st, err = store.OpenWith(w.ctx, filepath.Join(t.TempDir(), "s.db"), store.Options{Now: w.clock.Now}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.st.Close() })
	app, err := github.New(github.Config{APIURL: w.gh.URL(), Token: token, Transport: w.gh.HTTPClient().Transport, Now: w.clock.Now,
		Sleep: func(context.Context, time.Duration) error { return nil }, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	sl, err := slack.New(slack.Config{BotToken: slackToken, SigningSecret: "s", APIURL: w.slack.URL(), Store: w.st, Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	gh := ghdeploy.New(app)
	if w.o, err = deploy.New(deploy.Config{Store: w.st, Hosts: map[policies.Host]deploy.HostIntegrations{policies.GitHub: gh.Integrations()},
		Notifier: sl, Now: w.clock.Now, CloseReleases: true}); err != nil {
		t.Fatal(err)
	}
	w.closer = &report.Closer{Store: w.st, Hosts: map[policies.Host]report.Host{policies.GitHub: gh}, Notifier: sl}
	return w
}

func (w *world) drain() {
	w.t.Helper()
	for range 100 {
		bs, err := w.st.Claim(w.ctx, "test", time.Minute, 16)
		if err != nil {
			w.t.Fatal(err)
		}
		if len(bs) == 0 {
			return
		}
		for _, b := range bs {
			var err error
			switch b.Jobs[0].Kind {
			case ghdeploy.KindDeployHook:
				err = ghdeploy.DeployHooks{Orchestrator: w.o}.Process(w.ctx, b)
			case deploy.KindReleaseEnded:
				err = w.closer.Process(w.ctx, b)
			default:
				err = w.o.Process(w.ctx, b)
			}
			if err != nil {
				w.t.Fatalf("processing %s: %v", b.Key, err)
			}
			if err := w.st.Complete(w.ctx, b.Lease, b.IDs()...); err != nil {
				w.t.Fatal(err)
			}
		}
	}
	w.t.Fatal("the queue never drained")
}

func (w *world) after(d time.Duration) { w.clock.Advance(d); w.drain() }

// finishRun completes the running run of workflow and delivers its
// webhook.
func (w *world) finishRun(workflow, conclusion string) {
	w.t.Helper()
	runs := w.gh.WorkflowRuns(repo)
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Workflow == workflow && runs[i].Status != "completed" {
			w.gh.SetWorkflowRunStatus(repo, runs[i].ID, "completed", conclusion)
			w.n++
			id := fmt.Sprint("d-", w.n)
			payload := w.gh.Payload(w.gh.WorkflowRunEvent(repo, runs[i].ID, "completed"))
			job, _ := ghdeploy.DeployHookJob("workflow_run", "completed", id, payload)
			if _, err := w.st.Accept(w.ctx, store.Delivery{Host: "github", ID: id, Event: "workflow_run", Action: "completed", Payload: payload}, job); err != nil {
				w.t.Fatal(err)
			}
			w.drain()
			return
		}
	}
	w.t.Fatalf("no running %s run", workflow)
}

// ship releases version through staging and production; alice approves
// production after approveAfter.
func (w *world) ship(version, pusher string, approveAfter time.Duration) {
	w.t.Helper()
	if err := w.o.Release(w.ctx, "github", repo, version, "", deploy.Actor{Login: pusher}); err != nil {
		w.t.Fatal(err)
	}
	w.drain()
	w.after(4 * time.Minute)
	w.finishRun("deploy.yml", "success")
	w.after(15 * time.Minute)
	w.after(approveAfter)
	id := deploy.DeploymentID("github", repo, "production", version, deploy.KindDeploy)
	if err := w.o.Decide(w.ctx, id, deploy.Actor{Login: "alice"}, true, "", "comment", "approve-"+version); err != nil {
		w.t.Fatal(err)
	}
	w.drain()
	w.after(7 * time.Minute)
	w.finishRun("deploy.yml", "success")
}

// scriptRelease sets up v1.1.0 and, three days of work later, v1.2.0 with
// two merged PRs, their evaluations and commands in the store.
func (w *world) scriptRelease() {
	t0 := w.clock.Now()
	base := w.gh.AddCommit(repo, fakegithub.Commit{Message: "chore: start", Author: "dave", Date: t0.Add(-30 * 24 * time.Hour)})
	w.gh.SetBranch(repo, "main", base)
	w.gh.SetFile(repo, "main", ".shipgate.yml", policy)
	w.gh.AddTag(repo, "v1.1.0", base)
	c1 := w.gh.AddCommit(repo, fakegithub.Commit{Message: "feat: widgets API (#11)\n\nbody", Author: "erin", Parents: []string{base}, Date: t0.Add(-72 * time.Hour)})
	c2 := w.gh.AddCommit(repo, fakegithub.Commit{Message: "fix: crash when <!channel> is in a name (#12)", Author: "frank", Parents: []string{c1}, Date: t0.Add(-20 * time.Hour)})
	w.gh.SetBranch(repo, "main", c2)
	w.gh.AddTag(repo, "v1.2.0", c2)
	w.gh.AddPR(repo, fakegithub.PR{Number: 11, Title: "feat: widgets API", Author: "erin", State: "closed", Merged: true, MergeCommitSHA: c1, MergedAt: t0.Add(-71 * time.Hour)})
	w.gh.AddPR(repo, fakegithub.PR{Number: 12, Title: "fix: crash", Author: "frank", State: "closed", Merged: true, MergeCommitSHA: c2, MergedAt: t0.Add(-19 * time.Hour)})
	w.gh.AddRelease(repo, fakegithub.Release{TagName: "v1.2.0", Name: "v1.2.0", Body: "## What's changed\n\n- widgets API (#11)\n- crash fix (#12)\n"})
	for n, v := range map[int]policies.Verdict{
		11: {Conclusion: policies.Success, ChangeRecords: []string{"CHG0001234"},
			Results: []policies.Result{{Rule: "approvals", Name: "reviewers", Status: policies.Pass, Message: "reviewers: approved by bob, carol (2 of 2)"}}},
		12: {Conclusion: policies.Success, ChangeRecords: []string{"OPS-7", "CHG0001234"},
			Results: []policies.Result{{Rule: "approvals", Name: "reviewers", Status: policies.Pass, Message: "reviewers: approved by carol (1 of 1, hotfix)"}}},
	} {
		raw, _ := json.Marshal(v)
		if _, err := w.st.SaveEvaluation(w.ctx, store.Evaluation{Host: "github", Repo: repo, Number: n, HeadSHA: "h", Conclusion: "success", Verdict: raw, At: t0.Add(-time.Duration(100-n) * time.Hour)}); err != nil {
			w.t.Fatal(err)
		}
	}
	for i, c := range []store.CommandRecord{
		{Number: 12, CommentID: 1, Actor: "carol", Name: "approve", Accepted: true, At: t0.Add(-21 * time.Hour)},
		{Number: 12, CommentID: 2, Actor: "dave", Name: "override-freeze", Args: "customers are crashing & <!here> knows; fix verified on staging", Accepted: true, At: t0.Add(-20 * time.Hour)},
		{Number: 12, CommentID: 3, Actor: "mallory", Name: "approve", Accepted: false, Reason: "not an approver", At: t0.Add(-20 * time.Hour)},
	} {
		c.Host, c.Repo, c.Index = "github", repo, 0
		if _, err := w.st.RecordCommand(w.ctx, c); err != nil {
			w.t.Fatal(err, i)
		}
	}
}

// TestTheReportOfAScriptedRelease closes v1.2.0 once production has it:
// the report (golden files, Markdown and JSON) is stored, posted once in
// the deployment's Slack thread and attached to the GitHub release, where
// a second close edits nothing.
func TestTheReportOfAScriptedRelease(t *testing.T) {
	w := newWorld(t)
	w.scriptRelease()
	w.ship("v1.1.0", "dave", time.Minute)
	w.after(24 * time.Hour)
	w.ship("v1.2.0", "dave", 42*time.Minute)

	reports, err := w.st.ReleaseReports(w.ctx, repo, "v1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(reports[0].Data, &r); err != nil {
		t.Fatal(err)
	}
	md, err := report.Markdown(r)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "release-v1.2.0.md", []byte(md))
	js, err := report.JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "release-v1.2.0.json", js)
	if r.Status != report.StatusSucceeded || time.Duration(r.LeadTime) != 97*time.Hour+35*time.Minute {
		t.Errorf("status %s, lead time %s", r.Status, r.LeadTime)
	}

	// Slack: one report line in the thread of v1.2.0's message.
	var lines []string
	for _, m := range w.slack.Messages() {
		for _, l := range w.slack.Thread(m.TS) {
			if strings.Contains(l, "Release report") {
				lines = append(lines, l)
			}
		}
	}
	if len(lines) != 2 || !strings.Contains(lines[1], "*Release report: acme/widgets v1.2.0* — succeeded on production") {
		t.Errorf("Slack report lines: %q", lines)
	}
	// User text is made inert once: it mentions nobody, and reads as typed.
	if !strings.Contains(lines[1], "customers are crashing &amp; &lt;!here&gt; knows") {
		t.Errorf("the override's reason in Slack: %q", lines[1])
	}

	// The release's notes keep their text and gain the section.
	var body string
	for _, rel := range w.gh.Releases() {
		if rel.TagName == "v1.2.0" {
			body = rel.Body
		}
	}
	if !strings.HasPrefix(body, "## What's changed\n\n- widgets API (#11)\n- crash fix (#12)\n\n<!-- shipgate:report -->\n## Release report: v1.2.0") ||
		!strings.HasSuffix(body, "<!-- /shipgate:report -->\n") {
		t.Errorf("release body:\n%s", body)
	}

	// A redelivered close changes nothing: no second PATCH, no second line.
	patches := w.gh.CallsByRoute()["PATCH /repos/{owner}/{repo}/releases/{release_id}"]
	payload, _ := json.Marshal(deploy.ReleaseEnded{Host: "github", Repo: repo, Version: "v1.2.0",
		Deployment: deploy.DeploymentID("github", repo, "production", "v1.2.0", deploy.KindDeploy)})
	if err := w.closer.Process(w.ctx, store.Batch{Jobs: []store.Job{{Kind: deploy.KindReleaseEnded, Payload: payload}}}); err != nil {
		t.Fatal(err)
	}
	if got := w.gh.CallsByRoute()["PATCH /repos/{owner}/{repo}/releases/{release_id}"]; got != patches || patches != 1 {
		t.Errorf("release edits: %d then %d, want 1 then 1", patches, got)
	}
	var after int
	for _, m := range w.slack.Messages() {
		for _, l := range w.slack.Thread(m.TS) {
			if strings.Contains(l, "Release report") {
				after++
			}
		}
	}
	if after != 2 {
		t.Errorf("%d report lines after the redelivery, want 2", after)
	}
}

// TestTheReleaseReportIsAnnouncedOnceInItsChannel: notify.slack.events
// routes release_report to its own channel, where the report is announced
// once, however often its job is redelivered.
func TestTheReleaseReportIsAnnouncedOnceInItsChannel(t *testing.T) {
	w := newWorld(t)
	w.scriptRelease()
	w.gh.SetFile(repo, "main", ".shipgate.yml", strings.Replace(policy, `slack: {channel: "#releases"}`,
		`slack: {channel: "#releases", events: {release_report: {channel: "#release-reports"}}}`, 1))
	w.closer.Announcer = &announce.Notifier{Poster: w.closer.Notifier.(*slack.Slack), Once: w.st, Holder: "test"}
	w.closer.Policies = w.o
	w.ship("v1.2.0", "dave", time.Minute)
	id := deploy.DeploymentID("github", repo, "production", "v1.2.0", deploy.KindDeploy)
	// The close of the release is redelivered.
	payload, _ := json.Marshal(deploy.ReleaseEnded{Host: "github", Repo: repo, Version: "v1.2.0", Deployment: id})
	if _, err := w.st.Accept(w.ctx, store.Delivery{Host: "shipgate", ID: "again", Event: "release", Action: "ended", Payload: payload},
		store.Job{Kind: deploy.KindReleaseEnded, Key: "release:again", Payload: payload}); err != nil {
		t.Fatal(err)
	}
	w.drain()
	var got []string
	for _, m := range w.slack.Messages() {
		if m.Channel == "#release-reports" {
			got = append(got, m.Text)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], "Release v1.2.0 closed: succeeded") || !strings.Contains(got[0], "Release report") {
		t.Errorf("announcements in #release-reports: %q", got)
	}
}
