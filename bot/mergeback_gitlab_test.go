package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/internal/testbed"
	"github.com/shipgate/shipgate/policies"
)

const gitlabMergeBackPolicy = `version: 1
tags:
  branches: [main, "release/*"]
hotfix:
  branches: ["hotfix/*"]
  into: ["release/*"]
  merge_back_to: main
`

// The commits of the merge-back world.
var (
	mbInit  = strings.Repeat("10", 20) // v1.2.0, release/1.2's base
	mbWork  = strings.Repeat("20", 20) // main's head
	mbMerge = strings.Repeat("30", 20) // the hotfix's merge commit on release/1.2
)

const mergeBackBranch = "shipgate/merge-back-41"

// mergeBackLab seeds acme/platform/shop on a fake GitLab:
//
//	main:        init (v1.2.0) ← work (changes lib.go when conflicting)
//	release/1.2: init ← merge of !41 (hotfix/crash: app.go and lib.go)
//
// declares !41 a hotfix (/hotfix by the maintainer mia), merges it with
// a merge commit and delivers the merge; before runs first, inside Do.
func mergeBackLab(t *testing.T, conflicting bool, before ...func(l *testbed.GitLab)) *testbed.GitLab {
	t.Helper()
	l, errs := mergeBackLabFailing(t, conflicting, before...)
	for _, err := range errs {
		t.Fatal(err)
	}
	return l
}

// mergeBackLabFailing is mergeBackLab that returns the errors of the
// merge's processing.
func mergeBackLabFailing(t *testing.T, conflicting bool, before ...func(l *testbed.GitLab)) (*testbed.GitLab, []error) {
	t.Helper()
	return mergeBackLabOf(t, conflicting, nil, before...)
}

// mergeBackLabOf is mergeBackLabFailing with !41's commits (nil: one,
// its title).
func mergeBackLabOf(t *testing.T, conflicting bool, commits []fakegitlab.Commit, before ...func(l *testbed.GitLab)) (*testbed.GitLab, []error) {
	t.Helper()
	l := testbed.NewGitLab(t, gitlabMergeBackPolicy, map[string]int{"mia": 40, "alice": 40, "erin": 30, "mallory": 30, testbed.GitLabBot: 40})
	l.Fake.Do(func() {
		p := l.Project
		p.History = []fakegitlab.Commit{
			{SHA: mbInit, Message: "chore: init", AuthorName: "alice"},
			{SHA: mbWork, Message: "feat: more work", AuthorName: "alice", Parent: mbInit, Files: []string{"new.go"}},
		}
		p.Commits[mbMerge] = fakegitlab.Commit{SHA: mbMerge, Message: "Merge branch 'hotfix/crash' into 'release/1.2'", AuthorName: "mia",
			Parent: mbInit, Files: []string{"app.go", "lib.go"}}
		p.Files[mbInit] = map[string]string{"app.go": "v1", "lib.go": "a", review.PolicyFile: gitlabMergeBackPolicy}
		p.Files[mbWork] = map[string]string{"app.go": "v1", "lib.go": "a", "new.go": "n", review.PolicyFile: gitlabMergeBackPolicy}
		p.Files[mbMerge] = map[string]string{"app.go": "v1-fixed", "lib.go": "a-fixed", review.PolicyFile: gitlabMergeBackPolicy}
		if conflicting {
			p.Files[mbWork]["lib.go"] = "b"
		}
		delete(p.Files, "main") // each branch has its head's files
		p.Branches["main"], p.Branches["release/1.2"] = mbWork, mbInit
		p.Tags["v1.2.0"] = mbInit
		for _, f := range before {
			f(l)
		}
	})
	l.Open(fakegitlab.MR{IID: 41, Title: "Fix crash", Author: user(l, "erin"), SHA: strings.Repeat("41", 20),
		SourceBranch: "hotfix/crash", TargetBranch: "release/1.2", Commits: commits})
	l.Note(41, "mia", "/hotfix customers crash on checkout")
	l.Drain()
	l.Fake.Do(func() {
		mr := l.Project.MRs[41]
		mr.State, mr.MergeCommitSHA = "merged", mbMerge
		l.Project.Branches["release/1.2"] = mbMerge
	})
	l.MRHook(41, "merge", "mia")
	return l, l.DrainFailing()
}

