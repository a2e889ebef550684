package gitlab

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegitlab"
)

// glPolicy is the lifecycle's policy: a change record, two approvals that
// the author's never counts toward, a release note and a semver label.
const glPolicy = `version: 1
branches: [main, "release/*"]
change_record:
  patterns: ['[A-Z][A-Z0-9]+-\d+']
  sources: [title, body, branch]
approvals:
  - name: reviewers
    required: 2
release_notes:
  block: release-note
  none_label: release-note-none
semver:
  labels: {major: "semver:major", minor: "semver:minor", patch: "semver:patch", none: "semver:none"}
`

const fixedBody = "Adds gift cards (SHOP-12).\n\n```release-note\nCheckout accepts gift cards.\n```\n"

var (
	shaA = strings.Repeat("a1", 20)
)

func TestLifecycle(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.setPolicy(glPolicy)

	t.Log("an MR missing everything fails, and the sticky note lists each fix")
	h.open(1, "Add gift cards", "dave", "", shaA)
	h.drain()
	h.wantStatus(shaA, "failed", "need work")
	if got := h.sticky(1); len(got) != 1 || !strings.Contains(got[0], "change_record") || !strings.Contains(got[0], "semver") {
		t.Fatalf("sticky notes: %q", got)
	}
	if got, want := h.fake.StatusesCreated(), []string{testRepo + "@" + shaA + ":shipgate: main:failed"}; !slices.Equal(got, want) {
		t.Errorf("StatusesCreated = %q, want %q", got, want)
	}

	t.Log("the author's own approval does not count")
	h.approve(1, "dave")
	h.drain()
	h.wantStatus(shaA, "failed")
	if got := h.sticky(1); len(got) != 1 || !strings.Contains(got[0], "2 more approvals") {
		t.Fatalf("sticky notes: %q", got)
	}

	t.Log("a description edit fixes the change record and the release note")
	h.fake.Do(func() { h.project.MRs[1].Description = fixedBody })
	h.mrHook(1, "update", "dave", "description")
	h.drain()
	h.wantStatus(shaA, "failed", "semver")
	if len(h.fake.NotesEdited()) == 0 {
		t.Error("the sticky note was not edited in place")
	}

	t.Log("a Guest's /hold is refused with a reply; a Reporter's holds the MR")
	h.note(1, "carol", "/hold")
	h.drain()
	if r := h.replies(1); len(r) != 1 || !strings.Contains(r[0], "/hold") {
		t.Fatalf("replies: %q", r)
	}
	erin := h.note(1, "erin", "/hold")
	h.drain()
	if got := h.fake.LabelsChanged(); !slices.Contains(got, testRepo+"!1:+do-not-merge/hold") {
		t.Errorf("LabelsChanged = %q", got)
	}
	if got := h.fake.AwardsGiven(); len(got) != 0 {
		t.Errorf("AwardsGiven = %q, want none: the label acknowledges /hold", got)
	}

	t.Log("approvals, a semver command and /unhold move it to success")
	h.approve(1, "alice")
	h.approve(1, "bob")
	h.note(1, "dave", "/semver minor")
	h.note(1, "erin", "/unhold")
	h.drain()
	h.wantStatus(shaA, "success", "hold")
	if got := h.sticky(1); len(got) != 1 {
		t.Fatalf("%d sticky notes, want one edited in place", len(got))
	}
	labels := []string{}
	h.fake.Do(func() { labels = append(labels, h.project.MRs[1].Labels...) })
	if !slices.Equal(labels, []string{"semver:minor"}) {
		t.Errorf("labels = %q", labels)
	}

	t.Log("a repeated delivery is processed once")
	before := h.processed
	created := len(h.fake.NotesCreated())
	body := `{"object_kind":"note","user":{"username":"erin"},"project":{"id":7,"path_with_namespace":"acme/platform/shop"},` +
		`"object_attributes":{"id":` + itoa(erin) + `,"note":"/hold","noteable_type":"MergeRequest","action":"create"},"merge_request":{"iid":1}}`
	if w := h.post("Note Hook", "uuid-dup", testSecret, []byte(body)); w.Code != http.StatusAccepted {
		t.Fatalf("first delivery: %d", w.Code)
	}
	if w := h.post("Note Hook", "uuid-dup", testSecret, []byte(body)); w.Code != http.StatusOK {
		t.Fatalf("repeated delivery: %d, want 200", w.Code)
	}
	h.drain()
	if h.processed != before+1 {
		t.Errorf("processed %d batches, want 1", h.processed-before)
	}
	if got := h.fake.LabelsChanged(); slices.Contains(got[len(got)-1:], testRepo+"!1:+do-not-merge/hold") {
		t.Error("a redelivered command held the MR again")
	}
	if len(h.fake.NotesCreated()) != created {
		t.Error("a redelivered note got another reply")
	}
	h.wantStatus(shaA, "success")
}

func TestInvalidPolicyIsReported(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.setPolicy("version: 1\napprovals:\n  - required: two\n")
	h.open(1, "Add gift cards", "dave", fixedBody, shaA)
	h.drain()
	h.wantStatus(shaA, "failed", "invalid")
	if got := h.sticky(1); len(got) != 1 || !strings.Contains(got[0], ".shipgate.yml") {
		t.Fatalf("sticky notes: %q", got)
	}
}

func TestNoPolicySkips(t *testing.T) {
	h := newHarness(t)
	h.open(1, "Add gift cards", "dave", "", shaA)
	h.drain()
	h.wantStatus(shaA, "skipped", "No Shipgate policy")
	if got := h.fake.NotesCreated(); len(got) != 0 {
		t.Errorf("NotesCreated = %q, want none", got)
	}
}

func TestForgedTokenIsRefused(t *testing.T) {
	h := newHarness(t)
	body := []byte(`{"object_kind":"merge_request","project":{"id":7,"path_with_namespace":"acme/platform/shop"},"object_attributes":{"iid":1,"action":"open"}}`)
	for name, token := range map[string]string{"a wrong token": "guess", "no token": "", "the secret's prefix": testSecret[:5]} {
		t.Run(name, func(t *testing.T) {
			w := h.post("Merge Request Hook", "uuid-forged", token, body)
			if w.Code != http.StatusUnauthorized || strings.Contains(w.Body.String(), testSecret) {
				t.Fatalf("answered %d %q", w.Code, w.Body)
			}
		})
	}
	if n := h.acceptor.calls.Load(); n != 0 {
		t.Errorf("%d deliveries stored, want none", n)
	}
}

func TestBotNotesAreNotCommands(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.setPolicy(glPolicy)
	h.fake.Do(func() {
		h.project.MRs[1] = &fakegitlab.MR{IID: 1, Title: "x", Author: h.user("dave"), TargetBranch: "main", SHA: shaA, State: "opened"}
	})
	body := []byte(`{"object_kind":"note","user":{"username":"project_7_bot_0123abcd"},"project":{"id":7,"path_with_namespace":"acme/platform/shop"},` +
		`"object_attributes":{"id":5,"note":"/hold","noteable_type":"MergeRequest","action":"create"},"merge_request":{"iid":1}}`)
	if w := h.post("Note Hook", "uuid-bot", testSecret, body); w.Code != http.StatusAccepted || !strings.Contains(w.Body.String(), "bot") {
		t.Fatalf("answered %d %q", w.Code, w.Body)
	}
	if n := h.acceptor.calls.Load(); n != 0 {
		t.Errorf("%d deliveries stored, want none", n)
	}
}

func itoa(n int64) string { return strconvFormat(n) }
