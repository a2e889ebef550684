package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

const (
	orgRepo = "acme/.github"
	webRepo = "acme/web"
	// orgStrict asks for a change record: the tests' PR titles have none.
	orgStrict = "version: 1\nchange_record:\n  patterns: ['[A-Z][A-Z0-9]+-\\d+']\n  sources: [title]\n"
)

// openIn opens a PR with one commit in repo and delivers opened.
func (h *harness) openIn(repo string, pr fakegithub.PR, sha string) {
	h.t.Helper()
	pr.HeadSHA = sha
	h.fake.AddPR(repo, pr)
	h.fake.SetPRCommits(repo, pr.Number, []fakegithub.Commit{{SHA: sha, Message: pr.Title, Author: pr.Author, Date: h.clock.Now()}})
	h.deliver("pull_request", h.fake.PullRequestEvent(repo, pr.Number, "opened", pr.Author))
}

// checkIn is the newest `shipgate: main` check run of repo on sha.
func (h *harness) checkIn(repo, sha string) fakegithub.CheckRun {
	h.t.Helper()
	var last *fakegithub.CheckRun
	runs := h.fake.CheckRuns(repo, sha)
	for i := range runs {
		if runs[i].Name == review.CheckName("main") && (last == nil || runs[i].ID > last.ID) {
			last = &runs[i]
		}
	}
	if last == nil {
		h.t.Fatalf("no check run on %s@%.7s", repo, sha)
	}
	return *last
}

// wantIn asserts the conclusion of the newest check of repo on sha and
// the texts its summary holds.
func (h *harness) wantIn(repo, sha, conclusion string, has ...string) {
	h.t.Helper()
	cr := h.checkIn(repo, sha)
	if cr.Conclusion != conclusion {
		h.t.Fatalf("check on %s@%.7s is %s, want %s\n%s\n%s", repo, sha, cr.Conclusion, conclusion, cr.Title, cr.Summary)
	}
	for _, s := range has {
		if !strings.Contains(cr.Summary, s) && !strings.Contains(cr.Title, s) {
			h.t.Errorf("check on %s@%.7s does not say %q:\n%s\n%s", repo, sha, s, cr.Title, cr.Summary)
		}
	}
}

// pushBase commits content as path on the default branch of repo and
// delivers the push.
func (h *harness) pushBase(repo, path, content string) {
	h.t.Helper()
	before, _ := h.fake.Ref(repo, "heads/main")
	after := h.fake.AddCommit(repo, fakegithub.Commit{Message: "change " + path, Parents: []string{before}})
	h.fake.SetBranch(repo, "main", after)
	h.fake.SetFile(repo, "main", path, content)
	push := h.fake.PushEvent(repo, "refs/heads/main", before, after, "alice")
	for _, c := range push.Commits {
		c.Modified = []string{path}
	}
	h.deliver("push", push)
}