// mergeMR merges MR n into its target with a merge commit holding its
// source branch's files, and delivers the merge.
func mergeMR(l *testbed.GitLab, n int) {
	l.Fake.Do(func() {
		p, mr := l.Project, l.Project.MRs[n]
		sha := strings.Repeat("5", 38) + strings.Repeat(string(rune('a'+n%6)), 2)
		p.Files[sha] = p.Tree(mr.SourceBranch)
		c := fakegitlab.Commit{SHA: sha, Message: "Merge " + mr.SourceBranch, AuthorName: "alice", Parent: p.Branches[mr.TargetBranch]}
		if mr.TargetBranch == "main" {
			p.History = append(p.History, c)
		} else {
			p.Commits[sha] = c
		}
		p.Branches[mr.TargetBranch] = sha
		mr.State, mr.MergeCommitSHA = "merged", sha
	})
	l.MRHook(n, "merge", "alice")
	l.Drain()
}

// tagMain pushes tag on main's head and returns its shipgate/tag verdict.
func tagMain(l *testbed.GitLab, tag string) testbed.Verdict {
	var head string
	l.Fake.Do(func() { head = l.Project.Branches["main"] })
	l.PushTag(tag, head, "alice")
	l.Drain()
	return l.TagVerdict(head)
}

func botNotesOn(l *testbed.GitLab, n int, containing string) int {
	count := 0
	l.Fake.Do(func() {
		for _, note := range l.Project.MRs[n].Notes {
			if note.Author.Username == testbed.GitLabBot && strings.Contains(note.Body, containing) {
				count++
			}
		}
	})
	return count
}

func TestAMergedGitLabHotfixOpensItsMergeBackAndHoldsMainsNextTagUntilItIsMerged(t *testing.T) {
	l := mergeBackLab(t, false)
	if got := l.Fake.MRsCreated(); !slices.Equal(got, []string{testbed.GitLabRepo + "!42:" + mergeBackBranch + "->main:Merge back hotfix !41: Fix crash"}) {
		t.Fatalf("MRs created: %q", got)
	}
	var files map[string]string
	var mr fakegitlab.MR
	l.Fake.Do(func() { files, mr = l.Project.Tree(mergeBackBranch), *l.Project.MRs[42] })
	if files["app.go"] != "v1-fixed" || files["lib.go"] != "a-fixed" || files["new.go"] != "n" {
		t.Fatalf("the merge-back branch holds %v: want main's files with the hotfix's changes", files)
	}
	if mr.Draft || len(mr.Assignees) != 0 || !strings.Contains(mr.Description, "Merges back hotfix !41 (Fix crash), merged into `release/1.2`, into `main`") {
		t.Errorf("a clean merge-back is ready, assigned to nobody, and links the hotfix: draft %v, assignees %v, %q", mr.Draft, mr.Assignees, mr.Description)
	}
	if n := botNotesOn(l, 41, "Shipgate opened !42 to merge it back into `main`"); n != 1 {
		t.Errorf("%d link notes on !41, want 1", n)
	}
	// A redelivered merge opens nothing more.
	l.MRHook(41, "merge", "mia")
	l.Drain()
	if got := l.Fake.MRsCreated(); len(got) != 1 || botNotesOn(l, 41, "Shipgate opened") != 1 {
		t.Fatalf("after a redelivery: MRs created %q, link notes %d", got, botNotesOn(l, 41, "Shipgate opened"))
	}
	pending, err := l.Store.MergeBacks(context.Background(), policies.GitLab, testbed.GitLabRepo, true)
	if err != nil || len(pending) != 1 || pending[0].Number != 42 || pending[0].Target != "main" || pending[0].HotfixAuthor != "erin" {
		t.Fatalf("pending merge-backs (what `shipgate hotfix status` lists): %+v, %v", pending, err)
	}

	v := tagMain(l, "v1.3.0")
	if v.Conclusion != "failure" || !strings.Contains(v.Text, "v1.3.0 is not a release: main is missing hotfix !41 (from release/1.2) via !42: merge the merge-back MR") {
		t.Fatalf("main's next tag: %s %q", v.Conclusion, v.Text)
	}
	mergeMR(l, 42)
	l.Fake.Do(func() { delete(l.Project.Tags, "v1.3.0") }) // the refused tag is pushed again on main's new head
	if v := tagMain(l, "v1.3.0"); v.Conclusion != "success" {
		t.Fatalf("main's tag after the merge-back: %s %q", v.Conclusion, v.Text)
	}
	if ms, err := l.Store.MergeBacks(context.Background(), policies.GitLab, testbed.GitLabRepo, false); err != nil || len(ms) != 1 || ms[0].State != store.MergeBackMerged {
		t.Fatalf("merge-backs: %+v, %v", ms, err)
	}
}

