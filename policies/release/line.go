package release

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shipgate/shipgate/policies"
)

// A release line is a branch whose versions keep one MAJOR.MINOR and take
// patches only: release/1.4 ships v1.4.1, v1.4.2…, never v1.5.0, which is
// the main line's. LineOf is the one definition of it. The CLI and the
// Action (through githistory, from git) and the bots (through their APIs)
// give it what they read, so that every front door draws the same line.

// Line is a release line.
type Line struct {
	Major, Minor uint64
	// Branch is the branch that is the line.
	Branch string
	// Why says what makes Branch a release line when its name does not
	// say which one, e.g. "it has v1.1.2 but not v1.3.0, the highest
	// version"; "" when the name says it.
	Why string
}

// String names the line: "release line 1.4".
func (l Line) String() string { return fmt.Sprintf("release line %d.%d", l.Major, l.Minor) }

// Holds reports whether v is a version of the line.
func (l Line) Holds(v Version) bool { return v.Major == l.Major && v.Minor == l.Minor }

// First is the line's first version, MAJOR.MINOR.0.
func (l Line) First() Version { return Version{Major: l.Major, Minor: l.Minor} }

// describe says which branch is which line and why: "release/1.4 is
// release line 1.4".
func (l Line) describe() string {
	if l.Why == "" {
		return fmt.Sprintf("%s is %s", l.Branch, l)
	}
	return fmt.Sprintf("%s is %s (%s)", l.Branch, l, l.Why)
}

// At is where a release is cut: what LineOf and Next know of a commit.
type At struct {
	// Branches are where the release is cut from: the one branch being
	// released (`version next`, `/release`), or every branch holding a
	// tagged commit (tag validation). Empty: the commit is on no branch.
	Branches []string
	// Default is the repository's default branch, "" when unknown.
	Default string
	// Reachable are version tags reachable from the commit: at least the
	// highest stable one and the pre-releases above it. Tags whose names
	// are not versions are ignored.
	Reachable []Tag
	// All are every tag of the repository, wherever they are; nil when
	// only Reachable are known.
	All []Tag
}

// releaseBranches is the name pattern of release branches.
var releaseBranches = policies.Glob{Pattern: "release/*"}

// IsReleaseBranch reports whether a branch's name makes it a release line
// (release/*). LineOf says which line, and knows the other release lines.
func IsReleaseBranch(name string) bool { return releaseBranches.Match(name) }

// LineOf returns the release line of the commit that at describes; ok is
// false when the commit is on the main line. A branch is a release line
// when
//   - its name is release/*: the line is the MAJOR.MINOR its name ends
//     with (release/1.4, release/v1.4, release/1.4.x) when that fits its
//     tags (see namedLine), else that of the highest stable version tag
//     reachable from it (with none, it is no line yet);
//   - or it is not the default branch and the highest stable version tag
//     reachable from it is of a lower MAJOR.MINOR than the repository's
//     highest: the main line has moved on without it, so whatever its name
//     (support/1.x, a hotfix branch) it maintains its latest tag's line.
//
// The default branch is the main line whatever its tags: a release made
// on another branch must not turn it into a line.
//
// The commit is on a line when every one of at.Branches is that line; on
// no branch, on the main line as well, or on two lines, it is not.
func LineOf(prefix string, at At) (Line, bool) {
	reachable := parseTags(prefix, at.Reachable)
	return lineOf(at.Branches, at.Default, reachable, append(parseTags(prefix, at.All), reachable...))
}

// lineOf is LineOf on parsed tags: reachable from the commit, and known
// (every tag, reachable or not).
func lineOf(branches []string, defaultBranch string, reachable, known []versionTag) (Line, bool) {
	if len(branches) == 0 {
		return Line{}, false
	}
	latest, hasLatest := highestStableTag(reachable)
	top, hasTop := highestStableTag(known)
	var line Line
	for i, b := range branches {
		var l Line
		var ok bool
		switch {
		case IsReleaseBranch(b):
			l, ok = namedLine(b, latest, hasLatest)
			if !ok && hasLatest {
				l, ok = Line{Major: latest.version.Major, Minor: latest.version.Minor, Branch: b,
					Why: "its latest version is " + latest.name}, true
			}
		case b != defaultBranch && hasLatest && hasTop && lineBelow(latest.version, top.version):
			l, ok = Line{Major: latest.version.Major, Minor: latest.version.Minor, Branch: b,
				Why: fmt.Sprintf("it has %s but not %s, the highest version", latest.name, top.name)}, true
		}
		if !ok || (i > 0 && (l.Major != line.Major || l.Minor != line.Minor)) {
			return Line{}, false
		}
		if i == 0 {
			line = l
		}
	}
	return line, true
}

