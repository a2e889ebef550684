package deploy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/shipgate/shipgate/bot/store/drivers" // the store opens SQLite and PostgreSQL

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/testclock"
	"github.com/shipgate/shipgate/policies"
)

// staticPolicy serves one policy for every repository.
type staticPolicy struct{ p *policies.Policy }

func (s staticPolicy) DeployPolicy(context.Context, policies.Host, string) (*policies.Policy, error) {
	return s.p, nil
}

// fakeHost records deployment statuses, dispatches and protection-rule
// answers, and serves workflow runs as GitHub makes them: a dispatch makes
// a run of event workflow_dispatch by Shipgate (self) at the dispatched
// ref, created at the clock, titled by runName.
type fakeHost struct {
	mu sync.Mutex
	// failDispatches makes that many dispatches fail before reaching
	// "GitHub", as a crash between claiming a step key and dispatching.
	failDispatches int
	now            func() time.Time
	self           string
	// runName makes a dispatched run's display title from its inputs.
	runName    func(inputs map[string]string) string
	next       int64
	deploys    map[int64]string // id → "env@ref"
	Statuses   []string
	Dispatches []string
	Reviews    []string
	// Calls counts the API reads of runs (list and get), to show that
	// webhooks alone move a step.
	Calls int
	runs  []WorkflowRun
	// notes are the releases' notes by tag.
	notes map[string]string
}

func newFakeHost(now func() time.Time) *fakeHost {
	return &fakeHost{deploys: map[int64]string{}, next: 100, now: now, self: "shipgate[bot]",
		runName: func(in map[string]string) string { return "deploy " + in["shipgate_id"] }}
}

func (h *fakeHost) CreateDeployment(ctx context.Context, repo, ref, env, desc string) (int64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	h.deploys[h.next] = env + "@" + ref
	return h.next, nil
}

func (h *fakeHost) SetDeploymentStatus(ctx context.Context, repo string, id int64, state, desc string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Statuses = append(h.Statuses, h.deploys[id]+":"+state)
	return nil
}

func (h *fakeHost) Self(context.Context) (string, error) { return h.self, nil }

func (h *fakeHost) DispatchWorkflow(ctx context.Context, repo, wf, ref string, inputs map[string]string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failDispatches > 0 {
		h.failDispatches--
		return errors.New("connection reset before the dispatch reached GitHub")
	}
	var keys []string
	for k := range inputs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	line := wf + "@" + ref
	for _, k := range keys {
		if k != "shipgate_id" {
			line += " " + k + "=" + inputs[k]
		}
	}
	h.Dispatches = append(h.Dispatches, line)
	h.next++
	h.runs = append(h.runs, WorkflowRun{ID: h.next, Status: "queued", Name: strings.TrimSuffix(wf, ".yml"), DisplayTitle: h.runName(inputs),
		Event: "workflow_dispatch", Path: ".github/workflows/" + wf, HeadBranch: ref, Actor: h.self, CreatedAt: h.now()})
	return nil
}

// addRun adds a run made outside Shipgate and returns it.
func (h *fakeHost) addRun(run WorkflowRun) WorkflowRun {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	run.ID = h.next
	h.runs = append(h.runs, run)
	return run
}

func (h *fakeHost) ListWorkflowRuns(ctx context.Context, repo, wf string) ([]WorkflowRun, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Calls++
	var out []WorkflowRun
	for i := len(h.runs) - 1; i >= 0; i-- {
		if r := h.runs[i]; r.Path == ".github/workflows/"+wf && r.Event == "workflow_dispatch" {
			out = append(out, r)
		}
	}
	return out, nil
}

func (h *fakeHost) GetWorkflowRun(ctx context.Context, repo string, id int64) (WorkflowRun, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Calls++
	for _, r := range h.runs {
		if r.ID == id {
			return r, nil
		}
	}
	return WorkflowRun{}, errors.New("404")
}

