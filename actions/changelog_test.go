package actions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/golden"
)

// changelogRunner is releasedRunner with main on GitHub at the released
// commit, holding a changelog and two fragments; the workspace has the
// fragments too.
func changelogRunner(t *testing.T) (*runner, history) {
	t.Helper()
	r, h := releasedRunner(t)
	if err := os.MkdirAll(filepath.Join(r.ws.dir, ".changes"), 0o755); err != nil {
		t.Fatal(err)
	}
	fragments := map[string]string{
		".changes/import.md": "---\ntype: feat\n---\nWidgets can be imported from CSV.\n",
		".changes/ci.md":     "---\ntype: ci\n---\nFaster CI.\n",
	}
	for path, content := range fragments {
		r.ws.write(path, content)
		r.fake.SetFile(testRepo, "main", path, content)
	}
	r.fake.AddCommit(testRepo, fakegithub.Commit{SHA: h["docs"], Message: "docs: explain releases"})
	r.fake.SetBranch(testRepo, "main", h["docs"])
	r.fake.SetFile(testRepo, "main", "CHANGELOG.md", "# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - 2026-10-01\n\n- pagination\n")
	return r, h
}

func TestReleaseCommitsTheChangelogAndConsumesFragments(t *testing.T) {
	r, h := changelogRunner(t)
	res := r.input("command", "release").input("changelog", "CHANGELOG.md").pushTag(h, "v1.2.0", "docs").run()
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	commits := r.fake.CommitsCreated()
	if len(commits) != 1 {
		t.Fatalf("commits created = %q, want one", commits)
	}
	sha := res.outputs["changelog-commit"]
	want := testRepo + "@" + sha + ":chore(release): changelog of 1.2.0 +CHANGELOG.md -.changes/ci.md -.changes/import.md"
	if commits[0] != want {
		t.Errorf("commit = %q\nwant %q", commits[0], want)
	}
	if got := r.fake.RefsUpdated(); len(got) != 1 || got[0] != testRepo+":refs/heads/main@"+sha {
		t.Errorf("refs updated = %q, want main moved to %s", got, sha)
	}
	changelog := readFake(t, r, "CHANGELOG.md")
	golden.Assert(t, "release_changelog.md", []byte(r.scrub(changelog)))
	if !strings.Contains(res.outputs["notes"], "- Widgets can be imported from CSV.") || strings.Contains(res.outputs["notes"], "Faster CI") {
		t.Errorf("release notes: want the feat fragment, not the hidden ci one:\n%s", res.outputs["notes"])
	}

	// A re-run finds the section and no fragment: nothing to commit.
	again := r.run()
	if again.code != 0 || len(r.fake.CommitsCreated()) != 1 || again.outputs["changelog-commit"] != "" {
		t.Errorf("re-run: exit %d, commits %q, output %q\n%s", again.code, r.fake.CommitsCreated(), again.outputs["changelog-commit"], again.stdout)
	}
}

func TestReleaseCreatesAMissingChangelog(t *testing.T) {
	r, h := releasedRunner(t)
	r.fake.AddCommit(testRepo, fakegithub.Commit{SHA: h["docs"], Message: "docs: explain releases"})
	r.fake.SetBranch(testRepo, "main", h["docs"])
	res := r.input("command", "release").input("changelog", "docs/CHANGELOG.md").pushTag(h, "v1.2.0", "docs").run()
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	if got := r.fake.CommitsCreated(); len(got) != 1 || !strings.HasSuffix(got[0], ":chore(release): changelog of 1.2.0 +docs/CHANGELOG.md") {
		t.Errorf("commits created = %q", got)
	}
	if got := readFake(t, r, "docs/CHANGELOG.md"); !strings.HasPrefix(got, "# Changelog\n\nAll notable changes") || !strings.Contains(got, "## [1.2.0] - 2026-11-22") {
		t.Errorf("changelog:\n%s", got)
	}
}

func TestReleaseRefusesOtherNotesInTheChangelog(t *testing.T) {
	r, h := changelogRunner(t)
	r.fake.SetFile(testRepo, "main", "CHANGELOG.md", "# Changelog\n\n## [1.2.0] - 2026-11-20\n\n- something else\n")
	res := r.input("command", "release").input("changelog", "CHANGELOG.md").pushTag(h, "v1.2.0", "docs").run()
	if res.code != ExitCouldNotRun || !strings.Contains(res.stdout, "the changelog has this version with other notes") {
		t.Errorf("exit %d, want %d with the conflict\n%s", res.code, ExitCouldNotRun, res.stdout)
	}
	if got := r.fake.CommitsCreated(); len(got) != 0 {
		t.Errorf("commits created = %q, want none", got)
	}
}

// readFake reads a file on main from the fake GitHub through the API, as
// a reader of the repository would.
func readFake(t *testing.T, r *runner, path string) string {
	t.Helper()
	content, ok := r.fake.File(testRepo, "main", path)
	if !ok {
		t.Fatalf("%s is not on main", path)
	}
	return content
}
