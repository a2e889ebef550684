package release

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

func TestLineOf(t *testing.T) {
	tests := []struct {
		name      string
		at        At
		want      string // "1.4" or "" for the main line
		wantWhy   string
		wantFirst string
	}{
		{name: "a release branch named for its line is that line, tags or not",
			at: At{Branches: []string{"release/1.4"}}, want: "1.4"},
		{name: "a release branch may name its line v1.4 or 1.4.x",
			at: At{Branches: []string{"release/v1.4.x"}, Reachable: tagsOf("v1.4.2")}, want: "1.4"},
		{name: "a release branch named for the next minor opens that line",
			at: At{Branches: []string{"release/1.5"}, Reachable: tagsOf("v1.4.2")}, want: "1.5"},
		{name: "a release branch without a version in its name is the line of its latest version",
			at: At{Branches: []string{"release/next"}, Reachable: tagsOf("v1.1.2", "v1.2.0-rc.1")}, want: "1.1", wantWhy: "its latest version is v1.1.2"},
		{name: "a release branch named for a line below its latest version is that version's line",
			at: At{Branches: []string{"release/1.2"}, Reachable: tagsOf("v1.3.0")}, want: "1.3", wantWhy: "its latest version is v1.3.0"},
		{name: "a calendar name is not read as a line of a 1.x repository",
			at: At{Branches: []string{"release/2026.1"}, Reachable: tagsOf("v1.4.2")}, want: "1.4", wantWhy: "its latest version is v1.4.2"},
		{name: "a release branch without a version in its name or a tag is no line yet",
			at: At{Branches: []string{"release/next"}}},
		{name: "a branch that the repository's highest version is not on maintains its latest line, whatever its name",
			at:   At{Branches: []string{"support/1.x"}, Default: "main", Reachable: tagsOf("v1.1.2"), All: tagsOf("v1.1.2", "v1.2.0", "v1.3.0")},
			want: "1.1", wantWhy: "it has v1.1.2 but not v1.3.0, the highest version"},
		{name: "the default branch is the main line even when a newer version was released elsewhere",
			at: At{Branches: []string{"main"}, Default: "main", Reachable: tagsOf("v1.1.0"), All: tagsOf("v1.1.0", "v1.2.0")}},
		{name: "a branch holding the highest version is the main line",
			at: At{Branches: []string{"feature/x"}, Default: "main", Reachable: tagsOf("v1.3.0"), All: tagsOf("v1.1.2", "v1.3.0")}},
		{name: "a patch released elsewhere does not make a branch a line",
			at: At{Branches: []string{"feature/x"}, Default: "main", Reachable: tagsOf("v1.3.0"), All: tagsOf("v1.3.0", "v1.3.1")}},
		{name: "a pre-release elsewhere does not make a branch a line",
			at: At{Branches: []string{"feature/x"}, Default: "main", Reachable: tagsOf("v1.1.0"), All: tagsOf("v1.1.0", "v1.2.0-rc.1")}},
		{name: "a commit on a release branch and on the main line is on the main line",
			at: At{Branches: []string{"main", "release/1.2"}, Default: "main", Reachable: tagsOf("v1.2.0")}},
		{name: "a commit on two release lines is on neither",
			at: At{Branches: []string{"release/1.1", "release/1.2"}, Reachable: tagsOf("v1.1.0")}},
		{name: "a commit on a release branch and a branch made from it is on the line",
			at:   At{Branches: []string{"release/1.1", "fix/crash"}, Default: "main", Reachable: tagsOf("v1.1.2"), All: tagsOf("v1.1.2", "v1.2.0")},
			want: "1.1"},
		{name: "a commit on no branch is on the main line",
			at: At{Reachable: tagsOf("v1.1.2"), All: tagsOf("v1.3.0")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, ok := LineOf("v", tt.at)
			got := ""
			if ok {
				got = fmt.Sprintf("%d.%d", l.Major, l.Minor)
			}
			if got != tt.want || l.Why != tt.wantWhy {
				t.Errorf("LineOf = %q (why %q), want %q (why %q)", got, l.Why, tt.want, tt.wantWhy)
			}
			if ok && l.Branch != tt.at.Branches[0] {
				t.Errorf("Branch = %q, want %q", l.Branch, tt.at.Branches[0])
			}
		})
	}
}