// complete marks the last run completed and returns it, as a
// workflow_run webhook would carry it.
func (h *fakeHost) complete(conclusion string) WorkflowRun {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := len(h.runs) - 1
	h.runs[i].Status, h.runs[i].Conclusion = "completed", conclusion
	return h.runs[i]
}

// Releases: v1.1.0, v1.2.0 and v1.3.0 are validated release tags,
// v1.3.0 the latest; main is a branch and v9.9.9 a tag nobody validated.
func (h *fakeHost) LatestRelease(ctx context.Context, repo string) (string, error) {
	return "v1.3.0", nil
}

func (h *fakeHost) ValidatedTag(ctx context.Context, repo, tag string) (string, bool, error) {
	switch tag {
	case "v1.1.0", "v1.2.0", "v1.3.0":
		return "sha-" + tag, true, nil
	}
	return "", false, nil
}

func (h *fakeHost) ResolveRef(ctx context.Context, repo, ref string) (string, bool, error) {
	switch ref {
	case "main", "v9.9.9", "v1.1.0", "v1.2.0", "v1.3.0":
		return "sha-" + ref, true, nil
	}
	return "", false, nil
}

func (h *fakeHost) ReviewProtectionRule(ctx context.Context, repo string, runID int64, env, state, comment string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Reviews = append(h.Reviews, fmt.Sprintf("run-%d:%s=%s", runID, env, state))
	return nil
}

func (h *fakeHost) snapshot() (statuses, dispatches, reviews []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.Statuses), slices.Clone(h.Dispatches), slices.Clone(h.Reviews)
}

// recorder is a Notifier that keeps lines.
type recorder struct {
	mu      sync.Mutex
	Lines   []string
	Refused []string
}

func (r *recorder) Notify(ctx context.Context, n Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Lines = append(r.Lines, n.Event+": "+n.Line)
	return nil
}

func (r *recorder) Refuse(ctx context.Context, n Notice, who Actor, why string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Refused = append(r.Refused, who.String()+": "+why)
	return nil
}

// env is one test's world: a store on disk, a clock, a fake host, a
// health endpoint, and an orchestrator that can be replaced (a restart).
type env struct {
	t      *testing.T
	ctx    context.Context
	path   string
	clock  *testclock.Clock
	st     *store.Store
	host   *fakeHost
	notes  *recorder
	policy *policies.Policy
	o      *Orchestrator
	health *httptest.Server
	// healthStatus is what the health endpoint answers; healthHits
	// counts its requests.
	healthStatus int
	healthHits   int
	hmu          sync.Mutex
	// changes are the change requests' system (nil: none configured).
	changes ChangeRequests
}

const testPolicy = `version: 1
freeze:
  windows:
    - {name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z}
  override: {approvals: 1, from: [carol]}
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
      approval: {required: 1, from: [alice, "slack:U0BOB"], slack_channel: "#prod"}
      steps:
        - github_workflow: {workflow: deploy.yml, inputs: {environment: production}}
      rollback:
        - github_workflow: {workflow: rollback.yml, inputs: {version: "{{.PreviousVersion}}"}}
notify:
  slack: {channel: "#releases", users: {alice: U0ALICE, bob: U0BOB}}
`

func newEnv(t *testing.T, start time.Time) *env {
	t.Helper()
	return newEnvWith(t, start, testPolicy)
}

// newEnvWith is newEnv under another policy (HEALTH names the health
// endpoint).
func newEnvWith(t *testing.T, start time.Time, policy string) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), path: filepath.Join(t.TempDir(), "s.db"), clock: testclock.New(start),
		notes: &recorder{}, healthStatus: 200}
	e.host = newFakeHost(e.clock.Now)
	e.health = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hmu.Lock()
		defer e.hmu.Unlock()
		e.healthHits++
		w.WriteHeader(e.healthStatus)
	}))
	t.Cleanup(e.health.Close)
	p, err := policies.Load(".shipgate.yml", []byte(strings.ReplaceAll(policy, "HEALTH", e.health.URL)))
	if err != nil {
		t.Fatal(err)
	}
	e.policy = p
	e.open()
	t.Cleanup(func() { e.st.Close() })
	return e
}

