package server

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

func TestInvalidPolicyAnnotatesTheFile(t *testing.T) {
	h := newHarness(t)
	h.fake.SetFile(testRepo, "main", github.PolicyFile, "version: 1\napprovals:\n  - required: two\nrelase_notes: {}\n")
	h.open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaA)
	h.drain()
	cr := h.wantCheck(shaA, "completed", "failure", "invalid", "approvals[0].required")
	if len(cr.Annotations) != 2 {
		t.Fatalf("annotations %+v, want one per error", cr.Annotations)
	}
	lines := []int{}
	for _, a := range cr.Annotations {
		if a.Path != github.PolicyFile || a.Level != "failure" || a.StartLine != a.EndLine {
			t.Errorf("annotation %+v", a)
		}
		lines = append(lines, a.StartLine)
	}
	if !slices.Equal(lines, []int{3, 4}) {
		t.Errorf("annotated lines %v, want 3 and 4", lines)
	}
	// The check run shows it all on GitHub: no sticky comment repeats it.
	if n := len(h.stickyComments(1)); n != 0 {
		t.Errorf("%d sticky comments, want none", n)
	}
}

func TestNoPolicyIsNeutral(t *testing.T) {
	h := newHarness(t)
	h.open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaA)
	h.drain()
	h.wantCheck(shaA, "completed", "neutral", "No Shipgate policy", "version: 1")
	if n := len(h.fake.Comments(testRepo, 1)); n != 0 {
		t.Errorf("%d comments on a repository without policy, want none", n)
	}
}

func TestUngatedBranchIsSkipped(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.fake.SetFile(testRepo, "experiments", github.PolicyFile, strictPolicy)
	h.open(fakegithub.PR{Number: 1, Title: "try", Author: "dave", Base: "experiments"}, shaA)
	h.drain()
	if cr := h.checkFor(shaA, "experiments"); cr.Conclusion != "success" || !strings.Contains(cr.Summary, "not gated") {
		t.Errorf("check %s is %s: %s", cr.Name, cr.Conclusion, cr.Summary)
	}
	if _, ok := h.newestCheck(shaA, "main"); ok {
		t.Errorf("an ungated PR published a verdict for main")
	}
	if n := len(h.fake.Comments(testRepo, 1)); n != 0 {
		t.Errorf("%d comments on an ungated PR, want none", n)
	}
}

func TestAPRCannotWeakenThePolicyItIsJudgedBy(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, strictPolicy)
	h.fake.SetFile(testRepo, "weaken", github.PolicyFile, "version: 1\n")
	h.open(fakegithub.PR{Number: 1, Title: "chore: relax the policy", Author: "dave", Head: "weaken"}, shaA)
	h.fake.SetFile(testRepo, shaA, github.PolicyFile, "version: 1\n")
	h.fake.SetPRFiles(testRepo, 1, []fakegithub.File{{Filename: github.PolicyFile}})
	h.drain()
	h.wantCheck(shaA, "completed", "failure", "change_record")
	for _, r := range h.fake.Requests() {
		if strings.Contains(r.Path, "/contents/") {
			q, _ := url.ParseQuery(r.Query)
			if q.Get("ref") != "main" {
				t.Errorf("the policy was read at %q, not the base branch: %s", q.Get("ref"), r)
			}
		}
	}
}

func TestAPolicyChangeReevaluatesOpenPRs(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, strictPolicy)
	h.open(fakegithub.PR{Number: 1, Title: "Add gift cards", Author: "dave"}, shaA)
	h.open(fakegithub.PR{Number: 2, Title: "Remove coupons", Author: "dave"}, shaB)
	h.open(fakegithub.PR{Number: 3, Title: "Try things", Author: "dave", Base: "experiments"}, shaC)
	h.drain()
	h.wantCheck(shaA, "completed", "failure")
	h.wantCheck(shaB, "completed", "failure")

	before, _ := h.fake.Ref(testRepo, "heads/main")
	after := h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "relax the policy", Parents: []string{before}})
	h.fake.SetBranch(testRepo, "main", after)
	h.fake.SetFile(testRepo, "main", github.PolicyFile, "version: 1\n")
	push := h.fake.PushEvent(testRepo, "refs/heads/main", before, after, "alice")
	for _, c := range push.Commits {
		c.Modified = []string{github.PolicyFile}
	}
	h.deliver("push", push)
	h.drain()
	h.wantCheck(shaA, "completed", "success")
	h.wantCheck(shaB, "completed", "success")
	if runs := h.fake.CheckRuns(testRepo, shaC); len(runs) != 1 {
		t.Errorf("the PR into another branch got %d check runs, want its first only", len(runs))
	}
	if len(h.failures) > 0 {
		t.Errorf("processing failed: %v", h.failures)
	}
}

