package gitlab

import (
	"testing"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/policies"
)

func TestLinesOfCountsHunksAndGivesUpOnDiffsGitLabLeftOut(t *testing.T) {
	tests := []struct {
		name  string
		diffs []*gl.MergeRequestDiff
		want  *policies.LineCount
	}{
		{name: "no diffs change no lines", diffs: []*gl.MergeRequestDiff{}, want: &policies.LineCount{}},
		{name: "lines in hunks are counted, headers are not", diffs: []*gl.MergeRequestDiff{
			{Diff: "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-old\n+new\n same\n"},
			{Diff: "@@ -0,0 +1,2 @@\n+++ starts like a header\n+two\n"},
		}, want: &policies.LineCount{Additions: 3, Deletions: 1}},
		{name: "a diff too large to show leaves the count unknown", diffs: []*gl.MergeRequestDiff{
			{Diff: "@@ -1 +1 @@\n-a\n+b\n"}, {TooLarge: true},
		}},
		{name: "a collapsed diff leaves the count unknown", diffs: []*gl.MergeRequestDiff{{Collapsed: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := linesOf(tt.diffs)
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("linesOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}
