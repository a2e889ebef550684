package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shipgate/shipgate/bot/announce"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/policies"
)

const hotfixPolicy = `version: 1
tags:
  branches: [main, "release/*"]
hotfix:
  branches: ["hotfix/*"]
  into: ["release/*"]
  merge_back_to: main
`

// mergeBackWorld seeds acme/shop:
//
//	main:        init (v1.2.0) ← work (changes lib.go when conflicting)
//	release/1.2: init ← fix (PR #41, hotfix/crash: app.go and lib.go)
//
// declares #41 a hotfix (/hotfix by the maintainer mia), merges it and
// delivers the merge.
func mergeBackWorld(t *testing.T, conflicting bool, beforeMerge ...func(h *harness, sha map[string]string)) (*harness, map[string]string) {
	return mergeBackWorldWith(t, conflicting, nil, beforeMerge...)
}

// mergeBackWorldWith is mergeBackWorld with harness options.
func mergeBackWorldWith(t *testing.T, conflicting bool, opts []harnessOption, beforeMerge ...func(h *harness, sha map[string]string)) (*harness, map[string]string) {
	declare := func(h *harness, _ map[string]string) { h.comment(41, "mia", "/hotfix customers crash on checkout") }
	return seedMergeBackWorld(t, conflicting, opts, append([]func(*harness, map[string]string){declare}, beforeMerge...)...)
}

// seedMergeBackWorld is mergeBackWorld without the declaration: before
// the merge it runs beforeMerge.
func seedMergeBackWorld(t *testing.T, conflicting bool, opts []harnessOption, beforeMerge ...func(h *harness, sha map[string]string)) (*harness, map[string]string) {
	h := newHarness(t, opts...)
	sha := map[string]string{}
	sha["init"] = h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "chore: init", Author: "alice"})
	sha["work"] = h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "feat: more work", Author: "alice", Parents: []string{sha["init"]}})
	sha["fix"] = h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "fix: crash (#41)", Author: "erin", Parents: []string{sha["init"]}})
	files := map[string]map[string]string{
		"init": {"app.go": "v1", "lib.go": "a", github.PolicyFile: hotfixPolicy},
		"work": {"app.go": "v1", "lib.go": "a", "new.go": "n", github.PolicyFile: hotfixPolicy},
		"fix":  {"app.go": "v1-fixed", "lib.go": "a-fixed", github.PolicyFile: hotfixPolicy},
	}
	if conflicting {
		files["work"]["lib.go"] = "b"
	}
	for c, fs := range files {
		for p, content := range fs {
			h.fake.SetFile(testRepo, sha[c], p, content)
		}
	}
	h.fake.AddTag(testRepo, "v1.2.0", sha["init"])
	h.fake.SetBranch(testRepo, "main", sha["work"])
	h.fake.SetBranch(testRepo, "release/1.2", sha["init"])
	h.fake.SetPermission(testRepo, "mia", "maintain")
	h.fake.SetPermission(testRepo, "alice", "maintain")
	h.open(fakegithub.PR{Number: 41, Title: "Fix crash", Author: "erin", Base: "release/1.2", Head: "hotfix/crash"}, "hotfix-head")
	for _, f := range beforeMerge {
		f(h, sha)
	}
	h.drain()
	h.mergedAs(41, "release/1.2", sha["fix"], "mia")
	return h, sha
}

// tagMain tags main's head and returns its shipgate/tag status.
func (h *harness) tagMain(tag string) fakegithub.Status {
	h.t.Helper()
	head := h.fake.TreeRef(testRepo, "main")
	h.fake.AddTag(testRepo, tag, head)
	h.deliver("push", h.fake.PushEvent(testRepo, "refs/tags/"+tag, "", head, "alice"))
	h.drain()
	sts := h.fake.Statuses(testRepo, head)
	if len(sts) == 0 {
		h.t.Fatalf("no status on %s", head)
	}
	return sts[len(sts)-1]
}

// mergePR merges PR n into main (a new commit with the branch's files)
// and delivers the merge.
func (h *harness) mergePR(n int, branch string) {
	h.t.Helper()
	files := h.fake.TreeFiles(testRepo, branch)
	sha := h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "Merge #" + branch, Author: "alice", Parents: []string{h.fake.TreeRef(testRepo, "main")}})
	for p, c := range files {
		h.fake.SetFile(testRepo, sha, p, c)
	}
	h.fake.SetBranch(testRepo, "main", sha)
	h.updatePR(n, func(pr *fakegithub.PR) {
		pr.State, pr.Merged, pr.MergeCommitSHA, pr.MergedAt = "closed", true, sha, h.clock.Now()
	})
	h.prEvent(n, "closed", "alice")
	h.drain()
}