// open opens the store and builds an orchestrator: a fresh process.
func (e *env) open() {
	s, err := store.OpenWith(e.ctx, e.path, store.Options{Now: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = s
	e.o, err = New(Config{Store: s, Hosts: map[policies.Host]HostIntegrations{policies.GitHub: {Policies: staticPolicy{e.policy},
		Mirror: e.host, Workflows: e.host, Protection: e.host, Releases: e.host, Notes: e.host}},
		Notifier: e.notes, Now: e.clock.Now, HTTPClient: e.health.Client(), ChangeRequests: e.changes})
	if err != nil {
		e.t.Fatal(err)
	}
}

// setHost changes the GitHub integrations of the running orchestrator.
func (e *env) setHost(change func(*HostIntegrations)) {
	h := e.o.cfg.Hosts[policies.GitHub]
	change(&h)
	e.o.cfg.Hosts[policies.GitHub] = h
}

// restart closes the store and opens it again with a new orchestrator, as
// after a SIGKILL: only what the store holds survives.
func (e *env) restart() {
	e.st.Close()
	e.open()
}

// drain runs every due job, as the workers would, until none is due.
func (e *env) drain() {
	e.t.Helper()
	DrainQueue(e.t, e.ctx, e.st, e.o.Process)
}

// DrainQueue claims and processes every due job in st, as the workers
// would, until none is due; process handles one batch. It is exported for
// the end-to-end world in package deploy_test.
func DrainQueue(t testing.TB, ctx context.Context, st *store.Store, process func(context.Context, store.Batch) error) {
	t.Helper()
	for range 100 {
		bs, err := st.Claim(ctx, "test", time.Minute, 16)
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) == 0 {
			return
		}
		for _, b := range bs {
			if err := process(ctx, b); err != nil {
				t.Fatalf("processing %s: %v", b.Key, err)
			}
			if err := st.Complete(ctx, b.Lease, b.IDs()...); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Fatal("the queue never drained")
}

// after moves the clock and runs what became due.
func (e *env) after(d time.Duration) { e.clock.Advance(d); e.drain() }

func (e *env) state(id string) *State {
	e.t.Helper()
	st, err := e.o.load(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// runCompleted delivers the workflow_run webhook of the last run.
func (e *env) runCompleted(conclusion string) {
	e.t.Helper()
	e.webhook(e.host.complete(conclusion))
}

// webhook delivers a workflow_run webhook of run and runs the jobs.
func (e *env) webhook(run WorkflowRun) {
	e.t.Helper()
	if err := e.o.WorkflowRunUpdated(e.ctx, fmt.Sprintf("run-%d-%s-%s", run.ID, run.Status, run.Conclusion), repo, run); err != nil {
		e.t.Fatal(err)
	}
	e.drain()
}

func (e *env) wantStatuses(want ...string) {
	e.t.Helper()
	got, _, _ := e.host.snapshot()
	if !slices.Equal(got, want) {
		e.t.Fatalf("deployment statuses:\n got %q\nwant %q", got, want)
	}
}

func (e *env) wantDispatches(want ...string) {
	e.t.Helper()
	_, got, _ := e.host.snapshot()
	if !slices.Equal(got, want) {
		e.t.Fatalf("dispatches:\n got %q\nwant %q", got, want)
	}
}

func (e *env) audit(kinds ...string) []string {
	var out []string
	err := e.st.ExportAudit(e.ctx, store.AuditFilter{Kinds: kinds}, func(a store.AuditEvent) error {
		out = append(out, a.Actor+" "+a.Subject+" "+a.Outcome)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}
