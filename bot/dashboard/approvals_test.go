package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
)

// TestApprovingFromTheWebMovesTheDeploymentOn: alice sees the gate that
// waits for her, approves it, and the deployment moves on to its next
// step through the orchestrator's own job; the audit says web.
func TestApprovingFromTheWebMovesTheDeploymentOn(t *testing.T) {
	w := newDeployWorld(t)
	id := w.start(deployRepo, "production", "v1.2.0")
	b := w.browser()
	b.signIn("alice", "/approvals")
	code, page := b.get("/approvals")
	if code != http.StatusOK || !strings.Contains(page, "Waiting for you (1)") || !strings.Contains(page, `value="approve"`) {
		t.Fatalf("approvals page %d:\n%s", code, page)
	}
	csrf, nonce := formOf(t, page)
	code, page = b.submit("/approvals", url.Values{"csrf": {csrf}, "deployment": {id}, "decision": {"approve"}, "nonce": {nonce}})
	if code != http.StatusOK || !strings.Contains(page, "Approval recorded") {
		t.Fatalf("approve: %d\n%s", code, page)
	}
	w.drain()
	st := w.state(id)
	if st.Step != 2 || st.Steps[1].Status != "done" || st.Steps[2].Name != "wait 1h0m0s" || st.Steps[2].Status != "running" {
		t.Fatalf("production after the approval: step %d %+v", st.Step, st.Steps)
	}
	if d := st.Steps[1].Decisions; len(d) != 1 || d[0].Person != "alice" || d[0].Via != deploy.ViaWeb {
		t.Fatalf("decisions: %+v", d)
	}
	if got := w.decisions(); len(got) != 1 || got[0] != "alice approved" {
		t.Fatalf("decision audit: %q", got)
	}
	_, page = b.get(deploymentPath(mustDeployment(t, w, id)))
	if !strings.Contains(page, "alice") || !strings.Contains(page, "via web") || !strings.Contains(page, "wait 1h0m0s") {
		t.Fatalf("deployment page:\n%s", page)
	}
	_, page = b.get("/approvals")
	if !strings.Contains(page, "Nothing waits for you.") {
		t.Fatalf("approvals after the decision:\n%s", page)
	}
}

// TestWebDecisionAttacks is the catalogue of the Approvals page's gate:
// each attempt is refused with its reason and changes nothing.
func TestWebDecisionAttacks(t *testing.T) {
	tests := []struct {
		name     string
		login    string
		decision string
		reason   string
		// repo is where the deployment runs (default acme/widgets).
		repo    string
		code    int
		refusal string
		// audited: a refusal about who decides is in the audit log.
		audited bool
	}{
		{name: "a person not in from: is refused", login: "mallory", decision: "approve",
			code: http.StatusForbidden, refusal: "mallory is not an approver of this gate", audited: true},
		{name: "the starter is refused", login: "dave", decision: "approve",
			code: http.StatusForbidden, refusal: "dave started this deployment and cannot approve it", audited: true},
		{name: "a reject without a reason is refused", login: "alice", decision: "reject", reason: "   ",
			code: http.StatusForbidden, refusal: "a rejection needs a reason"},
		{name: "a decision in a repository the viewer cannot read is refused as if it did not exist", login: "alice", decision: "approve",
			repo: secretRepo, code: http.StatusNotFound, refusal: "There is no such deployment, or you cannot read its repository."},
		{name: "a person who reads nothing is refused", login: "eve", decision: "approve",
			code: http.StatusNotFound, refusal: "There is no such deployment, or you cannot read its repository."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newDeployWorld(t)
			repo := tt.repo
			if repo == "" {
				repo = deployRepo
			}
			id := w.start(repo, "production", "v1.2.0")
			code, page := w.decideAs(tt.login, id, tt.decision, tt.reason)
			if code != tt.code || !strings.Contains(page, tt.refusal) {
				t.Fatalf("answer %d, want %d with %q:\n%s", code, tt.code, tt.refusal, page)
			}
			w.drain()
			if st := w.state(id); st.Step != 1 || st.Status != deploy.StatusRunning || len(st.Steps[1].Decisions) != 0 {
				t.Fatalf("the deployment changed: step %d %s %+v", st.Step, st.Status, st.Steps)
			}
			if got := w.decisions(); (len(got) == 1) != tt.audited {
				t.Fatalf("decision audit %q; audited, want %v", got, tt.audited)
			}
		})
	}
}

