package server

import (
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

// TestARestartRemembersWhatWasPublished: a new process on the same
// database edits the check it published rather than creating another, and
// keeps judging commands against the push time it had recorded.
func TestARestartRemembersWhatWasPublished(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, "version: 1\napprovals:\n  - required: 1\n    dismiss_stale: true\n")
	h.open(fakegithub.PR{Number: 1, Title: "Add gift cards", Author: "dave"}, shaA)
	h.drain()
	h.wantCheck(shaA, "in_progress", "")

	// An /approve given before a push, then the push, then a restart.
	h.comment(1, "bob", "/approve")
	h.drain()
	h.wantCheck(shaA, "completed", "success")
	h.clock.Advance(time.Minute)
	h.push(1, shaB, "more gift cards", "dave")
	h.drain()
	h.wantCheck(shaB, "in_progress", "")

	h.restart()
	before := len(h.fake.CheckRuns(testRepo, shaB))
	h.prEvent(1, "edited", "dave") // nothing that changes the verdict
	h.drain()
	runs := h.fake.CheckRuns(testRepo, shaB)
	if len(runs) != before {
		t.Errorf("after a restart the PR has %d check runs on its head, want %d (the same one edited)", len(runs), before)
	}
	// The stale /approve still does not count after the restart.
	h.wantCheck(shaB, "in_progress", "")
}
