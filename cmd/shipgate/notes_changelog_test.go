package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/golden"
)

func TestNotesChangelog(t *testing.T) {
	existing := "# Changelog\n\n## [Unreleased]\n\n- still cooking\n\n## [1.1.0] - 2026-10-01\n\n### Features\n\n- pagination\n\n[unreleased]: https://example.com/compare/v1.1.0...HEAD\n"
	tests := []struct {
		name, existing, golden string
	}{
		{name: "a new file is created with the standard header", golden: "changelog_new.md"},
		{name: "an existing file gets the version below Unreleased", existing: existing, golden: "changelog_existing.md"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := releasedFixture(t)
			file := filepath.Join(t.TempDir(), "CHANGELOG.md")
			if tt.existing != "" {
				writeTestFile(t, file, tt.existing)
			}
			args := []string{"notes", "--repo", f.dir, "--date", "2026-11-22", "--changelog", file}
			code, stdout, stderr := runCLI(args...)
			if code != 0 || stderr != file+": added 1.2.0\n" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if !strings.HasPrefix(stdout, "## v1.2.0 (2026-11-22)\n") {
				t.Errorf("stdout = %q, want the notes", stdout)
			}
			first := readTestFile(t, file)
			golden.Assert(t, tt.golden, []byte(first))

			code, _, stderr = runCLI(args...)
			if code != 0 || stderr != file+": 1.2.0 is there with the same notes; unchanged\n" || readTestFile(t, file) != first {
				t.Errorf("the same version twice: exit %d, stderr %q, file changed: %v", code, stderr, readTestFile(t, file) != first)
			}
		})
	}
}

func TestNotesChangelogRefusesOtherNotesForTheSameVersion(t *testing.T) {
	f := releasedFixture(t)
	file := filepath.Join(t.TempDir(), "CHANGELOG.md")
	args := []string{"notes", "--repo", f.dir, "--date", "2026-11-22", "--version", "v1.2.0", "--changelog", file}
	if code, _, stderr := runCLI(args...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f.commit("fix: one more")
	before := readTestFile(t, file)
	code, _, stderr := runCLI(args...)
	if code != 2 || !strings.Contains(stderr, "the changelog has this version with other notes; keep it, or replace it with --force") || readTestFile(t, file) != before {
		t.Fatalf("other notes: exit %d, stderr %q; want exit 2, the file kept", code, stderr)
	}
	if code, _, stderr := runCLI(append(args, "--force")...); code != 0 || !strings.Contains(readTestFile(t, file), "one more") {
		t.Errorf("--force: exit %d, stderr %q, file:\n%s", code, stderr, readTestFile(t, file))
	}
	if n := strings.Count(readTestFile(t, file), "## [1.2.0]"); n != 1 {
		t.Errorf("--force left %d sections of 1.2.0", n)
	}
}

func TestNotesFragments(t *testing.T) {
	f := releasedFixture(t)
	f.mkdir(".changes")
	f.write(".changes/csv-import.md", "---\ntype: feat\n---\nWidgets can be imported\nfrom CSV.\n")
	f.write(".changes/typo.md", "Fixed a typo in the\nhelp text.\n")
	f.write(".changes/ci.md", "---\ntype: ci\n---\nFaster CI.\n")
	f.write(".changes/README.txt", "not a fragment")
	file := filepath.Join(t.TempDir(), "CHANGELOG.md")
	code, stdout, stderr := runCLI("notes", "--repo", f.dir, "--date", "2026-11-22", "--changelog", file, "--consume-fragments")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden.Assert(t, "notes_fragments.md", []byte(stdout))
	for _, want := range []string{"added 1.2.0", "removed .changes/csv-import.md", "removed .changes/typo.md", "removed .changes/ci.md"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	left, _ := filepath.Glob(filepath.Join(f.dir, ".changes", "*"))
	if len(left) != 1 || filepath.Base(left[0]) != "README.txt" {
		t.Errorf("left in .changes: %v, want README.txt only", left)
	}
	written := readTestFile(t, file)
	if !strings.Contains(written, "- Widgets can be imported from CSV.") {
		t.Errorf("the changelog lacks the fragment:\n%s", written)
	}
	// Again, the fragments gone: the section holds the notes already.
	code, _, stderr = runCLI("notes", "--repo", f.dir, "--date", "2026-11-22", "--changelog", file)
	if code != 0 || !strings.Contains(stderr, "1.2.0 is there with the same notes; unchanged") || readTestFile(t, file) != written {
		t.Errorf("a re-run after the fragments were consumed: exit %d, stderr %q", code, stderr)
	}
}

func TestNotesFragmentErrors(t *testing.T) {
	f := releasedFixture(t)
	f.mkdir(".changes")
	f.write(".changes/bad.md", "---\nkind: feat\n---\nx\n")
	code, _, stderr := runCLI("notes", "--repo", f.dir)
	if code != 2 || !strings.Contains(stderr, `.changes/bad.md:2: unknown front matter key "kind"`) {
		t.Errorf("exit %d, stderr %q; want 2 naming the file and line", code, stderr)
	}
	code, _, stderr = runCLI("notes", "--repo", f.dir, "--to", "v1.1.0", "--consume-fragments")
	if code != 2 || !strings.Contains(stderr, "use it with --to HEAD") {
		t.Errorf("--consume-fragments with --to: exit %d, stderr %q", code, stderr)
	}
}

func TestNotesHideFromThePolicy(t *testing.T) {
	tests := []struct {
		name, policy, want string
	}{
		{name: "docs are hidden by default", want: "v1.2.0 after v1.1.0: Features=1 Fixes=1 \n"},
		{name: "an empty notes.hide shows every type", policy: "version: 1\nnotes: {hide: []}\n", want: "v1.2.0 after v1.1.0: Features=1 Fixes=1 Other=1 \n"},
		{name: "notes.hide names the hidden types", policy: "version: 1\nnotes: {hide: [feat]}\n", want: "v1.2.0 after v1.1.0: Fixes=1 Other=1 \n"},
	}
	custom := countsTemplate(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := releasedFixture(t)
			if tt.policy != "" {
				f.write(".shipgate.yml", tt.policy)
			}
			code, stdout, stderr := runCLI("notes", "--repo", f.dir, "--template", custom)
			if code != 0 || stdout != tt.want {
				t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, tt.want)
			}
		})
	}
}

func writeTestFile(t *testing.T, file, content string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readTestFile(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
