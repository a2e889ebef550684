package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/slack"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakeslack"
)

const serveDeployPolicy = `version: 1
tags:
  prefix: v
  branches: [main]
deploy:
  environments:
    - name: staging
      on: release
      steps:
        - github_workflow: {workflow: deploy.yml}
        - wait: 3s
`

// TestServeDeploymentSurvivesSIGKILL releases a tag through a real
// `shipgate serve` process and SIGKILLs it twice: while the deployment's
// workflow runs, and during the soak that follows. Each new process
// resumes from the database: the workflow is dispatched exactly once and
// the deployment ends in success.
func TestServeDeploymentSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	const (
		repo   = "acme/widgets"
		secret = "e2e-secret"
		token  = "ghs_e2e"
	)
	fake := fakegithub.New(t, fakegithub.WithToken(token), fakegithub.WithClock(time.Now))
	fake.AddRepo(fakegithub.Repo{FullName: repo})
	sha := fake.AddCommit(repo, fakegithub.Commit{Message: "feat: widgets", Author: "alice"})
	fake.SetBranch(repo, "main", sha)
	fake.SetFile(repo, "main", ".shipgate.yml", serveDeployPolicy)
	fake.SetPermission(repo, "alice", "maintain") // who pushes the tag may release
	fake.AddTag(repo, "v1.0.0", sha)

	db := t.TempDir() + "/shipgate.db"
	env := []string{
		"SHIPGATE_DATABASE_URL=" + db,
		"SHIPGATE_GITHUB_API_URL=" + fake.URL(),
		"SHIPGATE_GITHUB_TOKEN=" + token,
		"SHIPGATE_GITHUB_WEBHOOK_SECRET=" + secret,
		"SHIPGATE_JOB_LEASE=2s",
		"SHIPGATE_RECONCILE_INTERVAL=0",
		"SHIPGATE_LOG_LEVEL=warn",
	}
	deliver := func(p *serveProcess, event, id string, payload []byte) {
		deliverWebhook(t, p, secret, event, id, payload)
	}
	kill := func(p *serveProcess) {
		t.Helper()
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = p.waitExit()
	}
	waitFor := func(p *serveProcess, what string, d time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\ndispatches: %q\nstatuses: %q\naudit:\n%s\nserver:\n%s",
					what, fake.Dispatches(), fake.DeploymentStatuses(), deployAudit(t, db), p.out)
			}
			time.Sleep(25 * time.Millisecond)
		}
	}
	deployDispatches := func() []string {
		var out []string
		for _, d := range fake.Dispatches() {
			if strings.HasPrefix(d, repo+":deploy.yml@") {
				out = append(out, d)
			}
		}
		return out
	}
	statuses := func() []string { return deploymentStatuses(fake, repo) }

	// 1. The tag is pushed: its validation starts the staging deployment,
	// which dispatches deploy.yml.
	first := startServe(t, env)
	deliver(first, "push", "push-v1.0.0", fake.Payload(fake.PushEvent(repo, "refs/tags/v1.0.0", "", sha, "alice")))
	waitFor(first, "the deploy.yml dispatch", 30*time.Second, func() bool { return len(deployDispatches()) >= 1 })
	if d := deployDispatches(); len(d) != 1 || !strings.HasPrefix(d[0], repo+":deploy.yml@v1.0.0 shipgate_id=sg-") {
		t.Fatalf("dispatches: %q", d)
	}
	runs := fake.WorkflowRuns(repo)
	if len(runs) != 1 || runs[0].Workflow != "deploy.yml" || runs[0].Status == "completed" {
		t.Fatalf("workflow runs: %+v", runs)
	}
	run := runs[0]
	fake.SetWorkflowRunStatus(repo, run.ID, "in_progress", "")
	// Let the transition that dispatched be saved (its audit events are
	// appended with it): the kill comes while the run is in progress.
	waitFor(first, "the dispatching transition saved", 30*time.Second, func() bool {
		return strings.Contains(deployAudit(t, db), "deploy.dispatch,shipgate,staging@v1.0.0: deploy.yml,sg-")
	})
	if got := statuses(); !slices.Equal(got, []string{"staging@v1.0.0:queued", "staging@v1.0.0:in_progress"}) {
		t.Fatalf("deployment statuses while the workflow runs: %q", got)
	}

	// 2. SIGKILL while the workflow runs; a new process on the same
	// database learns of the run's end from its workflow_run webhook.
	kill(first)
	second := startServe(t, env)
	time.Sleep(500 * time.Millisecond) // a chance to dispatch again, which it must not take
	fake.SetWorkflowRunStatus(repo, run.ID, "completed", "success")
	deliver(second, "workflow_run", "run-completed", fake.Payload(fake.WorkflowRunEvent(repo, run.ID, "completed")))
	waitFor(second, "the soak to start", 30*time.Second, func() bool {
		return strings.Contains(deployAudit(t, db), "staging@v1.0.0: wait 3s,started")
	})
	soakStarted := time.Now()

	// SIGKILL during the soak; the next process finishes it.
	kill(second)
	if time.Since(soakStarted) > 2*time.Second {
		t.Logf("the kill came %s after the soak started: it may not have been during it", time.Since(soakStarted))
	}
	if got := statuses(); slices.Contains(got, "staging@v1.0.0:success") {
		t.Fatalf("the deployment succeeded before the soak was over: %q", got)
	}
	third := startServe(t, env)

	// 3. The deployment ends in success, deploy.yml dispatched once.
	waitFor(third, "the deployment's success", 30*time.Second, func() bool {
		return slices.Contains(statuses(), "staging@v1.0.0:success")
	})
	if since := time.Since(soakStarted); since < 3*time.Second {
		t.Errorf("the deployment succeeded %s after the soak started, before its 3s were over", since)
	}
	time.Sleep(time.Second) // anything late would show now
	if d := deployDispatches(); len(d) != 1 {
		t.Errorf("deploy.yml dispatched %d times, want once: %q", len(d), d)
	}
	if runs := fake.WorkflowRuns(repo); len(runs) != 1 {
		t.Errorf("workflow runs: %+v", runs)
	}
	want := []string{"staging@v1.0.0:queued", "staging@v1.0.0:in_progress", "staging@v1.0.0:success"}
	if got := statuses(); !slices.Equal(got, want) {
		t.Errorf("deployment statuses:\n got %q\nwant %q", got, want)
	}
	if deps := fake.Deployments(repo); len(deps) != 1 {
		t.Errorf("deployments: %+v", deps)
	}
	// No step started twice: the restarts resumed the saved state.
	audit := deployAudit(t, db)
	for _, line := range []string{
		"deploy.dispatch,shipgate,staging@v1.0.0: deploy.yml,sg-",
		"staging@v1.0.0: workflow deploy.yml,started",
		"staging@v1.0.0: wait 3s,started",
		"staging@v1.0.0: wait 3s,done: soaked 3s",
		"deploy.deploy,shipgate,staging@v1.0.0: staging,succeeded",
	} {
		if n := strings.Count(audit, line); n != 1 {
			t.Errorf("audit has %d %q, want 1:\n%s", n, line, audit)
		}
	}
	kill(third)
}

