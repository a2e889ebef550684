package actions

import (
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/golden"
)

// readyPR meets basePolicy but for its approval.
func readyPR() fakegithub.PR {
	return fakegithub.PR{Title: "WID-12 Add export", Author: "alice", Labels: []string{"semver:minor"},
		Body: "Why: customers asked.\n\n```release-note\nExport to CSV.\n```\n"}
}

// verdictStatus returns the newest `shipgate: main` commit status on sha.
func (r *runner) verdictStatus(sha string) (fakegithub.Status, bool) {
	statuses := r.fake.Statuses(testRepo, sha)
	for i := len(statuses) - 1; i >= 0; i-- {
		if statuses[i].Context == "shipgate: main" {
			return statuses[i], true
		}
	}
	return fakegithub.Status{}, false
}

// wantStatus asserts the run's exit and the newest `shipgate: main`
// status on sha.
func (r *runner) wantStatus(res result, code int, sha, state, description string) {
	r.t.Helper()
	if res.code != code {
		r.t.Fatalf("exit %d, want %d\n%s", res.code, code, res.stdout)
	}
	st, ok := r.verdictStatus(sha)
	if !ok || st.State != state || st.Description != description {
		r.t.Fatalf("status shipgate: main on %.7s = %+v (found %v), want %s %q\n%s", sha, st, ok, state, description, res.stdout)
	}
}

func TestCheckOnEveryEventOfAPullRequest(t *testing.T) {
	const n = 7
	head := func(r *runner) string {
		return r.fake.PullRequestEvent(testRepo, n, "synchronize", "alice").GetPullRequest().GetHead().GetSHA()
	}
	tests := []struct {
		name  string
		event func(r *runner)
		code  int
		state string
		desc  string
	}{
		{"the Action on pull_request fails when approvals are missing, and says so in the status", func(r *runner) {
			r.prEvent("pull_request", n, r.fake.PullRequestEvent(testRepo, n, "opened", "alice"))
		}, 1, "pending", "Waiting on reviewers"},
		{"the Action on pull_request_review fails when approvals are missing", func(r *runner) {
			id := r.fake.AddReview(testRepo, n, fakegithub.Review{Author: "bob", State: "COMMENTED", Body: "looks fine"})
			r.prEvent("pull_request_review", n, r.fake.PullRequestReviewEvent(testRepo, n, id, "submitted"))
		}, 1, "pending", "Waiting on reviewers"},
		{"the Action on pull_request_review passes after an approval", func(r *runner) {
			id := r.fake.AddReview(testRepo, n, fakegithub.Review{Author: "bob", State: "APPROVED"})
			r.prEvent("pull_request_review", n, r.fake.PullRequestReviewEvent(testRepo, n, id, "submitted"))
		}, 0, "success", "All 5 applicable rules hold"},
		{"the Action on pull_request_target reads the same verdict", func(r *runner) {
			r.fake.AddReview(testRepo, n, fakegithub.Review{Author: "bob", State: "APPROVED"})
			r.prEvent("pull_request_target", n, r.fake.PullRequestEvent(testRepo, n, "synchronize", "alice"))
		}, 0, "success", "All 5 applicable rules hold"},
		{"the Action on a writer's /approve comment passes", func(r *runner) {
			id := r.fake.AddComment(testRepo, n, fakegithub.Comment{Author: "bob", Body: "/approve"})
			r.prEvent("issue_comment", n, r.fake.IssueCommentEvent(testRepo, id, "created"))
		}, 0, "success", "All 5 applicable rules hold"},
		{"a bot's /approve comment re-checks and approves nothing", func(r *runner) {
			r.fake.SetPermission(testRepo, "deploy-bot[bot]", "admin")
			id := r.fake.AddComment(testRepo, n, fakegithub.Comment{Author: "deploy-bot[bot]", Body: "/approve"})
			r.prEvent("issue_comment", n, r.fake.IssueCommentEvent(testRepo, id, "created"))
		}, 1, "pending", "Waiting on reviewers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := prRunner(t, n, readyPR(), basePolicy)
			r.fake.SetPermission(testRepo, "bob", "write")
			r.env["GITHUB_RUN_ID"] = "991"
			tt.event(r)
			res := r.run()
			r.wantStatus(res, tt.code, head(r), tt.state, tt.desc)
			st, _ := r.verdictStatus(head(r))
			if want := r.webURL() + "/" + testRepo + "/actions/runs/991"; st.TargetURL != want {
				t.Errorf("the status links to %q, want the run %q", st.TargetURL, want)
			}
		})
	}
}

func TestCheckOnACommentOnAnIssueHasNothingToDo(t *testing.T) {
	r := newRunner(t)
	r.fake.AddIssue(testRepo, fakegithub.Issue{Number: 3, Title: "Export is slow", Author: "alice"})
	id := r.fake.AddComment(testRepo, 3, fakegithub.Comment{Author: "bob", Body: "/approve"})
	r.event("issue_comment", "refs/heads/main", tipSHA, r.fake.Payload(r.fake.IssueCommentEvent(testRepo, id, "created")))
	res := r.run()
	want := "::notice::nothing to do: the comment is on issue #3, not on a pull request"
	if res.code != 0 || !slices.Contains(annotations(res.stdout), want) {
		t.Fatalf("exit %d, log:\n%s\nwant 0 and %q", res.code, res.stdout, want)
	}
	if n := len(r.fake.Requests()); n != 0 {
		t.Errorf("%d API requests, want none", n)
	}
}

