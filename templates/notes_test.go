package templates

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/golden"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

var noteDate = time.Date(2026, 11, 22, 15, 4, 5, 0, time.UTC)

func TestNotesGolden(t *testing.T) {
	tests := []struct {
		name  string
		notes release.Notes
	}{
		{
			name: "notes",
			notes: release.BuildNotes("v1.3.0", "v1.2.3", noteDate, []policies.Commit{
				{SHA: "5555555aaaa", Message: "feat(api)!: drop the v1 endpoints (#31)\n\nBREAKING CHANGE: clients must call /v2.\nSee the migration guide.", Author: policies.Actor{Login: "carol"}},
				{SHA: "4444444aaaa", Message: "feat(ui): dark mode", PR: 12, Author: policies.Actor{Login: "alice"}},
				{SHA: "3333333aaaa", Message: "feat: export to CSV", AuthorName: "Bob Builder"},
				{SHA: "2222222aaaa", Message: "fix: handle empty config files (#14)"},
				{SHA: "1111111aaaa", Message: "perf(store): cache compiled policies"},
				{SHA: "0000000aaaa", Message: "chore(deps): bump golang.org/x/net"},
				{SHA: "9999999aaaa", Message: "Update README.md"},
				{SHA: "8888888aaaa", Message: "Merge branch 'main' into dev"},
			}),
		},
		{
			name:  "notes_empty",
			notes: release.BuildNotes("v0.1.0", "", noteDate, nil),
		},
		{
			name: "notes_no_date",
			notes: release.Notes{Version: "v2.0.0", Sections: []release.Section{
				{Title: release.SectionFixes, Entries: []release.Entry{{Text: "one", SHA: "abcdef0123"}}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Notes(&buf, tt.notes); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, tt.name+".md", buf.Bytes())
		})
	}
}

func TestParseNotesOverride(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "custom.tmpl")
	content := "# {{ .Version }} since {{ .Previous }}\n{{ range .Sections }}{{ range .Entries }}{{ template \"entry\" . }}\n{{ end }}{{ end }}"
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	tmpl, err := ParseNotes(file)
	if err != nil {
		t.Fatal(err)
	}
	n := release.BuildNotes("v1.0.1", "v1.0.0", noteDate, []policies.Commit{{SHA: "abc", Message: "fix(x): y", PR: 3}})
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, n); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "# v1.0.1 since v1.0.0\n- **x:** y (#3)\n"; got != want {
		t.Errorf("custom template rendered %q, want %q", got, want)
	}
}

func TestParseNotesErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.tmpl")
	if err := os.WriteFile(broken, []byte("{{ .Version "), 0o644); err != nil {
		t.Fatal(err)
	}
	badField := filepath.Join(dir, "field.tmpl")
	if err := os.WriteFile(badField, []byte("{{ .Nope }}"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		run     func() error
		wantErr []string
	}{
		{"a missing file is named", func() error { _, err := ParseNotes(filepath.Join(dir, "missing.tmpl")); return err },
			[]string{"reading release-notes template", "missing.tmpl", "no such file"}},
		{"a syntax error is named with its line", func() error { _, err := ParseNotes(broken); return err },
			[]string{"parsing release-notes template " + broken, "broken.tmpl:1"}},
		{"an unknown field fails when rendering and names the file", func() error {
			tmpl, err := ParseNotes(badField)
			if err != nil {
				return err
			}
			return tmpl.Execute(&bytes.Buffer{}, release.Notes{})
		}, []string{"rendering release notes with " + badField, "can't evaluate field Nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