// TestAReplayedApprovalHasNoSecondEffect: the same POST sent again (a
// reload, a replay) queues nothing more: one decision reaches the gate.
func TestAReplayedApprovalHasNoSecondEffect(t *testing.T) {
	w := newDeployWorld(t)
	id := w.start(deployRepo, "production", "v1.2.0")
	b := w.browser()
	b.signIn("alice", "/approvals")
	_, page := b.get("/approvals")
	csrf, nonce := formOf(t, page)
	form := url.Values{"csrf": {csrf}, "deployment": {id}, "decision": {"approve"}, "nonce": {nonce}}
	for i := range 2 {
		if code, page := b.submit("/approvals", form); code != http.StatusOK {
			t.Fatalf("POST %d: %d\n%s", i+1, code, page)
		}
	}
	// One job waits: the replay was a duplicate of the first request.
	if q, err := w.st.Stats(w.ctx); err != nil || q.Ready != 1 {
		t.Fatalf("queue after two POSTs: %+v, %v; want one ready job", q, err)
	}
	w.drain()
	if st := w.state(id); len(st.Steps[1].Decisions) != 1 {
		t.Fatalf("decisions: %+v", st.Steps[1].Decisions)
	}
	// Once applied, the replay is refused and changes nothing.
	code, page := b.submit("/approvals", form)
	if code != http.StatusForbidden || !strings.Contains(page, "not waiting for a decision") {
		t.Fatalf("replay after the gate: %d\n%s", code, page)
	}
	w.drain()
	if got := w.decisions(); len(got) != 1 {
		t.Fatalf("decision audit: %q", got)
	}
}

// TestAForgedDecisionFormIsRefused: without the session's CSRF token, or
// from the read-only dashboard token, a decision never reaches the
// orchestrator.
func TestAForgedDecisionFormIsRefused(t *testing.T) {
	w := newDeployWorld(t, withDashboardToken)
	id := w.start(deployRepo, "production", "v1.2.0")
	b := w.browser()
	b.signIn("alice", "/approvals")
	code, page := b.submit("/approvals", url.Values{"csrf": {"forged"}, "deployment": {id}, "decision": {"approve"}, "nonce": {"n1"}})
	if code != http.StatusForbidden || !strings.Contains(page, "stale or came from another site") {
		t.Fatalf("forged CSRF: %d\n%s", code, page)
	}
	ro := w.browser()
	ro.signInReadOnly()
	_, page = ro.get("/approvals")
	if strings.Contains(page, `value="approve"`) || !strings.Contains(page, readOnlyWhy) {
		t.Fatalf("read-only approvals page offers a decision:\n%s", page)
	}
	csrf, _ := formOf(t, page)
	code, page = ro.submit("/approvals", url.Values{"csrf": {csrf}, "deployment": {id}, "decision": {"approve"}, "nonce": {"n2"}})
	if code != http.StatusForbidden || !strings.Contains(page, "read-only") {
		t.Fatalf("read-only decision: %d\n%s", code, page)
	}
	w.drain()
	if st := w.state(id); st.Step != 1 || len(st.Steps[1].Decisions) != 0 {
		t.Fatalf("the deployment changed: %+v", st.Steps)
	}
}

// TestARejectionFromTheWebFailsTheDeploymentWithItsReason.
func TestARejectionFromTheWebFailsTheDeploymentWithItsReason(t *testing.T) {
	w := newDeployWorld(t)
	id := w.start(deployRepo, "production", "v1.2.0")
	if code, page := w.decideAs("alice", id, "reject", "the canary's error rate doubled"); code != http.StatusOK || !strings.Contains(page, "Rejection recorded") {
		t.Fatalf("reject: %d\n%s", code, page)
	}
	w.clock.Advance(time.Second)
	w.drain()
	st := w.state(id)
	if st.Status != deploy.StatusFailed || !strings.Contains(st.Message, "rejected by alice: the canary's error rate doubled") {
		t.Fatalf("after the rejection: %s %q", st.Status, st.Message)
	}
}

func mustDeployment(t testing.TB, w *deployWorld, id string) store.Deployment {
	t.Helper()
	d, err := w.st.GetDeployment(w.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