func TestTheOrganisationDefaultAppliesAndItsChangeReEvaluatesEveryUser(t *testing.T) {
	h := newHarness(t)
	h.fake.AddRepo(fakegithub.Repo{FullName: orgRepo})
	h.fake.AddRepo(fakegithub.Repo{FullName: webRepo})
	h.fake.SetFile(orgRepo, "main", github.DefaultPolicyPath, orgStrict)
	// acme/shop has no policy: the organisation default is its policy.
	// acme/web extends it and adds a title rule.
	h.fake.SetFile(webRepo, "main", github.PolicyFile, "version: 1\nextends: acme/.github:shipgate.yml\ntitle: {types: [feat, fix]}\n")
	h.open(fakegithub.PR{Number: 1, Title: "feat: gift cards", Author: "dave"}, shaA)
	h.openIn(webRepo, fakegithub.PR{Number: 7, Title: "feat: dark mode", Author: "dave"}, shaB)
	h.drain()
	h.wantIn(testRepo, shaA, "failure", "change_record")
	h.wantIn(webRepo, shaB, "failure", "change_record")

	// A push to the base that leaves it alone re-evaluates nobody.
	runsBefore := len(h.fake.CheckRuns(testRepo, shaA)) + len(h.fake.CheckRuns(webRepo, shaB))
	h.pushBase(orgRepo, "README.md", "# acme\n")
	h.drain()

	// The organisation relaxes its default: both repositories' open PRs are
	// judged again, with the new base.
	h.pushBase(orgRepo, github.DefaultPolicyPath, "version: 1\n")
	h.drain()
	h.wantIn(testRepo, shaA, "success")
	h.wantIn(webRepo, shaB, "success")
	if len(h.failures) > 0 {
		t.Errorf("processing failed: %v", h.failures)
	}
	evaluated := 0
	for _, r := range h.fake.Requests() {
		if r.Method == "GET" && strings.HasSuffix(r.Path, "/pulls") {
			evaluated++
		}
	}
	if evaluated != 2 {
		t.Errorf("the open PRs were listed %d times, want once per user of the base (2): the README push listed none", evaluated)
	}
	if runs := len(h.fake.CheckRuns(testRepo, shaA)) + len(h.fake.CheckRuns(webRepo, shaB)); runs != runsBefore {
		t.Logf("check runs %d → %d (edited in place when unchanged)", runsBefore, runs)
	}
}

func TestAMissingBaseIsAFailingCheckThatNamesIt(t *testing.T) {
	h := newHarness(t)
	h.fake.SetFile(testRepo, "main", github.PolicyFile, "version: 1\nextends: acme/policies:strict.yml@main\n")
	h.open(fakegithub.PR{Number: 1, Title: "feat: gift cards", Author: "dave"}, shaA)
	h.drain()
	h.wantIn(testRepo, shaA, "failure", "acme/policies:strict.yml@main", "extends")
	if len(h.failures) > 0 {
		t.Errorf("a missing base is a verdict, not a retried error: %v", h.failures)
	}

	// The base appears: its push re-evaluates the repository that waited for it.
	h.fake.AddRepo(fakegithub.Repo{FullName: "acme/policies"})
	h.pushBase("acme/policies", "strict.yml", "version: 1\n")
	h.drain()
	h.wantIn(testRepo, shaA, "success")
}

func TestAnExplicitDefaultPolicyThatCannotBeReadFailsClosed(t *testing.T) {
	h := newHarness(t, harnessOption{cfg: func(c *github.Config) {
		c.DefaultPolicy.Repo, c.DefaultPolicy.Path, c.DefaultPolicy.Ref = "acme/policies", "default.yml", "main"
	}})
	h.open(fakegithub.PR{Number: 1, Title: "feat: gift cards", Author: "dave"}, shaA)
	h.drain()
	h.wantIn(testRepo, shaA, "failure", "SHIPGATE_DEFAULT_POLICY=acme/policies:default.yml@main cannot be read")
}

// Attack: a repository turns a locked rule of its organisation down.
func TestAttackARepositoryCannotWeakenALockedRule(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.fake.AddRepo(fakegithub.Repo{FullName: orgRepo})
	h.fake.SetFile(orgRepo, "main", github.DefaultPolicyPath,
		"version: 1\napprovals:\n  - name: reviewers\n    locked: true\n    required: 2\n    from: [\"@acme/release-managers\", alice]\n")
	h.fake.SetFile(testRepo, "main", github.PolicyFile,
		"version: 1\nextends: acme/.github:shipgate.yml\napprovals:\n  - name: reviewers\n    required: 1\n")
	h.open(fakegithub.PR{Number: 1, Title: "feat: gift cards", Author: "dave"}, shaA)
	h.review(1, "bob", "APPROVED")
	h.drain()
	h.wantIn(testRepo, shaA, "failure", "lowers required from 2 to 1", "acme/.github:shipgate.yml locks it at 4:13")
}

