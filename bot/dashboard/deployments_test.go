package dashboard

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// seedRelease records v1.2.0's tag check as the gate does (review's
// audit event, with its previous version and notes), an evaluation of
// #12 with its change record, and deploys it to staging, which succeeds
// and starts production, which waits on its gate.
func (w *deployWorld) seedRelease(repo string) (staging, production string) {
	w.t.Helper()
	commits := []policies.Commit{
		{SHA: "1111111aaaaaaa", Message: "feat: totals in the footer (#12)"},
		{SHA: "2222222bbbbbbb", Message: "fix: round to the cent (#13)"},
	}
	notes := release.BuildNotes("v1.2.0", "v1.1.0", w.clock.Now(), commits)
	rep := review.TagReport{Tag: "v1.2.0", SHA: "cafef00d12345678", Released: true, ReleaseURL: "https://github.example/acme/widgets/releases/v1.2.0",
		Previous: "v1.1.0", Notes: &notes}
	if _, err := w.st.AppendAudit(w.ctx, rep.Audit(policies.GitHub, repo, "dave", "push", "d-1", w.clock.Now())); err != nil {
		w.t.Fatal(err)
	}
	w.seedChange(repo, 12, policies.Success)
	verdict := `{"Conclusion":"success","ChangeRecords":["CHG0000123"]}`
	if _, err := w.st.SaveEvaluation(w.ctx, store.Evaluation{Host: policies.GitHub, Repo: repo, Number: 12, HeadSHA: "abc", Conclusion: "success", Verdict: []byte(verdict)}); err != nil {
		w.t.Fatal(err)
	}
	staging = w.start(repo, "staging", "v1.2.0")
	w.clock.Advance(30 * time.Minute)
	w.drain()
	production = deploy.DeploymentID(policies.GitHub, repo, "production", "v1.2.0", deploy.KindDeploy)
	if st := w.state(production); st.Status != deploy.StatusRunning || st.Step != 1 {
		w.t.Fatalf("production: %s step %d", st.Status, st.Step)
	}
	return staging, production
}

// wantIn fails unless page holds every one of wants.
func wantIn(t testing.TB, what, page string, wants ...string) {
	t.Helper()
	for _, s := range wants {
		if !strings.Contains(page, s) {
			t.Fatalf("%s lacks %q:\n%s", what, s, page)
		}
	}
}

// TestTheReleasePage shows a version's tag check, previous version,
// notes, changes with their change records, and its deployments per
// environment with their steps and durations.
func TestTheReleasePage(t *testing.T) {
	w := newDeployWorld(t)
	w.seedRelease(deployRepo)
	b := w.browser()
	b.signIn("alice", "/")
	code, page := b.get(ReleasePath(policies.GitHub, deployRepo, "v1.2.0"))
	if code != http.StatusOK {
		t.Fatalf("release page: %d\n%s", code, page)
	}
	wantIn(t, "the release page", page, "Release v1.2.0", ReleasePath(policies.GitHub, deployRepo, "v1.1.0"), ">released<", "cafef00d",
		"totals in the footer", "round to the cent", ChangePath(policies.GitHub, deployRepo, 12), "CHG0000123",
		`id="env-staging"`, `id="env-production"`, "wait 30m0s", "30m", "0s", "<meter", "approval", "waiting")
	// A version Shipgate knows nothing of is not found.
	if code, _ := b.get(ReleasePath(policies.GitHub, deployRepo, "v9.9.9")); code != http.StatusNotFound {
		t.Fatalf("an unknown version: %d", code)
	}
}

// TestARepositoryTheViewerCannotReadShowsNothing: its deployments,
// releases and live stream are not found, and no list names them.
func TestARepositoryTheViewerCannotReadShowsNothing(t *testing.T) {
	w := newDeployWorld(t)
	_, secret := w.seedRelease(secretRepo)
	w.start(deployRepo, "staging", "v2.0.0")
	dep := mustDeployment(t, w, secret)
	b := w.browser()
	b.signIn("alice", "/")
	for _, path := range []string{deploymentPath(dep), ReleasePath(policies.GitHub, secretRepo, "v1.2.0"), viewOf(dep, w.clock.Now()).EventsPath} {
		if code, page := b.get(path); code != http.StatusNotFound || strings.Contains(page, "v1.2.0") {
			t.Fatalf("%s: %d\n%s", path, code, page)
		}
	}
	for _, path := range []string{"/deployments", "/approvals"} {
		_, page := b.get(path)
		if strings.Contains(page, secretRepo) {
			t.Fatalf("%s names %s:\n%s", path, secretRepo, page)
		}
	}
	_, page := b.get("/deployments")
	wantIn(t, "alice's deployments", page, "v2.0.0 to staging", deployRepo)
	// dave reads both.
	d := w.browser()
	d.signIn("dave", "/")
	_, page = d.get("/deployments")
	wantIn(t, "dave's deployments", page, secretRepo, "Waiting on a gate (1)")
}

