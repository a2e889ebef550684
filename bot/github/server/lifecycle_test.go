package server

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

// strictPolicy is the policy of the scripted lifecycle: a change record,
// two approvals from release managers or alice that go stale on a push, a
// release note and a semver label.
const strictPolicy = `version: 1
branches: [main, "release/*"]
change_record:
  patterns: ['[A-Z][A-Z0-9]+-\d+']
  sources: [title, body, branch]
approvals:
  - name: reviewers
    required: 2
    from: ["@acme/release-managers", alice]
    dismiss_stale: true
release_notes:
  block: release-note
  none_label: release-note-none
semver:
  labels: {major: "semver:major", minor: "semver:minor", patch: "semver:patch", none: "semver:none"}
notify:
  comment: always
`

// people sets up the repository's people: dave opens PRs; alice and bob
// (a release manager) may approve; erin may triage; carol may only read.
func (h *harness) people() {
	for login, role := range map[string]string{"dave": "write", "alice": "write", "bob": "maintain", "erin": "triage", "carol": "read"} {
		h.fake.SetPermission(testRepo, login, role)
	}
	h.fake.AddTeamMember("acme", "release-managers", "bob")
}

const fixedBody = "Adds gift cards (SHOP-12).\n\n```release-note\nCheckout accepts gift cards.\n```\n"

var (
	shaA = strings.Repeat("a1", 20)
	shaB = strings.Repeat("b2", 20)
	shaC = strings.Repeat("c3", 20)
)

// TestLifecycle scripts a pull request's life, with the sticky comment
// (notify.comment: always) and with the default (the check run alone),
// and measures the API calls per event people caused: at most 2 by
// default, 304s apart. Shipgate learns who it is when it starts (serve
// does it before any work), which the measurement leaves out.
func TestLifecycle(t *testing.T) {
	for _, tt := range []struct {
		name   string
		policy string
		sticky bool
		most   float64
	}{
		{"with the sticky comment", strictPolicy, true, 2.7},
		{"by default, the check run alone", strings.Replace(strictPolicy, "notify:\n  comment: always\n", "", 1), false, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			perEvent := lifecycle(t, tt.policy, tt.sticky)
			if perEvent > tt.most {
				t.Errorf("%.2f API calls per event, want at most %.1f", perEvent, tt.most)
			}
		})
	}
}

