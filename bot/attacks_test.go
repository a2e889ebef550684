package bot_test

// The attack catalogue: each test is one way a person with write access
// could try to walk around Shipgate's gate, run against the fake GitHub
// and, where the attack applies there, the fake GitLab, through the real
// adapters, store and queue (internal/testbed). A test is named for the
// attack; it must keep failing the attack.
//
// Elsewhere: the Action's attacks (a pull_request_review or issue_comment
// run that says "nothing to check") are in actions/; the deployment
// attacks (spoofed workflow runs, a starter approving from Slack, …) in
// bot/deploy and bot/slack; forged webhooks and replays in bot/github and
// bot/gitlab (TestReceiverRefusesWhatItCannotTrust and its GitLab twin);
// change records that exist but are not approved for the change, and
// forged Jira webhooks, in bot/github/server/records_attacks_test.go;
// a monorepo's components (a rename out of a component, unread files, a
// release of one component deployed to another's environment) in
// policies/components_test.go, bot/components_test.go and
// bot/deploy/components_test.go;
// the hotfix merge-back's (closing the merge-back PR unmerged, merging a
// PR that only names the hotfix, retargeting the merge-back elsewhere, a
// merge-back branch pushed ahead, on GitLab an MR of one's own from that
// branch) in bot/github/server/mergeback_test.go,
// bot/mergeback_gitlab_test.go and bot/gitlab/mergeback_test.go; a canary
// metric that stays missing in bot/deploy/canary_test.go.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/internal/testbed"
	"github.com/shipgate/shipgate/policies"
)

// gatePolicy gates main and the release lines with one approval.
const gatePolicy = `version: 1
branches: [main, "release/*"]
approvals:
  - name: reviewers
    required: 1
`

// people: dave opens changes; alice and bob review (bob maintains);
// mallory has write access and is the attacker; frank sits on the CAB.
var people = map[string]string{"dave": "write", "alice": "write", "bob": "maintain", "mallory": "write", "frank": "write", "carol": "read"}

var gitlabPeople = map[string]int{"dave": 30, "alice": 30, "bob": 40, "mallory": 40, "frank": 30, testbed.GitLabBot: 40}

var (
	shaX = strings.Repeat("a1", 20)
	shaY = strings.Repeat("b2", 20)
	shaZ = strings.Repeat("c3", 20)
)

func TestASecondPROnTheSameCommitIntoALaxBranchDoesNotPassMainsCheck(t *testing.T) {
	g := testbed.NewGitHub(t, gatePolicy, people)
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave", Head: "feature"}, shaX)
	g.Open(fakegithub.PR{Number: 2, Title: "feat: x", Author: "dave", Head: "feature", Base: "experiments"}, shaX)
	g.Drain()
	if !g.Passes(shaX, "experiments") {
		t.Errorf("the ungated PR gets no passing verdict of its own")
	}
	if g.Passes(shaX, "main") {
		t.Errorf("main's required check passes on a commit no one approved")
	}

	l := testbed.NewGitLab(t, gatePolicy, gitlabPeople)
	l.Open(fakegitlab.MR{IID: 1, Title: "feat: x", Author: user(l, "dave"), SHA: shaX, SourceBranch: "feature"})
	l.Open(fakegitlab.MR{IID: 2, Title: "feat: x", Author: user(l, "dave"), SHA: shaX, SourceBranch: "feature", TargetBranch: "experiments"})
	l.Drain()
	if !l.Passes(shaX, "experiments") || l.Passes(shaX, "main") {
		t.Errorf("GitLab: experiments passes %v, main passes %v; want true, false", l.Passes(shaX, "experiments"), l.Passes(shaX, "main"))
	}
}

