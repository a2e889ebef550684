package server

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

// backport makes #41 (fix/crash into release/1.2) a cherry-pick, by its
// trailer, of a commit "upstream" that changes the same lines on a
// branch: main (onMain) or a side branch. The fix's patches are given;
// upstream's are upstreamPatch's. Files differ elsewhere (the world is
// conflicting), so the file-level pick alone would conflict.
func backport(onMain bool, upstreamLib string) func(h *harness, sha map[string]string) {
	return func(h *harness, sha map[string]string) {
		renameHead(h, sha)
		sha["upstream"] = h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "fix: crash (#40)", Author: "erin", Parents: []string{sha["work"]}})
		for p, c := range map[string]string{"app.go": "v1-fixed", "lib.go": "b-fixed", "new.go": "n", github.PolicyFile: hotfixPolicy} {
			h.fake.SetFile(testRepo, sha["upstream"], p, c)
		}
		if onMain {
			h.fake.SetBranch(testRepo, "main", sha["upstream"])
		} else {
			h.fake.SetBranch(testRepo, "side", sha["upstream"])
		}
		// The PR's commits first: setting them writes the commits afresh.
		h.fake.SetPRCommits(testRepo, 41, []fakegithub.Commit{{SHA: sha["fix"], Author: "erin", Parents: []string{sha["init"]},
			Message: "fix: crash\n\n(cherry picked from commit " + sha["upstream"] + ")"}})
		h.fake.SetCommitPatch(testRepo, sha["upstream"], "app.go", "@@ -3,3 +3,3 @@ func main() {\n \tinit()\n-\tcrash()\n+\tif ok { crash() }\n")
		h.fake.SetCommitPatch(testRepo, sha["upstream"], "lib.go", upstreamLib)
		h.fake.SetCommitPatch(testRepo, sha["fix"], "app.go", "@@ -9,3 +9,3 @@ func main() {\n \tsetup()\n-\tcrash()\n+\tif ok { crash() }\n")
		h.fake.SetCommitPatch(testRepo, sha["fix"], "lib.go", "@@ -1 +1 @@\n-var limit = 1\n+var limit = 2\n")
	}
}

const cleanLib = "@@ -20 +20 @@\n-var limit = 1\n+var limit = 2\n"

func TestACleanBackportOwesNoMergeBack(t *testing.T) {
	h, _ := seedMergeBackWorld(t, true, nil, backport(true, cleanLib))
	if got := h.fake.PullsCreated(); len(got) != 0 {
		t.Fatalf("pulls created for a clean backport: %q", got)
	}
	if told := h.commentsWith(41, "Shipgate opens no merge-back into `main`: every commit of this PR is a clean cherry-pick"); told != 1 {
		t.Errorf("%d comments saying why no merge-back, want 1", told)
	}
	if st := h.tagMain("v1.3.0"); st.State != "success" {
		t.Fatalf("main's next tag: %s %q", st.State, st.Description)
	}
}

// Attack: a change into a release line claims, by the trailer anyone can
// write, to be a cherry-pick of a main commit while changing more: it
// owes its merge-back.
func TestAttackABackportTrailerOnAnotherChangeOwesItsMergeBack(t *testing.T) {
	for _, tc := range []struct {
		name   string
		onMain bool
		lib    string
	}{
		{"lines the upstream commit does not change", true, "@@ -20 +20 @@\n-var limit = 1\n+var limit = 3\n"},
		{"an upstream commit main does not hold", false, cleanLib},
		{"an upstream patch the host left out", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := seedMergeBackWorld(t, true, nil, backport(tc.onMain, tc.lib))
			if got := h.fake.PullsCreated(); len(got) != 1 {
				t.Fatalf("pulls created: %q, want the merge-back", got)
			}
			if st := h.tagMain("v1.3.0"); st.State != "failure" {
				t.Fatalf("main's next tag: %s %q", st.State, st.Description)
			}
		})
	}
}

// A later event of a settled backport (a redelivery, a comment) reads
// nothing more of it and tells nothing twice.
func TestASettledBackportIsNotTracedAgain(t *testing.T) {
	h, _ := seedMergeBackWorld(t, true, nil, backport(true, cleanLib))
	before := len(h.fake.Requests())
	h.prEvent(41, "closed", "mia")
	h.drain()
	for _, r := range h.fake.Requests()[before:] {
		if strings.HasSuffix(r.Path, "/pulls/41/commits") || strings.Contains(r.Path, "/commits/") {
			t.Errorf("a redelivery read %s %s", r.Method, r.Path)
		}
	}
	if st := h.tagMain("v1.3.0"); st.State != "success" {
		t.Fatalf("main's next tag: %s %q", st.State, st.Description)
	}
}
