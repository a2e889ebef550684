package release

import (
	"fmt"
	"testing"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// benchHistory returns 500 version tags and n commits with a realistic mix
// of conventional messages, as a large repository would give.
func benchHistory(n int) ([]Tag, []policies.Commit) {
	tags := make([]Tag, 0, 500)
	for i := 0; i < 500; i++ {
		tags = append(tags, Tag{Name: fmt.Sprintf("v%d.%d.%d", 1+i/100, (i/10)%10, i%10), SHA: sha(i + 1)})
	}
	kinds := []string{
		"feat(api): add pagination to list endpoints (#%d)",
		"fix(cli): handle empty config files (#%d)",
		"chore(deps): bump golang.org/x/net (#%d)",
		"docs: explain the release flow (#%d)",
		"perf(store): cache compiled policies (#%d)",
		"refactor: split the evaluator (#%d)",
		"Update README (#%d)",
		"fix: prevent racing of requests (#%d)\n\nIntroduce a request id.\n\nReviewed-by: Z\nRefs: #123",
	}
	commits := make([]policies.Commit, n)
	for i := range commits {
		commits[i] = policies.Commit{SHA: sha(1000 + i), Message: fmt.Sprintf(kinds[i%len(kinds)], i), AuthorName: "Dev"}
	}
	return tags, commits
}

func BenchmarkNext(b *testing.B) {
	s := policies.DefaultReleaseSettings()
	for _, n := range []int{200, 100_000} {
		tags, commits := benchHistory(n)
		b.Run(fmt.Sprintf("commits=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Next(s, At{Reachable: tags}, commits, "rc"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBuildNotes(b *testing.B) {
	date := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{200, 100_000} {
		_, commits := benchHistory(n)
		b.Run(fmt.Sprintf("commits=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				BuildNotes("v2.0.0", "v1.9.9", date, commits)
			}
		})
	}
}

func BenchmarkValidateTag(b *testing.B) {
	s := policies.DefaultReleaseSettings()
	s.TagBranches = []policies.Glob{{Pattern: "main"}, {Pattern: "release/*"}}
	tags, commits := benchHistory(200)
	check := TagCheck{Name: "v6.0.0", Commit: sha(7), AllTags: tags, Commits: commits, OnBranches: []string{"main"}}
	b.ReportAllocs()
	for b.Loop() {
		ValidateTag(s, check)
	}
}