func TestAMergedHotfixOpensItsMergeBackAndHoldsMainsNextTagUntilItIsMerged(t *testing.T) {
	h, _ := mergeBackWorld(t, false)
	if got := h.fake.PullsCreated(); !slices.Equal(got, []string{"acme/shop#42:shipgate/merge-back-41->main:Merge back hotfix #41: Fix crash"}) {
		t.Fatalf("pulls created: %q", got)
	}
	files := h.fake.TreeFiles(testRepo, "shipgate/merge-back-41")
	if files["app.go"] != "v1-fixed" || files["lib.go"] != "a-fixed" || files["new.go"] != "n" {
		t.Fatalf("the merge-back branch holds %v: want main's files with the hotfix's changes", files)
	}
	if len(h.fake.Assigned()) != 0 {
		t.Errorf("a clean merge-back assigns nobody: %q", h.fake.Assigned())
	}
	pr, _ := h.fake.PullRequest(testRepo, 42)
	if !strings.Contains(pr.Body, "Merges back hotfix #41") {
		t.Errorf("merge-back body: %s", pr.Body)
	}
	if linked := h.commentsWith(41, "Shipgate opened #42 to merge it back into `main`"); linked != 1 {
		t.Errorf("%d link comments on #41, want 1", linked)
	}
	// A redelivered merge opens nothing more.
	h.prEvent(41, "closed", "mia")
	h.drain()
	if len(h.fake.PullsCreated()) != 1 {
		t.Fatalf("pulls created after a redelivery: %q", h.fake.PullsCreated())
	}

	st := h.tagMain("v1.3.0")
	if st.State != "failure" || !strings.Contains(st.Description, "v1.3.0 is not a release: main is missing hotfix #41 (from release/1.2) via #42") {
		t.Fatalf("main's next tag: %s %q", st.State, st.Description)
	}
	h.mergePR(42, "shipgate/merge-back-41")
	// The refused tag is deleted and pushed again on main's new head.
	if st := h.tagMain("v1.3.0"); st.State != "success" {
		t.Fatalf("main's tag after the merge-back: %s %q", st.State, st.Description)
	}
	if ms, err := h.store.MergeBacks(h.logCtx(), "github", testRepo, false); err != nil || len(ms) != 1 || ms[0].State != store.MergeBackMerged {
		t.Fatalf("merge-backs: %+v, %v", ms, err)
	}
}

func TestAConflictingHotfixOpensItsMergeBackExplainedAndAssignedToItsAuthor(t *testing.T) {
	h, _ := mergeBackWorld(t, true)
	files := h.fake.TreeFiles(testRepo, "shipgate/merge-back-41")
	if files["app.go"] != "v1-fixed" || files["lib.go"] != "b" {
		t.Fatalf("the merge-back branch holds %v: want the clean file applied and main's lib.go kept", files)
	}
	pr, _ := h.fake.PullRequest(testRepo, 42)
	if !strings.Contains(pr.Body, "**Conflicts.**") || !strings.Contains(pr.Body, "- `lib.go`") || !strings.Contains(pr.Body, "@erin, please bring them in") {
		t.Errorf("merge-back body: %s", pr.Body)
	}
	if got := h.fake.Assigned(); !slices.Equal(got, []string{"acme/shop#42:erin"}) {
		t.Errorf("assigned: %q", got)
	}
	if ms, _ := h.store.MergeBacks(h.logCtx(), "github", testRepo, true); len(ms) != 1 || ms[0].Conflicts != "lib.go" {
		t.Errorf("merge-backs: %+v", ms)
	}
}

