package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitFixture is a temporary git repository with deterministic SHAs: fixed
// identity, dates that advance one minute per commit, no signing or hooks,
// so that it builds the same on any machine.
type gitFixture struct {
	t    *testing.T
	dir  string
	tick int
}

func newGitFixture(t *testing.T) *gitFixture {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	f := &gitFixture{t: t, dir: t.TempDir()}
	f.git("init", "-q", "-b", "main")
	return f
}

func (f *gitFixture) git(args ...string) string {
	f.t.Helper()
	date := fmt.Sprintf("%d +0000", 1_790_000_000+f.tick*60)
	cmd := exec.Command("git", append([]string{
		"-c", "user.name=Test", "-c", "user.email=test@example.com",
		"-c", "commit.gpgSign=false", "-c", "tag.gpgSign=false", "-c", "core.hooksPath=/dev/null",
	}, args...)...)
	cmd.Dir = f.dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_COMMITTER_DATE="+date,
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+f.dir,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		f.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit makes an empty commit, optionally with an author "Name <email>".
func (f *gitFixture) commit(message string, author ...string) {
	f.t.Helper()
	f.tick++
	args := []string{"commit", "-q", "--allow-empty", "-m", message}
	if len(author) > 0 {
		args = append(args, "--author", author[0])
	}
	f.git(args...)
}

func (f *gitFixture) write(name, content string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, name), []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// releasedFixture is a repository with v1.0.0 and v1.1.0 on main and three
// unreleased commits (a fix, a feature and docs) after them.
func releasedFixture(t *testing.T) *gitFixture {
	f := newGitFixture(t)
	f.commit("chore: init")
	f.git("tag", "v1.0.0")
	f.commit("feat(api): add pagination (#12)", "Alice <123+alice@users.noreply.github.com>")
	f.commit("fix: handle empty config files")
	f.git("tag", "-a", "-m", "Release 1.1.0", "v1.1.0")
	f.commit("fix(cli): crash on --help (#15)")
	f.commit("feat: export to CSV", "Bob Builder <bob@example.com>")
	f.commit("docs: explain releases\n\nLonger text.")
	return f
}

// runCLI runs the command line and returns the exit code and outputs.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestVersionNext(t *testing.T) {
	released := releasedFixture(t)
	released.git("tag", "v1.2.0-rc.1", "HEAD~1")

	untagged := newGitFixture(t)
	untagged.commit("feat: first")
	untagged.commit("chore: second")

	configured := newGitFixture(t)
	configured.commit("feat: one")
	configured.git("tag", "release-0.4.0")
	configured.commit("feat!: breaking")
	configured.commit("docs: readme")
	configured.write(".shipgate.yml", "version: 1\nsemver:\n  pre_major_breaking: minor\n  types: {docs: patch}\ntags:\n  prefix: release-\n")

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "json gives previous, next, bump and commit count",
			args:       []string{"version", "next", "--repo", released.dir, "--format", "json"},
			wantStdout: `{"previous": "v1.1.0", "next": "v1.2.0", "bump": "minor", "commits": 3}` + "\n"},
		{name: "text is one readable line",
			args:       []string{"version", "next", "--repo", released.dir},
			wantStdout: "next version: v1.2.0 (minor bump from v1.1.0; 3 commits)\n"},
		{name: "a release candidate is numbered after the existing ones",
			args:       []string{"version", "next", "--repo", released.dir, "--prerelease", "rc", "--format", "json"},
			wantStdout: `{"previous": "v1.1.0", "next": "v1.2.0-rc.2", "bump": "minor", "commits": 3}` + "\n"},
		{name: "at a tag nothing is to be released and next equals previous",
			args:       []string{"version", "next", "--repo", released.dir, "--to", "v1.1.0", "--format", "json"},
			wantStdout: `{"previous": "v1.1.0", "next": "v1.1.0", "bump": "none", "commits": 0}` + "\n"},
		{name: "at a tag the text says there is nothing to release",
			args:       []string{"version", "next", "--repo", released.dir, "--to", "v1.1.0"},
			wantStdout: "next version: v1.1.0 (nothing to release: the 0 commits since v1.1.0 bump nothing)\n"},
		{name: "--to an older commit computes the release there",
			args:       []string{"version", "next", "--repo", released.dir, "--to", "HEAD~2", "--format", "json"},
			wantStdout: `{"previous": "v1.1.0", "next": "v1.1.1", "bump": "patch", "commits": 1}` + "\n"},
		{name: "without a tag the next version is the initial one",
			args:       []string{"version", "next", "--repo", untagged.dir, "--format", "json"},
			wantStdout: `{"previous": "", "next": "v0.1.0", "bump": "minor", "commits": 2}` + "\n"},
		{name: "without a tag the text says it is a first release",
			args:       []string{"version", "next", "--repo", untagged.dir},
			wantStdout: "next version: v0.1.0 (first release: no version tag yet; 2 commits)\n"},
		{name: "the policy's prefix and pre-1.0 rules apply",
			args:       []string{"version", "next", "--repo", configured.dir, "--format", "json"},
			wantStdout: `{"previous": "release-0.4.0", "next": "release-0.5.0", "bump": "minor", "commits": 2}` + "\n"},
		{name: "an unknown ref is a usage error",
			args:     []string{"version", "next", "--repo", released.dir, "--to", "nope"},
			wantCode: 2, wantStderr: `shipgate: resolving "nope" in ` + released.dir + `: unknown ref: no commit has that name` + "\n"},
		{name: "an unknown format is a usage error",
			args:     []string{"version", "next", "--repo", released.dir, "--format", "yaml"},
			wantCode: 2, wantStderr: "shipgate: --format \"yaml\": want text or json\n"},
		{name: "a bad pre-release identifier is a usage error",
			args:     []string{"version", "next", "--repo", released.dir, "--prerelease", "rc.1"},
			wantCode: 2, wantStderr: "shipgate: pre-release identifier \"rc.1\": want letters, digits and hyphens with at least one non-digit, e.g. rc\n"},
		{name: "version without a subcommand is a usage error",
			args:     []string{"version"},
			wantCode: 2, wantStderr: "shipgate: missing subcommand: try 'shipgate version next'\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			if code != tt.wantCode || stdout != tt.wantStdout || stderr != tt.wantStderr {
				t.Errorf("shipgate %s\n got exit %d, stdout %q, stderr %q\nwant exit %d, stdout %q, stderr %q",
					strings.Join(tt.args, " "), code, stdout, stderr, tt.wantCode, tt.wantStdout, tt.wantStderr)
			}
		})
	}
}

