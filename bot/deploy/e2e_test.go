package deploy_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/github"
	ghdeploy "github.com/shipgate/shipgate/bot/github/deployments"
	"github.com/shipgate/shipgate/bot/slack"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakeslack"
	"github.com/shipgate/shipgate/internal/testclock"
	"github.com/shipgate/shipgate/policies"
)

const (
	e2eRepo       = "acme/widgets"
	e2eToken      = "ghs_test"
	slackToken    = "xoxb-test"
	signingSecret = "slack-signing-secret"
)

const e2ePolicy = `version: 1
deploy:
  environments:
    - name: staging
      on: release
      steps:
        - github_workflow: {workflow: deploy.yml, inputs: {environment: staging}}
        - health_check: {url: "HEALTH/healthz", expect: 200, interval: 10s, retries: 3}
        - wait: 15m
    - name: production
      after: staging
      approval: {required: 1, from: [alice, "slack:U0BOB"]}
      steps:
        - github_workflow: {workflow: deploy.yml, inputs: {environment: production}}
      rollback:
        - github_workflow: {workflow: rollback.yml}
notify:
  slack: {channel: "#releases", users: {alice: U0ALICE, bob: U0BOB}}
`

// world is a Shipgate process (store, GitHub App, Slack, orchestrator)
// against fake GitHub and Slack; restart replaces the process.
type world struct {
	t        *testing.T
	ctx      context.Context
	clock    *testclock.Clock
	gh       *fakegithub.Server
	slack    *fakeslack.Server
	path     string
	st       *store.Store
	app      *github.App
	sl       *slack.Slack
	o        *deploy.Orchestrator
	srv      *httptest.Server
	delivery int
	// healthHits counts the health check's requests.
	healthHits atomic.Int32
}

func newWorld(t *testing.T) *world { return newWorldWith(t, e2ePolicy) }

// newWorldWith is newWorld under another policy.
func newWorldWith(t *testing.T, policy string) *world {
	w := &world{t: t, ctx: context.Background(), clock: testclock.New(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)),
		path: filepath.Join(t.TempDir(), "s.db")}
	w.gh = fakegithub.New(t, fakegithub.WithClock(w.clock.Now), fakegithub.WithToken(e2eToken))
	w.slack = fakeslack.New(t, slackToken)
	health := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { w.healthHits.Add(1) }))
	t.Cleanup(health.Close)
	w.gh.AddRepo(fakegithub.Repo{FullName: e2eRepo})
	sha := w.gh.AddCommit(e2eRepo, fakegithub.Commit{Message: "feat: widgets"})
	w.gh.SetBranch(e2eRepo, "main", sha)
	w.gh.AddTag(e2eRepo, "v1.2.0", sha)
	w.gh.SetFile(e2eRepo, "main", ".shipgate.yml", strings.ReplaceAll(policy, "HEALTH", health.URL))
	w.open()
	t.Cleanup(func() { w.srv.Close(); w.st.Close() })
	return w
}

func (w *world) open() {
	var err error
	if w.st, err = store.OpenWith(w.ctx, w.path, store.Options{Now: w.clock.Now}); err != nil {
		w.t.Fatal(err)
	}
	w.app, err = github.New(github.Config{APIURL: w.gh.URL(), Token: e2eToken, Transport: w.gh.HTTPClient().Transport, Now: w.clock.Now,
		Sleep: func(context.Context, time.Duration) error { return nil }, Logger: zerolog.Nop()})
	if err != nil {
		w.t.Fatal(err)
	}
	w.sl, err = slack.New(slack.Config{BotToken: slackToken, SigningSecret: signingSecret, APIURL: w.slack.URL(), Store: w.st, Now: w.clock.Now})
	if err != nil {
		w.t.Fatal(err)
	}
	w.o, err = deploy.New(deploy.Config{Store: w.st, Hosts: map[policies.Host]deploy.HostIntegrations{policies.GitHub: ghdeploy.New(w.app).Integrations()},
		Notifier: w.sl, Groups: w.sl, Directory: w.sl, Now: w.clock.Now})
	if err != nil {
		w.t.Fatal(err)
	}
	w.sl.SetDecider(w.o)
	if w.srv != nil {
		w.srv.Close()
	}
	w.srv = httptest.NewServer(w.sl)
}