func TestRetargetingALaxPRToMainAndMergingAtOnceGetsNoPass(t *testing.T) {
	g := testbed.NewGitHub(t, gatePolicy, people)
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave", Head: "feature", Base: "experiments"}, shaX)
	g.Drain()
	if !g.Passes(shaX, "experiments") {
		t.Fatalf("the PR into experiments should pass")
	}
	g.Fake.UpdatePR(testbed.GitHubRepo, 1, func(pr *fakegithub.PR) { pr.Base = "main" })
	// Before Shipgate has seen the edit, main's check does not exist.
	if g.Passes(shaX, "main") {
		t.Fatalf("main's check passes right after the retarget")
	}
	g.PREvent(1, "edited", "mallory")
	g.Drain()
	if g.Passes(shaX, "main") {
		t.Errorf("main's check passes after the retarget")
	}
	if g.Passes(shaX, "experiments") {
		t.Errorf("the verdict for experiments still stands on a PR that no longer targets it")
	}

	l := testbed.NewGitLab(t, gatePolicy, gitlabPeople)
	l.Open(fakegitlab.MR{IID: 1, Title: "feat: x", Author: user(l, "dave"), SHA: shaX, TargetBranch: "experiments"})
	l.Drain()
	l.Fake.Do(func() { l.Project.MRs[1].TargetBranch = "main" })
	l.MRHook(1, "update", "mallory", "target_branch")
	l.Drain()
	if l.Passes(shaX, "main") || l.Passes(shaX, "experiments") {
		t.Errorf("GitLab: main passes %v, experiments passes %v after the retarget; want false, false", l.Passes(shaX, "main"), l.Passes(shaX, "experiments"))
	}
}

func TestTheVerdictOfAClosedPRDoesNotPassANewPROnTheSameCommit(t *testing.T) {
	g := testbed.NewGitHub(t, gatePolicy, people)
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave", Head: "feature"}, shaX)
	g.Review(1, "alice", "APPROVED")
	g.Drain()
	if !g.Passes(shaX, "main") {
		t.Fatalf("the approved PR should pass")
	}
	g.Fake.UpdatePR(testbed.GitHubRepo, 1, func(pr *fakegithub.PR) { pr.State = "closed" })
	g.PREvent(1, "closed", "dave")
	g.Drain()
	g.Fake.AddPR(testbed.GitHubRepo, fakegithub.PR{Number: 2, Title: "feat: x again", Author: "mallory", Head: "feature", HeadSHA: shaX})
	if g.Passes(shaX, "main") {
		t.Errorf("a new PR of the closed PR's commit could merge on the closed PR's approval")
	}
}

func TestEditingAReviewersCommentIntoApproveApprovesNothing(t *testing.T) {
	g := testbed.NewGitHub(t, gatePolicy, people)
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "mallory"}, shaX)
	id := g.Comment(1, "alice", "I'll look at this tomorrow.")
	g.Drain()
	g.EditComment(id, "mallory", "/approve")
	g.Drain()
	if g.Passes(shaX, "main") {
		t.Errorf("an edited comment approved the change in alice's name")
	}

	l := testbed.NewGitLab(t, gatePolicy, gitlabPeople)
	l.Open(fakegitlab.MR{IID: 1, Title: "feat: x", Author: user(l, "mallory"), SHA: shaX})
	nid := l.Note(1, "alice", "I'll look at this tomorrow.")
	l.Drain()
	l.EditNote(1, nid, "mallory", "/approve")
	l.Drain()
	if l.Passes(shaX, "main") {
		t.Errorf("GitLab: an edited note approved the change in alice's name")
	}
}

