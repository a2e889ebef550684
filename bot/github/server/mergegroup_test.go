package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/github/mergequeue"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fixtures"
)

// groupPolicy gates main with one approval from someone with write access.
const groupPolicy = `version: 1
branches: [main]
approvals:
  - name: reviewers
    required: 1
`

// PR states for queue: alice approves; erin puts it on hold; or nobody
// has approved it yet.
const (
	approved = "approved"
	held     = "held"
	waiting  = "waiting"
)

// queue opens PRs 1…n by dave into main, each in the state that state
// says, lets the bot judge them, then puts them all into main's merge
// queue with method and delivers the group's merge_group.
func (h *harness) queue(method string, n int, state func(int) string) *gh.MergeGroupEvent {
	h.t.Helper()
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, groupPolicy)
	h.fake.SetBranch(testRepo, "main", h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "base"}))
	numbers := make([]int, n)
	for i := range numbers {
		numbers[i] = i + 1
		h.open(fakegithub.PR{Number: i + 1, Title: fmt.Sprintf("Change %d", i+1), Author: "dave"}, strings.Repeat(fmt.Sprintf("%02x", 0xa0+i), 20))
		switch state(i + 1) {
		case held:
			h.comment(i+1, "erin", "/hold")
			fallthrough
		case approved:
			h.review(i+1, "alice", "APPROVED")
		}
	}
	h.drain()
	ev := h.fake.QueueMergeGroup(testRepo, "main", method, "dave", numbers...)
	h.deliver("merge_group", ev)
	return ev
}

func TestMergeGroup(t *testing.T) {
	all := func(state string) func(int) string { return func(int) string { return state } }
	but := func(n int, state string) func(int) string {
		return func(i int) string { return map[bool]string{true: state, false: approved}[i == n] }
	}
	tests := []struct {
		name       string
		prs        int
		state      func(int) string
		status     string
		conclusion string
		title      string
		rows       []string
	}{
		{"a merge group of one passing PR passes", 1, all(approved), "completed", "success",
			"The merge group's pull request passes", []string{"| ✅ | #1 Change 1 |"}},
		{"a merge group of three passing PRs passes", 3, all(approved), "completed", "success",
			"All 3 pull requests of the merge group pass", []string{"| ✅ | #1 Change 1 |", "| ✅ | #2 Change 2 |", "| ✅ | #3 Change 3 |"}},
		{"a merge group of one failing PR fails", 1, all(held), "completed", "failure",
			"1 of 1 pull request fail: #1", []string{"| ❌ | #1 Change 1 | 1 of 2 rules need work: hold |"}},
		{"a merge group with one failing PR of three fails", 3, but(2, held), "completed", "failure",
			"1 of 3 pull requests fail: #2", []string{"| ✅ | #1 Change 1 |", "| ❌ | #2 Change 2 | 1 of 2 rules need work: hold |", "| ✅ | #3 Change 3 |"}},
		{"a merge group with one PR of three waiting for its approval is in progress", 3, but(3, waiting),
			"in_progress", "", "Waiting on #3",
			[]string{"| ✅ | #1 Change 1 |", "| ✅ | #2 Change 2 |", "| ⏳ | #3 Change 3 | Waiting on reviewers |"}},
	}
	for _, method := range []string{fakegithub.QueueMerge, fakegithub.QueueSquash} {
		for _, tt := range tests {
			t.Run(method+": "+tt.name, func(t *testing.T) {
				h := newHarness(t)
				ev := h.queue(method, tt.prs, tt.state)
				h.drain()
				for _, err := range h.failures {
					t.Errorf("processing failed: %v", err)
				}
				head := ev.GetMergeGroup().GetHeadSHA()
				cr := h.checkFor(head, "main")
				if cr.Status != tt.status || cr.Conclusion != tt.conclusion || cr.Title != tt.title {
					t.Fatalf("the group's check is %s/%s %q, want %s/%s %q\n%s", cr.Status, cr.Conclusion, cr.Title, tt.status, tt.conclusion, tt.title, cr.Summary)
				}
				for _, row := range tt.rows {
					if !strings.Contains(cr.Summary, row) {
						t.Errorf("the summary lacks %q:\n%s", row, cr.Summary)
					}
				}
				if got := strings.Count(cr.Summary, "| #"); got != tt.prs {
					t.Errorf("the summary lists %d pull requests, want %d:\n%s", got, tt.prs, cr.Summary)
				}
				h.wantGroupAudit(head, cmp.Or(tt.conclusion, "pending"), tt.prs)
			})
		}
	}
}

