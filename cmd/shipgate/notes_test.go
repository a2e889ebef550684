package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/golden"
)

func TestNotes(t *testing.T) {
	f := releasedFixture(t)
	f.commit("Merge branch 'topic'")
	f.commit("perf(store)!: cache policies\n\nBREAKING CHANGE: the cache directory moved.")

	custom := countsTemplate(t)
	tests := []struct {
		name   string
		args   []string
		golden string
		stdout string
	}{
		{name: "the default range is the previous tag to HEAD with the computed version",
			args: []string{"notes", "--repo", f.dir, "--date", "2026-11-22"}, golden: "notes_unreleased.md"},
		{name: "an explicit range and version",
			args: []string{"notes", "--repo", f.dir, "--from", "v1.0.0", "--to", "v1.1.0", "--version", "v1.1.0", "--date", "2026-10-01"}, golden: "notes_range.md"},
		{name: "an explicit range without version computes the release after --from",
			args:   []string{"notes", "--repo", f.dir, "--from", "v1.0.0", "--to", "v1.1.0", "--template", custom, "--date", "2026-10-01"},
			stdout: "v1.1.0 after v1.0.0: Features=1 Fixes=1 \n"},
		{name: "a custom template gets the notes",
			args:   []string{"notes", "--repo", f.dir, "--template", custom},
			stdout: "v2.0.0 after v1.1.0: Breaking changes=1 Features=1 Fixes=1 \n"}, // docs hidden by default
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if tt.golden != "" {
				golden.Assert(t, tt.golden, []byte(stdout))
			} else if stdout != tt.stdout {
				t.Errorf("stdout = %q, want %q", stdout, tt.stdout)
			}
		})
	}
}

// countsTemplate writes a notes template that prints the version, the
// previous one and the number of entries of each section, and returns its
// path.
func countsTemplate(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "custom.tmpl")
	if err := os.WriteFile(path, []byte("{{ .Version }} after {{ .Previous }}: {{ range .Sections }}{{ .Title }}={{ len .Entries }} {{ end }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNotesDateDefaultsToToday(t *testing.T) {
	f := releasedFixture(t)
	code, stdout, _ := runCLI("notes", "--repo", f.dir)
	today := time.Now().UTC().Format(time.DateOnly)
	if code != 0 || !strings.HasPrefix(stdout, "## v1.2.0 ("+today+")\n") && !strings.HasPrefix(stdout, "## v1.2.0 ("+time.Now().UTC().Add(-time.Minute).Format(time.DateOnly)+")\n") {
		t.Errorf("exit %d, notes start %q; want the heading dated %s", code, stdout, today)
	}
}

func TestNotesUsageErrors(t *testing.T) {
	f := releasedFixture(t)
	broken := filepath.Join(t.TempDir(), "broken.tmpl")
	if err := os.WriteFile(broken, []byte("{{ if }}"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"a broken template is named", []string{"notes", "--repo", f.dir, "--template", broken}, "shipgate: parsing release-notes template " + broken + ": template: broken.tmpl:1: missing value for if\n"},
		{"a missing template is named", []string{"notes", "--repo", f.dir, "--template", broken + ".missing"}, "shipgate: reading release-notes template: open " + broken + ".missing: no such file or directory\n"},
		{"a bad date says the format", []string{"notes", "--repo", f.dir, "--date", "22/11/2026"}, "shipgate: --date \"22/11/2026\": want YYYY-MM-DD, e.g. 2026-11-22\n"},
		{"an unknown --from is a usage error", []string{"notes", "--repo", f.dir, "--from", "v0.0.1"}, "shipgate: resolving \"v0.0.1\" in " + f.dir + ": unknown ref: no commit has that name\n"},
		{"a directory that is no repository is a usage error", []string{"notes", "--repo", t.TempDir()}, "not a git repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			if code != 2 || stdout != "" || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("got exit %d, stdout %q, stderr %q; want exit 2 and stderr %q", code, stdout, stderr, tt.wantStderr)
			}
		})
	}
}