func TestEditingAHoldAwayLiftsNothing(t *testing.T) {
	g := testbed.NewGitHub(t, gatePolicy, people)
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "mallory"}, shaX)
	g.Review(1, "alice", "APPROVED")
	id := g.Comment(1, "bob", "/hold")
	g.Drain()
	g.EditComment(id, "mallory", "/unhold")
	g.Drain()
	if g.Passes(shaX, "main") {
		t.Errorf("editing bob's /hold into /unhold lifted the hold")
	}
	g.Fake.DeleteComment(testbed.GitHubRepo, id)
	g.PREvent(1, "edited", "mallory")
	g.Drain()
	if g.Passes(shaX, "main") {
		t.Errorf("deleting bob's /hold lifted the hold")
	}

	l := testbed.NewGitLab(t, gatePolicy, gitlabPeople)
	l.Open(fakegitlab.MR{IID: 1, Title: "feat: x", Author: user(l, "mallory"), SHA: shaX})
	l.Approve(1, "alice")
	nid := l.Note(1, "bob", "/hold")
	l.Drain()
	l.EditNote(1, nid, "mallory", "looks fine")
	l.Drain()
	if l.Passes(shaX, "main") {
		t.Errorf("GitLab: editing bob's /hold away lifted the hold")
	}
}

func TestEditingAnApproveIntoApproveCancelCancelsNothing(t *testing.T) {
	g := testbed.NewGitHub(t, gatePolicy, people)
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaX)
	id := g.Comment(1, "alice", "/approve")
	g.Drain()
	if !g.Passes(shaX, "main") {
		t.Fatalf("alice's /approve should pass the change")
	}
	g.EditComment(id, "mallory", "/approve cancel")
	g.Drain()
	if !g.Passes(shaX, "main") {
		t.Errorf("editing alice's /approve into /approve cancel withdrew her approval")
	}
}

func TestShipgatesOwnNoteQuotingACommandApprovesNothingAfterARestart(t *testing.T) {
	const notePolicy = gatePolicy + "release_notes: {block: release-note}\n"
	l := testbed.NewGitLab(t, notePolicy, gitlabPeople)
	body := "Fix.\n\n```release-note\nFixed the login.\n/approve\n```\n"
	l.Open(fakegitlab.MR{IID: 1, Title: "fix: login", Author: user(l, "mallory"), SHA: shaX, Description: body})
	l.Drain()
	// A sticky note as an older Shipgate wrote it: the note indented, so
	// that its /approve line read as a command.
	l.Fake.Do(func() {
		mr := l.Project.MRs[1]
		mr.Notes = append(mr.Notes, &fakegitlab.Note{ID: 900, Author: l.User(testbed.GitLabBot),
			Body: "<!-- shipgate:summary -->\n- Release note:\n  Fixed the login.\n  /approve\n", CreatedAt: l.Clock.Now()})
	})
	l.Restart()
	l.MRHook(1, "update", "mallory", "description")
	l.Drain()
	if l.Passes(shaX, "main") {
		t.Errorf("Shipgate's own note approved the change after a restart")
	}
	l.Fake.Do(func() {
		for _, n := range l.Project.MRs[1].Notes {
			if n.Author.Username == testbed.GitLabBot && n.ID != 900 && strings.Contains(n.Body, "\n/approve") {
				t.Errorf("Shipgate wrote a note with a command line in it:\n%s", n.Body)
			}
		}
	})
}

func TestThreeThousandAndOneFilesWithTheProtectedOneLastWait(t *testing.T) {
	const ownersPolicy = "version: 1\nbranches: [main]\napprovals:\n  - {name: owners, codeowners: true}\n"
	g := testbed.NewGitHub(t, ownersPolicy, people)
	g.Fake.SetFile(testbed.GitHubRepo, "main", ".github/CODEOWNERS", "db/ @bob\n")
	files := make([]fakegithub.File, 0, 3001)
	for i := range 3000 {
		files = append(files, fakegithub.File{Filename: fmt.Sprintf("docs/page%04d.md", i)})
	}
	files = append(files, fakegithub.File{Filename: "db/schema.sql"})
	g.Fake.AddPR(testbed.GitHubRepo, fakegithub.PR{Number: 1, Title: "docs: pages", Author: "mallory", HeadSHA: shaX})
	g.Fake.SetPRFiles(testbed.GitHubRepo, 1, files)
	g.Fake.SetPRCommits(testbed.GitHubRepo, 1, []fakegithub.Commit{{SHA: shaX, Message: "docs", Author: "mallory"}})
	g.PREvent(1, "opened", "mallory")
	g.Review(1, "alice", "APPROVED")
	g.Drain()
	cr, _ := g.Check(shaX, "main")
	if g.Passes(shaX, "main") || !strings.Contains(cr.Summary, "not every changed file could be read") {
		t.Errorf("a code owner's file hidden past GitHub's 3000-file cap went unchecked: %s %s\n%s", cr.Status, cr.Conclusion, cr.Summary)
	}
}

