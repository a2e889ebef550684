package server

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

func TestABurstIsOneEvaluation(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, strictPolicy)
	h.open(fakegithub.PR{Number: 1, Title: "Add gift cards", Author: "dave"}, shaA)
	h.drain()
	heads := []string{strings.Repeat("e1", 20), strings.Repeat("e2", 20), strings.Repeat("e3", 20), strings.Repeat("e4", 20), strings.Repeat("e5", 20)}
	for _, sha := range heads {
		h.push(1, sha, "fix: step", "dave")
	}
	h.fake.ResetRequests()
	h.drain()
	for _, sha := range heads[:4] {
		if runs := h.fake.CheckRuns(testRepo, sha); len(runs) != 0 {
			t.Errorf("an intermediate head %.7s got %d check runs", sha, len(runs))
		}
	}
	h.wantCheck(heads[4], "completed", "failure")
	if n := h.fake.CountCalls(true); n > 3 {
		t.Errorf("five pushes cost %d calls, want one evaluation's", n)
		logCalls(t, h.fake.Requests())
	}
}

func TestAnEditedCommentRepeatsNothing(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, strictPolicy)
	h.open(fakegithub.PR{Number: 1, Title: "Add gift cards", Author: "dave"}, shaA)
	id := h.comment(1, "erin", "/hold")
	h.drain()
	h.wantCheck(shaA, "completed", "failure", "on hold")
	h.deliver("issue_comment", h.fake.IssueCommentEvent(testRepo, id, "edited"))
	h.drain()
	if got := h.fake.LabelsAdded(); len(got) != 1 {
		t.Errorf("labels added %q, want the hold label once", got)
	}
	if got := h.fake.Reactions(); len(got) != 0 {
		t.Errorf("reactions %q, want none: the label acknowledges /hold", got)
	}
	// A redelivered comment (a new delivery ID, as a manual redelivery of
	// an old payload may have) is recorded already: nothing happens again.
	h.deliver("issue_comment", h.fake.IssueCommentEvent(testRepo, id, "created"))
	h.drain()
	if got := h.fake.Reactions(); len(got) != 0 || len(h.fake.LabelsAdded()) != 1 || len(h.replies(1)) != 0 {
		t.Errorf("reactions %q and replies %q after a redelivery", got, h.replies(1))
	}
}

func TestRerequestedCheckIsEvaluatedAgain(t *testing.T) {
	h := newHarness(t)
	h.fake.SetFile(testRepo, "main", github.PolicyFile, "version: 1\n")
	h.open(fakegithub.PR{Number: 1, Title: "x", Author: "dave"}, shaA)
	h.drain()
	h.wantCheck(shaA, "completed", "success")
	payload := []byte(`{"action":"rerequested","repository":{"full_name":"` + testRepo + `"},"sender":{"login":"dave"},
		"check_run":{"name":"shipgate: main","head_sha":"` + shaA + `","pull_requests":[{"number":1,"head":{"sha":"` + shaA + `"}}]}}`)
	h.deliver("check_run", payload)
	if h.deliveries != 2 {
		t.Fatalf("the rerequest queued nothing")
	}
	h.drain()
	if len(h.failures) > 0 {
		t.Errorf("processing failed: %v", h.failures)
	}
	other := []byte(`{"action":"rerequested","repository":{"full_name":"` + testRepo + `"},"sender":{"login":"dave"},
		"check_run":{"name":"ci/test","pull_requests":[{"number":1}]}}`)
	h.deliver("check_run", other)
	if h.deliveries != 2 {
		t.Errorf("another app's check run rerequest queued work")
	}
}

func TestAClosedPRIsRecordedNotEvaluated(t *testing.T) {
	h := newHarness(t)
	h.fake.SetFile(testRepo, "main", github.PolicyFile, strictPolicy)
	h.open(fakegithub.PR{Number: 1, Title: "x", Author: "dave"}, shaA)
	h.drain()
	h.updatePR(1, func(pr *fakegithub.PR) { pr.State = "closed" })
	h.fake.ResetRequests()
	h.prEvent(1, "closed", "dave")
	h.drain()
	// The only call withdraws the verdict, which must not serve another PR
	// of the same head.
	if reqs := h.fake.Requests(); len(reqs) != 1 || reqs[0].Method != "PATCH" {
		t.Errorf("a closed PR cost %v, want one PATCH of its check run", reqs)
	}
	h.wantCheck(shaA, "completed", "failure", "was closed without merging")
	st, err := h.store.GetPR(h.logCtx(), "github", testRepo, 1)
	if err != nil || st.State != "closed" {
		t.Errorf("state %+v (%v), want closed", st, err)
	}
}
