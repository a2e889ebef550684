package server

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

// reviewedPolicy passes any PR into main (no rule but the built-in ones)
// and releases only what passed: tags.reviewed.
const reviewedPolicy = "version: 1\ntags:\n  reviewed: true\n"

// reviewedWorld seeds acme/shop's main: init (v1.0.0) ← merge of PR #1
// (commit work, judged and passing) and returns the SHAs.
func reviewedWorld(t *testing.T, policy string, mergeMessage ...string) (*harness, map[string]string) {
	h := newHarness(t)
	h.fake.SetPermission(testRepo, "alice", "maintain")
	sha := map[string]string{}
	sha["init"] = h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "chore: init", Author: "alice"})
	sha["work"] = h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "feat: gift cards", Author: "dave", Parents: []string{sha["init"]}})
	msg := "Merge #1"
	if len(mergeMessage) > 0 {
		msg = mergeMessage[0]
	}
	sha["merge"] = h.fake.AddCommit(testRepo, fakegithub.Commit{Message: msg, Author: "alice", Parents: []string{sha["init"], sha["work"]}})
	for _, c := range []string{"init", "work", "merge"} {
		h.fake.SetFile(testRepo, sha[c], github.PolicyFile, policy)
	}
	h.fake.AddTag(testRepo, "v1.0.0", sha["init"])
	h.fake.SetBranch(testRepo, "main", sha["init"])
	h.open(fakegithub.PR{Number: 1, Title: "feat: gift cards", Author: "dave", Base: "main", Head: "gift-cards"}, sha["work"])
	h.drain()
	h.mergedAs(1, "main", sha["merge"], "alice")
	return h, sha
}

// pushPastTheGate moves main to a new commit on top of parent, as a push
// no PR brought would, and returns it.
func pushPastTheGate(h *harness, parent, policy string) string {
	direct := h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "fix: quietly", Author: "mallory", Parents: []string{parent}})
	h.fake.SetFile(testRepo, direct, github.PolicyFile, policy)
	h.fake.SetBranch(testRepo, "main", direct)
	return direct
}

func TestATagOfCommitsThatAllPassedIsARelease(t *testing.T) {
	h, _ := reviewedWorld(t, reviewedPolicy)
	if st := h.tagMain("v1.1.0"); st.State != "success" {
		t.Fatalf("v1.1.0: %s %q", st.State, st.Description)
	}
}

// Attack: someone who can push to main (a bypass of branch protection, an
// admin) adds a commit no PR brought; the next tag would ship it.
func TestAttackACommitPushedPastTheGateIsNotReleased(t *testing.T) {
	h, sha := reviewedWorld(t, reviewedPolicy)
	direct := pushPastTheGate(h, sha["merge"], reviewedPolicy)
	st := h.tagMain("v1.1.0")
	if st.State != "failure" || !strings.Contains(st.Description, direct[:7]+" (no merged PR)") {
		t.Fatalf("v1.1.0 with a direct push: %s %q", st.State, st.Description)
	}
}

// Attack: a PR is merged while its check fails (an admin merge), or after
// a push Shipgate never judged; its commits do not ship.
func TestAttackAPRMergedPastItsVerdictIsNotReleased(t *testing.T) {
	failing := reviewedPolicy + "change_record:\n  patterns: ['[A-Z]+-\\d+']\n  sources: [title]\n"
	h, sha := reviewedWorld(t, failing)
	st := h.tagMain("v1.1.0")
	// The status's description is cut at GitHub's 140 characters.
	if st.State != "failure" || !strings.Contains(st.Description, "2 commits since the previous version came through no PR Shipgate passed: "+sha["merge"][:7]+" (#1 merged with its verdict fail") {
		t.Fatalf("v1.1.0 with a failing PR: %s %q", st.State, st.Description)
	}

	h, sha = reviewedWorld(t, reviewedPolicy)
	h.updatePR(1, func(pr *fakegithub.PR) { pr.HeadSHA = strings.Repeat("9", 40) })
	st = h.tagMain("v1.1.0")
	if st.State != "failure" || !strings.Contains(st.Description, "#1 merged unjudged at 9999999") {
		t.Fatalf("v1.1.0 with a PR merged at a head never judged: %s %q", st.State, st.Description)
	}
}

