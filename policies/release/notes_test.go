package release

import (
	"reflect"
	"testing"
	"time"

	"github.com/shipgate/shipgate/policies"
)

func TestBuildNotes(t *testing.T) {
	date := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	alice := policies.Actor{Login: "alice"}
	tests := []struct {
		name      string
		commits   []policies.Commit
		overrides []Override
		want      []Section
	}{
		{
			name: "commits are grouped in the fixed section order",
			commits: []policies.Commit{
				{SHA: "1111111aaaa", Message: "chore(deps): bump x"},
				{SHA: "2222222aaaa", Message: "perf: faster diff"},
				{SHA: "3333333aaaa", Message: "fix(api): handle nil (#12)", Author: alice, AuthorName: "Alice A."},
				{SHA: "4444444aaaa", Message: "feat(ui): dark mode", PR: 7, AuthorName: "Bob"},
				{SHA: "5555555aaaa", Message: "feat!: drop v1\n\nBREAKING CHANGE: the v1 API is gone"},
				{SHA: "6666666aaaa", Message: "Update README.md"},
			},
			want: []Section{
				{Title: SectionBreaking, Entries: []Entry{{Text: "drop v1", Type: "feat", BreakingNote: "the v1 API is gone", SHA: "5555555aaaa"}}},
				{Title: SectionFeatures, Entries: []Entry{{Text: "dark mode", Type: "feat", Scope: "ui", PR: 7, SHA: "4444444aaaa", AuthorName: "Bob"}}},
				{Title: SectionFixes, Entries: []Entry{{Text: "handle nil", Type: "fix", Scope: "api", PR: 12, SHA: "3333333aaaa", Author: "alice", AuthorName: "Alice A."}}},
				{Title: SectionPerformance, Entries: []Entry{{Text: "faster diff", Type: "perf", SHA: "2222222aaaa"}}},
				{Title: SectionOther, Entries: []Entry{
					{Text: "bump x", Type: "chore", Scope: "deps", SHA: "1111111aaaa"},
					{Text: "Update README.md", SHA: "6666666aaaa"},
				}},
			},
		},
		{
			name: "the commit's PR field wins over a suffix",
			commits: []policies.Commit{
				{SHA: "a", Message: "fix: x (#3)", PR: 4},
			},
			want: []Section{{Title: SectionFixes, Entries: []Entry{{Text: "x", Type: "fix", PR: 4, SHA: "a"}}}},
		},
		{
			name: "a suffix that is not a PR number stays in the text",
			commits: []policies.Commit{
				{SHA: "a", Message: "fix: x (#3a)"},
				{SHA: "b", Message: "fix: y (see #3)"},
			},
			want: []Section{{Title: SectionFixes, Entries: []Entry{{Text: "x (#3a)", Type: "fix", SHA: "a"}, {Text: "y (see #3)", Type: "fix", SHA: "b"}}}},
		},
		{
			name: "merge commits are skipped but a merged PR stands for its title",
			commits: []policies.Commit{
				{SHA: "m1", Message: "Merge branch 'main' into feature"},
				{SHA: "m2", Message: "Merge remote-tracking branch 'origin/main'"},
				{SHA: "m3", Message: "Merge pull request #21 from acme/dark\n\nfeat(ui): dark mode"},
				{SHA: "m4", Message: "Merge pull request #22 from acme/empty"},
			},
			want: []Section{{Title: SectionFeatures, Entries: []Entry{{Text: "dark mode", Type: "feat", Scope: "ui", PR: 21, SHA: "m3"}}}},
		},
		{
			name: "an override replaces a PR's text once and omits others",
			commits: []policies.Commit{
				{SHA: "a", Message: "feat: part one", PR: 5},
				{SHA: "b", Message: "feat: part two", PR: 5},
				{SHA: "c", Message: "fix: typo (#6)"},
				{SHA: "d", Message: "fix: kept (#8)"},
			},
			overrides: []Override{{PR: 5, Text: "Dark mode for every page."}, {PR: 6, Omit: true}, {PR: 0, Text: "ignored"}},
			want: []Section{
				{Title: SectionFeatures, Entries: []Entry{{Text: "Dark mode for every page.", Type: "feat", PR: 5, SHA: "a"}}},
				{Title: SectionFixes, Entries: []Entry{{Text: "kept", Type: "fix", PR: 8, SHA: "d"}}},
			},
		},
		{
			name:    "no commit gives no section",
			commits: nil,
			want:    nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := BuildNotes("v1.3.0", "v1.2.3", date, tt.commits, tt.overrides...)
			if n.Version != "v1.3.0" || n.Previous != "v1.2.3" || !n.Date.Equal(date) {
				t.Errorf("header = %q %q %v", n.Version, n.Previous, n.Date)
			}
			if !reflect.DeepEqual(n.Sections, tt.want) {
				t.Errorf("Sections =\n%#v\nwant\n%#v", n.Sections, tt.want)
			}
			if n.Empty() != (len(tt.want) == 0) {
				t.Errorf("Empty() = %v", n.Empty())
			}
		})
	}
}

func TestEntryShortSHA(t *testing.T) {
	if got := (Entry{SHA: "0123456789abcdef"}).ShortSHA(); got != "0123456" {
		t.Errorf("ShortSHA = %q, want 0123456", got)
	}
	if got := (Entry{SHA: "abc"}).ShortSHA(); got != "abc" {
		t.Errorf("ShortSHA = %q, want abc", got)
	}
}