func TestAConflictingGitLabHotfixOpensADraftMergeBackExplainedAndAssignedToItsAuthor(t *testing.T) {
	l := mergeBackLab(t, true)
	var files map[string]string
	var mr fakegitlab.MR
	l.Fake.Do(func() { files, mr = l.Project.Tree(mergeBackBranch), *l.Project.MRs[42] })
	if files["app.go"] != "v1" || files["lib.go"] != "b" {
		t.Fatalf("the merge-back branch holds %v: GitLab applies the commit whole or not at all", files)
	}
	if !mr.Draft || mr.Title != "Draft: Merge back hotfix !41: Fix crash" {
		t.Errorf("a merge-back that holds none of the hotfix is a draft: %v %q", mr.Draft, mr.Title)
	}
	for _, want := range []string{"**Conflicts.**", "- `app.go`\n- `lib.go`", "@erin, please bring them in", "git cherry-pick -x -m 1 " + mbMerge} {
		if !strings.Contains(mr.Description, want) {
			t.Errorf("the description lacks %q:\n%s", want, mr.Description)
		}
	}
	if got := l.Fake.Assigned(); !slices.Equal(got, []string{testbed.GitLabRepo + "!42:erin"}) {
		t.Errorf("assigned: %q", got)
	}
	if n := botNotesOn(l, 41, "@erin: 2 files conflicted and need your hand there: app.go, lib.go."); n != 1 {
		t.Errorf("%d notes telling erin of the conflict", n)
	}
	if ms, _ := l.Store.MergeBacks(context.Background(), policies.GitLab, testbed.GitLabRepo, true); len(ms) != 1 || ms[0].Conflicts != "app.go, lib.go" {
		t.Errorf("merge-backs: %+v", ms)
	}
}

func TestAGitLabHotfixMainHoldsAlreadyOpensNothingAndHoldsNothing(t *testing.T) {
	l := mergeBackLab(t, false, func(l *testbed.GitLab) {
		l.Project.Files[mbWork]["app.go"], l.Project.Files[mbWork]["lib.go"] = "v1-fixed", "a-fixed"
	})
	var branches []string
	l.Fake.Do(func() { branches = l.Project.BranchesDeleted })
	if got := l.Fake.MRsCreated(); len(got) != 0 || !slices.Equal(branches, []string{mergeBackBranch}) {
		t.Fatalf("MRs created %q, branches deleted %q: want none, and the empty branch gone", got, branches)
	}
	if v := tagMain(l, "v1.3.0"); v.Conclusion != "success" {
		t.Fatalf("main's tag: %s %q", v.Conclusion, v.Text)
	}
}