// deliverWebhook delivers a signed GitHub webhook to the server and
// fails unless it is acknowledged.
func deliverWebhook(t *testing.T, p *serveProcess, secret, event, id string, payload []byte) {
	t.Helper()
	resp, err := fakegithub.SignedWebhook("http://"+p.addr+"/webhooks/github", event, id, payload, secret)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s delivery %s answered %d\n%s", event, id, resp.StatusCode, p.out)
	}
}

// deploymentStatuses lists the deployment statuses Shipgate set on repo,
// as "env@ref:state", without those GitHub added itself.
func deploymentStatuses(fake *fakegithub.Server, repo string) []string {
	var out []string
	for _, s := range fake.DeploymentStatuses() {
		if !strings.HasSuffix(s, " (auto)") {
			out = append(out, strings.TrimPrefix(s, repo+":"))
		}
	}
	return out
}

// clickSlack posts a signed block_actions payload to the server, as Slack
// does when user clicks a button.
func clickSlack(t *testing.T, p *serveProcess, signingSecret, user, action, value string) {
	t.Helper()
	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":%q},"trigger_id":"t1","actions":[{"block_id":"deploy_gate","action_id":%q,"value":%q,"action_ts":"1.1"}]}`,
		user, action, value)
	body := "payload=" + url.QueryEscape(payload)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+slack.Route, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign(signingSecret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the click answered %d", resp.StatusCode)
	}
}