// Attack: a PR points `extends` (and the base it names) at a lax policy
// in its own head; the check reads the base branch's policy only.
func TestAttackAPRChangingExtendsInItsHeadChangesNothing(t *testing.T) {
	h := newHarness(t)
	h.fake.AddRepo(fakegithub.Repo{FullName: orgRepo})
	h.fake.SetFile(orgRepo, "main", github.DefaultPolicyPath, orgStrict)
	h.fake.SetFile(testRepo, "main", github.PolicyFile, "version: 1\nextends: acme/.github:shipgate.yml\n")
	h.fake.SetFile(testRepo, "main", "lax.yml", "version: 1\n")
	for _, ref := range []string{"weaken", shaA} {
		h.fake.SetFile(testRepo, ref, github.PolicyFile, "version: 1\nextends: lax.yml\n")
		h.fake.SetFile(testRepo, ref, "lax.yml", "version: 1\n")
	}
	h.open(fakegithub.PR{Number: 1, Title: "chore: relax", Author: "dave", Head: "weaken"}, shaA)
	h.fake.SetPRFiles(testRepo, 1, []fakegithub.File{{Filename: github.PolicyFile}})
	h.drain()
	h.wantIn(testRepo, shaA, "failure", "change_record")
	for _, r := range h.fake.Requests() {
		if strings.Contains(r.Path, "/contents/") {
			q, _ := url.ParseQuery(r.Query)
			if ref := q.Get("ref"); ref == "weaken" || ref == shaA {
				t.Errorf("a policy file was read at the PR's head: %s %s?%s", r.Method, r.Path, r.Query)
			}
		}
	}
}

// Attack: a repository names as its base a policy of a repository its
// installation cannot read (another organisation's App installation):
// Shipgate does not read it with anyone else's rights, and fails closed.
func TestAttackABaseTheInstallationCannotReadFailsClosed(t *testing.T) {
	private, public := appKey(t)
	h := newHarness(t, harnessOption{
		fake: []fakegithub.Option{fakegithub.WithApp(fakegithub.App{ID: 42, PublicKey: public})},
		cfg:  func(c *github.Config) { c.Token, c.AppID, c.PrivateKey = "", 42, private },
	})
	h.fake.AddRepo(fakegithub.Repo{FullName: testRepo, InstallationID: 7})
	h.fake.AddRepo(fakegithub.Repo{FullName: "other/policies", InstallationID: 8})
	h.fake.SetFile("other/policies", "main", "lax.yml", "version: 1\n")
	h.fake.SetFile(testRepo, "main", github.PolicyFile, "version: 1\nextends: other/policies:lax.yml@main\n")
	h.open(fakegithub.PR{Number: 1, Title: "feat: gift cards", Author: "dave"}, shaA)
	h.drain()
	h.wantIn(testRepo, shaA, "failure", "cannot read the base policy other/policies:lax.yml@main", "fail closed")
	for _, tok := range h.fake.TokensIssued() {
		if tok != "installation-7" {
			t.Errorf("a token of %s was issued: the base must be read with the repository's own installation", tok)
		}
	}
}

func TestAnErrorInABaseIsAnnotatedOnTheFirstLineNamingTheBase(t *testing.T) {
	h := newHarness(t)
	h.fake.AddRepo(fakegithub.Repo{FullName: orgRepo})
	h.fake.SetFile(orgRepo, "main", github.DefaultPolicyPath, "version: 1\napprovals:\n  - required: two\n")
	h.fake.SetFile(testRepo, "main", github.PolicyFile, "version: 1\nextends: acme/.github:shipgate.yml\n")
	h.open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaA)
	h.drain()
	cr := h.checkIn(testRepo, shaA)
	if len(cr.Annotations) != 1 {
		t.Fatalf("annotations %+v, want one", cr.Annotations)
	}
	a := cr.Annotations[0]
	if a.Path != github.PolicyFile || a.StartLine != 1 || !strings.HasPrefix(a.Message, "acme/.github:shipgate.yml:3:15: approvals[0].required") {
		t.Errorf("annotation %+v, want line 1 of %s naming the base's file:line:column", a, github.PolicyFile)
	}
}

// lockedDefault is an explicit default policy locking two approvals.
const lockedDefault = "version: 1\napprovals:\n  - name: reviewers\n    locked: true\n    required: 2\n    from: [\"@acme/release-managers\", alice]\n"

