package server

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

// A maintainer settles a merged change's merge-back by a comment, with a
// reason the audit log keeps; main's tags no longer wait for it.
func TestAMaintainerSkipsAMergeBackWithAReason(t *testing.T) {
	h, _ := mergeBackWorld(t, false)
	h.comment(41, "mia", "/merge-back skip the fix only bumps release/1.2's version file")
	h.drain()
	if st := h.tagMain("v1.3.0"); st.State != "success" {
		t.Fatalf("main's tag after the skip: %s %q", st.State, st.Description)
	}
	e, err := h.store.LatestAudit(h.logCtx(), "github", testRepo, store.AuditMergeBack, "#41")
	if err != nil || e.Actor != "mia" || !strings.Contains(string(e.Detail), "only bumps release/1.2's version file") {
		t.Fatalf("audit: %+v, %v", e, err)
	}
	// Said again (a retry, or twice), it is settled already.
	h.comment(41, "mia", "/merge-back skip again")
	h.drain()
	for _, r := range h.replies(41) {
		if strings.Contains(r, "no merge-back of this PR is pending") {
			t.Errorf("a second skip was refused: %s", r)
		}
	}
}

// Attack: someone who may not skip it, or without a reason, or on a
// change not merged yet, leaves the merge-back pending.
func TestAMergeBackCannotBeSkippedByAnyoneOrForNoReason(t *testing.T) {
	for _, tc := range []struct{ name, who, body, reply string }{
		{"a writer", "erin", "/merge-back skip trust me", "needs maintain"},
		{"no reason", "mia", "/merge-back skip", "write `/merge-back skip REASON`"},
		{"no verb", "mia", "/merge-back it is fine", "write `/merge-back skip REASON`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := mergeBackWorld(t, false)
			h.fake.SetPermission(testRepo, "erin", "write")
			h.comment(41, tc.who, tc.body)
			h.drain()
			if replies := h.replies(41); !strings.Contains(strings.Join(replies, "\n"), tc.reply) {
				t.Errorf("replies %q, want one saying %q", replies, tc.reply)
			}
			if st := h.tagMain("v1.3.0"); st.State != "failure" {
				t.Fatalf("main's tag: %s %q, want still refused", st.State, st.Description)
			}
		})
	}
	h := newHarness(t)
	h.people()
	h.open(fakegithub.PR{Number: 5, Title: "fix: x", Author: "dave", Base: "release/1.2", Head: "fix/x"}, shaA)
	h.comment(5, "bob", "/merge-back skip not merged yet")
	h.drain()
	if replies := h.replies(5); !strings.Contains(strings.Join(replies, "\n"), "only a merged PR owes a merge-back") {
		t.Errorf("replies on an open PR: %q", replies)
	}
}

// Attack: a maintainer's old comment on the hotfix is edited to say
// `/merge-back skip`: an edited comment is no command, and the merge-back
// stays pending.
func TestAnEditedCommentDoesNotSkipAMergeBack(t *testing.T) {
	h, _ := mergeBackWorld(t, false)
	id := h.comment(41, "mia", "thanks, looks good")
	h.drain()
	h.fake.EditComment(testRepo, id, "/merge-back skip nobody needs it")
	h.deliver("issue_comment", h.fake.IssueCommentEvent(testRepo, id, "edited"))
	h.drain()
	if st := h.tagMain("v1.3.0"); st.State != "failure" {
		t.Fatalf("main's tag after an edited comment: %s %q, want still refused", st.State, st.Description)
	}
}