// TestTheMergeBackCannotBeWalkedAround: closing the merge-back PR
// unmerged, or merging a PR that only names the hotfix, leaves main's tags
// refused.
func TestTheMergeBackCannotBeWalkedAround(t *testing.T) {
	h, _ := mergeBackWorld(t, false)
	h.updatePR(42, func(pr *fakegithub.PR) { pr.State = "closed" })
	h.prEvent(42, "closed", "alice")
	h.drain()
	h.fake.SetBranch(testRepo, "decoy", h.fake.TreeRef(testRepo, "main"))
	h.open(fakegithub.PR{Number: 43, Title: "Merge back hotfix #41", Body: "Merges back hotfix #41. Closes #42.", Author: "alice", Head: "decoy"}, "decoy-head")
	h.mergePR(43, "decoy")
	st := h.tagMain("v1.3.0")
	if st.State != "failure" || !strings.Contains(st.Description, "main is missing hotfix #41 (from release/1.2) via #42") {
		t.Fatalf("main's tag: %s %q", st.State, st.Description)
	}
}

// TestAMergeBackBranchPushedAheadIsNotTakenAsTheMergeBack: someone with
// write access pushes shipgate/merge-back-41 before the hotfix merges,
// with content of their own; Shipgate's commit replaces it.
func TestAMergeBackBranchPushedAheadIsNotTakenAsTheMergeBack(t *testing.T) {
	h, _ := mergeBackWorld(t, false, func(h *harness, sha map[string]string) {
		decoy := h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "decoy", Author: "mallory", Parents: []string{sha["work"]}})
		h.fake.SetFile(testRepo, decoy, "app.go", "backdoor")
		h.fake.SetBranch(testRepo, "shipgate/merge-back-41", decoy)
	})
	if files := h.fake.TreeFiles(testRepo, "shipgate/merge-back-41"); files["app.go"] != "v1-fixed" || files["lib.go"] != "a-fixed" {
		t.Fatalf("the merge-back branch holds %v, want the hotfix on main", files)
	}
}

// announcements records what the gate announces.
type announcements struct {
	mu     sync.Mutex
	events []announce.Event
}

func (a *announcements) Announce(_ context.Context, e announce.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
	return nil
}

func (a *announcements) of(kind announce.Kind) []announce.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []announce.Event
	for _, e := range a.events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func TestAnOpenMergeBackIsAnnouncedWithItsConflicts(t *testing.T) {
	rec := &announcements{}
	h, _ := mergeBackWorldWith(t, true, []harnessOption{{gate: func(c *gate.Config) { c.Announcer = rec }}})
	got := rec.of(announce.MergeBackOpen)
	if len(got) != 1 {
		t.Fatalf("merge-back announcements: %+v", got)
	}
	e := got[0]
	if e.Key != "41" || e.Repo != testRepo || e.Title != "Merge-back #42 of hotfix #41 into main is open" ||
		!strings.Contains(e.Reason, "tags of main are refused") {
		t.Errorf("announcement: %+v", e)
	}
	if len(e.Lines) != 1 || !strings.Contains(e.Lines[0], "1 file conflicted (assigned to @erin): lib.go") {
		t.Errorf("the conflict is not told: %q", e.Lines)
	}
	if len(e.Links) != 1 || !strings.HasSuffix(e.Links[0].URL, "/pull/42") {
		t.Errorf("links: %+v", e.Links)
	}
	// A redelivered merge announces nothing more (the Notifier would post
	// a repeat once anyway: its key is the hotfix).
	h.prEvent(41, "closed", "mia")
	h.drain()
	if n := len(rec.of(announce.MergeBackOpen)); n != 1 {
		t.Errorf("%d announcements after a redelivery", n)
	}
}

// TestAMergeBackRetargetedElsewhereDoesNotCount: someone with write access
// edits the merge-back PR's base to a branch of their own and merges it
// there; main still lacks the hotfix, so main's tags stay refused.
func TestAMergeBackRetargetedElsewhereDoesNotCount(t *testing.T) {
	h, _ := mergeBackWorld(t, false)
	scratch := h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "Merge into scratch", Author: "alice", Parents: []string{h.fake.TreeRef(testRepo, "main")}})
	h.fake.SetBranch(testRepo, "scratch", scratch)
	h.updatePR(42, func(pr *fakegithub.PR) {
		pr.Base = "scratch"
		pr.State, pr.Merged, pr.MergeCommitSHA, pr.MergedAt = "closed", true, scratch, h.clock.Now()
	})
	h.prEvent(42, "closed", "alice")
	h.drain()
	st := h.tagMain("v1.3.0")
	if st.State != "failure" || !strings.Contains(st.Description, "main is missing hotfix #41 (from release/1.2) via #42") {
		t.Fatalf("main's tag after the merge-back merged into scratch: %s %q", st.State, st.Description)
	}
}

