package release

import (
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/policies"
)

func TestParseFragment(t *testing.T) {
	tests := []struct {
		name, data string
		want       Fragment
		err        string
	}{
		{name: "a note alone", data: "Widgets can be exported\nas CSV.\n",
			want: Fragment{Path: "f.md", Text: "Widgets can be exported as CSV."}},
		{name: "a note with a type", data: "---\ntype: feat\n---\nWidgets can be exported as CSV.\n",
			want: Fragment{Path: "f.md", Type: "feat", Text: "Widgets can be exported as CSV."}},
		{name: "a quoted type and CRLF lines", data: "---\r\ntype: \"fix\"\r\n---\r\nNo crash.\r\n",
			want: Fragment{Path: "f.md", Type: "fix", Text: "No crash."}},
		{name: "an unknown key", data: "---\nkind: feat\n---\nx\n", err: `f.md:2: unknown front matter key "kind"; the only key is type (e.g. type: feat)`},
		{name: "a type that is no conventional type", data: "---\ntype: New Feature\n---\nx\n", err: `f.md:2: type "New Feature" is not a conventional type`},
		{name: "an unclosed front matter", data: "---\ntype: feat\nx\n", err: "f.md:1: the front matter has no closing --- line"},
		{name: "no note", data: "---\ntype: feat\n---\n\n", err: "f.md: the fragment has no note"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFragment("f.md", []byte(tt.data))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseFragment = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestFragmentsAndHide(t *testing.T) {
	n := BuildNotes("v1.3.0", "v1.2.0", time.Time{}, []policies.Commit{
		{SHA: "a1", Message: "docs: explain releases"},
		{SHA: "a2", Message: "feat: export"},
		{SHA: "a3", Message: "chore!: drop Go 1.20"},
		{SHA: "a4", Message: "Update things"},
	})
	n.AddFragments([]Fragment{
		{Path: ".changes/b.md", Type: "fix", Text: "No crash."},
		{Path: ".changes/a.md", Type: "feat", Text: "Import too."},
		{Path: ".changes/c.md", Type: "chore", Text: "Tidy."},
		{Path: ".changes/d.md", Text: "Plain."},
	})
	n.Hide([]string{"docs", "chore"})
	var got []string
	for _, s := range n.Sections {
		for _, e := range s.Entries {
			got = append(got, s.Title+": "+e.Text)
		}
	}
	want := "Breaking changes: drop Go 1.20|Features: export|Features: Import too.|Fixes: No crash.|Other: Update things|Other: Plain."
	if strings.Join(got, "|") != want {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "|"), want)
	}
}