// deployAudit returns the deployment audit trail of the database, read as
// `shipgate audit export` reads it, next to a running server.
func deployAudit(t *testing.T, db string) string {
	t.Helper()
	var out, errs bytes.Buffer
	if code := run([]string{"audit", "export", "--database-url", db, "--format", "csv"}, &out, &errs); code != 0 {
		return "audit export failed: " + errs.String()
	}
	return out.String()
}

const serveReleasePolicy = `version: 1
tags:
  prefix: v
  branches: [main]
deploy:
  environments:
    - name: staging
      on: release
      steps:
        - github_workflow: {workflow: deploy.yml, inputs: {environment: staging}}
        - health_check: {url: "HEALTH/healthz", expect: 200, interval: 1s, retries: 5}
        - wait: 2s
    - name: production
      after: staging
      approval: {required: 1, from: [bob]}
      steps:
        - github_workflow: {workflow: deploy.yml, inputs: {environment: production}}
notify:
  slack: {channel: "#releases", users: {alice: U0ALICE, bob: U0BOB}}
`

// releaseServer is a real `shipgate serve` against fake GitHub and Slack,
// with a health endpoint that records when it is asked.
type releaseServer struct {
	t          *testing.T
	repo, sha  string
	fake       *fakegithub.Server
	slack      *fakeslack.Server
	p          *serveProcess
	db         string
	deliveries int
	mu         sync.Mutex
	healthHits []time.Time
}

const (
	releaseSecret        = "e2e-secret"
	releaseToken         = "ghs_e2e"
	releaseSlackToken    = "xoxb-e2e"
	releaseSigningSecret = "slack-e2e-secret"
)

func newReleaseServer(t *testing.T) *releaseServer { return newReleaseServerAt(t, freeAddr(t), nil) }

// newReleaseServerAt is newReleaseServer listening on addr, with the
// settings extra gives besides (the dashboard's, which name the fakes).
func newReleaseServerAt(t *testing.T, addr string, extra func(*releaseServer) []string) *releaseServer {
	w := &releaseServer{t: t, repo: "acme/widgets", db: t.TempDir() + "/shipgate.db"}
	health := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		w.mu.Lock()
		w.healthHits = append(w.healthHits, time.Now())
		w.mu.Unlock()
	}))
	t.Cleanup(health.Close)
	w.fake = fakegithub.New(t, fakegithub.WithToken(releaseToken), fakegithub.WithClock(time.Now))
	w.fake.AddRepo(fakegithub.Repo{FullName: w.repo})
	w.sha = w.fake.AddCommit(w.repo, fakegithub.Commit{Message: "feat: widgets", Author: "alice"})
	w.fake.SetBranch(w.repo, "main", w.sha)
	w.fake.SetFile(w.repo, "main", ".shipgate.yml", strings.ReplaceAll(serveReleasePolicy, "HEALTH", health.URL))
	w.fake.SetPermission(w.repo, "alice", "maintain")
	w.fake.SetRunName(w.repo, "deploy.yml", "Deploy ${{ inputs.environment }} (${{ inputs.shipgate_id }})")
	w.fake.AddTag(w.repo, "v1.0.0", w.sha)
	w.slack = fakeslack.New(t, releaseSlackToken)
	var more []string
	if extra != nil {
		more = extra(w)
	}
	w.p = startServeAt(t, addr, append([]string{
		"SHIPGATE_DATABASE_URL=" + w.db,
		"SHIPGATE_GITHUB_API_URL=" + w.fake.URL(),
		"SHIPGATE_GITHUB_TOKEN=" + releaseToken,
		"SHIPGATE_GITHUB_WEBHOOK_SECRET=" + releaseSecret,
		"SHIPGATE_SLACK_BOT_TOKEN=" + releaseSlackToken,
		"SHIPGATE_SLACK_SIGNING_SECRET=" + releaseSigningSecret,
		"SHIPGATE_SLACK_API_URL=" + w.slack.URL(),
		"SHIPGATE_RECONCILE_INTERVAL=0",
		"SHIPGATE_LOG_LEVEL=warn",
	}, more...))
	return w
}

func (w *releaseServer) deliver(event string, payload []byte) {
	w.t.Helper()
	w.deliveries++
	deliverWebhook(w.t, w.p, releaseSecret, event, fmt.Sprint("d-", w.deliveries), payload)
}