func TestLineInName(t *testing.T) {
	for name, want := range map[string]string{
		"release/1.4": "1.4", "release/v1.4": "1.4", "release/1.4.x": "1.4", "support/2.0.X": "2.0",
		"release/next": "", "release/1.04": "", "release/1": "", "release/1.4.2": "", "release/1.x": "",
	} {
		got := ""
		if l, ok := LineInName(name); ok {
			got = fmt.Sprintf("%d.%d", l.Major, l.Minor)
		}
		if got != want {
			t.Errorf("LineInName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestIsReleaseBranch(t *testing.T) {
	for name, want := range map[string]bool{"release/1.4": true, "release/next": true, "main": false, "releases/1.4": false, "release/1.4/fix": false} {
		if got := IsReleaseBranch(name); got != want {
			t.Errorf("IsReleaseBranch(%q) = %v, want %v", name, got, want)
		}
	}
}

// lettered gives commits whose short SHAs are aaaaaaa, bbbbbbb…, so that
// a message naming them shows which.
func lettered(messages ...string) []policies.Commit {
	out := make([]policies.Commit, len(messages))
	for i, m := range messages {
		out[i] = policies.Commit{SHA: strings.Repeat(string(rune('a'+i)), 40), Message: m}
	}
	return out
}

// lineRepo is a repository whose main line is at v1.3.0 and whose
// release/1.1 is at v1.1.2: the tags of every test of a release line.
var lineRepo = tagsOf("v1.0.0", "v1.1.0", "v1.1.1", "v1.1.2", "v1.2.0", "v1.3.0")

// onRelease11 is the head of release/1.1.
func onRelease11(extra ...string) At {
	return At{Branches: []string{"release/1.1"}, Default: "main", Reachable: tagsOf("v1.1.2"), All: append(tagsOf(extra...), lineRepo...)}
}

func TestNextOnAReleaseLine(t *testing.T) {
	def := policies.DefaultReleaseSettings()
	capped := policies.DefaultReleaseSettings()
	capped.ReleaseLineFeatures = policies.BumpPatch

	tests := []struct {
		name       string
		settings   policies.ReleaseSettings
		at         At
		messages   []string
		prerelease string
		// want is "previous → next (bump, required)", passed the Passed tag.
		want, passed string
	}{
		{name: "a fix on release/1.1 is the line's next patch", settings: def, at: onRelease11(),
			messages: []string{"fix: a crash"}, want: "v1.1.2 → v1.1.3 (patch, patch)"},
		{name: "a feature is released as a patch when the policy caps the line at patches", settings: capped, at: onRelease11(),
			messages: []string{"fix: a", "feat: b"}, want: "v1.1.2 → v1.1.3 (patch, minor)"},
		{name: "a breaking change is capped at a patch too", settings: capped, at: onRelease11(),
			messages: []string{"feat!: b"}, want: "v1.1.2 → v1.1.3 (patch, major)"},
		{name: "a patch released on another branch is passed over", settings: def, at: onRelease11("v1.1.3"),
			messages: []string{"fix: a"}, want: "v1.1.2 → v1.1.4 (patch, patch)", passed: "v1.1.3"},
		{name: "nothing to release on a line keeps its previous version", settings: def, at: onRelease11(),
			messages: []string{"docs: a"}, want: "v1.1.2 → v1.1.2 (none, none)"},
		{name: "a release candidate on a line is numbered after every existing one, reachable or not", settings: def,
			at: onRelease11("v1.1.3-rc.1"), messages: []string{"fix: a"}, prerelease: "rc", want: "v1.1.2 → v1.1.3-rc.2 (patch, patch)"},
		{name: "a branch named for the next line opens it at its first version", settings: def,
			at:       At{Branches: []string{"release/1.4"}, Default: "main", Reachable: tagsOf("v1.3.0"), All: lineRepo},
			messages: []string{"feat: a"}, want: "v1.3.0 → v1.4.0 (minor, minor)"},
		{name: "a line opens at its first version with fixes only", settings: def,
			at:       At{Branches: []string{"release/1.4"}, Default: "main", Reachable: tagsOf("v1.3.0"), All: lineRepo},
			messages: []string{"fix: a"}, want: "v1.3.0 → v1.4.0 (minor, patch)"},
		{name: "a line whose first version was released elsewhere goes on above it", settings: def,
			at:       At{Branches: []string{"release/1.4"}, Default: "main", Reachable: tagsOf("v1.3.0"), All: append(tagsOf("v1.4.0"), lineRepo...)},
			messages: []string{"feat: a"}, want: "v1.3.0 → v1.4.1 (minor, minor)", passed: "v1.4.0"},
		{name: "a branch behind the main line keeps its line whatever its name", settings: def,
			at:       At{Branches: []string{"support/1.x"}, Default: "main", Reachable: tagsOf("v1.1.2"), All: lineRepo},
			messages: []string{"fix: a"}, want: "v1.1.2 → v1.1.3 (patch, patch)"},
		{name: "on main a fix after a version released on another branch goes to the next minor above it", settings: def,
			at:       At{Branches: []string{"main"}, Default: "main", Reachable: tagsOf("v1.2.0"), All: lineRepo},
			messages: []string{"fix: a"}, want: "v1.2.0 → v1.4.0 (minor, patch)", passed: "v1.3.0"},
		{name: "on main a patch released on a hotfix branch is passed over by a minor", settings: def,
			at:       At{Branches: []string{"main"}, Default: "main", Reachable: tagsOf("v1.3.0"), All: append(tagsOf("v1.3.1"), lineRepo...)},
			messages: []string{"fix: a"}, want: "v1.3.0 → v1.4.0 (minor, patch)", passed: "v1.3.1"},
		{name: "on main a bump above every version is kept", settings: def,
			at:       At{Branches: []string{"main"}, Default: "main", Reachable: tagsOf("v1.3.0"), All: lineRepo},
			messages: []string{"feat!: a"}, want: "v1.3.0 → v2.0.0 (major, major)"},
		{name: "on main a first release whose initial version exists elsewhere goes above it", settings: def,
			at:       At{Branches: []string{"main"}, Default: "main", All: tagsOf("v0.1.0")},
			messages: []string{"fix: a"}, want: " → v0.2.0 (patch, patch)", passed: "v0.1.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Next(tt.settings, tt.at, commitsOf(tt.messages...), tt.prerelease)
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			got := fmt.Sprintf("%s → %s (%s, %s)", p.PreviousTag, p.NextTag, p.Bump, p.Required)
			if got != tt.want || p.Passed != tt.passed {
				t.Errorf("Next = %s, passed %q; want %s, passed %q", got, p.Passed, tt.want, tt.passed)
			}
			if l, ok := LineOf("v", tt.at); ok != (p.Line != nil) || (ok && *p.Line != l) {
				t.Errorf("Line = %v, want LineOf's %v (%v)", p.Line, l, ok)
			}
		})
	}
}

func TestNextRefusesWhatALineDoesNotTake(t *testing.T) {
	def := policies.DefaultReleaseSettings()
	tests := []struct {
		name     string
		at       At
		messages []string
		want     string
	}{
		{name: "a feature on release/1.1 is refused, naming it and the ways out", at: onRelease11(),
			messages: []string{"fix: a", "feat: search"},
			want: `release/1.1 is release line 1.1, which takes patches only, but the commits since v1.1.2 need a minor release (bbbbbbb "feat: search"): ` +
				"merge them into the main line and release them from there, or set `semver.release_line_features: patch` in the policy to release them on this line as v1.1.3"},
		{name: "features and a breaking change are all named", at: onRelease11(),
			messages: []string{"feat: a", "fix!: b", "feat: c", "feat: d"},
			want:     `need a major release (aaaaaaa "feat: a", bbbbbbb "fix!: b", ccccccc "feat: c" and 1 more)`},
		{name: "a maintenance branch says why it is a line", at: At{Branches: []string{"support/1.x"}, Default: "main", Reachable: tagsOf("v1.1.2"), All: lineRepo},
			messages: []string{"feat: a"},
			want:     "support/1.x is release line 1.1 (it has v1.1.2 but not v1.3.0, the highest version), which takes patches only"},
		{name: "a breaking change cannot open a minor line", at: At{Branches: []string{"release/1.4"}, Default: "main", Reachable: tagsOf("v1.3.0"), All: lineRepo},
			messages: []string{"feat!: a"},
			want:     "release/1.4 is release line 1.4, which starts at v1.4.0, a minor release after v1.3.0, but the commits since v1.3.0 need a major release"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Next(def, tt.at, lettered(tt.messages...), "")
			var le *LineError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Next = %s, %v; want a *LineError containing %q", p.NextTag, err, tt.want)
			}
			if le.Line.Branch != tt.at.Branches[0] {
				t.Errorf("LineError.Line = %+v, want the line of %s", le.Line, tt.at.Branches[0])
			}
		})
	}
}