// lifecycle runs the script and returns the API calls per event people
// caused; sticky says whether the policy keeps the sticky comment.
func lifecycle(t *testing.T, policy string, sticky bool) float64 {
	h := newHarness(t)
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, policy)
	if _, err := h.app.Identify(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.fake.ResetRequests()
	seen := 0
	step := func(name string) {
		reqs := h.fake.Requests()
		var charged []string
		for _, r := range reqs[seen:] {
			if !r.NotModified {
				charged = append(charged, r.Route)
			}
		}
		seen = len(reqs)
		t.Logf("step: %s (calls so far %d; the last step's: %q)", name, h.fake.CountCalls(true), charged)
	}

	step("a PR missing everything fails, and the sticky comment lists each fix")
	h.open(fakegithub.PR{Number: 1, Title: "Add gift cards", Author: "dave", Head: "gift-cards"}, shaA)
	h.drain()
	h.wantCheck(shaA, "completed", "failure", "change_record", "release_notes", "semver", "2 more approvals")
	comments := h.stickyComments(1)
	if len(comments) != map[bool]int{true: 1}[sticky] {
		t.Fatalf("%d sticky comments, want %d", len(comments), map[bool]int{true: 1}[sticky])
	}
	for _, fix := range []string{"change record", "release-note", "semver:minor", "approvals"} {
		if sticky && !strings.Contains(comments[0].Body, fix) {
			t.Errorf("the sticky comment does not say %q:\n%s", fix, comments[0].Body)
		}
	}

	step("the body gets a change record and a release note")
	h.clock.Advance(time.Minute)
	h.updatePR(1, func(pr *fakegithub.PR) { pr.Body = fixedBody })
	h.prEvent(1, "edited", "dave")
	h.drain()
	h.wantCheck(shaA, "completed", "failure", "semver")

	step("the author declares the bump with /semver minor")
	h.comment(1, "dave", "/semver minor")
	h.drain()
	h.wantCheck(shaA, "in_progress", "", "reviewers")
	if got := h.fake.LabelsAdded(); !slices.Contains(got, testRepo+"#1:semver:minor") {
		t.Errorf("labels added %v, want semver:minor", got)
	}

	step("the author cannot approve their own change")
	h.comment(1, "dave", "/approve")
	h.drain()
	if r := h.replies(1); len(r) != 1 || !strings.Contains(r[0], "cannot approve it yourself") {
		t.Fatalf("replies %q, want one refusing the author's /approve", r)
	}
	h.wantCheck(shaA, "in_progress", "", "2 more approvals")

	step("a release manager and alice approve")
	h.review(1, "bob", "APPROVED")
	h.drain()
	h.wantCheck(shaA, "in_progress", "", "1 more approval")
	h.review(1, "alice", "APPROVED")
	h.drain()
	h.wantCheck(shaA, "completed", "success")

	step("a push makes the approvals stale")
	h.push(1, shaB, "fix: handle expired cards", "dave")
	h.drain()
	h.wantCheck(shaB, "in_progress", "", "need renewing")

	step("someone who may only read cannot hold it")
	h.comment(1, "carol", "/hold")
	h.drain()
	if r := h.replies(1); len(r) != 2 || !strings.Contains(r[1], "triage") {
		t.Fatalf("replies %q, want a second one saying /hold needs triage", r)
	}

	step("a triager holds it; approvals do not lift the hold")
	h.comment(1, "erin", "/hold")
	h.drain()
	h.wantCheck(shaB, "completed", "failure", "hold")
	h.review(1, "bob", "APPROVED")
	h.review(1, "alice", "APPROVED")
	h.drain()
	h.wantCheck(shaB, "completed", "failure", "hold")

	step("/hold cancel lets it go")
	h.comment(1, "erin", "/hold cancel")
	h.drain()
	h.wantCheck(shaB, "completed", "success")

	step("anyone who can read gets /help, generated from the policy")
	h.comment(1, "carol", "/help")
	h.drain()
	if r := h.replies(1); len(r) != 3 || !strings.Contains(r[2], "/semver major\\|minor") || strings.Contains(r[2], "/deploy") {
		t.Errorf("replies %q, want a third one with the commands of the policy", r)
	}
	humanEvents, humanCalls := h.deliveries, h.fake.CountCalls(true)

	step("GitHub's webhooks for the bot's own label changes cost nothing")
	for _, action := range []string{"labeled", "labeled", "unlabeled"} {
		h.prEvent(1, action, "shipgate[bot]")
		h.drain()
	}
	h.wantCheck(shaB, "completed", "success")

	if got, want := h.fake.LabelsAdded(), []string{testRepo + "#1:semver:minor", testRepo + "#1:do-not-merge/hold"}; !slices.Equal(got, want) {
		t.Errorf("labels added %q, want %q", got, want)
	}
	if got, want := h.fake.LabelsRemoved(), []string{testRepo + "#1:do-not-merge/hold"}; !slices.Equal(got, want) {
		t.Errorf("labels removed %q, want %q", got, want)
	}
	if n := len(h.stickyComments(1)); sticky && n != 1 {
		t.Errorf("%d sticky comments, want 1 edited in place", n)
	}
	if n := len(h.fake.CommentsEdited()); sticky == (n == 0) {
		t.Errorf("the sticky comment was edited %d times", n)
	}
	if got := h.fake.Reactions(); len(got) != 0 {
		t.Errorf("reactions %q, want none: labels and replies acknowledge every command of the script", got)
	}
	if len(h.failures) > 0 {
		t.Errorf("processing failed: %v", h.failures)
	}
	calls, notModified := h.fake.CountCalls(true), h.fake.CountCalls(false)-h.fake.CountCalls(true)
	perEvent := float64(humanCalls) / float64(humanEvents)
	t.Logf("API calls: %d over the %d events people caused (%.2f per event); %d over all %d events, with the bot's own label webhooks (%.2f per event); %d more answered 304",
		humanCalls, humanEvents, perEvent, calls, h.deliveries, float64(calls)/float64(h.deliveries), notModified)
	logCalls(t, h.fake.Requests())
	if testing.Verbose() {
		h.logProcessed()
	}
	return perEvent
}
