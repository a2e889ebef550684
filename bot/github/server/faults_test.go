package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

// TestFaults runs three PR lifecycles while GitHub answers 502, hangs, and
// sends secondary rate limits for a share of requests: every PR still ends
// with the right check.
func TestFaults(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			h := newHarness(t, harnessOption{fake: []fakegithub.Option{fakegithub.WithSeed(seed)}})
			h.people()
			h.fake.SetFile(testRepo, "main", github.PolicyFile, strictPolicy)
			h.fake.InjectFault(fakegithub.Fault{Kind: fakegithub.BadGateway, Share: 0.15})
			h.fake.InjectFault(fakegithub.Fault{Kind: fakegithub.SecondaryRateLimit, Share: 0.1, RetryAfter: 3 * time.Second})
			h.fake.InjectFault(fakegithub.Fault{Kind: fakegithub.Hang, Share: 0.03, HangFor: 2 * time.Second})

			heads := map[int]string{1: shaA, 2: shaB, 3: shaC}
			for n := 1; n <= 3; n++ {
				h.open(fakegithub.PR{Number: n, Title: fmt.Sprintf("Change %d", n), Author: "dave"}, heads[n])
			}
			h.drain()
			for n := 1; n <= 3; n++ {
				h.clock.Advance(time.Minute)
				h.updatePR(n, func(pr *fakegithub.PR) { pr.Body = fixedBody })
				h.prEvent(n, "edited", "dave")
				h.comment(n, "dave", "/semver minor")
				h.review(n, "bob", "APPROVED")
				h.review(n, "alice", "APPROVED")
			}
			h.drain()
			h.comment(2, "erin", "/hold")
			head3 := strings.Repeat("d4", 20)
			h.push(3, head3, "fix: more", "dave")
			heads[3] = head3
			h.drain()

			h.wantCheck(heads[1], "completed", "success")
			h.wantCheck(heads[2], "completed", "failure", "on hold")
			h.wantCheck(heads[3], "in_progress", "", "need renewing")
			faults := 0
			for _, r := range h.fake.Requests() {
				if r.Fault != "" {
					faults++
				}
			}
			t.Logf("%d requests, %d of them failed by the fake; %d batches failed and were retried", len(h.fake.Requests()), faults, len(h.failures))
			if faults == 0 {
				t.Error("no fault was injected")
			}
			for n := 1; n <= 3; n++ {
				// The sticky comment comes with a failing verdict: a PR whose
				// every failing verdict failed to publish (a POST's 502 is
				// left to the job's retry, and the PR turned green first)
				// has none. None has two.
				c := len(h.stickyComments(n))
				if c > 1 || c == 0 && !h.failedFor(n) {
					t.Errorf("#%d has %d sticky comments, want 1 (or none when its failing verdicts were never published)", n, c)
				}
			}
		})
	}
}

func TestExhaustedRateLimitWaitsForTheReset(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, strictPolicy)
	h.fake.InjectFault(fakegithub.Fault{Kind: fakegithub.PrimaryRateLimit, Route: "POST /repos/{owner}/{repo}/check-runs", Times: 1, ResetAfter: 20 * time.Minute})
	start := h.clock.Now()
	h.open(fakegithub.PR{Number: 1, Title: "Add gift cards", Author: "dave"}, shaA)
	h.drain()
	h.wantCheck(shaA, "completed", "failure", "change_record")
	if len(h.failures) != 1 || !strings.Contains(h.failures[0].Error(), "rate limit") {
		t.Fatalf("failures %v, want one for the rate limit", h.failures)
	}
	if waited := h.clock.Now().Sub(start); waited < 20*time.Minute {
		t.Errorf("retried after %s, before the reset", waited)
	}
}

