package main

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/golden"
)

// TestTagCheck plays a release history in order, checking each tag right
// after it is created, as the bot does when a tag is pushed.
func TestTagCheck(t *testing.T) {
	f := releasedFixture(t) // v1.0.0, v1.1.0, then fix, feat, docs on main
	f.write(".shipgate.yml", "version: 1\ntags:\n  branches: [main, \"release/*\"]\n")

	steps := []struct {
		name     string
		setup    [][]string // git commands run before the check
		commit   string     // a commit made after setup, before tagging
		tag      []string   // the git tag command's arguments
		wantCode int
		golden   string
		deleteIt bool // the user deletes an invalid tag afterwards
	}{
		{name: "a patch where a feature landed needs a minor", tag: []string{"v1.1.1"}, wantCode: 1, golden: "tag_check_patch_after_feature", deleteIt: true},
		{name: "the next minor after a feature is valid", tag: []string{"-a", "-m", "Release 1.2.0", "v1.2.0"}, golden: "tag_check_ok"},
		{name: "a backport on a release branch is checked against its own line",
			setup: [][]string{{"switch", "-q", "-c", "release/1.1", "v1.1.0"}}, commit: "fix: backport a crash",
			tag: []string{"v1.1.1"}, golden: "tag_check_backport"},
		{name: "a skipped version on an unmerged branch gives two problems",
			setup: [][]string{{"switch", "-q", "-c", "feature/x", "main"}}, commit: "feat: unmerged work",
			tag: []string{"v1.4.0"}, wantCode: 1, golden: "tag_check_skipped_unmerged", deleteIt: true},
		{name: "a patch of an old line on main is below the highest tag",
			setup: [][]string{{"switch", "-q", "main"}}, commit: "fix: late fix",
			tag: []string{"v1.1.5"}, wantCode: 1, golden: "tag_check_out_of_order", deleteIt: true},
		{name: "a name that is no version says how to write one", tag: []string{"latest"}, wantCode: 1, golden: "tag_check_not_a_version"},
	}
	for _, st := range steps {
		for _, args := range st.setup {
			f.git(args...)
		}
		if st.commit != "" {
			f.commit(st.commit)
		}
		f.git(append([]string{"tag"}, st.tag...)...)
		name := st.tag[len(st.tag)-1]
		t.Run(st.name, func(t *testing.T) {
			code, stdout, stderr := runCLI("tag", "check", name, "--repo", f.dir)
			if code != st.wantCode || stderr != "" {
				t.Fatalf("exit %d, stderr %q, stdout %q; want exit %d", code, stderr, stdout, st.wantCode)
			}
			golden.Assert(t, st.golden, []byte(stdout))
		})
		if st.deleteIt {
			f.git("tag", "-d", name)
		}
	}
}

func TestTagCheckUsageErrors(t *testing.T) {
	f := releasedFixture(t)
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"an unknown tag is a usage error", []string{"tag", "check", "v9.9.9", "--repo", f.dir},
			"shipgate: unknown tag v9.9.9 in " + f.dir + ": create it first (git tag v9.9.9) or check the name with 'git tag --list'\n"},
		{"a branch is not a tag", []string{"tag", "check", "main", "--repo", f.dir}, "shipgate: unknown tag main in "},
		{"the tag is required", []string{"tag", "check", "--repo", f.dir}, "shipgate: accepts 1 arg(s), received 0\n"},
		{"tag without a subcommand is a usage error", []string{"tag"}, "shipgate: missing subcommand: try 'shipgate tag check TAG'\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			if code != 2 || stdout != "" || !strings.HasPrefix(stderr, tt.wantStderr) {
				t.Errorf("got exit %d, stdout %q, stderr %q; want exit 2 and stderr starting %q", code, stdout, stderr, tt.wantStderr)
			}
		})
	}
}
