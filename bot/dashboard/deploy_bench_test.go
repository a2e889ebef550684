package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// seedScale fills the store through its API with benchPRs changes (one
// evaluation each) and benchDeployments deployments with their audit
// events, spread over benchRepos repositories alice reads: 40 versions
// per repository, deployed to staging then production; the newest
// production ones (40) wait on their gate. It returns the deployment the
// single-page benchmarks open.
func (w *deployWorld) seedScale(b *testing.B) (waiting store.Deployment) {
	b.Helper()
	repos := make([]string, benchRepos)
	for i := range repos {
		repos[i] = benchRepo(i)
		w.gh.AddRepo(fakegithubRepo(repos[i], true))
		w.gh.SetPermission(repos[i], "alice", "write")
	}
	verdict, _ := json.Marshal(policies.Verdict{Conclusion: policies.Success, Gated: true, ChangeRecords: []string{"CHG0000001"}})
	for n := 1; n <= benchPRs; n++ {
		repo := repos[n%benchRepos]
		state := store.PRClosed
		if n%10 == 0 {
			state = store.PROpen
		}
		if err := w.st.PutPR(w.ctx, store.PRState{Host: policies.GitHub, Repo: repo, Number: n, BaseBranch: "main", HeadSHA: "abc", State: state,
			LastActivityAt: w.clock.Now(), LastEvaluatedAt: w.clock.Now()}); err != nil {
			b.Fatal(err)
		}
		if _, err := w.st.SaveEvaluation(w.ctx, store.Evaluation{Host: policies.GitHub, Repo: repo, Number: n, HeadSHA: "abc",
			Conclusion: string(policies.Success), Verdict: verdict}); err != nil {
			b.Fatal(err)
		}
	}
	perRepo := benchDeployments / benchRepos / 2 // versions per repository
	for i := range benchDeployments / 2 {
		repo, v := repos[i%benchRepos], i/benchRepos
		version := fmt.Sprintf("v1.%d.0", v)
		w.seedVersion(b, repo, version, v)
		w.seedScaleDeployment(b, repo, "staging", version, deploy.StatusSucceeded, false)
		if v < perRepo-2 {
			w.seedScaleDeployment(b, repo, "production", version, deploy.StatusSucceeded, false)
		} else {
			waiting = w.seedScaleDeployment(b, repo, "production", version, deploy.StatusRunning, true)
		}
	}
	return waiting
}

// seedVersion records a version's tag check with notes naming 20 changes.
func (w *deployWorld) seedVersion(b *testing.B, repo, version string, v int) {
	var commits []policies.Commit
	for c := range 20 {
		commits = append(commits, policies.Commit{SHA: fmt.Sprintf("%040d", v*100+c), Message: fmt.Sprintf("feat: change %d (#%d)", c, v*20+c+1)})
	}
	notes := release.BuildNotes(version, fmt.Sprintf("v1.%d.0", v-1), w.clock.Now(), commits)
	rep := review.TagReport{Tag: version, SHA: "cafe", Previous: fmt.Sprintf("v1.%d.0", v-1), Notes: &notes}
	if _, err := w.st.AppendAudit(w.ctx, rep.Audit(policies.GitHub, repo, "dave", "push", "", w.clock.Now())); err != nil {
		b.Fatal(err)
	}
}

// seedScaleDeployment stores a deployment as the orchestrator would, with
// the audit events of its steps; gate makes it wait on its approval.
func (w *deployWorld) seedScaleDeployment(b *testing.B, repo, env, version, status string, gate bool) store.Deployment {
	now := w.clock.Now()
	id := deploy.DeploymentID(policies.GitHub, repo, env, version, deploy.KindDeploy)
	st := deploy.State{ID: id, Kind: deploy.KindDeploy, Host: policies.GitHub, Repo: repo, Environment: env, Version: version,
		StartedBy: deploy.Actor{Login: "dave"}, Trigger: "release " + version, Status: status, CreatedAt: now.Add(-time.Hour)}
	st.Steps = []deploy.StepState{
		{Name: "freeze", Status: "skipped", StartedAt: now.Add(-time.Hour), EndedAt: now.Add(-time.Hour)},
		{Name: "approval", Status: "done", StartedAt: now.Add(-time.Hour), EndedAt: now.Add(-50 * time.Minute),
			Decisions: []deploy.Decision{{Person: "carol", Login: "carol", Approve: true, At: now.Add(-50 * time.Minute), Via: deploy.ViaSlack}}},
		{Name: "wait 1h0m0s", Status: "done", StartedAt: now.Add(-50 * time.Minute), EndedAt: now},
	}
	st.Step = 3
	if gate {
		st.Step, st.Steps[1].Status, st.Steps[1].Decisions, st.Steps[2] = 1, "running", nil, deploy.StepState{Name: "wait 1h0m0s"}
		st.Steps[1].Until = now.Add(23 * time.Hour)
	}
	data, _ := json.Marshal(st)
	d := store.Deployment{ID: id, Host: policies.GitHub, Repo: repo, Environment: env, Version: version, State: status, Data: data, CreatedAt: st.CreatedAt}
	if _, err := w.st.CreateDeployment(w.ctx, d); err != nil {
		b.Fatal(err)
	}
	for _, s := range st.Steps {
		detail, _ := json.Marshal(map[string]any{"deployment": id})
		if _, err := w.st.AppendAudit(w.ctx, store.AuditEvent{At: now, Host: policies.GitHub, Repo: repo, Kind: "deploy.step", Actor: "shipgate",
			Subject: env + "@" + version + ": " + s.Name, Outcome: "done", Detail: detail}); err != nil {
			b.Fatal(err)
		}
	}
	d.Revision = 1
	return d
}

// BenchmarkDeployPages times each page of this part of the dashboard, from
// request to the last byte, against the seeded store (a signed-in
// approver; roles cached as in use).
func BenchmarkDeployPages(b *testing.B) {
	w := newDeployWorld(b)
	waiting := w.seedScale(b)
	br := w.browser()
	br.signIn("alice", "/")
	pages := []struct{ name, path string }{
		{"deployments", "/deployments"},
		{"approvals", "/approvals"},
		{"deployment", deploymentPath(waiting)},
		{"release", ReleasePath(waiting.Host, waiting.Repo, waiting.Version)},
	}
	for _, p := range pages {
		if code, page := br.get(p.path); code != http.StatusOK {
			b.Fatalf("%s: %d\n%s", p.name, code, page)
		}
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				if code, _ := br.get(p.path); code != http.StatusOK {
					b.Fatalf("%s: %d", p.name, code)
				}
			}
		})
	}
}
