package github

import (
	"testing"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/policies"
)

func TestBuildChangeCountsChangedLines(t *testing.T) {
	files := []*gh.CommitFile{{Filename: gh.String("a.go"), Additions: gh.Int(10), Deletions: gh.Int(2)}, {Filename: gh.String("b.go"), Additions: gh.Int(5)}}
	tests := []struct {
		name string
		in   ChangeInput
		want *policies.LineCount
	}{
		{name: "nothing read: unknown", in: ChangeInput{PR: &gh.PullRequest{}}},
		{name: "summed over the files read", in: ChangeInput{PR: &gh.PullRequest{}, Files: files}, want: &policies.LineCount{Additions: 15, Deletions: 2}},
		{name: "the payload's own counts win", in: ChangeInput{PR: &gh.PullRequest{Additions: gh.Int(700), Deletions: gh.Int(300)}, Files: files},
			want: &policies.LineCount{Additions: 700, Deletions: 300}},
		{name: "an empty file list changes no lines", in: ChangeInput{PR: &gh.PullRequest{}, Files: []*gh.CommitFile{}}, want: &policies.LineCount{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := BuildChange(tt.in).Lines
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("Lines = %+v, want %+v", got, tt.want)
			}
		})
	}
}
