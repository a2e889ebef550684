package release

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shipgate/shipgate/policies"
)

// TagCheck is what ValidateTag needs to know about a new tag.
type TagCheck struct {
	// Name is the tag's name, e.g. "v1.3.0".
	Name string
	// Commit is the SHA of the tagged commit.
	Commit string
	// AllTags are the repository's tags; the tag itself may be among them
	// and is skipped by name. Names that are not version tags are ignored.
	AllTags []Tag
	// Reachable are the version tags below Name reachable from Commit: at
	// least the highest stable one (the previous version), which tells a
	// release line that its name does not; nil when unknown.
	Reachable []Tag
	// Commits are the commits since the previous version tag, up to Commit
	// (a component's: those it owns).
	Commits []policies.Commit
	// Since are all the commits since the previous version tag, whoever
	// owns them, up to gate.MaxReleaseCommits (tags.reviewed traces each).
	Since []policies.Commit
	// OnBranches are the branches whose history contains Commit, without
	// remote prefixes (e.g. "main", "release/1.2").
	OnBranches []string
	// Default is the repository's default branch, "" when unknown.
	Default string
}

// ProblemKind names the check a tag failed.
type ProblemKind string

// Problem kinds, in the order ValidateTag checks them.
const (
	// ProblemSemver: the name is not the prefix and a strict SemVer version.
	ProblemSemver ProblemKind = "semver"
	// ProblemOrder: the version is not above every tag of its release line.
	ProblemOrder ProblemKind = "order"
	// ProblemSkip: the version skips versions after the previous one.
	ProblemSkip ProblemKind = "skip"
	// ProblemBump: the increment is less than the commits require.
	ProblemBump ProblemKind = "bump"
	// ProblemLine: on a release line, the version is not of the line, or
	// the commits hold a feature or a breaking change the line does not
	// take.
	ProblemLine ProblemKind = "line"
	// ProblemBranch: the commit is on no allowed branch.
	ProblemBranch ProblemKind = "branch"
	// ProblemReleaseAs: a Release-As footer in the commits names another
	// version, or one that cannot be released.
	ProblemReleaseAs ProblemKind = "release_as"
)

// Problem is one reason a tag is not valid.
type Problem struct {
	Kind ProblemKind
	// Message says what is wrong and how to fix it.
	Message string
}

// String returns the message.
func (p Problem) String() string { return p.Message }

// ValidateTag checks a new version tag and returns its problems, none when
// it is valid:
//   - its name is s.TagPrefix followed by a strict SemVer 2.0.0 version;
//   - on a release line (LineOf the commit's branches), it is a version of
//     the line, above every tag of the line, and the line's next patch (its
//     first version when it has none) or a pre-release of it; and the
//     commits since the previous version hold no feature or breaking
//     change, unless s.ReleaseLineFeatures caps them at a patch;
//   - on the main line, it is above every version tag, it is the next
//     patch, minor or major of the highest stable one or a pre-release of
//     one of them, and its increment is at least what c.Commits require;
//   - when the commits carry a Release-As footer (FindReleaseAs), it is
//     that version or a pre-release of it, above the previous version and
//     every tag (of its line, on a release line), instead of the next
//     patch, minor or major the commits require;
//   - its commit is on a branch matching s.TagBranches (empty: any).
//
// For a component's settings (s.Component), the commits that count are
// the component's own and the tags compared are its own (s.TagPrefix).
//
// When the name is not a version, that is the only problem reported. A
// version it advises instead never exists already.
func ValidateTag(s policies.ReleaseSettings, c TagCheck) []Problem {
	v, err := ParseTag(s.TagPrefix, c.Name)
	if err != nil {
		return []Problem{{Kind: ProblemSemver, Message: err.Error()}}
	}
	c.Commits = s.Own(c.Commits) // a component's tag answers for its commits only
	others := without(parseTags(s.TagPrefix, c.AllTags), c.Name)
	reachable := without(parseTags(s.TagPrefix, c.Reachable), c.Name)
	var problems []Problem
	l, onLine := lineOf(c.OnBranches, c.Default, reachable, append(others, reachable...))
	ra, raErr := FindReleaseAs(s.TagPrefix, c.Commits)
	switch {
	case raErr != nil:
		problems = []Problem{{Kind: ProblemReleaseAs, Message: raErr.Error()}}
	case ra != nil:
		var line *Line
		if onLine {
			line = &l
		}
		problems = validateReleaseAs(s, c, v, ra, line, others, reachable)
	case onLine:
		problems = validateOnLine(s, c, v, l, others, reachable)
	default:
		problems = validateOnMainLine(s, c, v, others)
	}
	if len(s.TagBranches) > 0 && !onAllowedBranch(s.TagBranches, c.OnBranches) {
		patterns := make([]string, len(s.TagBranches))
		for i, g := range s.TagBranches {
			patterns[i] = g.Pattern
		}
		where := "no branch"
		if len(c.OnBranches) > 0 {
			where = strings.Join(c.OnBranches, ", ")
		}
		problems = append(problems, Problem{Kind: ProblemBranch, Message: fmt.Sprintf(
			"commit %s of %s is on %s, none of the allowed branches (%s): merge it into one of them and tag the merged commit",
			shortSHA(c.Commit), c.Name, where, strings.Join(patterns, ", "))})
	}
	return problems
}