// TestAnUndeclaredHotfixBranchIsMergedBackToo: a change from a
// hotfix.branches head merged into a release line without /hotfix or the
// label still owes the main line its merge-back (a branch name alone
// never relaxes a rule, but it may add this obligation): main's next tag
// is refused until it is merged.
func TestAnUndeclaredHotfixBranchIsMergedBackToo(t *testing.T) {
	h, _ := seedMergeBackWorld(t, false, nil)
	if got := h.fake.PullsCreated(); !slices.Equal(got, []string{"acme/shop#42:shipgate/merge-back-41->main:Merge back hotfix #41: Fix crash"}) {
		t.Fatalf("pulls created: %q", got)
	}
	st := h.tagMain("v1.3.0")
	if st.State != "failure" || !strings.Contains(st.Description, "main is missing hotfix #41 (from release/1.2) via #42") {
		t.Fatalf("main's next tag: %s %q", st.State, st.Description)
	}
}

// renameHead makes #41's head fix/crash: a branch outside hotfix.branches.
func renameHead(h *harness, _ map[string]string) {
	h.updatePR(41, func(pr *fakegithub.PR) { pr.Head = "fix/crash" })
}

// TestAChangeFromAnyBranchIntoAReleaseLineIsMergedBack: a fix merged into
// a release line from a branch named outside hotfix.branches, and never
// declared, still owes main its merge-back — naming the branch otherwise
// does not lose the fix from main's next release.
func TestAChangeFromAnyBranchIntoAReleaseLineIsMergedBack(t *testing.T) {
	h, _ := seedMergeBackWorld(t, false, nil, renameHead)
	if got := h.fake.PullsCreated(); !slices.Equal(got, []string{"acme/shop#42:shipgate/merge-back-41->main:Merge back hotfix #41: Fix crash"}) {
		t.Fatalf("pulls created: %q", got)
	}
	if st := h.tagMain("v1.3.0"); st.State != "failure" || !strings.Contains(st.Description, "main is missing hotfix #41 (from release/1.2) via #42") {
		t.Fatalf("main's next tag: %s %q", st.State, st.Description)
	}
	h.mergePR(42, "shipgate/merge-back-41")
	if st := h.tagMain("v1.3.0"); st.State != "success" {
		t.Fatalf("main's tag after the merge-back: %s %q", st.State, st.Description)
	}
}

// TestAPolicyMayOweMergeBacksOnlyForHotfixes: with
// merge_back_every_change: false, only hotfixes owe one.
func TestAPolicyMayOweMergeBacksOnlyForHotfixes(t *testing.T) {
	onlyHotfixes := func(h *harness, sha map[string]string) {
		renameHead(h, sha)
		for _, c := range []string{"init", "fix"} {
			h.fake.SetFile(testRepo, sha[c], github.PolicyFile, hotfixPolicy+"  merge_back_every_change: false\n")
		}
	}
	h, _ := seedMergeBackWorld(t, false, nil, onlyHotfixes)
	if got := h.fake.PullsCreated(); len(got) != 0 {
		t.Fatalf("pulls created for an undeclared change from fix/crash: %q", got)
	}
	if st := h.tagMain("v1.3.0"); st.State != "success" {
		t.Fatalf("main's next tag: %s %q", st.State, st.Description)
	}
}

// pushTo moves branch to a new commit on top of its head with files
// changed, as a push would, and makes PR n's head follow.
func (h *harness) pushTo(n int, branch string, files map[string]string) string {
	h.t.Helper()
	head := h.fake.TreeRef(testRepo, branch)
	sha := h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "push to " + branch, Author: "erin", Parents: []string{head}})
	for p, c := range h.fake.TreeFiles(testRepo, branch) {
		h.fake.SetFile(testRepo, sha, p, c)
	}
	for p, c := range files {
		h.fake.SetFile(testRepo, sha, p, c)
	}
	h.fake.SetBranch(testRepo, branch, sha)
	h.updatePR(n, func(pr *fakegithub.PR) { pr.HeadSHA = sha })
	return sha
}

// pendingMergeBack is the one pending merge-back's PR number (0 for none
// opened); it fails the test unless exactly one is pending.
func (h *harness) pendingMergeBack() int {
	h.t.Helper()
	ms, err := h.store.MergeBacks(h.logCtx(), "github", testRepo, true)
	if err != nil || len(ms) != 1 {
		h.t.Fatalf("pending merge-backs: %+v, %v", ms, err)
	}
	return ms[0].Number
}

