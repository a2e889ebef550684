package gitlab

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
)

func TestUnapprovalMovesItBack(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.setPolicy(glPolicy)
	h.open(1, "Add gift cards", "dave", fixedBody, shaA)
	h.fake.Do(func() { h.project.MRs[1].Labels = []string{"semver:patch"} })
	h.approve(1, "alice")
	h.approve(1, "bob")
	h.drain()
	h.wantStatus(shaA, "success")
	h.fake.Do(func() { h.project.MRs[1].Unapprove(h.user("bob"), h.clock.Now()) })
	h.mrHook(1, "unapproved", "bob")
	h.drain()
	h.wantStatus(shaA, "pending", "Waiting on reviewers")
}

func TestPolicyChangeReevaluatesOpenMRs(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.open(1, "Add gift cards", "dave", "", shaA)
	h.open(2, "Other", "alice", "", strings.Repeat("b2", 20))
	h.drain()
	h.wantStatus(shaA, "skipped")

	t.Log("a push that leaves the policy alone is ignored")
	push := func(files ...string) map[string]any {
		return map[string]any{"object_kind": "push", "event_name": "push", "ref": "refs/heads/main",
			"before": strings.Repeat("1", 40), "after": strings.Repeat("2", 40), "user_username": "bob",
			"project_id": testProjectID, "project": h.projectJSON(), "total_commits_count": 1,
			"commits": []map[string]any{{"id": strings.Repeat("2", 40), "message": "x", "modified": files}}}
	}
	body := h.post("Push Hook", "uuid-push-1", testSecret, mustJSON(t, push("README.md")))
	if !strings.Contains(body.Body.String(), "ignored") {
		t.Fatalf("push of README.md: %d %s", body.Code, body.Body)
	}

	t.Log("a push that changes it re-evaluates both open MRs")
	h.setPolicy(glPolicy)
	h.deliver("Push Hook", push(".shipgate.yml"))
	h.drain()
	h.wantStatus(shaA, "failed")
	if st := h.lastStatus(strings.Repeat("b2", 20), review.CheckName("main")); st.State != "failed" {
		t.Errorf("MR 2: %+v", st)
	}
}

func TestMergedMRIsClosedWithoutAStatus(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.setPolicy(glPolicy)
	h.open(1, "Add gift cards", "dave", "", shaA)
	h.drain()
	before := len(h.fake.StatusesCreated())
	h.fake.Do(func() { h.project.MRs[1].State = "merged" })
	h.mrHook(1, "merge", "bob")
	h.drain()
	if len(h.fake.StatusesCreated()) != before {
		t.Errorf("a merged MR got a status: %q", h.fake.StatusesCreated())
	}
	st, err := h.store.GetPR(context.Background(), "gitlab", testRepo, 1)
	if err != nil || st.State != store.PRClosed {
		t.Errorf("state %+v, %v; want closed", st, err)
	}
}

func TestLastAttemptPublishesAFailure(t *testing.T) {
	h := openedGiftCards(t)
	h.fake.FailNext("GET /projects/:id/merge_requests/:iid/approvals", 403)
	ctx := context.Background()
	b := h.claimOne(ctx)
	b.Jobs[0].Attempts = b.Jobs[0].MaxAttempts - 1
	if err := h.process(ctx, b); err == nil || !strings.Contains(err.Error(), "approvals") {
		t.Fatalf("Process: %v, want the approvals error", err)
	}
	h.wantStatus(shaA, "failed", "could not evaluate this merge request")
}

func TestRateLimitWaitsAsLongAsGitLabAsks(t *testing.T) {
	h := openedGiftCards(t)
	h.fake.FailNext("GET /projects/:id/merge_requests/:iid", 429)
	ctx := context.Background()
	err := h.process(ctx, h.claimOne(ctx))
	var re *bot.RetryError
	if !errors.As(err, &re) || !re.At.Equal(h.clock.Now().Add(30*time.Second)) {
		t.Fatalf("Process: %v, want a retry in 30s", err)
	}
}

func TestOwnLabelChangesAreIgnored(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.setPolicy(glPolicy)
	h.open(1, "Add gift cards", "dave", "", shaA)
	h.drain() // learns its own user while looking for its note
	body := mustJSON(t, map[string]any{"object_kind": "merge_request", "user": map[string]any{"username": botUser},
		"project": h.projectJSON(), "object_attributes": map[string]any{"iid": 1, "action": "update"}})
	if w := h.post("Merge Request Hook", "uuid-self", testSecret, body); !strings.Contains(w.Body.String(), "ignored") {
		t.Fatalf("answered %d %s", w.Code, w.Body)
	}
}

func TestReceiverAnswers(t *testing.T) {
	h := newHarness(t)
	mr := func(changes map[string]any) []byte {
		return mustJSON(t, map[string]any{"object_kind": "merge_request", "user": map[string]any{"username": "dave"},
			"project": h.projectJSON(), "changes": changes, "object_attributes": map[string]any{"iid": 1, "action": "update"}})
	}
	t.Run("an update of nothing Shipgate reads is ignored", func(t *testing.T) {
		w := h.post("Merge Request Hook", "u-1", testSecret, mr(map[string]any{"assignees": map[string]any{}}))
		if w.Code != http.StatusAccepted || !strings.Contains(w.Body.String(), "ignored") {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("Idempotency-Key wins over the event UUID", func(t *testing.T) {
		for i, uuid := range []string{"u-2", "u-3"} {
			r := httptest.NewRequest(http.MethodPost, Route, strings.NewReader(string(mr(map[string]any{"title": map[string]any{}}))))
			r.Header.Set("X-Gitlab-Event", "Merge Request Hook")
			r.Header.Set("X-Gitlab-Event-UUID", uuid)
			r.Header.Set("Idempotency-Key", "same-key")
			r.Header.Set("X-Gitlab-Token", testSecret)
			w := httptest.NewRecorder()
			h.app.ServeHTTP(w, r)
			if want := []int{http.StatusAccepted, http.StatusOK}[i]; w.Code != want {
				t.Fatalf("delivery %d: %d %s, want %d", i, w.Code, w.Body, want)
			}
		}
	})
	t.Run("a delivery without an ID is refused", func(t *testing.T) {
		if w := h.post("Merge Request Hook", "", testSecret, mr(nil)); w.Code != http.StatusBadRequest {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("a body over the limit is refused", func(t *testing.T) {
		big := append([]byte(`{"object_kind":"merge_request","x":"`), make([]byte, MaxBodyBytes)...)
		if w := h.post("Merge Request Hook", "u-4", testSecret, big); w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("%d", w.Code)
		}
	})
	t.Run("an unreadable payload is refused", func(t *testing.T) {
		if w := h.post("Merge Request Hook", "u-5", testSecret, []byte("{")); w.Code != http.StatusBadRequest {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
}

// openedGiftCards is a harness with people, glPolicy and MR 1 opened by
// dave at shaA, its evaluation queued but not yet run.
func openedGiftCards(t *testing.T) *harness {
	h := newHarness(t)
	h.people()
	h.setPolicy(glPolicy)
	h.open(1, "Add gift cards", "dave", "", shaA)
	return h
}

// claimOne claims the queue's batches and fails unless there is exactly one.
func (h *harness) claimOne(ctx context.Context) store.Batch {
	h.t.Helper()
	batches, err := h.store.Claim(ctx, "test", time.Hour, 8)
	if err != nil || len(batches) != 1 {
		h.t.Fatalf("claim: %v %d", err, len(batches))
	}
	return batches[0]
}