func (w *world) restart() { w.st.Close(); w.open() }

func (w *world) drain() {
	w.t.Helper()
	deploy.DrainQueue(w.t, w.ctx, w.st, func(ctx context.Context, b store.Batch) error {
		if b.Jobs[0].Kind == ghdeploy.KindDeployHook {
			return ghdeploy.DeployHooks{Orchestrator: w.o}.Process(ctx, b)
		}
		return w.o.Process(ctx, b)
	})
}

func (w *world) after(d time.Duration) { w.clock.Advance(d); w.drain() }

// deployProduction starts dave's deployment of v1.2.0 to production, as
// his /deploy does, runs the jobs and returns its ID.
func (w *world) deployProduction() string {
	w.t.Helper()
	id, _, err := w.o.Start(w.ctx, deploy.StartRequest{Repo: e2eRepo, Environment: "production", Version: "v1.2.0",
		Actor: deploy.Actor{Login: "dave"}, Trigger: "/deploy by dave"})
	if err != nil {
		w.t.Fatal(err)
	}
	w.drain()
	return id
}

// release starts the release of v1.2.0, as the tag pushed by pusher does,
// and runs the jobs.
func (w *world) release(pusher string) {
	w.t.Helper()
	if err := w.o.Release(w.ctx, "github", e2eRepo, "v1.2.0", "", deploy.Actor{Login: pusher}); err != nil {
		w.t.Fatal(err)
	}
	w.drain()
}

// finishRun completes the newest run of a workflow on the fake and
// delivers its workflow_run webhook payload.
func (w *world) finishRun(workflow, conclusion string) {
	w.t.Helper()
	runs := w.gh.WorkflowRuns(e2eRepo)
	var run *fakegithub.WorkflowRun
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Workflow == workflow && runs[i].Status != "completed" {
			run = &runs[i]
			break
		}
	}
	if run == nil {
		w.t.Fatalf("no running %s run in %+v", workflow, runs)
	}
	w.gh.SetWorkflowRunStatus(e2eRepo, run.ID, "completed", conclusion)
	w.deliver("workflow_run", "completed", w.gh.Payload(w.gh.WorkflowRunEvent(e2eRepo, run.ID, "completed")))
}

// deliver queues a verified webhook as the GitHub receiver does, and runs
// the jobs.
func (w *world) deliver(event, action string, payload []byte) {
	w.t.Helper()
	w.delivery++
	id := fmt.Sprint("d-", w.delivery)
	job, ok := ghdeploy.DeployHookJob(event, action, id, payload)
	if !ok {
		w.t.Fatalf("%s.%s queues no deploy hook", event, action)
	}
	if _, err := w.st.Accept(w.ctx, store.Delivery{Host: "github", ID: id, Event: event, Action: action, Payload: payload}, job); err != nil {
		w.t.Fatal(err)
	}
	w.drain()
}

// click posts a signed block_actions payload as Slack would.
func (w *world) click(user, action, value, actionTS string) *http.Response {
	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":%q},"trigger_id":"trig-%s","actions":[{"block_id":"deploy_gate","action_id":%q,"value":%q,"action_ts":%q}]}`,
		user, actionTS, action, value, actionTS)
	return w.post("payload="+url.QueryEscape(payload), w.clock.Now(), signingSecret)
}