func TestAThousandAndOneCommentsWithHoldLastStillHold(t *testing.T) {
	g := testbed.NewGitHub(t, gatePolicy, people)
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaX)
	g.Review(1, "alice", "APPROVED")
	g.Drain()
	for i := range 1000 {
		g.Fake.AddComment(testbed.GitHubRepo, 1, fakegithub.Comment{Author: "mallory", Body: fmt.Sprintf("noise %d", i)})
	}
	// The /hold's own webhook is lost, and a new process evaluates the PR:
	// only reading every page finds it.
	g.Fake.AddComment(testbed.GitHubRepo, 1, fakegithub.Comment{Author: "bob", Body: "/hold"})
	g.Restart()
	g.PREvent(1, "edited", "dave")
	g.Drain()
	if g.Passes(shaX, "main") {
		cr, _ := g.Check(shaX, "main")
		t.Errorf("a /hold after 1000 comments was not seen:\n%s", cr.Summary)
	}
}

const hotfixPolicy = `version: 1
branches: [main, "release/*"]
approvals:
  - name: reviewers
    required: 2
hotfix:
  branches: ["hotfix/*"]
  approvals: {required: 1}
  merge_back_to: main
`

func TestAHotfixBranchNameIntoMainRelaxesNothing(t *testing.T) {
	g := testbed.NewGitHub(t, hotfixPolicy, people)
	g.Open(fakegithub.PR{Number: 1, Title: "fix: crash", Author: "mallory", Head: "hotfix/crash"}, shaX)
	g.Comment(1, "bob", "/hotfix checkout crashes")
	g.Review(1, "alice", "APPROVED")
	g.Drain()
	if g.Passes(shaX, "main") {
		t.Errorf("a hotfix/ branch into main passed with one approval of two")
	}

	l := testbed.NewGitLab(t, hotfixPolicy, gitlabPeople)
	l.Open(fakegitlab.MR{IID: 1, Title: "fix: crash", Author: user(l, "mallory"), SHA: shaX, SourceBranch: "hotfix/crash"})
	l.Note(1, "bob", "/hotfix checkout crashes")
	l.Approve(1, "alice")
	l.Drain()
	if l.Passes(shaX, "main") {
		t.Errorf("GitLab: a hotfix/ branch into main passed with one approval of two")
	}
}

func TestAnUndeclaredHotfixIntoAReleaseLineRelaxesNothing(t *testing.T) {
	g := testbed.NewGitHub(t, hotfixPolicy, people)
	g.SetPolicy("release/1.2", hotfixPolicy)
	g.Open(fakegithub.PR{Number: 1, Title: "fix: crash", Author: "mallory", Head: "hotfix/crash", Base: "release/1.2"}, shaX)
	g.Review(1, "alice", "APPROVED")
	g.Drain()
	if g.Passes(shaX, "release/1.2") {
		t.Errorf("an undeclared hotfix passed with one approval of two")
	}
	g.Comment(1, "bob", "/hotfix checkout crashes on expired cards")
	g.Drain()
	if !g.Passes(shaX, "release/1.2") {
		cr, _ := g.Check(shaX, "release/1.2")
		t.Errorf("a hotfix a maintainer declared should pass with its one approval:\n%s", cr.Summary)
	}
}