// Attack: someone with write access pushes shipgate/merge-back-41 before
// the hotfix merges, with a backdoor; Shipgate makes the branch again from
// main rather than adopt it.
func TestAGitLabMergeBackBranchPushedAheadIsNotTakenAsTheMergeBack(t *testing.T) {
	decoy := strings.Repeat("de", 20)
	l := mergeBackLab(t, false, func(l *testbed.GitLab) {
		p := l.Project
		p.Commits[decoy] = fakegitlab.Commit{SHA: decoy, Message: "decoy", AuthorName: "mallory", Parent: mbWork, Files: []string{"app.go"}}
		p.Files[decoy] = map[string]string{"app.go": "backdoor", "lib.go": "a", "new.go": "n", review.PolicyFile: gitlabMergeBackPolicy}
		p.Branches[mergeBackBranch] = decoy
	})
	var files map[string]string
	var commits []fakegitlab.Commit
	l.Fake.Do(func() { files, commits = l.Project.Tree(mergeBackBranch), l.Project.MRs[42].Commits })
	if files["app.go"] != "v1-fixed" || files["lib.go"] != "a-fixed" {
		t.Fatalf("the merge-back branch holds %v, want the hotfix on main", files)
	}
	if len(commits) != 1 || commits[0].Parent != mbWork {
		t.Fatalf("the merge-back MR's commits: %+v, want the one cherry-pick on main's head", commits)
	}
}

// Attack: closing the merge-back MR unmerged, merging another MR that
// names the hotfix, or retargeting the merge-back MR to a branch of one's
// own and merging it there, leaves main's tags refused.
func TestTheGitLabMergeBackCannotBeWalkedAround(t *testing.T) {
	l := mergeBackLab(t, false)
	l.Fake.Do(func() {
		l.Project.MRs[42].State = "closed"
		l.Project.Branches["decoy"] = mbWork
		l.Project.Branches["scratch"] = mbWork
	})
	l.MRHook(42, "close", "mallory")
	l.Drain()
	l.Open(fakegitlab.MR{IID: 43, Title: "Merge back hotfix !41", Description: "Merges back hotfix !41. Closes !42.", Author: user(l, "mallory"),
		SHA: strings.Repeat("43", 20), SourceBranch: "decoy"})
	mergeMR(l, 43)
	l.Fake.Do(func() { l.Project.MRs[42].State, l.Project.MRs[42].TargetBranch = "opened", "scratch" })
	l.MRHook(42, "reopen", "mallory")
	mergeMR(l, 42)
	v := tagMain(l, "v1.3.0")
	if v.Conclusion != "failure" || !strings.Contains(v.Text, "main is missing hotfix !41 (from release/1.2) via !42") {
		t.Fatalf("main's tag: %s %q", v.Conclusion, v.Text)
	}
}