// wantGroupAudit asserts the one audit record of the group on head.
func (h *harness) wantGroupAudit(head, outcome string, prs int) {
	h.t.Helper()
	var events []store.AuditEvent
	err := h.store.ExportAudit(context.Background(), store.AuditFilter{Kinds: []string{store.AuditMergeGroup}}, func(e store.AuditEvent) error {
		events = append(events, e)
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if len(events) != 1 || events[0].Subject != head || events[0].Outcome != outcome {
		h.t.Fatalf("merge group audit = %+v, want one %s record on %.7s", events, outcome, head)
	}
	var detail struct {
		PullRequests []struct{ Number int } `json:"pull_requests"`
	}
	if err := json.Unmarshal(events[0].Detail, &detail); err != nil || len(detail.PullRequests) != prs {
		h.t.Errorf("audit detail %s (%v): want %d pull requests", events[0].Detail, err, prs)
	}
}

// wantGroupFails asserts that the group's check on head failed for the
// reason why, naming no verdict of a pull request as the group's.
func (h *harness) wantGroupFails(head, why string) {
	h.t.Helper()
	cr := h.checkFor(head, "main")
	if cr.Status != "completed" || cr.Conclusion != "failure" || !strings.Contains(cr.Title, why) {
		h.t.Fatalf("the group's check is %s/%s %q, want a failure saying %q\n%s", cr.Status, cr.Conclusion, cr.Title, why, cr.Summary)
	}
}

func TestMergeGroupFailsClosed(t *testing.T) {
	t.Run("a merge group holding a commit of no pull request fails", func(t *testing.T) {
		h := newHarness(t)
		h.people()
		h.fake.SetFile(testRepo, "main", github.PolicyFile, groupPolicy)
		tip := h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "base"})
		h.fake.SetBranch(testRepo, "main", tip)
		h.open(fakegithub.PR{Number: 1, Title: "Change 1", Author: "dave"}, shaA)
		h.review(1, "alice", "APPROVED")
		// The PR is built on a commit that is neither on main nor one of
		// its own: it would reach main unjudged.
		stray := h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "unreviewed", Parents: []string{tip}})
		h.fake.SetPRCommits(testRepo, 1, []fakegithub.Commit{{SHA: shaA, Message: "Change 1", Author: "dave", Parents: []string{stray}}})
		ev := h.fake.QueueMergeGroup(testRepo, "main", fakegithub.QueueMerge, "dave", 1)
		h.deliver("merge_group", ev)
		h.drain()
		h.wantGroupFails(ev.GetMergeGroup().GetHeadSHA(), fmt.Sprintf("commit %.7s belongs to no open pull request into main", stray))
		h.wantGroupAudit(ev.GetMergeGroup().GetHeadSHA(), "failure", 0)
	})
	t.Run("a merge group on a branch that is not the merge queue's fails", func(t *testing.T) {
		h := newHarness(t)
		ev := h.queue(fakegithub.QueueSquash, 1, func(int) string { return approved })
		h.drain()
		ev.MergeGroup.HeadRef = gh.String("refs/heads/feature-1")
		h.deliver("merge_group", ev)
		h.drain()
		h.wantGroupFails(ev.GetMergeGroup().GetHeadSHA(), `its branch "refs/heads/feature-1" is not a merge queue branch of refs/heads/main`)
	})
	t.Run("a merge group GitHub cannot compare fails after the last try, saying why", func(t *testing.T) {
		h := newHarness(t)
		h.fake.InjectFault(fakegithub.Fault{Kind: fakegithub.BadGateway, Route: "GET /repos/{owner}/{repo}/compare/{basehead...}"})
		ev := h.queue(fakegithub.QueueMerge, 2, func(int) string { return approved })
		h.drain()
		if len(h.failures) != store.DefaultMaxAttempts {
			t.Errorf("%d failed tries, want %d", len(h.failures), store.DefaultMaxAttempts)
		}
		h.wantGroupFails(ev.GetMergeGroup().GetHeadSHA(), "Shipgate could not judge it: comparing main with the merge group")
	})
}