func TestAHotfixDeclaredBySomeoneWithoutMaintainRelaxesNothing(t *testing.T) {
	g := testbed.NewGitHub(t, hotfixPolicy, people)
	g.SetPolicy("release/1.2", hotfixPolicy)
	g.Open(fakegithub.PR{Number: 1, Title: "fix: crash", Author: "dave", Head: "hotfix/crash", Base: "release/1.2"}, shaX)
	g.Review(1, "alice", "APPROVED")
	g.Comment(1, "frank", "/hotfix trust me")
	g.Drain()
	if g.Passes(shaX, "release/1.2") {
		t.Errorf("a writer's /hotfix declared a hotfix")
	}
	g.Fake.LabelBy(testbed.GitHubRepo, 1, "hotfix", "frank", true)
	g.PREvent(1, "labeled", "frank")
	g.Drain()
	if g.Passes(shaX, "release/1.2") {
		t.Errorf("the hotfix label added by a writer declared a hotfix")
	}

	l := testbed.NewGitLab(t, hotfixPolicy, gitlabPeople)
	l.SetPolicy("release/1.2", hotfixPolicy)
	l.Open(fakegitlab.MR{IID: 1, Title: "fix: crash", Author: user(l, "dave"), SHA: shaX, SourceBranch: "hotfix/crash", TargetBranch: "release/1.2"})
	l.Approve(1, "alice")
	l.Fake.Do(func() { l.Project.MRs[1].Label("hotfix", l.User("frank"), "add", l.Clock.Now()) })
	l.MRHook(1, "update", "frank", "labels")
	l.Drain()
	if l.Passes(shaX, "release/1.2") {
		t.Errorf("GitLab: the hotfix label added by a Developer declared a hotfix")
	}
}

// freezePolicy freezes main from 3 to 10 November 2026; frank may
// override.
const freezePolicy = gatePolicy + `freeze:
  windows: [{name: release-week, start: 2026-11-03T00:00:00Z, end: 2026-11-10T00:00:00Z}]
  override: {approvals: 1, from: [frank]}
`

var freezeStart = time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)

func TestAReviewByAnOverrideApproverDoesNotLiftAFreeze(t *testing.T) {
	g := testbed.NewGitHub(t, freezePolicy, people)
	g.Clock.AdvanceTo(freezeStart.Add(time.Hour))
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaX)
	g.Review(1, "alice", "APPROVED")
	g.Review(1, "frank", "APPROVED")
	g.Drain()
	if g.Passes(shaX, "main") {
		t.Errorf("an approving review by frank overrode the freeze")
	}
	g.Comment(1, "frank", "/override-freeze the payment outage fix")
	g.Drain()
	if !g.Passes(shaX, "main") {
		t.Errorf("frank's /override-freeze during the window should let it through")
	}
}

func TestAnOverrideGivenBeforeTheWindowDoesNotCarryIntoIt(t *testing.T) {
	g := testbed.NewGitHub(t, freezePolicy, people)
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaX)
	g.Review(1, "alice", "APPROVED")
	g.Comment(1, "frank", "/override-freeze ship it before the freeze")
	g.Drain()
	g.AdvanceTo(freezeStart)
	if g.Passes(shaX, "main") {
		t.Errorf("an override given before the window held in it")
	}
}

func TestAnOverrideBySomeoneNotInFromDoesNothing(t *testing.T) {
	g := testbed.NewGitHub(t, freezePolicy, people)
	g.Clock.AdvanceTo(freezeStart.Add(time.Hour))
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaX)
	g.Review(1, "alice", "APPROVED")
	g.Comment(1, "mallory", "/override-freeze I know what I am doing")
	g.Drain()
	if g.Passes(shaX, "main") {
		t.Errorf("mallory, who is not in freeze.override.from, overrode the freeze")
	}
}