// Attack: someone with write access opens an MR of their own from
// shipgate/merge-back-41 into main before the hotfix merges. Shipgate
// neither takes it as the merge-back nor opens one beside it, and main's
// tags stay refused; once it is closed, a comment on the hotfix has
// Shipgate open its own.
func TestAGitLabMergeBackMRSomeoneElseOpenedIsNotTaken(t *testing.T) {
	l, errs := mergeBackLabFailing(t, false, func(l *testbed.GitLab) {
		l.Project.Branches[mergeBackBranch] = mbWork
		l.Project.MRs[40] = &fakegitlab.MR{IID: 40, Title: "Merge back hotfix !41", Author: l.User("mallory"), SourceBranch: mergeBackBranch,
			TargetBranch: "main", SHA: mbWork, State: "opened"}
	})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "that Shipgate did not open exists: close it, then comment on "+testbed.GitLabRepo+"!41") {
		t.Fatalf("the merge's errors: %v", errs)
	}
	if got := l.Fake.MRsCreated(); len(got) != 0 {
		t.Fatalf("MRs created beside mallory's: %q", got)
	}
	if v := tagMain(l, "v1.3.0"); v.Conclusion != "failure" || !strings.Contains(v.Text, "main is missing hotfix !41 (from release/1.2): merge the merge-back MR") {
		t.Fatalf("main's tag while mallory's MR is open: %s %q", v.Conclusion, v.Text)
	}
	l.Fake.Do(func() { l.Project.MRs[40].State = "closed" })
	l.MRHook(40, "close", "mia")
	l.Note(41, "mia", "Closed !40; Shipgate, open the merge-back again.")
	l.Drain()
	if got := l.Fake.MRsCreated(); !slices.Equal(got, []string{testbed.GitLabRepo + "!42:" + mergeBackBranch + "->main:Merge back hotfix !41: Fix crash"}) {
		t.Fatalf("MRs created after the comment: %q", got)
	}
	if n := botNotesOn(l, 41, "Shipgate opened !42"); n != 1 {
		t.Errorf("%d link notes on !41", n)
	}
}

// Attack: someone who can push rewrites shipgate/merge-back-41 to main's
// head, dropping Shipgate's cherry-pick, and merges the MR: main still
// lacks the hotfix, so its tags stay refused and the hotfix is told; a
// note on it opens a new merge-back, whose merge counts.
func TestAGitLabMergeBackRewrittenWithoutTheHotfixDoesNotCount(t *testing.T) {
	l := mergeBackLab(t, false)
	l.Fake.Do(func() {
		l.Project.Branches[mergeBackBranch] = mbWork
		l.Project.MRs[42].SHA = mbWork
	})
	mergeMR(l, 42)
	if v := tagMain(l, "v1.3.0"); v.Conclusion != "failure" || !strings.Contains(v.Text, "main is missing hotfix !41 (from release/1.2)") {
		t.Fatalf("main's tag after a rewritten merge-back merged: %s %q", v.Conclusion, v.Text)
	}
	if n := botNotesOn(l, 41, "does not count as this hotfix's merge-back"); n != 1 {
		t.Fatalf("%d notes on !41 telling that !42 did not count, want 1", n)
	}
	l.Note(41, "mia", "Shipgate, merge this back again.")
	l.Drain()
	if got := l.Fake.MRsCreated(); len(got) != 2 {
		t.Fatalf("MRs created after the note: %q, want a second merge-back", got)
	}
	pending, err := l.Store.MergeBacks(context.Background(), policies.GitLab, testbed.GitLabRepo, true)
	if err != nil || len(pending) != 1 || pending[0].Number == 42 || pending[0].Number == 0 {
		t.Fatalf("pending merge-backs: %+v, %v", pending, err)
	}
	mergeMR(l, pending[0].Number)
	l.Fake.Do(func() { delete(l.Project.Tags, "v1.3.0") })
	if v := tagMain(l, "v1.3.0"); v.Conclusion != "success" {
		t.Fatalf("main's tag after the new merge-back: %s %q", v.Conclusion, v.Text)
	}
}

// Attack: the conflicting merge-back, a draft, is marked ready and merged
// as Shipgate opened it, without the commit that conflicted: it does not
// count, and main's tags stay refused.
func TestAConflictingGitLabMergeBackMergedAsItWasOpenedDoesNotCount(t *testing.T) {
	l := mergeBackLab(t, true)
	l.Fake.Do(func() { l.Project.MRs[42].Draft = false })
	mergeMR(l, 42)
	if v := tagMain(l, "v1.3.0"); v.Conclusion != "failure" || !strings.Contains(v.Text, "main is missing hotfix !41") {
		t.Fatalf("main's tag after the draft merge-back merged as it was: %s %q", v.Conclusion, v.Text)
	}
	if n := botNotesOn(l, 41, "without the files that conflicted"); n != 1 {
		t.Fatalf("%d notes on !41 telling why !42 did not count, want 1", n)
	}
}

