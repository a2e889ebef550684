package deploy_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakeprometheus"
)

// canaryPolicy rolls production out in three stages, each analysed for
// 10m by the error ratio of the version deployed.
const canaryPolicy = `version: 1
deploy:
  environments:
    - name: production
      on: release
      steps:
        - canary:
            github_workflow: {workflow: deploy.yml, inputs: {environment: production}}
            steps: [10, 50, 100]
            analysis:
              url: "PROM"
              query: 'errors:ratio{version="{{.Version}}",env="{{.Environment}}"}'
              max: 0.05
              for: 10m
              interval: 1m
            pause: 5m
      rollback:
        - github_workflow: {workflow: rollback.yml}
notify:
  slack: {channel: "#releases"}
`

func errorRatio(version string) string {
	return `errors:ratio{version="` + version + `",env="production"}`
}

// canaryWorld is a world under canaryPolicy with a fake Prometheus, with
// v1.1.0 tagged beside v1.2.0.
func canaryWorld(t *testing.T) (*world, *fakeprometheus.Server) {
	prom := fakeprometheus.New(t)
	w := newWorldWith(t, strings.ReplaceAll(canaryPolicy, "PROM", prom.URL()))
	w.gh.AddTag(e2eRepo, "v1.1.0", w.gh.AddCommit(e2eRepo, fakegithub.Commit{Message: "fix: widgets"}))
	return w, prom
}

// stage finishes the running stage's workflow and watches its analysis
// for the 10m window, restarting the process halfway when restart is set.
func (w *world) stage(restart bool) {
	w.t.Helper()
	w.finishRun("deploy.yml", "success")
	for i := range 10 {
		if restart && i == 5 {
			w.restart()
		}
		w.after(time.Minute)
	}
}

func TestACanaryWithHealthyMetricsIsPromotedThrough10_50_100(t *testing.T) {
	w, prom := canaryWorld(t)
	start := w.clock.Now()
	prom.Script(errorRatio("v1.2.0"), fakeprometheus.Point{At: start, Value: 0.01})
	w.release("dave")
	w.wantDispatches("deploy.yml@v1.2.0 canary=10 environment=production")

	w.stage(true) // SIGKILL halfway through the first analysis
	w.after(4 * time.Minute)
	w.restart() // and during the pause: it keeps its end
	w.after(time.Minute)
	w.wantDispatches("deploy.yml@v1.2.0 canary=10 environment=production", "deploy.yml@v1.2.0 canary=50 environment=production")
	w.stage(false)
	w.after(5 * time.Minute)
	w.stage(false)
	w.wantDispatches("deploy.yml@v1.2.0 canary=10 environment=production", "deploy.yml@v1.2.0 canary=50 environment=production",
		"deploy.yml@v1.2.0 canary=100 environment=production")
	st := w.state(deploy.DeploymentID("github", e2eRepo, "production", "v1.2.0", deploy.KindDeploy))
	if st.Status != deploy.StatusSucceeded {
		t.Fatalf("production: %s (%s) %+v", st.Status, st.Message, st.Steps)
	}
	var names []string
	for _, s := range st.Steps[1:] {
		names = append(names, s.Name)
	}
	want := []string{"canary 10%: workflow deploy.yml", "canary 10%: analysis", "canary 10%: wait 5m0s",
		"canary 50%: workflow deploy.yml", "canary 50%: analysis", "canary 50%: wait 5m0s",
		"canary 100%: workflow deploy.yml", "canary 100%: analysis"}
	if !slices.Equal(names, want) {
		t.Fatalf("steps:\n got %q\nwant %q", names, want)
	}
	// Each analysis queried once a minute for 10m, at the times judged,
	// the restart neither repeating nor skipping a query.
	qs := prom.Queries()
	if len(qs) != 33 {
		t.Fatalf("%d queries, want 3 × 11: %+v", len(qs), qs)
	}
	for i := 1; i < 11; i++ {
		if d := qs[i].Time.Sub(qs[i-1].Time); d != time.Minute || qs[i].Query != errorRatio("v1.2.0") {
			t.Fatalf("query %d: %+v after %+v", i, qs[i], qs[i-1])
		}
	}
	if got := w.audit("deploy.step"); !slices.ContainsFunc(got, func(s string) bool {
		return strings.Contains(s, "canary 100%: analysis done: "+errorRatio("v1.2.0")+" stayed ≤ 0.05 for 10m0s (11 queries; last 0.01)")
	}) {
		t.Fatalf("audit: %q", got)
	}
}

