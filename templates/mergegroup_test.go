package templates

import (
	"testing"

	"github.com/shipgate/shipgate/internal/golden"
)

func TestMergeGroupSummary(t *testing.T) {
	members := func(conclusions ...string) []GroupMember {
		summaries := map[string]string{
			"success": "All 3 applicable rules hold",
			"failure": "1 of 4 rules need work: reviewers",
			"pending": "Waiting on ci",
			"neutral": "No Shipgate policy on main",
		}
		out := make([]GroupMember, len(conclusions))
		for i, c := range conclusions {
			out[i] = GroupMember{Number: 12 + i, Title: "Gift cards | part " + string(rune('A'+i)), Conclusion: c, Summary: summaries[c]}
		}
		return out
	}
	group := func(conclusion, reason string, m []GroupMember) MergeGroupReport {
		return MergeGroupReport{Repo: "acme/shop", Base: "main", HeadSHA: "0123456789abcdef", Conclusion: conclusion, Reason: reason, Members: m}
	}
	tests := []struct {
		name  string
		r     MergeGroupReport
		title string
	}{
		{"success", group("success", "", members("success", "success", "success")), "All 3 pull requests of the merge group pass"},
		{"success_one", group("success", "", members("success")), "The merge group's pull request passes"},
		{"one_failing_of_three", group("failure", "", members("success", "failure", "success")), "1 of 3 pull requests fail: #13"},
		{"pending", group("pending", "", members("success", "pending")), "Waiting on #13"},
		{"no_policy", group("neutral", "", members("neutral")), "No Shipgate policy on main"},
		{"unnamed", group("failure", "commit 89abcde belongs to no open pull request into main and heads no merge queue branch", nil),
			"Shipgate cannot pass this merge group: commit 89abcde belongs to no open pull request into main and heads no merge queue branch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Title(); got != tt.title {
				t.Errorf("title %q, want %q", got, tt.title)
			}
			md, err := String(MergeGroupSummary, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "mergegroup_"+tt.name+".md", []byte(md))
			summary, err := String(ActionSummary, ActionReport{Command: "check", Subject: "merge group into main", Group: &tt.r})
			if err != nil {
				t.Fatal(err)
			}
			if want := "## Shipgate check: merge group into main\n\n" + md; summary != want {
				t.Errorf("the job summary does not show the group's summary:\n%s\nwant:\n%s", summary, want)
			}
		})
	}
}