func TestAContributorsApprovalDoesNotCount(t *testing.T) {
	g := testbed.NewGitHub(t, gatePolicy, people)
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaX)
	g.Push(1, fakegithub.Commit{SHA: shaY, Message: "feat: more", Author: "mallory"}, "mallory")
	g.Review(1, "mallory", "APPROVED")
	g.Drain()
	if g.Passes(shaY, "main") {
		t.Errorf("mallory approved a change she committed to")
	}

	l := testbed.NewGitLab(t, gatePolicy, gitlabPeople)
	l.Open(fakegitlab.MR{IID: 1, Title: "feat: x", Author: user(l, "dave"), SHA: shaX})
	l.Push(1, fakegitlab.Commit{SHA: shaY, Message: "feat: more", AuthorName: "Mallory"}, "mallory")
	l.Approve(1, "mallory")
	l.Drain()
	if l.Passes(shaY, "main") {
		t.Errorf("GitLab: mallory approved a change she pushed to")
	}
}

func TestAStatusPostedByAUserDoesNotSatisfyACheckWhoseSourceIsNamed(t *testing.T) {
	const checksPolicy = "version: 1\nbranches: [main]\nchecks:\n  required: [{name: test, app: github-actions}]\n"
	g := testbed.NewGitHub(t, checksPolicy, people)
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "mallory"}, shaX)
	g.Fake.AddStatus(testbed.GitHubRepo, fakegithub.Status{SHA: shaX, Context: "test", State: "success", Creator: "mallory"})
	g.Fake.AddCheckRun(testbed.GitHubRepo, fakegithub.CheckRun{HeadSHA: shaX, Name: "test", Status: "completed", Conclusion: "success", App: "evil-app"})
	g.Deliver("status", []byte(`{"sha":"`+shaX+`","context":"test","state":"success","repository":{"full_name":"`+testbed.GitHubRepo+`"},"sender":{"login":"mallory"}}`))
	g.Drain()
	if g.Passes(shaX, "main") {
		t.Errorf("a status posted by mallory, or another App's check run, satisfied a check only github-actions may report")
	}
	g.Fake.AddCheckRun(testbed.GitHubRepo, fakegithub.CheckRun{HeadSHA: shaX, Name: "test", Status: "completed", Conclusion: "success", App: "github-actions"})
	g.PREvent(1, "edited", "mallory")
	g.Drain()
	if !g.Passes(shaX, "main") {
		t.Errorf("the github-actions check run should satisfy the check")
	}

	const fromPolicy = "version: 1\nbranches: [main]\nchecks:\n  required: [{name: ci/jenkins, from: jenkins-bot}]\n"
	l := testbed.NewGitLab(t, fromPolicy, gitlabPeople)
	l.Open(fakegitlab.MR{IID: 1, Title: "feat: x", Author: user(l, "mallory"), SHA: shaX})
	l.Fake.Do(func() {
		l.Project.Statuses = append(l.Project.Statuses, fakegitlab.Status{SHA: shaX, Name: "ci/jenkins", State: "success", Author: l.User("mallory")})
	})
	l.MRHook(1, "update", "mallory", "description")
	l.Drain()
	if l.Passes(shaX, "main") {
		t.Errorf("GitLab: a status posted by mallory satisfied a check only jenkins-bot may report")
	}
}