func TestCheckWritesNoStatusWithoutAPolicy(t *testing.T) {
	r := checkRunner(t, 8, readyPR(), "")
	res := r.run()
	if res.code != 0 || res.outputs["conclusion"] != "neutral" {
		t.Fatalf("exit %d, conclusion %q; want 0 and neutral", res.code, res.outputs["conclusion"])
	}
	if got := r.fake.StatusesCreated(); len(got) != 0 {
		t.Errorf("statuses written: %v; want none, as nothing is enforced", got)
	}
}

func TestCheckWritesAFailingStatusForAnInvalidPolicy(t *testing.T) {
	r := checkRunner(t, 9, readyPR(), "version: 1\napprovals:\n  - name: reviewers\n    required: two\n")
	res := r.run()
	r.wantStatus(res, 2, r.fake.PullRequestEvent(testRepo, 9, "synchronize", "alice").GetPullRequest().GetHead().GetSHA(),
		"failure", "The policy .shipgate.yml is invalid (1 error)")
}

func TestCheckFailsWhenItCannotWriteTheStatus(t *testing.T) {
	r := checkRunner(t, 10, readyPR(), basePolicy)
	r.fake.InjectFault(fakegithub.Fault{Kind: fakegithub.PrimaryRateLimit, Route: "POST /repos/{owner}/{repo}/statuses/{sha...}"})
	res := r.run()
	if res.code != 2 || !strings.Contains(res.stdout, "the workflow needs `permissions: statuses: write`") {
		t.Fatalf("exit %d, want 2 naming statuses: write:\n%s", res.code, res.stdout)
	}
}

// groupRunner is a merge_group run on the group of PRs 1…n (the queue's
// merge method) into main, whose policy is basePolicy; every PR is ready
// and approved by bob, but those failing names have no release note.
func groupRunner(t *testing.T, n int, failing ...int) (*runner, string) {
	t.Helper()
	r := newRunner(t)
	r.fake.SetBranch(testRepo, "main", r.fake.AddCommit(testRepo, fakegithub.Commit{Message: "base"}))
	r.fake.SetFile(testRepo, "main", ".shipgate.yml", basePolicy)
	r.fake.SetPermission(testRepo, "bob", "write")
	numbers := make([]int, n)
	for i := range numbers {
		numbers[i] = i + 1
		pr := readyPR()
		pr.Number, pr.Title = i+1, "WID-1"+string(rune('0'+i))+" Part "+string(rune('A'+i))
		if slices.Contains(failing, i+1) {
			pr.Body = "Why: customers asked."
		}
		r.fake.AddPR(testRepo, pr)
		r.fake.SetPRCommits(testRepo, i+1, []fakegithub.Commit{{Message: pr.Title, Author: "alice"}})
		r.fake.AddReview(testRepo, i+1, fakegithub.Review{Author: "bob", State: "APPROVED"})
	}
	ev := r.fake.QueueMergeGroup(testRepo, "main", fakegithub.QueueMerge, "bob", numbers...)
	head := ev.GetMergeGroup().GetHeadSHA()
	r.event("merge_group", ev.GetMergeGroup().GetHeadRef(), head, r.fake.Payload(ev))
	return r, head
}

func TestCheckOnAMergeGroup(t *testing.T) {
	tests := []struct {
		name   string
		prs    int
		fail   []int
		code   int
		state  string
		desc   string
		golden string
	}{
		{"the Action passes a merge group of one passing PR", 1, nil, 0, "success", "The merge group's pull request passes", ""},
		{"the Action passes a merge group of three passing PRs", 3, nil, 0, "success", "All 3 pull requests of the merge group pass", "check_merge_group_success"},
		{"a merge group with one failing PR of three fails", 3, []int{2}, 1, "failure", "1 of 3 pull requests fail: #2", "check_merge_group_failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, head := groupRunner(t, tt.prs, tt.fail...)
			res := r.run()
			r.wantStatus(res, tt.code, head, tt.state, tt.desc)
			if tt.golden != "" {
				golden.Assert(t, tt.golden, []byte(r.scrub(res.summary)))
			}
		})
	}
}

func TestCheckFailsAMergeGroupWhoseCommitsNoPullRequestOwns(t *testing.T) {
	r := newRunner(t)
	tip := r.fake.AddCommit(testRepo, fakegithub.Commit{Message: "base"})
	r.fake.SetBranch(testRepo, "main", tip)
	r.fake.SetFile(testRepo, "main", ".shipgate.yml", basePolicy)
	r.fake.SetPermission(testRepo, "bob", "write")
	pr := readyPR()
	pr.Number = 1
	r.fake.AddPR(testRepo, pr)
	r.fake.AddReview(testRepo, 1, fakegithub.Review{Author: "bob", State: "APPROVED"})
	// The PR is built on a commit that is neither on main nor one of its
	// own: the group would bring it into main unjudged.
	stray := r.fake.AddCommit(testRepo, fakegithub.Commit{Message: "unreviewed", Parents: []string{tip}})
	r.fake.SetPRCommits(testRepo, 1, []fakegithub.Commit{{Message: pr.Title, Author: "alice", Parents: []string{stray}}})
	ev := r.fake.QueueMergeGroup(testRepo, "main", fakegithub.QueueMerge, "bob", 1)
	head := ev.GetMergeGroup().GetHeadSHA()
	r.event("merge_group", ev.GetMergeGroup().GetHeadRef(), head, r.fake.Payload(ev))
	res := r.run()
	r.wantStatus(res, 1, head, "failure", "Shipgate cannot pass this merge group: commit "+stray[:7]+" belongs to no open pull request into main and heads no merge queue branch")
}