func TestLastAttemptPublishesAFailure(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, strictPolicy)
	h.open(fakegithub.PR{Number: 1, Title: "Add gift cards", Author: "dave"}, shaA)
	h.drain()
	h.wantCheck(shaA, "completed", "failure", "change_record")

	remove := h.fake.InjectFault(fakegithub.Fault{Kind: fakegithub.BadGateway, Route: "GET /orgs/{org}/teams/{team_slug}/members"})
	h.push(1, shaB, "fix: more", "dave")
	h.drain()
	cr := h.wantCheck(shaB, "completed", "failure", "could not evaluate", "502")
	if len(h.failures) != store.DefaultMaxAttempts {
		t.Errorf("%d failed tries, want %d", len(h.failures), store.DefaultMaxAttempts)
	}
	t.Logf("failure check: %s\n%s", cr.Title, cr.Summary)

	// GitHub recovers; the next event evaluates again, on the same run.
	remove()
	h.failures = nil
	h.comment(1, "dave", "/recheck")
	h.drain()
	h.wantCheck(shaB, "completed", "failure", "change_record")
	if runs := h.fake.CheckRuns(testRepo, shaB); len(runs) != 1 {
		t.Errorf("%d check runs on the head, want the failure one updated", len(runs))
	}
}

func TestReconcile(t *testing.T) {
	h := newHarness(t, harnessOption{srv: func(c *Config) { c.ReconcileSpacing = time.Nanosecond }})
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, "version: 1\n")
	h.open(fakegithub.PR{Number: 1, Title: "Add gift cards", Author: "dave"}, shaA)
	h.drain()
	h.wantCheck(shaA, "completed", "success")
	ctx := h.logCtx()

	t.Run("nothing is stale after an evaluation", func(t *testing.T) {
		if n, err := h.srv.Reconcile(ctx, 10); err != nil || n != 0 {
			t.Fatalf("Reconcile queued %d (%v), want 0", n, err)
		}
		if n, err := h.srv.ReconcileRepo(ctx, 0, testRepo, 10); err != nil || n != 0 {
			t.Fatalf("ReconcileRepo queued %d (%v), want 0", n, err)
		}
	})

	t.Run("a missed webhook is caught by listing the repository", func(t *testing.T) {
		// A hold label was added while the webhook was lost.
		h.clock.Advance(2 * 60e9)
		h.updatePR(1, func(pr *fakegithub.PR) { pr.Labels = append(pr.Labels, "do-not-merge/hold") })
		n, err := h.srv.ReconcileRepo(ctx, 0, testRepo, 10)
		if err != nil || n != 1 {
			t.Fatalf("ReconcileRepo queued %d (%v), want 1", n, err)
		}
		if n, _ := h.srv.ReconcileRepo(ctx, 0, testRepo, 10); n != 0 {
			t.Errorf("a second round queued %d again", n)
		}
		h.drain()
		h.wantCheck(shaA, "completed", "failure", "hold")
	})

	t.Run("a PR whose evaluation died is caught from the store", func(t *testing.T) {
		remove := h.fake.InjectFault(fakegithub.Fault{Kind: fakegithub.BadGateway, Route: "GET /repos/{owner}/{repo}/contents/{path...}"})
		h.clock.Advance(2 * 60e9)
		h.updatePR(1, func(pr *fakegithub.PR) { pr.Labels = nil })
		h.prEvent(1, "unlabeled", "dave")
		h.drain()
		remove()
		st, err := h.store.GetPR(context.Background(), "github", testRepo, 1)
		if err != nil || !st.LastEvaluatedAt.Before(st.LastActivityAt) {
			t.Fatalf("state %+v (%v), want the activity after the last evaluation", st, err)
		}
		n, err := h.srv.Reconcile(ctx, 10)
		if err != nil || n != 1 {
			t.Fatalf("Reconcile queued %d (%v), want 1", n, err)
		}
		h.drain()
		h.wantCheck(shaA, "completed", "success")
	})

	t.Run("a PR whose every webhook was missed is found in a known repository", func(t *testing.T) {
		h.addPR(fakegithub.PR{Number: 2, Title: "Add vouchers", Author: "dave", HeadSHA: shaB})
		repos, err := h.store.KnownRepos(context.Background(), "github")
		if err != nil || len(repos) != 1 || repos[0] != testRepo {
			t.Fatalf("KnownRepos = %v, %v", repos, err)
		}
		if n, err := h.srv.ReconcileRepo(ctx, 0, repos[0], 10); err != nil || n != 1 {
			t.Fatalf("ReconcileRepo queued %d (%v), want the unseen PR", n, err)
		}
		h.drain()
		h.wantCheck(shaB, "completed", "success")
	})

	t.Run("the rate-limit reserve stops it", func(t *testing.T) {
		// A reserve that leaves less than one evaluation's calls of what
		// GitHub reports now: the harness clock starts at the wall clock,
		// so the fake's hourly window may roll over during the test, and
		// a window that reset since the last call leaves no budget limit.
		h.clock.Advance(2 * 60e9)
		r, err := h.app.Repo(ctx, testRepo, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadChange(ctx, 1); err != nil {
			t.Fatal(err)
		}
		rem, _ := h.app.RateLimit()
		if rem < callsPerEvaluation {
			t.Fatalf("the fake reported %d calls left", rem)
		}
		sc := h.srvCfg
		sc.App, sc.RateReserve = h.app, int(rem)-callsPerEvaluation+1
		if h.srv, err = New(sc); err != nil {
			t.Fatal(err)
		}
		h.updatePR(1, func(pr *fakegithub.PR) { pr.Title = "Add gift cards, again" })
		if n, err := h.srv.ReconcileRepo(ctx, 0, testRepo, 10); err != nil || n != 0 {
			t.Errorf("queued %d (%v) with %d calls left and a reserve of %d, want none", n, err, rem, sc.RateReserve)
		}
	})
}