// TestNextNeverProposesAnExistingTag plays every branch of a repository
// with release lines, with every kind of change, capped or not: the
// proposal is a new tag, or a *LineError, or nothing to release.
func TestNextNeverProposesAnExistingTag(t *testing.T) {
	all := tagsOf("v1.0.0", "v1.0.1", "v1.1.0", "v1.1.1", "v1.1.2", "v1.1.3", "v1.2.0", "v1.2.1", "v1.3.0", "v1.3.1-rc.1", "v1.4.0-rc.1")
	where := []At{
		{Branches: []string{"main"}, Reachable: tagsOf("v1.3.0")},
		{Branches: []string{"main"}, Reachable: tagsOf("v1.2.0")},
		{Branches: []string{"release/1.1"}, Reachable: tagsOf("v1.1.2")},
		{Branches: []string{"release/1.0"}, Reachable: tagsOf("v1.0.1")},
		{Branches: []string{"release/1.2"}, Reachable: tagsOf("v1.1.0")},
		{Branches: []string{"release/1.3"}, Reachable: tagsOf("v1.3.0", "v1.3.1-rc.1")},
		{Branches: []string{"release/1.4"}, Reachable: tagsOf("v1.3.0")},
		{Branches: []string{"hotfix/x"}, Reachable: tagsOf("v1.1.0")},
		{Branches: []string{"feature/y"}, Reachable: tagsOf("v1.3.0")},
	}
	capped := policies.DefaultReleaseSettings()
	capped.ReleaseLineFeatures = policies.BumpPatch
	for _, s := range []policies.ReleaseSettings{policies.DefaultReleaseSettings(), capped} {
		for _, at := range where {
			at.Default, at.All = "main", all
			for _, msg := range []string{"fix: a", "feat: a", "feat!: a"} {
				for _, pre := range []string{"", "rc"} {
					p, err := Next(s, at, commitsOf(msg), pre)
					var le *LineError
					switch {
					case errors.As(err, &le):
					case err != nil:
						t.Errorf("%s, %q, %q: %v", at.Branches[0], msg, pre, err)
					case slices.ContainsFunc(all, func(t Tag) bool { return t.Name == p.NextTag }):
						t.Errorf("%s, %q, %q (capped %v): Next proposes %s, which exists", at.Branches[0], msg, pre, s.ReleaseLineFeatures != "", p.NextTag)
					}
				}
			}
		}
	}
}

