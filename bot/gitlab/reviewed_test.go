package gitlab

import (
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegitlab"
)

// tagStatus is the newest TagStatusName status of tag.
func (h *harness) tagStatus(tag string) fakegitlab.Status {
	var st fakegitlab.Status
	h.fake.Do(func() {
		for _, s := range h.project.Statuses {
			if s.Name == TagStatusName && strings.HasPrefix(s.Description, tag+" ") {
				st = s
			}
		}
	})
	return st
}

// With tags.reviewed, a tag ships only commits that came through a merge
// request Shipgate passed: the merge of !1 is released, a commit pushed
// to main past the gate afterwards is not.
func TestAttackAGitLabCommitPushedPastTheGateIsNotReleased(t *testing.T) {
	h := newHarness(t)
	h.people() // bob is a Maintainer
	h.setPolicy("version: 1\ntags:\n  reviewed: true\n")
	sha := func(i int) string { return strings.Repeat(string(rune('a'+i)), 40) }
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	commit := func(i int, msg string) {
		h.fake.Do(func() {
			h.project.History = append(h.project.History, fakegitlab.Commit{SHA: sha(i), Message: msg, AuthorName: "dave", At: at.Add(time.Duration(i) * time.Hour)})
			h.project.Branches["main"] = sha(i)
		})
	}
	commit(0, "chore: init")
	h.fake.Do(func() { h.project.Tags["v1.0.0"] = sha(0) })
	h.open(1, "feat: gift cards", "dave", "", sha(1))
	h.drain()
	h.wantStatus(sha(1), "success")
	commit(1, "feat: gift cards")
	commit(2, "Merge branch 'feature' into 'main'")
	h.fake.Do(func() { mr := h.project.MRs[1]; mr.State, mr.MergeCommitSHA = "merged", sha(2) })

	h.tagPush("v1.1.0", sha(2), "bob")
	h.drain()
	if st := h.tagStatus("v1.1.0"); st.State != "success" {
		t.Fatalf("v1.1.0, all through !1: %q %q", st.State, st.Description)
	}

	commit(3, "fix: quietly")
	h.tagPush("v1.1.1", sha(3), "bob")
	h.drain()
	if st := h.tagStatus("v1.1.1"); st.State != "failed" || !strings.Contains(st.Description, sha(3)[:7]+" (no merged MR)") {
		t.Fatalf("v1.1.1 with a direct push: %q %q", st.State, st.Description)
	}
}