// gitlabBackport makes !41's one commit a cherry-pick, by its trailer, of
// a commit on main changing the lines upstreamLib says in lib.go; lib.go
// differs elsewhere between the lines (the world is conflicting).
func gitlabBackport(t *testing.T, upstreamLib string) *testbed.GitLab {
	upstream, hotfix := strings.Repeat("60", 20), strings.Repeat("41", 20)
	app := "@@ -3,3 +3,3 @@ func main() {\n-\tcrash()\n+\tif ok { crash() }\n"
	commits := []fakegitlab.Commit{{SHA: hotfix, Message: "fix: crash\n\n(cherry picked from commit " + upstream + ")", AuthorName: "erin"}}
	l, errs := mergeBackLabOf(t, true, commits, func(l *testbed.GitLab) {
		p := l.Project
		p.History = append(p.History, fakegitlab.Commit{SHA: upstream, Message: "fix: crash (!40)", AuthorName: "erin", Parent: mbWork,
			Files: []string{"app.go", "lib.go"}, Patches: map[string]string{"app.go": app, "lib.go": upstreamLib}})
		p.Files[upstream] = map[string]string{"app.go": "v1-fixed", "lib.go": "b-fixed", "new.go": "n", review.PolicyFile: gitlabMergeBackPolicy}
		p.Branches["main"] = upstream
		p.Commits[hotfix] = fakegitlab.Commit{SHA: hotfix, Message: commits[0].Message, AuthorName: "erin", Parent: mbInit,
			Files: []string{"app.go", "lib.go"}, Patches: map[string]string{"app.go": app, "lib.go": "@@ -1 +1 @@\n-var limit = 1\n+var limit = 2\n"}}
	})
	for _, err := range errs {
		t.Fatal(err)
	}
	return l
}

func TestACleanGitLabBackportOwesNoMergeBack(t *testing.T) {
	l := gitlabBackport(t, "@@ -20 +20 @@\n-var limit = 1\n+var limit = 2\n")
	if got := l.Fake.MRsCreated(); len(got) != 0 {
		t.Fatalf("merge requests created for a clean backport: %q", got)
	}
	if n := botNotesOn(l, 41, "every commit of this MR is a clean cherry-pick"); n != 1 {
		t.Errorf("%d notes saying why no merge-back, want 1", n)
	}
	if v := tagMain(l, "v1.3.0"); v.Conclusion != "success" {
		t.Fatalf("main's next tag: %+v", v)
	}
}

// Attack: the trailer is on a change that alters other lines: it owes
// its merge-back.
func TestAttackAGitLabBackportTrailerOnAnotherChangeOwesItsMergeBack(t *testing.T) {
	l := gitlabBackport(t, "@@ -20 +20 @@\n-var limit = 1\n+var limit = 3\n")
	if got := l.Fake.MRsCreated(); len(got) != 1 {
		t.Fatalf("merge requests created: %q, want the merge-back", got)
	}
	if v := tagMain(l, "v1.3.0"); v.Conclusion == "success" {
		t.Fatalf("main's next tag: %+v", v)
	}
}

// A maintainer settles a merged MR's merge-back by a note, with a reason;
// a Developer cannot.
func TestAGitLabMergeBackIsSkippedByAMaintainerOnly(t *testing.T) {
	l := mergeBackLab(t, false)
	l.Note(41, "erin", "/merge-back skip trust me")
	l.Drain()
	if v := tagMain(l, "v1.3.0"); v.Conclusion == "success" {
		t.Fatalf("main's tag after a Developer's skip: %+v", v)
	}
	l.Note(41, "mia", "/merge-back skip release-only: the version file of release/1.2")
	l.Drain()
	if v := tagMain(l, "v1.3.1"); v.Conclusion != "success" {
		t.Fatalf("main's tag after the maintainer's skip: %+v", v)
	}
}