// TestTheDeploymentPage shows the steps, the gate with its form for an
// approver, and the audit trail with a refusal in it.
func TestTheDeploymentPage(t *testing.T) {
	w := newDeployWorld(t)
	_, prod := w.seedRelease(deployRepo)
	if code, _ := w.decideAs("mallory", prod, "approve", ""); code != http.StatusForbidden {
		t.Fatalf("mallory's approval: %d", code)
	}
	b := w.browser()
	b.signIn("alice", "/")
	code, page := b.get(deploymentPath(mustDeployment(t, w, prod)))
	if code != http.StatusOK {
		t.Fatalf("deployment page: %d\n%s", code, page)
	}
	wantIn(t, "the deployment page", page, "v1.2.0 to production", `data-live="`, "/static/live.js", "freeze", "skipped",
		"approval", "1 needed from alice, @acme/sre", `value="approve"`, `value="reject"`, "wait 1h0m0s", "pending",
		"deploy.decision", "refused: mallory is not an approver", "dave", "after staging")
	// mallory sees why she cannot decide, and no form.
	m := w.browser()
	m.signIn("mallory", "/")
	_, page = m.get(deploymentPath(mustDeployment(t, w, prod)))
	if strings.Contains(page, `value="approve"`) || !strings.Contains(page, "You cannot decide: mallory is not an approver") {
		t.Fatalf("mallory's deployment page:\n%s", page)
	}
}

// TestALiveDeploymentPageIsToldWhenItMoves: the event stream sends the
// revision, then a new one when the deployment moves, then done.
func TestALiveDeploymentPageIsToldWhenItMoves(t *testing.T) {
	w := newDeployWorld(t)
	id := w.start(deployRepo, "production", "v1.2.0")
	dep := mustDeployment(t, w, id)
	b := w.browser()
	b.signIn("alice", "/")
	b.c.Timeout = 0 // a stream
	resp, err := b.c.Get(w.srv.URL + viewOf(dep, w.clock.Now()).EventsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, ct)
	}
	events := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var ev string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && ev != "":
				events <- ev + " " + strings.TrimPrefix(line, "data: ")
				ev = ""
			}
		}
		close(events)
	}()
	next := func() string {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10 s")
			return ""
		}
	}
	first := next()
	if first != "revision "+strconv.FormatInt(dep.Revision, 10) {
		t.Fatalf("first event %q, want revision %d", first, dep.Revision)
	}
	if why, err := w.o.Request(w.ctx, deploy.DecisionRequest{Host: policies.GitHub, ID: id, Actor: deploy.Actor{Login: "alice"}, Approve: true, Via: deploy.ViaWeb, Dedupe: "t"}); why != "" || err != nil {
		t.Fatalf("approve: %q %v", why, err)
	}
	w.drain()
	if e := next(); !strings.HasPrefix(e, "revision ") || e == first {
		t.Fatalf("after the approval: %q", e)
	}
	w.clock.Advance(time.Hour)
	w.drain()
	for e := next(); e != "done "; e = next() {
		if !strings.HasPrefix(e, "revision ") {
			t.Fatalf("before done: %q", e)
		}
	}
}

// TestTheOverviewLinksItsDeploymentsAndReleases: a deployment waiting on
// its gate links to its page and its release's.
func TestTheOverviewLinksItsDeploymentsAndReleases(t *testing.T) {
	w := newDeployWorld(t)
	id := w.start(deployRepo, "production", "v1.2.0")
	b := w.browser()
	b.signIn("alice", "/")
	_, page := b.get("/")
	wantIn(t, "the overview", page, `href="`+deploymentPath(mustDeployment(t, w, id))+`"`, `href="`+ReleasePath(policies.GitHub, deployRepo, "v1.2.0")+`"`)
}