func TestVersionNextRejectsAnInvalidPolicyWithItsPosition(t *testing.T) {
	f := newGitFixture(t)
	f.commit("feat: one")
	f.write(".shipgate.yml", "version: 1\nsemver:\n  pre_major_breaking: huge\n")
	code, stdout, stderr := runCLI("version", "next", "--repo", f.dir)
	want := filepath.Join(f.dir, ".shipgate.yml") + `:3:23: semver.pre_major_breaking: "huge" is not allowed; allowed values: major, minor`
	if code != 2 || stdout != "" || !strings.Contains(stderr, want) {
		t.Errorf("got exit %d, stdout %q, stderr %q; want exit 2 and stderr with %q", code, stdout, stderr, want)
	}
}

func TestVersionNextRejectsAShallowClone(t *testing.T) {
	f := releasedFixture(t)
	clone := t.TempDir()
	cmd := exec.Command("git", "clone", "-q", "--depth=1", "file://"+f.dir, clone)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	code, _, stderr := runCLI("version", "next", "--repo", clone)
	if code != 2 || !strings.Contains(stderr, "shallow clone") || !strings.Contains(stderr, "fetch-depth: 0") {
		t.Errorf("got exit %d, stderr %q; want exit 2 telling to fetch the full history", code, stderr)
	}
}

func TestReleaseCommandsHaveHelpWithExamples(t *testing.T) {
	for _, args := range [][]string{{"version", "next"}, {"notes"}, {"tag", "check"}} {
		code, stdout, _ := runCLI(append(args, "--help")...)
		if code != 0 || !strings.Contains(stdout, "Examples:\n  shipgate "+args[0]) {
			t.Errorf("shipgate %s --help: exit %d, output without an example:\n%s", strings.Join(args, " "), code, stdout)
		}
	}
}
