package gitlab

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/internal/fakegitlab"
)

var (
	mbBase  = strings.Repeat("0a", 20) // main's and release/1.2's base
	mbHead  = strings.Repeat("0b", 20) // main's head
	mbMerge = strings.Repeat("0c", 20) // the hotfix's merge commit
	mbFix1  = strings.Repeat("0d", 20) // the hotfix's commits, when fast-forwarded
	mbFix2  = strings.Repeat("0e", 20)
)

var mbRequest = gate.MergeBackRequest{Hotfix: 41, Title: "Fix crash", Author: "dave", Branch: "release/1.2", Target: "main"}

// mergeBackProject seeds a project whose hotfix !41 (by dave) merged into
// release/1.2, with a merge commit unless fastForward, and returns its
// session.
func mergeBackProject(t *testing.T, fastForward bool) (*harness, *project) {
	h := newHarness(t)
	h.people()
	h.fake.Do(func() {
		p := h.project
		p.History = []fakegitlab.Commit{{SHA: mbBase}, {SHA: mbHead, Parent: mbBase, Files: []string{"new.go"}}}
		p.Files[mbBase] = map[string]string{"app.go": "v1", "lib.go": "a"}
		p.Files[mbHead] = map[string]string{"app.go": "v1", "lib.go": "a", "new.go": "n"}
		p.Commits[mbFix1] = fakegitlab.Commit{SHA: mbFix1, Message: "fix: app", Parent: mbBase, Files: []string{"app.go"}}
		p.Commits[mbFix2] = fakegitlab.Commit{SHA: mbFix2, Message: "fix: lib", Parent: mbFix1, Files: []string{"lib.go"}}
		p.Commits[mbMerge] = fakegitlab.Commit{SHA: mbMerge, Message: "Merge branch 'hotfix/crash'", Parent: mbBase, Files: []string{"app.go", "lib.go"}}
		p.Files[mbFix1] = map[string]string{"app.go": "v1-fixed", "lib.go": "a"}
		p.Files[mbFix2] = map[string]string{"app.go": "v1-fixed", "lib.go": "a-fixed"}
		p.Files[mbMerge] = p.Files[mbFix2]
		p.Branches["main"], p.Branches["release/1.2"] = mbHead, mbMerge
		mr := &fakegitlab.MR{IID: 41, Title: "Fix crash", Author: h.user("dave"), SourceBranch: "hotfix/crash", TargetBranch: "release/1.2",
			SHA: mbFix2, State: "merged", MergeCommitSHA: mbMerge, Commits: []fakegitlab.Commit{p.Commits[mbFix1], p.Commits[mbFix2]}}
		if fastForward {
			mr.MergeCommitSHA, p.Branches["release/1.2"] = "", mbFix2
		}
		p.MRs[41] = mr
	})
	return h, h.app.project(testRepo, testProjectID)
}

func TestAMergeBackRetriedAfterItsMRFailedOpensOneFromABranchMadeAgain(t *testing.T) {
	h, p := mergeBackProject(t, false)
	ctx := context.Background()
	h.fake.FailNext("POST /projects/:id/merge_requests", http.StatusInternalServerError)
	if _, err := p.OpenMergeBack(ctx, mbRequest); err == nil {
		t.Fatal("the MR failed to open, yet no error")
	}
	res, err := p.OpenMergeBack(ctx, mbRequest)
	if err != nil || res.Number != 42 || len(res.Conflicts) != 0 {
		t.Fatalf("the retry: %+v, %v", res, err)
	}
	again, err := p.OpenMergeBack(ctx, mbRequest)
	if err != nil || again.Number != 42 {
		t.Fatalf("a third call finds the MR it made: %+v, %v", again, err)
	}
	var commits []fakegitlab.Commit
	var deleted []string
	h.fake.Do(func() { commits, deleted = h.project.MRs[42].Commits, h.project.BranchesDeleted })
	if got := h.fake.MRsCreated(); len(got) != 1 || !slices.Equal(deleted, []string{"shipgate/merge-back-41"}) {
		t.Fatalf("MRs created %q, branches deleted %q: want one MR, the first try's branch made again", got, deleted)
	}
	if len(commits) != 1 || commits[0].Parent != mbHead {
		t.Fatalf("the merge-back holds %+v: want one cherry-pick on main's head, not the first try's too", commits)
	}
}

func TestAFastForwardedHotfixIsMergedBackCommitByCommit(t *testing.T) {
	h, p := mergeBackProject(t, true)
	res, err := p.OpenMergeBack(context.Background(), mbRequest)
	if err != nil || res.Number != 42 {
		t.Fatalf("%+v, %v", res, err)
	}
	var files map[string]string
	var commits []fakegitlab.Commit
	h.fake.Do(func() { files, commits = h.project.Tree("shipgate/merge-back-41"), h.project.MRs[42].Commits })
	if files["app.go"] != "v1-fixed" || files["lib.go"] != "a-fixed" || files["new.go"] != "n" || len(commits) != 2 ||
		!strings.HasPrefix(commits[0].Message, "fix: app") || !strings.HasPrefix(commits[1].Message, "fix: lib") {
		t.Fatalf("the merge-back branch holds %v in %+v: want both fixes, oldest first, on main", files, commits)
	}
}