// validateOnMainLine checks v against every version tag of the
// repository (others, without the tag itself).
func validateOnMainLine(s policies.ReleaseSettings, c TagCheck, v Version, others []versionTag) []Problem {
	var problems []Problem
	if p, ok := orderProblem(s, c.Name, v, others, "the repository"); ok {
		problems = append(problems, p)
	}
	prev, ok := highestStableTag(others)
	if !ok || v.Compare(prev.version) <= 0 {
		return problems
	}
	allowed := []Version{prev.version.Bump(policies.BumpPatch), prev.version.Bump(policies.BumpMinor), prev.version.Bump(policies.BumpMajor)}
	if !slices.Contains(allowed, v.Core()) {
		problems = append(problems, Problem{Kind: ProblemSkip, Message: fmt.Sprintf(
			"%s skips versions after %s: tag the next patch %s, minor %s or major %s (or a pre-release of one of them) instead",
			c.Name, prev.name, allowed[0].Tag(s.TagPrefix), allowed[1].Tag(s.TagPrefix), allowed[2].Tag(s.TagPrefix))})
	}
	actual := bumpBetween(prev.version, v)
	if required := Required(s, prev.version, c.Commits); actual.Rank() < required.Rank() {
		which := describeCommits(s, prev.version, c.Commits, func(b policies.Bump) bool { return b == required })
		problems = append(problems, Problem{Kind: ProblemBump, Message: fmt.Sprintf(
			"%s is a %s release, but the commits since %s require a %s release (%s): tag %s instead",
			c.Name, actual, prev.name, required, which, prev.version.Bump(required).Tag(s.TagPrefix))})
	}
	return problems
}

// validateOnLine checks v on release line l: against the line's tags
// among others (every version tag but the tag itself), and the commits
// since the highest stable version in reachable.
func validateOnLine(s policies.ReleaseSettings, c TagCheck, v Version, l Line, others, reachable []versionTag) []Problem {
	next, _ := nextInLine(l, others)
	if !l.Holds(v) {
		return []Problem{{Kind: ProblemLine, Message: fmt.Sprintf(
			"%s is not a version of its release line: %s, which takes %d.%d.x versions only: tag %s instead, and release newer versions from the main line",
			c.Name, l.describe(), l.Major, l.Minor, next.Tag(s.TagPrefix))}}
	}
	var problems []Problem
	if p, ok := orderProblem(s, c.Name, v, inLine(others, l), l.String()); ok {
		problems = append(problems, p)
	} else if v.Core() != next {
		problems = append(problems, Problem{Kind: ProblemSkip, Message: fmt.Sprintf(
			"%s skips versions of %s: tag its next version %s (or a pre-release of it) instead",
			c.Name, l, next.Tag(s.TagPrefix))})
	}
	prev, ok := highestStableTag(reachable)
	if !ok {
		prev, ok = highestStableTag(inLine(others, l))
	}
	var base *Version
	if ok {
		base = &prev.version
	}
	takes := takesAfter(l, base)
	if required := Required(s, prev.version, c.Commits); ok && required.Rank() > takes.Rank() && s.ReleaseLineFeatures != policies.BumpPatch {
		problems = append(problems, Problem{Kind: ProblemLine, Message: fmt.Sprintf("%s is on a release line: %s",
			c.Name, tooMuch(s, l, prev.name, prev.version, required, takes, c.Commits, next))})
	}
	return problems
}