func (w *releaseServer) waitFor(what string, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("timed out waiting for %s\ndispatches: %q\nstatuses: %q\nslack: %+v\naudit:\n%s\nserver:\n%s",
				what, w.fake.Dispatches(), w.fake.DeploymentStatuses(), w.slack.Messages(), deployAudit(w.t, w.db), w.p.out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// run returns the workflow run of an environment, zero until dispatched.
func (w *releaseServer) run(env string) fakegithub.WorkflowRun {
	for _, r := range w.fake.WorkflowRuns(w.repo) {
		if r.Inputs["environment"] == env {
			return r
		}
	}
	return fakegithub.WorkflowRun{}
}

// finish waits for an environment's run, checks its title, moves it to
// success with its in_progress and completed webhooks, and returns when
// the completed one was sent.
func (w *releaseServer) finish(env string) time.Time {
	w.t.Helper()
	w.waitFor("the "+env+" run", func() bool { return w.run(env).ID != 0 })
	run := w.run(env)
	if !strings.HasPrefix(run.DisplayTitle, "Deploy "+env+" (sg-") || !strings.HasSuffix(run.DisplayTitle, ")") {
		w.t.Fatalf("the %s run's title: %q", env, run.DisplayTitle)
	}
	w.fake.SetWorkflowRunStatus(w.repo, run.ID, "in_progress", "")
	w.deliver("workflow_run", w.fake.Payload(w.fake.WorkflowRunEvent(w.repo, run.ID, "in_progress")))
	w.fake.SetWorkflowRunStatus(w.repo, run.ID, "completed", "success")
	at := time.Now()
	w.deliver("workflow_run", w.fake.Payload(w.fake.WorkflowRunEvent(w.repo, run.ID, "completed")))
	return at
}

// firstHealthCheck waits for the health endpoint's first request.
func (w *releaseServer) firstHealthCheck() time.Time {
	w.t.Helper()
	w.waitFor("the health check", func() bool { w.mu.Lock(); defer w.mu.Unlock(); return len(w.healthHits) > 0 })
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.healthHits[0]
}

// TestServeReleaseThroughSlackApprovalFollowsRunsByWebhook takes a tag
// through a real `shipgate serve`: the staging workflow, whose run-name
// puts the shipgate_id in parentheses, is followed by its webhooks alone
// (the health check starts within a second of the completed webhook, and
// the API is never asked about runs), then the health check, the soak,
// bob's approval in Slack, production's workflow, and success.
func TestServeReleaseThroughSlackApprovalFollowsRunsByWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	w := newReleaseServer(t)
	w.deliver("push", w.fake.Payload(w.fake.PushEvent(w.repo, "refs/tags/v1.0.0", "", w.sha, "alice")))
	completed := w.finish("staging")
	d := w.firstHealthCheck().Sub(completed)
	t.Logf("the health check came %s after the completed webhook", d)
	if d > time.Second {
		t.Errorf("the health check came %s after the run's completed webhook, want within a second", d)
	}

	// After the soak, production asks bob in Slack; bob clicks Approve.
	w.waitFor("the approval buttons", func() bool {
		msgs := w.slack.Messages()
		return len(msgs) == 1 && strings.Contains(msgs[0].Blocks, `"action_id":"deploy_approve"`)
	})
	clickSlack(t, w.p, releaseSigningSecret, "U0BOB", slack.ActionApprove, "github:"+w.repo+":production:v1.0.0")
	w.finish("production")
	w.waitFor("Slack to show production's success", func() bool {
		return strings.Contains(w.slack.Messages()[0].Text, "*production*: succeeded")
	})
	want := []string{"staging@v1.0.0:queued", "staging@v1.0.0:in_progress", "staging@v1.0.0:success",
		"production@v1.0.0:queued", "production@v1.0.0:in_progress", "production@v1.0.0:success"}
	if got := deploymentStatuses(w.fake, w.repo); !slices.Equal(got, want) {
		t.Errorf("deployment statuses:\n got %q\nwant %q", got, want)
	}
	calls := w.fake.CallsByRoute()
	if n := calls["GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"] + calls["GET /repos/{owner}/{repo}/actions/runs/{run_id}"]; n != 0 {
		t.Errorf("the API was asked %d times about runs; webhooks alone must move the steps", n)
	}
	if msg := w.slack.Messages()[0]; !strings.Contains(msg.Text, "approval approved by bob") {
		t.Errorf("Slack message: %s", msg.Text)
	}
	if a := deployAudit(t, w.db); !strings.Contains(a, "deploy.decision,bob,production@v1.0.0: approval,approved") {
		t.Errorf("audit lacks bob's approval:\n%s", a)
	}
}