func (h *harness) refusedComments(hotfix int) int {
	return h.commentsWith(hotfix, "does not count as this hotfix's merge-back")
}

// commentsWith counts the comments on n whose body holds text.
func (h *harness) commentsWith(n int, text string) int {
	count := 0
	for _, c := range h.fake.Comments(testRepo, n) {
		if strings.Contains(c.Body, text) {
			count++
		}
	}
	return count
}

// mergedAs records PR n merged as commit sha, now the head of branch, and
// delivers the merge.
func (h *harness) mergedAs(n int, branch, sha, sender string) {
	h.t.Helper()
	h.fake.SetBranch(testRepo, branch, sha)
	h.updatePR(n, func(pr *fakegithub.PR) {
		pr.State, pr.Merged, pr.MergeCommitSHA, pr.MergedAt = "closed", true, sha, h.clock.Now()
	})
	h.prEvent(n, "closed", sender)
	h.drain()
}

// TestAMergeBackBranchRewrittenWithoutTheHotfixDoesNotCount: someone who
// can push rewrites shipgate/merge-back-41 to main's head, dropping
// Shipgate's cherry-pick, and merges the PR: main still lacks the hotfix,
// so its tags stay refused; the hotfix is told, and a comment on it opens
// a new merge-back, whose merge counts.
func TestAMergeBackBranchRewrittenWithoutTheHotfixDoesNotCount(t *testing.T) {
	h, sha := mergeBackWorld(t, false)
	h.fake.SetBranch(testRepo, "shipgate/merge-back-41", sha["work"])
	h.updatePR(42, func(pr *fakegithub.PR) { pr.HeadSHA = sha["work"] })
	h.mergePR(42, "shipgate/merge-back-41")
	if st := h.tagMain("v1.3.0"); st.State != "failure" || !strings.Contains(st.Description, "main is missing hotfix #41 (from release/1.2)") {
		t.Fatalf("main's tag after a rewritten merge-back merged: %s %q", st.State, st.Description)
	}
	if h.pendingMergeBack() != 0 || h.refusedComments(41) != 1 {
		t.Fatalf("the hotfix is not told (%d comments) or its merge-back is still taken for opened", h.refusedComments(41))
	}
	h.prEvent(42, "closed", "alice") // a redelivery tells nothing more
	h.drain()
	if n := h.refusedComments(41); n != 1 {
		t.Errorf("%d comments after a redelivery, want 1", n)
	}

	h.comment(41, "mia", "please merge this back again")
	h.drain()
	again := h.pendingMergeBack()
	if again == 0 || again == 42 {
		t.Fatalf("no new merge-back after the comment: %d (pulls created %q)", again, h.fake.PullsCreated())
	}
	files := h.fake.TreeFiles(testRepo, "shipgate/merge-back-41")
	if files["app.go"] != "v1-fixed" || files["lib.go"] != "a-fixed" {
		t.Fatalf("the new merge-back holds %v, want the hotfix on main", files)
	}
	h.mergePR(again, "shipgate/merge-back-41")
	if st := h.tagMain("v1.3.1"); st.State != "success" {
		t.Fatalf("main's tag after the new merge-back: %s %q", st.State, st.Description)
	}
}

// TestAConflictingMergeBackMergedAsItWasOpenedDoesNotCount: the
// merge-back left lib.go out (it conflicted); merged as Shipgate opened
// it, main lacks the hotfix's lib.go, so it does not count. Merged with
// the conflict resolved on its branch, it does.
func TestAConflictingMergeBackMergedAsItWasOpenedDoesNotCount(t *testing.T) {
	h, _ := mergeBackWorld(t, true)
	h.mergePR(42, "shipgate/merge-back-41")
	if st := h.tagMain("v1.3.0"); st.State != "failure" || !strings.Contains(st.Description, "main is missing hotfix #41") {
		t.Fatalf("main's tag after the conflicting merge-back merged as it was: %s %q", st.State, st.Description)
	}
	found := false
	for _, c := range h.fake.Comments(testRepo, 41) {
		found = found || strings.Contains(c.Body, "without the files that conflicted (lib.go)")
	}
	if !found {
		t.Fatal("the hotfix is not told why its merge-back did not count")
	}
	h.comment(41, "mia", "again, please")
	h.drain()
	again := h.pendingMergeBack()
	if again == 0 {
		t.Fatalf("no new merge-back: pulls created %q", h.fake.PullsCreated())
	}
	h.pushTo(again, "shipgate/merge-back-41", map[string]string{"lib.go": "b-fixed"})
	h.mergePR(again, "shipgate/merge-back-41")
	if st := h.tagMain("v1.3.1"); st.State != "success" {
		t.Fatalf("main's tag after the resolved merge-back: %s %q", st.State, st.Description)
	}
}