func TestMergeGroupEventsQueueOneJobPerGroup(t *testing.T) {
	h := newHarness(t)
	ev := h.queue(fakegithub.QueueMerge, 1, func(int) string { return approved })
	h.deliver("merge_group", ev) // a redelivery under another ID
	ev.Action = gh.String("destroyed")
	body := h.fake.Payload(ev)
	rec := h.post("merge_group", "destroyed-1", body, map[string]string{"X-Hub-Signature-256": sign(testSecret, body)})
	if rec.Code != 202 || !strings.Contains(rec.Body.String(), "asks for no check") {
		t.Errorf("destroyed: %d %q, want 202 ignored", rec.Code, rec.Body)
	}
	h.drain()
	runs := 0
	for _, cr := range h.fake.CheckRuns(testRepo, ev.GetMergeGroup().GetHeadSHA()) {
		if cr.Name == "shipgate: main" {
			runs++
		}
	}
	if runs != 1 {
		t.Errorf("%d check runs on the group, want 1 for two deliveries of one group", runs)
	}
}

// TestMergeGroupFixtures delivers GitHub's recorded merge_group payloads
// and judges their group against the fake, which checks every request
// against GitHub's API description.
func TestMergeGroupFixtures(t *testing.T) {
	for _, file := range fixtures.Glob(t, "github/webhooks/merge_group.*.json") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t)
			seedFromPayload(t, h.fake, body)
			rec := h.post("merge_group", "fixture", body, map[string]string{"X-Hub-Signature-256": sign(testSecret, body)})
			if rec.Code != 202 || !strings.HasPrefix(rec.Body.String(), "queued") {
				t.Fatalf("answered %d %q, want 202 queued", rec.Code, rec.Body)
			}
			h.drain()
			for _, err := range h.failures {
				t.Errorf("processing failed: %v", err)
			}
			var p struct {
				Group mergequeue.MergeGroup `json:"merge_group"`
			}
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			var runs []fakegithub.CheckRun
			for _, cr := range h.fake.CheckRuns("octo-org/octo-repo", p.Group.HeadSHA) {
				if cr.Name == "shipgate: main" {
					runs = append(runs, cr)
				}
			}
			// The fixture's repository has no policy on main: the group's
			// one pull request (#104, from its queue branch) is neutral.
			if len(runs) != 1 || runs[0].Conclusion != "neutral" || !strings.Contains(runs[0].Summary, "| ➖ | #104 fixture |") {
				t.Fatalf("check runs on the group: %+v, want one neutral run naming #104", runs)
			}
		})
	}
}

func TestMergeGroupIntoABranchWithASlash(t *testing.T) {
	h := newHarness(t)
	h.people()
	base := "release/1.x"
	h.fake.SetFile(testRepo, base, github.PolicyFile, "version: 1\nbranches: [\"release/*\"]\napprovals:\n  - name: reviewers\n    required: 1\n")
	h.fake.SetBranch(testRepo, base, h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "base"}))
	for n, head := range map[int]string{1: shaA, 2: shaB} {
		h.open(fakegithub.PR{Number: n, Title: fmt.Sprintf("Fix %d", n), Author: "dave", Base: base}, head)
		h.review(n, "alice", "APPROVED")
	}
	ev := h.fake.QueueMergeGroup(testRepo, base, fakegithub.QueueMerge, "dave", 1, 2)
	h.deliver("merge_group", ev)
	h.drain()
	cr := h.checkFor(ev.GetMergeGroup().GetHeadSHA(), base)
	if cr.Conclusion != "success" || !strings.Contains(cr.Summary, "| ✅ | #1 Fix 1 |") || !strings.Contains(cr.Summary, "| ✅ | #2 Fix 2 |") {
		t.Fatalf("the group's check %q is %s, want success naming #1 and #2:\n%s", cr.Name, cr.Conclusion, cr.Summary)
	}
}
