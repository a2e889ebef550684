package main

import (
	"strings"
	"testing"
)

// TestTagCheckPrereleaseNumbering checks pre-release tags of the next
// version: the first is valid, a later number is valid, and a number
// below an existing one goes backwards.
func TestTagCheckPrereleaseNumbering(t *testing.T) {
	f := releasedFixture(t) // v1.0.0, v1.1.0, then fix, feat, docs on main
	f.write(".shipgate.yml", "version: 1\ntags:\n  branches: [main]\n")
	steps := []struct {
		name, tag string
		wantCode  int
		wantOut   string
	}{
		{"the first pre-release of the next minor is valid", "v1.2.0-rc.1", 0, "ok: v1.2.0-rc.1 "},
		{"the next pre-release number is valid", "v1.2.0-rc.3", 0, "ok: v1.2.0-rc.3 "},
		{"a number below the highest goes backwards", "v1.2.0-rc.2", 1, "  - order: v1.2.0-rc.2 is not greater than v1.2.0-rc.3, the highest tag of the repository"},
		{"a pre-release of a patch is too small after a feature", "v1.1.1-rc.1", 1, "  - bump: v1.1.1-rc.1 is a patch release, but the commits since v1.1.0 require a minor release"},
	}
	for _, st := range steps {
		f.git("tag", st.tag)
		t.Run(st.name, func(t *testing.T) {
			code, stdout, stderr := runCLI("tag", "check", st.tag, "--repo", f.dir)
			if code != st.wantCode || stderr != "" || !strings.Contains(stdout, st.wantOut) {
				t.Fatalf("exit %d, stderr %q, stdout:\n%s\nwant exit %d and %q", code, stderr, stdout, st.wantCode, st.wantOut)
			}
		})
	}
}