func (w *world) post(body string, at time.Time, secret string) *http.Response {
	w.t.Helper()
	ts := strconv.FormatInt(at.Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL+slack.Route, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign(secret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (w *world) wantStatuses(want ...string) {
	w.t.Helper()
	var got []string
	for _, s := range w.gh.DeploymentStatuses() {
		if !strings.HasSuffix(s, " (auto)") {
			got = append(got, strings.TrimPrefix(s, e2eRepo+":"))
		}
	}
	if !slices.Equal(got, want) {
		w.t.Fatalf("deployment statuses:\n got %q\nwant %q", got, want)
	}
}

func (w *world) wantDispatches(want ...string) {
	w.t.Helper()
	var got []string
	for _, d := range w.gh.Dispatches() {
		d = strings.TrimPrefix(d, e2eRepo+":")
		got = append(got, d[:strings.Index(d, " shipgate_id=")])
	}
	if !slices.Equal(got, want) {
		w.t.Fatalf("dispatches:\n got %q\nwant %q", got, want)
	}
}

// audit returns the audit events of kinds as "actor subject outcome".
func (w *world) audit(kinds ...string) []string {
	w.t.Helper()
	var out []string
	if err := w.st.ExportAudit(w.ctx, store.AuditFilter{Kinds: kinds}, func(a store.AuditEvent) error {
		out = append(out, a.Actor+" "+a.Subject+" "+a.Outcome)
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// lastRun returns the newest run of a workflow on the fake.
func (w *world) lastRun(workflow string) fakegithub.WorkflowRun {
	w.t.Helper()
	runs := w.gh.WorkflowRuns(e2eRepo)
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Workflow == workflow {
			return runs[i]
		}
	}
	w.t.Fatalf("no run of %s in %+v", workflow, runs)
	return fakegithub.WorkflowRun{}
}

// runCalls counts the API reads of workflow runs: polling.
func (w *world) runCalls() int {
	calls := w.gh.CallsByRoute()
	return calls["GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"] + calls["GET /repos/{owner}/{repo}/actions/runs/{run_id}"]
}

// message returns the one Slack message and its thread.
func (w *world) message() (fakeslack.Message, []string) {
	w.t.Helper()
	msgs := w.slack.Messages()
	if len(msgs) != 1 {
		w.t.Fatalf("want one Slack message per version, got %d: %+v", len(msgs), msgs)
	}
	return msgs[0], w.slack.Thread(msgs[0].TS)
}

func TestEndToEndReleaseWithSlackApproval(t *testing.T) {
	w := newWorld(t)
	// The tag v1.2.0, validated by the tag job, starts the release.
	if err := w.o.Release(w.ctx, "github", e2eRepo, "v1.2.0", "", deploy.Actor{Login: "dave"}); err != nil {
		t.Fatal(err)
	}
	w.drain()
	w.wantStatuses("staging@v1.2.0:queued", "staging@v1.2.0:in_progress")
	w.wantDispatches("deploy.yml@v1.2.0 environment=staging")
	msg, thread := w.message()
	if !strings.Contains(msg.Text, "*acme/widgets v1.2.0* — release v1.2.0 created") || !strings.Contains(msg.Text, "*staging*: running") {
		t.Fatalf("message: %s", msg.Text)
	}
	if len(thread) == 0 || !strings.Contains(thread[0], "Deployment started") {
		t.Fatalf("thread: %q", thread)
	}

	// SIGKILL while the workflow runs; the new process dispatches nothing again.
	w.restart()
	w.finishRun("deploy.yml", "success")
	w.wantDispatches("deploy.yml@v1.2.0 environment=staging")
	// Soaking; SIGKILL in the middle of it.
	w.after(10 * time.Minute)
	w.restart()
	w.after(5 * time.Minute)
	w.wantStatuses("staging@v1.2.0:queued", "staging@v1.2.0:in_progress", "staging@v1.2.0:success", "production@v1.2.0:queued")

	msg, _ = w.message()
	if !strings.Contains(msg.Text, "*staging*: succeeded") || !strings.Contains(msg.Text, "Approval requested for production*: 1 of alice, slack:U0BOB") ||
		!strings.Contains(msg.Blocks, `"action_id":"deploy_approve"`) || msg.Edits == 0 {
		t.Fatalf("message with the gate: %s\n%s", msg.Text, msg.Blocks)
	}
	prodID := deploy.DeploymentID("github", e2eRepo, "production", "v1.2.0", deploy.KindDeploy)

	// A non-approver's click: 200, an ephemeral explanation, no change.
	if r := w.click("U0EVE", slack.ActionApprove, prodID, "1.1"); r.StatusCode != http.StatusOK {
		t.Fatalf("non-approver click: %d", r.StatusCode)
	}
	w.drain()
	if e := w.slack.Ephemerals(); len(e) != 1 || e[0].User != "U0EVE" || !strings.Contains(e[0].Text, "not an approver") {
		t.Fatalf("ephemerals: %+v", e)
	}
	w.wantDispatches("deploy.yml@v1.2.0 environment=staging")

	// alice (U0ALICE through notify.slack.users) approves; a double click does nothing more.
	w.click("U0ALICE", slack.ActionApprove, prodID, "2.1")
	w.click("U0ALICE", slack.ActionApprove, prodID, "2.2")
	w.drain()
	w.wantDispatches("deploy.yml@v1.2.0 environment=staging", "deploy.yml@v1.2.0 environment=production")
	msg, _ = w.message()
	if strings.Contains(msg.Blocks, "deploy_approve") || !strings.Contains(msg.Text, "approval approved by alice at 2026-11-16T09:15:00Z") {
		t.Fatalf("after the decision, buttons gone and who/when shown: %s\n%s", msg.Text, msg.Blocks)
	}
	w.finishRun("deploy.yml", "success")
	w.wantStatuses("staging@v1.2.0:queued", "staging@v1.2.0:in_progress", "staging@v1.2.0:success",
		"production@v1.2.0:queued", "production@v1.2.0:in_progress", "production@v1.2.0:success")
	msg, thread = w.message()
	if !strings.Contains(msg.Text, "*production*: succeeded") {
		t.Fatalf("final message: %s", msg.Text)
	}
	if last := thread[len(thread)-1]; !strings.Contains(last, "Succeeded: v1.2.0 to production succeeded") {
		t.Fatalf("last thread line: %q", last)
	}
}

func TestEndToEndRejectionOpensAModalAndFailsTheDeployment(t *testing.T) {
	w := newWorld(t)
	prodID := w.deployProduction()
	w.click("U0BOB", slack.ActionReject, prodID, "3.1")
	if v := w.slack.Views(); len(v) != 1 || !strings.Contains(v[0], slack.CallbackReject) || !strings.Contains(v[0], prodID) {
		t.Fatalf("views: %q", v)
	}
	sub := fmt.Sprintf(`{"type":"view_submission","user":{"id":"U0BOB"},"view":{"id":"V1","callback_id":%q,"private_metadata":%q,"state":{"values":{"reason":{"reason":{"type":"plain_text_input","value":"error budget spent"}}}}}}`,
		slack.CallbackReject, prodID)
	if r := w.post("payload="+url.QueryEscape(sub), w.clock.Now(), signingSecret); r.StatusCode != http.StatusOK {
		t.Fatalf("submission: %d", r.StatusCode)
	}
	w.drain()
	w.wantStatuses("production@v1.2.0:queued", "production@v1.2.0:failure")
	w.wantDispatches()
	msg, _ := w.message()
	if strings.Contains(msg.Blocks, "deploy_approve") || !strings.Contains(msg.Text, "rejected: error budget spent by bob") {
		t.Fatalf("message: %s", msg.Text)
	}
}

func TestEndToEndProtectionRule(t *testing.T) {
	w := newWorld(t)
	runID := w.gh.AddWorkflowRun(e2eRepo, fakegithub.WorkflowRun{Workflow: "ship.yml", Event: "push"})
	w.deliver("deployment_protection_rule", "requested", w.gh.Payload(w.gh.DeploymentProtectionRuleEvent(e2eRepo, runID, "production", "dave")))
	if r := w.gh.ProtectionRuleReviews(); len(r) != 0 {
		t.Fatalf("answered before the gate: %q", r)
	}
	id := deploy.DeploymentID("github", e2eRepo, "production", fmt.Sprintf("run-%d", runID), deploy.KindProtection)
	w.click("U0BOB", slack.ActionApprove, id, "4.1")
	w.drain()
	if r := w.gh.ProtectionRuleReviews(); !slices.Equal(r, []string{fmt.Sprintf("%s:run-%d:production=approved", e2eRepo, runID)}) {
		t.Fatalf("reviews: %q", r)
	}
	// A run waiting on an environment the policy does not know is rejected at once.
	other := w.gh.AddWorkflowRun(e2eRepo, fakegithub.WorkflowRun{Workflow: "ship.yml", Event: "push"})
	w.deliver("deployment_protection_rule", "requested", w.gh.Payload(w.gh.DeploymentProtectionRuleEvent(e2eRepo, other, "qa", "dave")))
	if r := w.gh.ProtectionRuleReviews(); len(r) != 2 || r[1] != fmt.Sprintf("%s:run-%d:qa=rejected", e2eRepo, other) {
		t.Fatalf("reviews: %q", r)
	}
}

// TestEndToEndAGateAsksInItsOwnChannel: approval.slack_channel overrides
// notify.slack.channel for that gate — the buttons are asked in #prod, in
// a message of their own, while the version's message in #releases shows
// production waiting; the decision clears the buttons there.
func TestEndToEndAGateAsksInItsOwnChannel(t *testing.T) {
	policy := strings.Replace(e2ePolicy, `approval: {required: 1, from: [alice, "slack:U0BOB"]}`,
		`approval: {required: 1, from: [alice, "slack:U0BOB"], slack_channel: "#prod"}`, 1)
	w := newWorldWith(t, policy)
	if err := w.o.Release(w.ctx, "github", e2eRepo, "v1.2.0", "", deploy.Actor{Login: "dave"}); err != nil {
		t.Fatal(err)
	}
	w.drain()
	w.finishRun("deploy.yml", "success")
	w.after(15 * time.Minute)
	byChannel := func() map[string]fakeslack.Message {
		out := map[string]fakeslack.Message{}
		for _, m := range w.slack.Messages() {
			out[m.Channel] = m
		}
		return out
	}
	msgs := byChannel()
	main, gate := msgs["#releases"], msgs["#prod"]
	if len(msgs) != 2 || main.TS == "" || gate.TS == "" {
		t.Fatalf("want the version's message in #releases and the gate's in #prod: %+v", w.slack.Messages())
	}
	if strings.Contains(main.Blocks, "deploy_approve") || !strings.Contains(main.Text, "*production*: waiting") {
		t.Fatalf("#releases shows production waiting, without buttons: %s\n%s", main.Text, main.Blocks)
	}
	if !strings.Contains(gate.Blocks, `"action_id":"deploy_approve"`) || !strings.Contains(gate.Text, "Approval requested for production") {
		t.Fatalf("#prod asks for the approval with buttons: %s\n%s", gate.Text, gate.Blocks)
	}
	prodID := deploy.DeploymentID("github", e2eRepo, "production", "v1.2.0", deploy.KindDeploy)
	w.click("U0EVE", slack.ActionApprove, prodID, "1.1")
	w.drain()
	if e := w.slack.Ephemerals(); len(e) != 1 || e[0].Channel != gate.Channel {
		t.Fatalf("the refusal goes where the buttons are: %+v", e)
	}
	w.click("U0ALICE", slack.ActionApprove, prodID, "2.1")
	w.drain()
	w.wantDispatches("deploy.yml@v1.2.0 environment=staging", "deploy.yml@v1.2.0 environment=production")
	gate = byChannel()["#prod"]
	if strings.Contains(gate.Blocks, "deploy_approve") || !strings.Contains(gate.Text, "approval approved by alice") || gate.Edits == 0 {
		t.Fatalf("after the decision #prod shows who decided, without buttons: %s\n%s", gate.Text, gate.Blocks)
	}
	if n := len(w.slack.Messages()); n != 2 {
		t.Errorf("%d Slack messages, want the same two edited in place", n)
	}
}