func TestAnApprovalFollowedByAPushStopsCountingWithoutADismissStaleKey(t *testing.T) {
	g := testbed.NewGitHub(t, gatePolicy, people)
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaX)
	g.Fake.SetPRFiles(testbed.GitHubRepo, 1, []fakegithub.File{{Filename: "app.go", SHA: "blob1"}})
	g.Review(1, "alice", "APPROVED")
	g.Drain()
	if !g.Passes(shaX, "main") {
		t.Fatalf("the approved change should pass")
	}
	g.Push(1, fakegithub.Commit{SHA: shaY, Message: "feat: and a backdoor", Author: "dave"}, "dave", fakegithub.File{Filename: "app.go", SHA: "blob2"})
	g.Drain()
	cr, _ := g.Check(shaY, "main")
	if g.Passes(shaY, "main") || !strings.Contains(cr.Summary, "which the push of "+shaY[:7]+" changed") {
		t.Errorf("an approval of the old code passed the new code, or does not say which push changed it:\n%s", cr.Summary)
	}
	// A push that only merges the base branch in keeps what was approved.
	g.Review(1, "alice", "APPROVED")
	g.Push(1, fakegithub.Commit{SHA: shaZ, Message: "Merge branch 'main' into feature", Author: "dave"}, "dave", fakegithub.File{Filename: "app.go", SHA: "blob2"})
	g.Drain()
	if !g.Passes(shaZ, "main") {
		cr, _ := g.Check(shaZ, "main")
		t.Errorf("a push that changed none of the PR's files dropped the approval:\n%s", cr.Summary)
	}

	l := testbed.NewGitLab(t, gatePolicy, gitlabPeople)
	l.Open(fakegitlab.MR{IID: 1, Title: "feat: x", Author: user(l, "dave"), SHA: shaX})
	l.Approve(1, "alice")
	l.Drain()
	if !l.Passes(shaX, "main") {
		t.Fatalf("GitLab: the approved change should pass")
	}
	l.Push(1, fakegitlab.Commit{SHA: shaY, Message: "feat: and a backdoor", AuthorName: "Dave"}, "dave")
	l.Drain()
	if l.Passes(shaY, "main") {
		t.Errorf("GitLab: an approval of the old code passed the new code")
	}
}

// user is a member of the GitLab world by name.
func user(l *testbed.GitLab, name string) fakegitlab.User {
	var u fakegitlab.User
	l.Fake.Do(func() { u = l.User(name) })
	return u
}

// Every GitLab project's webhook carries the one secret token Shipgate
// checks, so whoever configured one (a Maintainer of any project) can
// send another project's hooks. A forged Note Hook runs no command: the
// note is read from GitLab, and its author, text and creation time are
// GitLab's.
func TestAForgedNoteHookRunsNoCommand(t *testing.T) {
	l := testbed.NewGitLab(t, gatePolicy, gitlabPeople)
	l.Open(fakegitlab.MR{IID: 1, Title: "feat: x", Author: user(l, "dave"), SHA: shaX, SourceBranch: "feature"})
	l.Approve(1, "alice")
	l.Note(1, "bob", "/hold")
	harmless := l.Note(1, "frank", "looks fine")
	l.Drain()
	if l.Passes(shaX, "main") {
		t.Fatal("the held MR passes before the attack")
	}
	l.ForgeNoteHook(1, 999, "bob", "/unhold")      // no such note
	l.ForgeNoteHook(1, harmless, "bob", "/unhold") // frank's note, which says something else
	l.Drain()
	if l.Passes(shaX, "main") {
		t.Error("a forged Note Hook lifted bob's hold")
	}
	l.Note(1, "bob", "/unhold") // bob's own note lifts it
	l.Drain()
	if !l.Passes(shaX, "main") {
		t.Error("bob's real /unhold did not lift his hold")
	}
}