// TestARetryEditsTheCheckRunItsFailedTryCreated fails the sticky comment
// after the check run was created, so the try's published state is never
// recorded: the retry finds the run it created and edits it, and the
// commit carries one run, not two.
func TestARetryEditsTheCheckRunItsFailedTryCreated(t *testing.T) {
	oneFailedTry(t, fakegithub.Fault{Kind: fakegithub.BadGateway, Route: "POST /repos/{owner}/{repo}/issues/{issue_number}/comments", Times: 1}) // a POST is tried once
}

// oneFailedTry opens a failing PR while f fails one request: the batch
// fails once, and its retry leaves the head with one check run, in its
// final state, and the PR with one sticky comment.
func oneFailedTry(t *testing.T, f fakegithub.Fault) {
	t.Helper()
	h := newHarness(t)
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, strictPolicy)
	h.fake.InjectFault(f)
	h.open(fakegithub.PR{Number: 1, Title: "Add gift cards", Author: "dave"}, shaA)
	h.drain()
	if len(h.failures) != 1 {
		t.Fatalf("failures %v, want the one of the failed request", h.failures)
	}
	h.wantCheck(shaA, "completed", "failure", "change_record")
	if runs := h.fake.CheckRuns(testRepo, shaA); len(runs) != 1 {
		t.Errorf("%d check runs on the head, want 1: %+v", len(runs), runs)
	}
	if c := len(h.stickyComments(1)); c != 1 {
		t.Errorf("%d sticky comments, want 1", c)
	}
}

// TestARetryDoesNotAdoptAnotherAppsCheckRun: an App someone installed
// puts a passing `shipgate: main` run with Shipgate's external ID on the
// head; Shipgate's first try fails before it creates its own run, and the
// retry must create one rather than take the impostor's for its own.
func TestARetryDoesNotAdoptAnotherAppsCheckRun(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, strictPolicy)
	h.fake.AddCheckRun(testRepo, fakegithub.CheckRun{HeadSHA: shaA, Name: "shipgate: main", Status: "completed", Conclusion: "success",
		ExternalID: "github:" + testRepo + "#1", App: "impostor", Title: "All rules hold"})
	h.fake.InjectFault(fakegithub.Fault{Kind: fakegithub.BadGateway, Route: "POST /repos/{owner}/{repo}/check-runs", Times: 1}) // the first attempt's one try
	h.open(fakegithub.PR{Number: 1, Title: "Add gift cards", Author: "dave"}, shaA)
	h.drain()
	var mine, theirs []fakegithub.CheckRun
	for _, r := range h.fake.CheckRuns(testRepo, shaA) {
		if r.App == "impostor" {
			theirs = append(theirs, r)
		} else {
			mine = append(mine, r)
		}
	}
	if len(mine) != 1 || mine[0].Conclusion != "failure" {
		t.Errorf("Shipgate's own runs: %+v, want one failure", mine)
	}
	if len(theirs) != 1 || theirs[0].Conclusion != "success" || theirs[0].Title != "All rules hold" {
		t.Errorf("the other App's run was changed: %+v", theirs)
	}
}

// TestALostAnswerToAPOSTCreatesNoSecond: GitHub creates the sticky comment
// and the check run, but the answers are lost behind a 502; repeating the
// POST at once would create a second of each, so the job's retry reads
// what exists and edits it.
func TestALostAnswerToAPOSTCreatesNoSecond(t *testing.T) {
	for _, route := range []string{"POST /repos/{owner}/{repo}/issues/{issue_number}/comments", "POST /repos/{owner}/{repo}/check-runs"} {
		t.Run(route, func(t *testing.T) {
			oneFailedTry(t, fakegithub.Fault{Kind: fakegithub.LostAnswer, Route: route, Times: 1})
		})
	}
}

// failedFor reports whether a batch of PR n failed.
func (h *harness) failedFor(n int) bool {
	for _, err := range h.failures {
		if strings.Contains(err.Error(), fmt.Sprintf("#%d:", n)) {
			return true
		}
	}
	return false
}