// withLockedDefault names acme/policies:default.yml@main as the default
// policy (SHIPGATE_DEFAULT_POLICY) and gives it content.
func withLockedDefault(t *testing.T, content string) *harness {
	h := newHarness(t, harnessOption{cfg: func(c *github.Config) {
		c.DefaultPolicy.Repo, c.DefaultPolicy.Path, c.DefaultPolicy.Ref = "acme/policies", "default.yml", "main"
	}})
	h.people()
	h.fake.AddRepo(fakegithub.Repo{FullName: "acme/policies"})
	h.fake.SetFile("acme/policies", "main", "default.yml", content)
	return h
}

// openApprovedUnder gives acme/shop the policy on main, opens PR #1 on
// shaA and has bob approve it.
func (h *harness) openApprovedUnder(policy string) {
	h.t.Helper()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, policy)
	h.open(fakegithub.PR{Number: 1, Title: "feat: gift cards", Author: "dave"}, shaA)
	h.review(1, "bob", "APPROVED")
	h.drain()
}

// Attack: a repository adds a policy of its own that extends nothing, so
// that the default's locked rule would not apply to it.
func TestAttackAPolicyThatExtendsNothingDoesNotEscapeTheDefaultsLocks(t *testing.T) {
	h := withLockedDefault(t, lockedDefault)
	h.openApprovedUnder("version: 1\n\napprovals:\n  - name: reviewers\n    required: 1\n")
	h.wantIn(testRepo, shaA, "failure", "acme/policies:default.yml@main locks rules that bind every repository's policy: extend it", ".shipgate.yml:1:1")
}

// Attack: a repository extends an older version of the default, pinned
// by its ref, from before the lock.
func TestAttackAPolicyExtendingAnOldCopyOfTheDefaultDoesNotEscapeItsLocks(t *testing.T) {
	h := withLockedDefault(t, lockedDefault)
	h.fake.SetFile("acme/policies", "v1", "default.yml", "version: 1\napprovals:\n  - name: reviewers\n    required: 1\n")
	h.openApprovedUnder("version: 1\nextends: acme/policies:default.yml@v1\n")
	h.wantIn(testRepo, shaA, "failure", "this one extends acme/policies:default.yml@v1, which is not it as it is now", ".shipgate.yml:2:10")
}

// A policy that extends the locked default, directly or through a base
// of its own, is judged by the merged rules; a default that locks nothing
// binds no policy.
func TestAPolicyThatExtendsTheLockedDefaultIsJudgedByIt(t *testing.T) {
	for _, tc := range []struct{ name, def, policy string }{
		{"directly", lockedDefault, "version: 1\nextends: acme/policies:default.yml@main\n"},
		{"through a base of its own", lockedDefault, "version: 1\nextends: team.yml\n"},
		{"a default that locks nothing", strings.ReplaceAll(lockedDefault, "    locked: true\n", ""), "version: 1\napprovals:\n  - name: reviewers\n    required: 2\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := withLockedDefault(t, tc.def)
			h.fake.SetFile(testRepo, "main", "team.yml", "version: 1\nextends: acme/policies:default.yml@main\n")
			h.openApprovedUnder(tc.policy)
			h.wantIn(testRepo, shaA, "", "needs 1 more approval")
		})
	}
}

// A lock added to the default later binds the repositories whose own
// policy does not extend it: the default's push re-evaluates them.
func TestALockAddedToTheDefaultLaterBindsEveryRepository(t *testing.T) {
	h := withLockedDefault(t, strings.ReplaceAll(lockedDefault, "    locked: true\n", ""))
	h.openApprovedUnder("version: 1\napprovals:\n  - name: reviewers\n    required: 1\n")
	h.wantIn(testRepo, shaA, "success")

	h.pushBase("acme/policies", "default.yml", lockedDefault)
	h.drain()
	h.wantIn(testRepo, shaA, "failure", "locks rules that bind every repository's policy")
}