// promote takes version through production's canary with healthy metrics.
func promote(w *world, prom *fakeprometheus.Server, version string) {
	w.t.Helper()
	prom.Script(errorRatio(version), fakeprometheus.Point{At: w.clock.Now(), Value: 0})
	if _, _, err := w.o.Start(w.ctx, deploy.StartRequest{Repo: e2eRepo, Environment: "production", Version: version,
		Actor: deploy.Actor{Login: "dave"}, Trigger: "/deploy by dave"}); err != nil {
		w.t.Fatal(err)
	}
	w.drain()
	for i := range 3 {
		w.stage(false)
		if i < 2 {
			w.after(5 * time.Minute)
		}
	}
	if st := w.state(deploy.DeploymentID("github", e2eRepo, "production", version, deploy.KindDeploy)); st.Status != deploy.StatusSucceeded {
		w.t.Fatalf("%s: %s (%s)", version, st.Status, st.Message)
	}
}

func TestAnUnhealthyCanaryIsRolledBackAt10WithTheReasonInSlackAndTheAudit(t *testing.T) {
	w, prom := canaryWorld(t)
	promote(w, prom, "v1.1.0")
	// v1.2.0 is healthy for three minutes of its 10% stage, then fails.
	now := w.clock.Now()
	prom.Script(errorRatio("v1.2.0"), fakeprometheus.Point{At: now, Value: 0.01}, fakeprometheus.Point{At: now.Add(3 * time.Minute), Value: 0.2})
	w.release("dave")
	w.finishRun("deploy.yml", "success")
	w.after(2 * time.Minute)
	w.restart()
	w.after(time.Minute)

	st := w.state(deploy.DeploymentID("github", e2eRepo, "production", "v1.2.0", deploy.KindDeploy))
	reason := errorRatio("v1.2.0") + ": 0.2 is above the maximum 0.05"
	if st.Status != deploy.StatusFailed || !strings.Contains(st.Message, "canary 10%: analysis: "+reason) {
		t.Fatalf("production: %s %q", st.Status, st.Message)
	}
	var dispatched []string
	for _, d := range w.gh.Dispatches() {
		if strings.Contains(d, "@v1.2.0") || strings.Contains(d, "rollback.yml") {
			dispatched = append(dispatched, d[len(e2eRepo)+1:strings.Index(d, " shipgate_id=")])
		}
	}
	if want := []string{"deploy.yml@v1.2.0 canary=10 environment=production", "rollback.yml@v1.1.0"}; !slices.Equal(dispatched, want) {
		t.Fatalf("dispatches: %q, want %q (no 50%% stage, a rollback to v1.1.0)", dispatched, want)
	}
	if got := w.audit("deploy.deploy"); !slices.ContainsFunc(got, func(s string) bool {
		return strings.HasPrefix(s, "shipgate production@v1.2.0: production failed: canary 10%: analysis: "+reason)
	}) {
		t.Fatalf("audit: %q", got)
	}
	if !slices.ContainsFunc(w.slackThreads(), func(s string) bool { return strings.Contains(s, reason) }) {
		t.Fatalf("the reason is in no Slack thread: %q", w.slackThreads())
	}
}

// TestAMetricThatStaysMissingFailsClosed: Prometheus down, or a query that
// matches nothing, does not let a canary through.
func TestAMetricThatStaysMissingFailsClosed(t *testing.T) {
	w, prom := canaryWorld(t)
	now := w.clock.Now()
	prom.Script(errorRatio("v1.2.0"), fakeprometheus.Point{At: now, Value: 0.01},
		fakeprometheus.Point{At: now.Add(time.Minute), Status: 503}, fakeprometheus.Point{At: now.Add(2 * time.Minute), NoData: true})
	w.release("dave")
	w.finishRun("deploy.yml", "success")
	w.after(time.Minute)
	w.after(time.Minute)
	if st := w.state(deploy.DeploymentID("github", e2eRepo, "production", "v1.2.0", deploy.KindDeploy)); st.Status != deploy.StatusRunning {
		t.Fatalf("two misses fail nothing yet: %s %q", st.Status, st.Message)
	}
	w.after(time.Minute)
	st := w.state(deploy.DeploymentID("github", e2eRepo, "production", "v1.2.0", deploy.KindDeploy))
	if st.Status != deploy.StatusFailed || !strings.Contains(st.Message, "no value for 3 queries in a row (fails closed); last: the query matched no series") {
		t.Fatalf("production: %s %q", st.Status, st.Message)
	}
}

// slackThreads returns every thread reply Shipgate posted.
func (w *world) slackThreads() []string {
	var out []string
	for _, m := range w.slack.Messages() {
		out = append(out, w.slack.Thread(m.TS)...)
	}
	return out
}

// state reads a deployment's state from the store.
func (w *world) state(id string) deploy.State {
	w.t.Helper()
	d, err := w.st.GetDeployment(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	var st deploy.State
	if err := json.Unmarshal(d.Data, &st); err != nil {
		w.t.Fatal(err)
	}
	return st
}