// The second of a fast-forwarded hotfix's commits conflicts: the first is
// kept, the second left out and its command given without -m.
func TestAFastForwardedHotfixKeepsTheCommitsBeforeTheConflict(t *testing.T) {
	h, p := mergeBackProject(t, true)
	h.fake.Do(func() { h.project.Files[mbHead]["lib.go"] = "b" })
	res, err := p.OpenMergeBack(context.Background(), mbRequest)
	if err != nil || !slices.Equal(res.Conflicts, []string{"lib.go"}) {
		t.Fatalf("%+v, %v", res, err)
	}
	var mr fakegitlab.MR
	var files map[string]string
	h.fake.Do(func() { mr, files = *h.project.MRs[42], h.project.Tree("shipgate/merge-back-41") })
	if files["app.go"] != "v1-fixed" || files["lib.go"] != "b" {
		t.Errorf("the branch holds %v: want the first fix and main's lib.go", files)
	}
	if !mr.Draft || !strings.Contains(mr.Description, "git cherry-pick -x "+mbFix2+"   # resolve") || strings.Contains(mr.Description, mbFix1) {
		t.Errorf("draft %v, description:\n%s", mr.Draft, mr.Description)
	}
	if got := h.fake.Assigned(); !slices.Equal(got, []string{testRepo + "!42:dave"}) {
		t.Errorf("assigned: %q", got)
	}
}

// Attack: someone with write access opens an MR of their own from
// shipgate/merge-back-41 into main. Shipgate neither takes it as its
// merge-back nor opens one beside it: it fails, saying what to do.
func TestAnMRSomeoneElseOpenedFromTheMergeBackBranchIsNotTaken(t *testing.T) {
	h, p := mergeBackProject(t, false)
	h.fake.Do(func() {
		h.project.Branches["shipgate/merge-back-41"] = mbHead
		h.project.MRs[40] = &fakegitlab.MR{IID: 40, Title: "Merge back hotfix !41", Author: h.user("alice"), SourceBranch: "shipgate/merge-back-41",
			TargetBranch: "main", SHA: mbHead, State: "opened"}
	})
	_, err := p.OpenMergeBack(context.Background(), mbRequest)
	if err == nil || !strings.Contains(err.Error(), "that Shipgate did not open exists: close it") {
		t.Fatalf("want a refusal naming the foreign MR, got %v", err)
	}
	if got := h.fake.MRsCreated(); len(got) != 0 {
		t.Errorf("MRs created: %q", got)
	}
}

func TestAnUnmergedHotfixHasNoMergeBack(t *testing.T) {
	h, p := mergeBackProject(t, false)
	h.fake.Do(func() { h.project.MRs[41].State = "opened" })
	if _, err := p.OpenMergeBack(context.Background(), mbRequest); err == nil || !strings.Contains(err.Error(), "is not merged") {
		t.Fatalf("want the hotfix refused as unmerged, got %v", err)
	}
}

// Attack: someone with write access pushes to shipgate/merge-back-41
// between Shipgate making it and cherry-picking onto it, or after a pick
// that conflicted. The pick's parent, or the branch's head, is not the
// head Shipgate left: no MR is opened from the branch.
func TestAPushOntoTheMergeBackBranchMeanwhileStopsItsMR(t *testing.T) {
	for _, tc := range []struct {
		name, held  string
		conflicting bool
	}{
		{"a push before the pick", "POST /projects/:id/repository/branches", false},
		{"a push after a pick that conflicted", "POST /projects/:id/repository/commits/:sha/cherry_pick", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, p := mergeBackProject(t, false)
			if tc.conflicting {
				h.fake.Do(func() { h.project.Files[mbHead]["lib.go"] = "b" })
			}
			release := h.fake.HoldAnswers(tc.held)
			done := make(chan error, 1)
			go func() {
				_, err := p.OpenMergeBack(context.Background(), mbRequest)
				done <- err
			}()
			pushOnceMade(h, "shipgate/merge-back-41", strings.Repeat("de", 20), tc.held)
			release()
			if err := <-done; err == nil || !strings.Contains(err.Error(), "moved while Shipgate cherry-picked onto it") {
				t.Fatalf("want the moved branch refused, got %v", err)
			}
			if got := h.fake.MRsCreated(); len(got) != 0 {
				t.Errorf("MRs created from the moved branch: %q", got)
			}
		})
	}
}

// pushOnceMade waits until the request to route was received with branch
// made, then pushes a commit of a backdoor onto branch.
func pushOnceMade(h *harness, branch, sha, route string) {
	method, _, _ := strings.Cut(route, " ")
	suffix := route[strings.LastIndex(route, "/"):]
	for pushed := false; !pushed; time.Sleep(time.Millisecond) {
		received := slices.ContainsFunc(h.fake.Requests(), func(r fakegitlab.Request) bool {
			return r.Method == method && strings.HasSuffix(r.Path, suffix)
		})
		h.fake.Do(func() {
			head, made := h.project.Branches[branch]
			if !received || !made {
				return
			}
			h.project.Commits[sha] = fakegitlab.Commit{SHA: sha, Message: "backdoor", Parent: head, Files: []string{"new.go"}}
			h.project.Files[sha] = map[string]string{"app.go": "v1", "lib.go": "a", "new.go": "backdoor"}
			h.project.Branches[branch], pushed = sha, true
		})
	}
}