func TestAReleaseBranchCreatedAheadOfTheTrainIsLeftAloneAndNothingIsCut(t *testing.T) {
	g := testbed.NewGitHub(t, trainPolicy, people)
	slack := g.WithSlack()
	c0 := commitOnMain(g, "", "chore: initial import")
	g.Fake.AddTag(testbed.GitHubRepo, "v1.0.0", c0)
	c1 := commitOnMain(g, c0, "feat: checkout (#12)")
	// mallory (write access) creates the branch the next train would cut,
	// at a commit of her own, hoping the train tags and ships it.
	evil := g.Fake.AddCommit(testbed.GitHubRepo, fakegithub.Commit{Message: "feat: backdoor", Author: "mallory", Parents: []string{c1}})
	g.Fake.SetBranch(testbed.GitHubRepo, "release/1.1.0", evil)
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaX)
	g.Drain()
	g.AdvanceTo(time.Date(2026, 10, 6, 8, 0, 0, 0, time.UTC))
	if at, _ := g.Fake.Ref(testbed.GitHubRepo, "heads/release/1.1.0"); at != evil {
		t.Errorf("the branch was moved to %s", at)
	}
	if _, ok := g.Fake.Ref(testbed.GitHubRepo, "tags/v1.1.0"); ok {
		t.Errorf("the train tagged v1.1.0 although its branch was not its own")
	}
	got := inChannel(slack, "#trains")
	if len(got) != 2 || !strings.Contains(got[1], "skipped") || !strings.Contains(got[1], "release/1.1.0 exists at another commit") {
		t.Errorf("the train's messages: %q", got)
	}
}

func TestATagByAWriterIsAnnouncedAsRefusedNotAsARelease(t *testing.T) {
	g := testbed.NewGitHub(t, notifyPolicy, people)
	slack := g.WithSlack()
	c0 := commitOnMain(g, "", "chore: initial import")
	g.Fake.AddTag(testbed.GitHubRepo, "v0.1.0", c0)
	c1 := commitOnMain(g, c0, "feat: gift cards (#3)")
	g.Fake.AddTag(testbed.GitHubRepo, "v0.2.0", c1)
	g.Deliver("push", g.Fake.PushEvent(testbed.GitHubRepo, "refs/tags/v0.2.0", strings.Repeat("0", 40), c1, "mallory"))
	g.Drain()
	msgs := slack.Messages()
	if len(msgs) != 1 || msgs[0].Channel != "#release-alerts" || !strings.Contains(msgs[0].Text, "Tag v0.2.0 refused") ||
		!strings.Contains(msgs[0].Text, "pushed by mallory, who has write access") {
		t.Errorf("messages: %+v", msgs)
	}
}

func TestAPolicyOnASideBranchRunsNoTrainOfItsOwn(t *testing.T) {
	// main has no trains; mallory pushes a branch whose policy cuts a
	// train from it every minute, and opens a change into it.
	g := testbed.NewGitHub(t, gatePolicy, people)
	c0 := commitOnMain(g, "", "chore: initial import")
	g.Fake.AddTag(testbed.GitHubRepo, "v1.0.0", c0)
	evil := g.Fake.AddCommit(testbed.GitHubRepo, fakegithub.Commit{Message: "feat: backdoor", Author: "mallory", Parents: []string{c0}})
	g.Fake.SetBranch(testbed.GitHubRepo, "evil", evil)
	g.SetPolicy("evil", gatePolicy+"releases: {schedule: {cron: \"* * * * *\"}, from: evil, tag: true}\n")
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "mallory", Base: "evil"}, shaX)
	g.Drain()
	g.AdvanceTo(g.Clock.Now().Add(10 * time.Minute))
	if refs := g.Fake.RefsCreated(); len(refs) != 0 {
		t.Errorf("a side branch's policy cut %q", refs)
	}
}

func TestOneTitleCannotDeclareTheBumpOfTwoComponents(t *testing.T) {
	for _, host := range []policies.Host{policies.GitHub, policies.GitLab} {
		h := testbed.NewHost(t, host, monorepoPolicy, crew)
		// A feature that changes web too, under a title that speaks for api alone.
		h.Open(1, testbed.Change{Title: "fix(api): typo", Author: "dave", SHA: "m1",
			Files: []string{"services/api/typo.go", "apps/web/new-feature.ts"}})
		h.Drain()
		if v := h.Verdict("m1", "main"); v.Conclusion != "failure" {
			t.Errorf("%s: a title for one component passed a change to two: %+v", host, v)
		}
	}
}