func TestValidateTagOnAReleaseLine(t *testing.T) {
	def := policies.DefaultReleaseSettings()
	capped := policies.DefaultReleaseSettings()
	capped.ReleaseLineFeatures = policies.BumpPatch
	on11 := func(name string, messages ...string) TagCheck {
		return TagCheck{Name: name, AllTags: lineRepo, Reachable: tagsOf("v1.1.2"), Commits: lettered(messages...),
			OnBranches: []string{"release/1.1"}, Default: "main"}
	}
	opening := func(name string, messages ...string) TagCheck {
		return TagCheck{Name: name, AllTags: lineRepo, Reachable: tagsOf("v1.3.0"), Commits: lettered(messages...),
			OnBranches: []string{"release/1.4"}, Default: "main"}
	}
	withTags := func(c TagCheck, names ...string) TagCheck {
		c.AllTags = append(tagsOf(names...), c.AllTags...)
		return c
	}
	tests := []struct {
		name     string
		settings policies.ReleaseSettings
		check    TagCheck
		want     []Problem
	}{
		{name: "the line's next patch with fixes is valid", settings: def, check: on11("v1.1.3", "fix: a")},
		{name: "a pre-release of the line's next patch is valid", settings: def, check: on11("v1.1.3-rc.1", "fix: a")},
		{name: "a feature on the line is valid as a patch when the policy caps it", settings: capped, check: on11("v1.1.3", "feat: a")},
		{name: "a feature on the line is a line problem that says how to ship it", settings: def, check: on11("v1.1.3", "fix: a", "feat: search"),
			want: []Problem{{Kind: ProblemLine, Message: `v1.1.3 is on a release line: release/1.1 is release line 1.1, which takes patches only, but the commits since v1.1.2 need a minor release (bbbbbbb "feat: search"): ` +
				"merge them into the main line and release them from there, or set `semver.release_line_features: patch` in the policy to release them on this line as v1.1.3"}}},
		{name: "a new minor on the line is not a version of the line", settings: def, check: on11("v1.4.0", "feat: a"),
			want: []Problem{{Kind: ProblemLine, Message: "v1.4.0 is not a version of its release line: release/1.1 is release line 1.1, which takes 1.1.x versions only: tag v1.1.3 instead, and release newer versions from the main line"}}},
		{name: "a skipped patch on the line advises the next one", settings: def, check: on11("v1.1.5", "fix: a"),
			want: []Problem{{Kind: ProblemSkip, Message: "v1.1.5 skips versions of release line 1.1: tag its next version v1.1.3 (or a pre-release of it) instead"}}},
		{name: "the advice passes over a patch released on another branch", settings: def, check: withTags(on11("v1.1.6", "fix: a"), "v1.1.3"),
			want: []Problem{{Kind: ProblemSkip, Message: "v1.1.6 skips versions of release line 1.1: tag its next version v1.1.4 (or a pre-release of it) instead"}}},
		{name: "the next patch above one released on another branch is valid", settings: def, check: withTags(on11("v1.1.4", "fix: a"), "v1.1.3")},
		{name: "a patch below one released on another branch is out of order", settings: def, check: withTags(on11("v1.1.3", "fix: a"), "v1.1.4"),
			want: []Problem{{Kind: ProblemOrder, Message: "v1.1.3 is not greater than v1.1.4, the highest tag of release line 1.1: delete v1.1.3 and tag a version above v1.1.4, e.g. v1.1.5"}}},
		{name: "a branch named for a new line opens it with its first version", settings: def, check: opening("v1.4.0", "feat: a")},
		{name: "a line's first version is its only start", settings: def, check: opening("v1.4.2", "feat: a"),
			want: []Problem{{Kind: ProblemSkip, Message: "v1.4.2 skips versions of release line 1.4: tag its next version v1.4.0 (or a pre-release of it) instead"}}},
		{name: "a breaking change cannot open a minor line", settings: def, check: opening("v1.4.0", "feat!: a"),
			want: []Problem{{Kind: ProblemLine, Message: `v1.4.0 is on a release line: release/1.4 is release line 1.4, which starts at v1.4.0, a minor release after v1.3.0, but the commits since v1.3.0 need a major release (aaaaaaa "feat!: a"): ` +
				"merge them into the main line and release them from there, or set `semver.release_line_features: patch` in the policy to release them on this line as v1.4.0"}}},
		{name: "a maintenance branch behind the main line is checked against its line", settings: def,
			check: TagCheck{Name: "v1.1.3", AllTags: lineRepo, Reachable: tagsOf("v1.1.2"), Commits: lettered("feat: a"), OnBranches: []string{"support/1.x"}, Default: "main"},
			want: []Problem{{Kind: ProblemLine, Message: `v1.1.3 is on a release line: support/1.x is release line 1.1 (it has v1.1.2 but not v1.3.0, the highest version), which takes patches only, but the commits since v1.1.2 need a minor release (aaaaaaa "feat: a"): ` +
				"merge them into the main line and release them from there, or set `semver.release_line_features: patch` in the policy to release them on this line as v1.1.3"}}},
		{name: "a release branch's tag checked without its reachable tags uses the line's own", settings: def,
			check: TagCheck{Name: "v1.1.3", AllTags: lineRepo, Commits: lettered("feat: a"), OnBranches: []string{"release/1.1"}},
			want: []Problem{{Kind: ProblemLine, Message: `v1.1.3 is on a release line: release/1.1 is release line 1.1, which takes patches only, but the commits since v1.1.2 need a minor release (aaaaaaa "feat: a"): ` +
				"merge them into the main line and release them from there, or set `semver.release_line_features: patch` in the policy to release them on this line as v1.1.3"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidateTag(tt.settings, tt.check); !slices.Equal(got, tt.want) {
				t.Errorf("ValidateTag(%s) =\n%#v\nwant\n%#v", tt.check.Name, got, tt.want)
			}
		})
	}
}

// advised finds the versions a problem tells to tag: "tag v1.2.4",
// "e.g. v1.2.6", "minor v1.3.0", "as v1.1.3".
var advised = regexp.MustCompile(`\b(?:tag|tag its next version|tag the next patch|e\.g\.|minor|major|as) (v[0-9][^ ,()]*)`)

// TestValidateTagNeverAdvisesAnExistingVersion checks tags of every kind
// on every branch of a repository with release lines: no version that a
// problem advises exists.
func TestValidateTagNeverAdvisesAnExistingVersion(t *testing.T) {
	all := tagsOf("v1.0.0", "v1.0.1", "v1.1.0", "v1.1.1", "v1.1.2", "v1.1.3", "v1.2.0", "v1.2.1", "v1.3.0", "v1.3.1-rc.1")
	where := []struct {
		branch    string
		reachable []Tag
	}{
		{"main", tagsOf("v1.3.0")}, {"release/1.1", tagsOf("v1.1.2")}, {"release/1.2", tagsOf("v1.2.1")},
		{"release/1.4", tagsOf("v1.3.0")}, {"support/1.0", tagsOf("v1.0.1")}, {"feature/x", tagsOf("v1.3.0")},
	}
	s := policies.DefaultReleaseSettings()
	s.TagBranches = []policies.Glob{{Pattern: "main"}, {Pattern: "release/*"}}
	checked := 0
	for _, w := range where {
		for _, name := range []string{"v1.0.2", "v1.1.2", "v1.1.4", "v1.1.9", "v1.2.0", "v1.2.2", "v1.3.1", "v1.4.0", "v1.4.1", "v2.0.0", "v3.0.0", "v1.3.1-rc.1"} {
			for _, msg := range []string{"fix: a", "feat: a", "feat!: a"} {
				c := TagCheck{Name: name, AllTags: all, Reachable: w.reachable, Commits: commitsOf(msg), OnBranches: []string{w.branch}, Default: "main"}
				for _, p := range ValidateTag(s, c) {
					for _, m := range advised.FindAllStringSubmatch(p.Message, -1) {
						checked++
						if m[1] != name && slices.ContainsFunc(all, func(t Tag) bool { return t.Name == m[1] }) {
							t.Errorf("%s on %s after %q: %s advises %s, which exists:\n%s", name, w.branch, msg, p.Kind, m[1], p.Message)
						}
					}
				}
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d advised versions checked: the pattern finds no advice", checked)
	}
}
