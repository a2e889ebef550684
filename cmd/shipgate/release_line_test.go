package main

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/golden"
)

// capLine is a policy that caps features on release lines at a patch.
const capLine = "version: 1\nsemver:\n  release_line_features: patch\n"

// lineFixture is releasedFixture with the main line released as v1.2.0,
// and release/1.1, cut at v1.1.0 and checked out, holding a backport
// released as v1.1.1 and one more commit with message:
//
//	main:        v1.0.0 ← … ← v1.1.0 ← fix ← feat ← docs (v1.2.0)
//	release/1.1:                v1.1.0 ← backport (v1.1.1) ← message
func lineFixture(t *testing.T, message string) *gitFixture {
	f := releasedFixture(t)
	f.git("tag", "v1.2.0")
	f.git("switch", "-q", "-c", "release/1.1", "v1.1.0")
	f.commit("fix: backport a crash")
	f.git("tag", "v1.1.1")
	f.commit(message)
	return f
}

func TestVersionNextOnAReleaseLine(t *testing.T) {
	fix := lineFixture(t, "fix: another backport")
	feature := lineFixture(t, "feat: search (#21)")
	capped := lineFixture(t, "feat: search (#21)")
	capped.write(".shipgate.yml", capLine)
	passed := lineFixture(t, "fix: another backport")
	passed.git("switch", "-q", "-c", "hotfix/x", "v1.1.1") // v1.1.2 was released from a hotfix branch
	passed.commit("fix: hotfix")
	passed.git("tag", "v1.1.2")
	passed.git("switch", "-q", "release/1.1")
	feature.git("switch", "-q", "main")
	feature.commit("fix: on main")
	feature.git("switch", "-q", "release/1.1")

	tests := []struct {
		name     string
		dir      string
		args     []string
		wantCode int
		golden   string // of stdout, or of stderr when wantCode is not 0
	}{
		{name: "a fix on release/1.1 is the line's next patch, not main's next minor", dir: fix.dir, golden: "version_next_release_line"},
		{name: "json says the line's next patch", dir: fix.dir, args: []string{"--format", "json"}, golden: "version_next_release_line_json"},
		{name: "a feature on release/1.1 is refused, naming it and how to ship it", dir: feature.dir, wantCode: 1, golden: "version_next_release_line_feature"},
		{name: "a feature capped by the policy is the line's next patch", dir: capped.dir, golden: "version_next_release_line_capped"},
		{name: "a patch released on another branch is passed over", dir: passed.dir, golden: "version_next_release_line_passed"},
		{name: "--to main computes main's next version from a release branch", dir: feature.dir, args: []string{"--to", "main"}, golden: "version_next_release_line_main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{"version", "next", "--repo", tt.dir}, tt.args...)...)
			out, other := stdout, stderr
			if tt.wantCode != 0 {
				out, other = stderr, stdout
			}
			if code != tt.wantCode || other != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d", code, stdout, stderr, tt.wantCode)
			}
			golden.Assert(t, tt.golden, []byte(strings.ReplaceAll(out, tt.dir, "REPO")))
		})
	}
}

func TestNotesOnAReleaseLine(t *testing.T) {
	fix := lineFixture(t, "fix: another backport")
	feature := lineFixture(t, "feat: search (#21)")
	custom := countsTemplate(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		golden   string
		stdout   string
		stderr   string
	}{
		{name: "notes on release/1.1 start at the line's previous tag", args: []string{"--repo", fix.dir, "--date", "2026-11-22"},
			golden: "notes_release_line.md"},
		{name: "notes from a tag of the line name the line's next patch", args: []string{"--repo", fix.dir, "--from", "v1.1.0", "--template", custom},
			stdout: "v1.1.1 after v1.1.0: Fixes=2 \n"},
		{name: "notes of a feature on the line are refused, as its version is", args: []string{"--repo", feature.dir},
			wantCode: 1, stderr: "shipgate: release/1.1 is release line 1.1, which takes patches only, but the commits since v1.1.1 need a minor release"},
		{name: "notes with a version of one's own are written whatever the line takes", args: []string{"--repo", feature.dir, "--version", "v1.1.2", "--template", custom},
			stdout: "v1.1.2 after v1.1.1: Features=1 \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{"notes"}, tt.args...)...)
			if code != tt.wantCode || !strings.HasPrefix(stderr, tt.stderr) || (tt.stderr == "") != (stderr == "") {
				t.Fatalf("exit %d, stderr %q; want exit %d and stderr starting %q", code, stderr, tt.wantCode, tt.stderr)
			}
			if tt.golden != "" {
				golden.Assert(t, tt.golden, []byte(stdout))
			} else if stdout != tt.stdout {
				t.Errorf("stdout = %q, want %q", stdout, tt.stdout)
			}
		})
	}
}

func TestTagCheckOnAReleaseLine(t *testing.T) {
	tests := []struct {
		name     string
		message  string // the commit tagged, after v1.1.1
		policy   string
		tag      string
		wantCode int
		golden   string
	}{
		{name: "a fix's patch on the line is valid", message: "fix: another backport", tag: "v1.1.2", golden: "tag_check_release_line_ok"},
		{name: "a feature's patch on the line takes patches only", message: "feat: search (#21)", tag: "v1.1.2", wantCode: 1, golden: "tag_check_release_line_feature"},
		{name: "a feature's patch on the line is valid when the policy caps it", message: "feat: search (#21)", policy: capLine, tag: "v1.1.2", golden: "tag_check_release_line_capped"},
		{name: "a minor on the line is not a version of the line", message: "feat: search (#21)", tag: "v1.3.0", wantCode: 1, golden: "tag_check_release_line_minor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := lineFixture(t, tt.message)
			if tt.policy != "" {
				f.write(".shipgate.yml", tt.policy)
			}
			f.git("tag", tt.tag)
			code, stdout, stderr := runCLI("tag", "check", tt.tag, "--repo", f.dir)
			if code != tt.wantCode || stderr != "" {
				t.Fatalf("exit %d, stderr %q, stdout %q; want exit %d", code, stderr, stdout, tt.wantCode)
			}
			golden.Assert(t, tt.golden, []byte(stdout))
		})
	}
}
