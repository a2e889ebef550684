package main

import (
	"strings"
	"testing"
)

// TestReleaseAsThroughTheCommands: a Release-As footer reaches `version
// next`, `notes` and `tag check` alike, and one that would take the
// version back stops them.
func TestReleaseAsThroughTheCommands(t *testing.T) {
	f := releasedFixture(t) // v1.1.0, then a fix, a feature and docs
	f.commit("chore: prepare the 2.0 line\n\nRelease-As: v2.0.0")
	f.commit("fix: last touch")

	code, stdout, stderr := runCLI("version", "next", "--repo", f.dir)
	if want := "next version: v2.0.0 (major bump from v1.1.0, set by Release-As: v2.0.0 in commit "; code != 0 || !strings.HasPrefix(stdout, want) || !strings.HasSuffix(stdout, "; 5 commits)\n") {
		t.Errorf("version next: exit %d, stdout %q, stderr %q; want %q…", code, stdout, stderr, want)
	}
	code, stdout, _ = runCLI("version", "next", "--repo", f.dir, "--format", "json")
	if want := `{"previous": "v1.1.0", "next": "v2.0.0", "bump": "major", "commits": 5}` + "\n"; code != 0 || stdout != want {
		t.Errorf("version next --format json: exit %d, %q; want %q", code, stdout, want)
	}
	code, stdout, stderr = runCLI("notes", "--repo", f.dir, "--date", "2026-11-22")
	if code != 0 || !strings.Contains(stdout, "2.0.0") {
		t.Errorf("notes: exit %d, stderr %q, notes without the Release-As version:\n%s", code, stderr, stdout)
	}
	f.git("tag", "v1.2.0")
	code, stdout, stderr = runCLI("tag", "check", "v1.2.0", "--repo", f.dir)
	if code != 1 || !strings.Contains(stdout+stderr, "sets the next version with Release-As: v2.0.0: tag v2.0.0 (or a pre-release of it) instead of v1.2.0") {
		t.Errorf("tag check v1.2.0: exit %d, stdout %q, stderr %q; want exit 1 naming the footer", code, stdout, stderr)
	}
	f.git("tag", "-d", "v1.2.0")
	f.git("tag", "v2.0.0")
	if code, stdout, stderr = runCLI("tag", "check", "v2.0.0", "--repo", f.dir); code != 0 {
		t.Errorf("tag check v2.0.0: exit %d, stdout %q, stderr %q; want valid", code, stdout, stderr)
	}
}

func TestAttackAReleaseAsThatGoesBackStopsTheRelease(t *testing.T) {
	// A PR's commit carries Release-As: 1.0.0 after v1.1.0 was released:
	// it would re-release an old version line. Nothing proposes it.
	f := releasedFixture(t)
	f.commit("fix: innocent\n\nRelease-As: 1.0.0")
	code, stdout, stderr := runCLI("version", "next", "--repo", f.dir)
	want := "which is not greater than the previous version v1.1.0: a release cannot go back"
	if code != 1 || stdout != "" || !strings.Contains(stderr, want) {
		t.Errorf("version next: exit %d, stdout %q, stderr %q; want exit 1 with %q", code, stdout, stderr, want)
	}
	if code, _, stderr = runCLI("notes", "--repo", f.dir); code == 0 {
		t.Errorf("notes went ahead with a downgrading Release-As: %q", stderr)
	}
	// A newer footer that goes forward supersedes it.
	f.commit("chore: fix the version\n\nRelease-As: 1.2.0")
	if code, stdout, stderr = runCLI("version", "next", "--repo", f.dir, "--format", "json"); code != 0 || !strings.Contains(stdout, `"next": "v1.2.0"`) {
		t.Errorf("after a newer footer: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestEmptyReleaseThroughVersionNext(t *testing.T) {
	f := newGitFixture(t)
	f.commit("feat: one")
	f.git("tag", "v1.0.0")
	f.commit("chore: bump the base image")
	code, stdout, _ := runCLI("version", "next", "--repo", f.dir, "--format", "json")
	if want := `{"previous": "v1.0.0", "next": "v1.0.0", "bump": "none", "commits": 1}` + "\n"; code != 0 || stdout != want {
		t.Errorf("by default: exit %d, %q; want %q", code, stdout, want)
	}
	f.write(".shipgate.yml", "version: 1\nsemver:\n  empty_release: patch\n")
	code, stdout, _ = runCLI("version", "next", "--repo", f.dir)
	if want := "next version: v1.0.1 (patch bump from v1.0.0, no commit bumps anything and semver.empty_release is patch; 1 commits)\n"; code != 0 || stdout != want {
		t.Errorf("empty_release: patch: exit %d, %q; want %q", code, stdout, want)
	}
}