// namedLine is the line a release branch's name ends with (LineInName),
// when it fits the branch's latest version (when it has one): not below
// its line, and at most one major above it, so that release/2026.1 in a
// repository of 1.x versions is not line 2026.1, nor release/1.2 holding
// v1.3.0 line 1.2.
func namedLine(branch string, latest versionTag, hasLatest bool) (Line, bool) {
	l, ok := LineInName(branch)
	if !ok || (hasLatest && (lineBelow(l.First(), latest.version) || l.Major > latest.version.Major+1)) {
		return Line{}, false
	}
	return l, true
}

// LineInName returns the line a branch's name ends with: "1.4", "v1.4" or
// "1.4.x" after the last slash; ok is false when it names none. Whether
// the branch is that line is LineOf's to say; a host adapter that cannot
// list a branch's tags looks for the line's own tags first with it.
func LineInName(branch string) (Line, bool) {
	s := branch[strings.LastIndexByte(branch, '/')+1:]
	s = strings.TrimPrefix(s, "v")
	s = strings.TrimSuffix(strings.TrimSuffix(s, ".x"), ".X")
	major, minor, ok := strings.Cut(s, ".")
	if !ok {
		return Line{}, false
	}
	m, okM := versionNumber(major)
	n, okN := versionNumber(minor)
	if !okM || !okN {
		return Line{}, false
	}
	return Line{Major: m, Minor: n, Branch: branch}, true
}

// versionNumber parses one numeric part of a version: digits without a
// leading zero.
func versionNumber(s string) (uint64, bool) {
	if !isNumeric(s) || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// lineBelow reports whether a's MAJOR.MINOR is below b's.
func lineBelow(a, b Version) bool {
	return a.Major < b.Major || (a.Major == b.Major && a.Minor < b.Minor)
}

// inLine keeps the tags of line l.
func inLine(tags []versionTag, l Line) []versionTag {
	var out []versionTag
	for _, t := range tags {
		if l.Holds(t.version) {
			out = append(out, t)
		}
	}
	return out
}

// nextInLine is the next free version of line l: the patch after the
// highest stable version of the line among tags, wherever it is, else the
// line's first version. passed names that highest version, "" when none.
func nextInLine(l Line, tags []versionTag) (next Version, passed string) {
	if h, ok := highestStableTag(inLine(tags, l)); ok {
		return h.version.Bump(policies.BumpPatch), h.name
	}
	return l.First(), ""
}

// LineError is Next's error when the commits need more than their
// release line takes: a feature or a breaking change where the line takes
// patches only, or a breaking change where it opens with a minor version
// (unless semver.release_line_features caps them). The message names the
// commits and says how to ship them.
type LineError struct {
	Line Line
	msg  string
}

func (e *LineError) Error() string { return e.msg }

// takesAfter returns the largest bump line l takes after base, the highest
// stable version reachable from the commit: a patch once the line has a
// version of its own, else the step to its first version (any bump when
// nothing comes before it).
func takesAfter(l Line, base *Version) policies.Bump {
	switch {
	case base == nil:
		return policies.BumpMajor
	case l.Holds(*base):
		return policies.BumpPatch
	}
	return bumpBetween(*base, l.First())
}

// tooMuch says that the commits since prevName need a required bump, more
// than line l takes (takes), names them, and gives the two ways out:
// release them from the main line, or cap them with the policy and
// release them on the line as capped.
func tooMuch(s policies.ReleaseSettings, l Line, prevName string, base Version, required, takes policies.Bump, commits []policies.Commit, capped Version) string {
	what := "which takes patches only"
	if takes != policies.BumpPatch {
		what = fmt.Sprintf("which starts at %s, a %s release after %s", l.First().Tag(s.TagPrefix), takes, prevName)
	}
	which := describeCommits(s, base, commits, func(b policies.Bump) bool { return b.Rank() > takes.Rank() })
	return fmt.Sprintf("%s, %s, but the commits since %s need a %s release (%s): merge them into the main line and release them from there, or set `semver.release_line_features: patch` in the policy to release them on this line as %s",
		l.describe(), what, prevName, required, which, capped.Tag(s.TagPrefix))
}