// orderProblem reports v when it is not above every tag of tags, the tags
// of where ("the repository", "release line 1.2").
func orderProblem(s policies.ReleaseSettings, name string, v Version, tags []versionTag, where string) (Problem, bool) {
	var highest versionTag
	found := false
	for _, t := range tags {
		if !found || highest.version.Less(t.version) {
			highest, found = t, true
		}
	}
	if !found || v.Compare(highest.version) > 0 {
		return Problem{}, false
	}
	return Problem{Kind: ProblemOrder, Message: fmt.Sprintf(
		"%s is not greater than %s, the highest tag of %s: delete %s and tag a version above %s, e.g. %s",
		name, highest.name, where, name, highest.name, highest.version.Bump(policies.BumpPatch).Tag(s.TagPrefix))}, true
}

// without drops the tag named name from tags, in place.
func without(tags []versionTag, name string) []versionTag {
	return slices.DeleteFunc(tags, func(t versionTag) bool { return t.name == name })
}

func onAllowedBranch(globs []policies.Glob, branches []string) bool {
	for _, b := range branches {
		for _, g := range globs {
			if g.Match(b) {
				return true
			}
		}
	}
	return false
}

// describeCommits names up to three commits whose bump (after the pre-1.0
// rules at prev) matches.
func describeCommits(s policies.ReleaseSettings, prev Version, commits []policies.Commit, match func(policies.Bump) bool) string {
	const max = 3
	var names []string
	n := 0
	for _, c := range commits {
		if !match(adjust(s, prev, BumpOf(s, c.Message))) {
			continue
		}
		n++
		if len(names) < max {
			subject, _, _ := strings.Cut(c.Message, "\n")
			names = append(names, fmt.Sprintf("%s %q", shortSHA(c.SHA), subject))
		}
	}
	out := strings.Join(names, ", ")
	if n > max {
		out += fmt.Sprintf(" and %d more", n-max)
	}
	return out
}

// shortSHA abbreviates a commit SHA to seven characters.
func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// validateReleaseAs checks v against the version a Release-As footer of
// the commits sets.
func validateReleaseAs(s policies.ReleaseSettings, c TagCheck, v Version, ra *ReleaseAs, l *Line, others, reachable []versionTag) []Problem {
	prev, ok := highestStableTag(reachable)
	if !ok && l == nil {
		prev, ok = highestStableTag(others)
	}
	var prevVersion *Version
	if ok {
		prevVersion = &prev.version
	}
	if why := releaseAsProblem(ra, prevVersion, prev.name, l, others); why != "" {
		return []Problem{{Kind: ProblemReleaseAs, Message: fmt.Sprintf("commit %s says Release-As: %s, %s", shortSHA(ra.Commit), ra.Text, why)}}
	}
	var problems []Problem
	tags, where := others, "the repository"
	if l != nil {
		tags, where = inLine(others, *l), l.String()
	}
	if p, bad := orderProblem(s, c.Name, v, tags, where); bad {
		problems = append(problems, p)
	}
	if v.Core() != ra.Version {
		problems = append(problems, Problem{Kind: ProblemReleaseAs, Message: fmt.Sprintf(
			"commit %s sets the next version with Release-As: %s: tag %s (or a pre-release of it) instead of %s",
			shortSHA(ra.Commit), ra.Text, ra.Version.Tag(s.TagPrefix), c.Name)})
	}
	return problems
}