// Without tags.reviewed, a direct push ships as before.
func TestWithoutTagsReviewedADirectPushIsReleased(t *testing.T) {
	h, sha := reviewedWorld(t, "version: 1\n")
	pushPastTheGate(h, sha["merge"], "version: 1\n")
	if st := h.tagMain("v1.1.0"); st.State != "success" {
		t.Fatalf("v1.1.0: %s %q", st.State, st.Description)
	}
}

// Attack: /release would tag main's head, a commit pushed past the gate.
func TestAttackReleaseCommandDoesNotShipACommitPushedPastTheGate(t *testing.T) {
	h, sha := reviewedWorld(t, reviewedPolicy)
	direct := pushPastTheGate(h, sha["merge"], reviewedPolicy)
	h.comment(1, "alice", "/release")
	h.drain()
	replies := h.replies(1)
	if refs := h.fake.RefsCreated(); len(refs) != 0 || len(replies) != 1 || !strings.Contains(replies[0], direct[:7]+" (no merged PR)") {
		t.Fatalf("refs %q, replies %q; want no tag and a reply naming the commit", refs, replies)
	}
}

// Attack: the merger writes a Release-As footer into the squash message,
// which no check saw, to set the next version; carried by a commit of the
// PR (a footer its check saw), the same footer counts.
func TestAttackAReleaseAsFooterWrittenAtTheMergeDoesNotSetAReviewedRelease(t *testing.T) {
	for _, tc := range []struct {
		name    string
		inThePR bool
		want    string
		refusal string
	}{
		{"written at the merge", false, "failure", " (Release-As: 9.0.0 written at the"}, // GitHub cuts the rest
		{"carried by a commit of the PR", true, "success", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, sha := reviewedWorld(t, reviewedPolicy, "feat: gift cards (#1)\n\nRelease-As: 9.0.0")
			if tc.inThePR {
				h.fake.SetPRCommits(testRepo, 1, []fakegithub.Commit{{SHA: sha["work"], Message: "feat: gift cards\n\nRelease-As: 9.0.0",
					Author: "dave", Parents: []string{sha["init"]}}})
			}
			st := h.tagMain("v9.0.0")
			if st.State != tc.want || tc.refusal != "" && !strings.Contains(st.Description, sha["merge"][:7]+tc.refusal) {
				t.Fatalf("v9.0.0: %s %q, want %s", st.State, st.Description, tc.want)
			}
		})
	}
}

// Attack: another PR on the same commit — one that passed its check but
// was closed without merging — does not vouch for that commit pushed
// straight onto main.
func TestAttackAPassingPRClosedUnmergedDoesNotVouchForItsCommitOnMain(t *testing.T) {
	h, sha := reviewedWorld(t, reviewedPolicy)
	direct := pushPastTheGate(h, sha["merge"], reviewedPolicy)
	h.open(fakegithub.PR{Number: 2, Title: "fix: quietly", Author: "mallory", Base: "main", Head: "quiet"}, direct)
	h.drain()
	if h.checkIn(testRepo, direct).Conclusion != "success" {
		t.Fatal("the setup needs PR #2 passing at the commit")
	}
	h.updatePR(2, func(pr *fakegithub.PR) { pr.State = "closed" })
	h.prEvent(2, "closed", "mallory")
	h.drain()
	st := h.tagMain("v1.1.0")
	if st.State != "failure" || !strings.Contains(st.Description, direct[:7]+" (no merged PR)") {
		t.Fatalf("v1.1.0: %s %q", st.State, st.Description)
	}
}