// blippingStore fails to record merge-back PRs while blip is set, as a
// database blip between opening the PR and recording it would.
type blippingStore struct {
	*store.Store
	blip *atomic.Bool
}

func (b blippingStore) OpenedMergeBack(ctx context.Context, host policies.Host, repo string, hotfix, number int, url string) error {
	if b.blip.Load() {
		return errors.New("database is locked")
	}
	return b.Store.OpenedMergeBack(ctx, host, repo, hotfix, number, url)
}

// TestAPushWhileTheMergeBackIsUnrecordedIsNotTakenForShipgates: the PR
// is opened but recording it fails; meanwhile someone rewrites the branch
// to main's head, without the hotfix. The retry finds the PR, but what
// counts is the commit Shipgate recorded before opening it, not the
// branch's head now: the rewritten PR, merged, does not count.
func TestAPushWhileTheMergeBackIsUnrecordedIsNotTakenForShipgates(t *testing.T) {
	blip := &atomic.Bool{}
	blip.Store(true)
	wrap := harnessOption{gate: func(c *gate.Config) { c.Store = blippingStore{Store: c.Store.(*store.Store), blip: blip} }}
	h, sha := mergeBackWorldWith(t, false, []harnessOption{wrap})
	if got := h.fake.PullsCreated(); len(got) != 1 {
		t.Fatalf("pulls created: %q", got)
	}
	h.fake.SetBranch(testRepo, "shipgate/merge-back-41", sha["work"])
	h.updatePR(42, func(pr *fakegithub.PR) { pr.HeadSHA = sha["work"] })
	blip.Store(false)
	h.prEvent(41, "closed", "mia") // the hotfix's next event: the retry
	h.drain()
	if n := h.pendingMergeBack(); n != 42 {
		t.Fatalf("the retry recorded merge-back %d, want the open #42", n)
	}
	h.mergePR(42, "shipgate/merge-back-41")
	if st := h.tagMain("v1.3.0"); st.State != "failure" || !strings.Contains(st.Description, "main is missing hotfix #41") {
		t.Fatalf("main's tag after the branch rewritten while unrecorded was merged: %s %q", st.State, st.Description)
	}
}

// refusingPosts fails the POSTs to paths ending in suffix while on is set.
type refusingPosts struct {
	next   http.RoundTripper
	on     *atomic.Bool
	suffix string
}

func (r refusingPosts) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.on.Load() && req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, r.suffix) {
		return nil, errors.New("connection reset by peer")
	}
	return r.next.RoundTrip(req)
}

// TestTheHotfixIsToldEvenWhenTellingItFailsFirst: GitHub refuses the
// comment that tells the hotfix its merge-back did not count, until the
// job gives up; the merge-back PR's next event tells it, because the
// merge-back is still recorded as the PR's until the hotfix was told.
func TestTheHotfixIsToldEvenWhenTellingItFailsFirst(t *testing.T) {
	down := &atomic.Bool{}
	refuse := harnessOption{cfg: func(c *github.Config) {
		c.Transport = refusingPosts{next: c.Transport, on: down, suffix: "/issues/41/comments"}
	}}
	h, sha := mergeBackWorldWith(t, false, []harnessOption{refuse})
	h.fake.SetBranch(testRepo, "shipgate/merge-back-41", sha["work"])
	h.updatePR(42, func(pr *fakegithub.PR) { pr.HeadSHA = sha["work"] })
	down.Store(true)
	h.mergePR(42, "shipgate/merge-back-41")
	down.Store(false)
	if n := h.refusedComments(41); n != 0 {
		t.Fatalf("%d comments while GitHub refused them", n)
	}
	h.prEvent(42, "closed", "alice")
	h.drain()
	if n := h.refusedComments(41); n != 1 {
		t.Fatalf("%d comments on #41 telling that #42 did not count, want 1", n)
	}
	if h.pendingMergeBack() != 0 {
		t.Fatal("the merge-back is still taken for opened")
	}
}
