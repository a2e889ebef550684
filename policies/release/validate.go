package release

import (
	"fmt"
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
	// Commits are the commits since the previous version tag, up to Commit.
	Commits []policies.Commit
	// OnBranches are the branches whose history contains Commit, without
	// remote prefixes (e.g. "main", "release/1.2").
	OnBranches []string
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
	// ProblemBranch: the commit is on no allowed branch.
	ProblemBranch ProblemKind = "branch"
)

// Problem is one reason a tag is not valid.
type Problem struct {
	Kind ProblemKind
	// Message says what is wrong and how to fix it.
	Message string
}

// String returns the message.
func (p Problem) String() string { return p.Message }

// releaseBranch is the branch pattern whose tags form their own release
// line (one major.minor).
var releaseBranch = policies.Glob{Pattern: "release/*"}

// ValidateTag checks a new version tag and returns its problems, none when
// it is valid:
//   - its name is s.TagPrefix followed by a strict SemVer 2.0.0 version;
//   - it is greater than every tag of its release line — the tags with the
//     same major.minor when the commit is only on release/* branches, all
//     version tags otherwise;
//   - it skips no version: it is the next patch, minor or major of the
//     highest stable tag of its line, or a pre-release of one of them;
//   - its increment over that tag is at least what c.Commits require;
//   - its commit is on a branch matching s.TagBranches (empty: any).
//
// When the name is not a version, that is the only problem reported.
func ValidateTag(s policies.ReleaseSettings, c TagCheck) []Problem {
	v, err := ParseTag(s.TagPrefix, c.Name)
	if err != nil {
		return []Problem{{Kind: ProblemSemver, Message: err.Error()}}
	}
	var problems []Problem

	lineOnly := len(c.OnBranches) > 0
	for _, b := range c.OnBranches {
		lineOnly = lineOnly && releaseBranch.Match(b)
	}
	var highest, prev Version
	var highestName, prevName string
	for _, t := range c.AllTags {
		if t.Name == c.Name {
			continue
		}
		tv, err := ParseTag(s.TagPrefix, t.Name)
		if err != nil || (lineOnly && (tv.Major != v.Major || tv.Minor != v.Minor)) {
			continue
		}
		if highestName == "" || highest.Less(tv) {
			highest, highestName = tv, t.Name
		}
		if !tv.IsPrerelease() && (prevName == "" || prev.Less(tv)) {
			prev, prevName = tv, t.Name
		}
	}
	line := "the repository"
	if lineOnly {
		line = fmt.Sprintf("release line %d.%d", v.Major, v.Minor)
	}
	if highestName != "" && v.Compare(highest) <= 0 {
		problems = append(problems, Problem{Kind: ProblemOrder, Message: fmt.Sprintf(
			"%s is not greater than %s, the highest tag of %s: delete %s and tag a version above %s, e.g. %s",
			c.Name, highestName, line, c.Name, highestName, highest.Bump(policies.BumpPatch).Tag(s.TagPrefix))})
	}
	if prevName != "" && v.Compare(prev) > 0 {
		allowed := []Version{prev.Bump(policies.BumpPatch), prev.Bump(policies.BumpMinor), prev.Bump(policies.BumpMajor)}
		ok := false
		for _, a := range allowed {
			ok = ok || v.Core() == a
		}
		if !ok {
			problems = append(problems, Problem{Kind: ProblemSkip, Message: fmt.Sprintf(
				"%s skips versions after %s: tag the next patch %s, minor %s or major %s (or a pre-release of one of them) instead",
				c.Name, prevName, allowed[0].Tag(s.TagPrefix), allowed[1].Tag(s.TagPrefix), allowed[2].Tag(s.TagPrefix))})
		}
		actual := bumpBetween(prev, v)
		if required := Required(s, prev, c.Commits); actual.Rank() < required.Rank() {
			problems = append(problems, Problem{Kind: ProblemBump, Message: fmt.Sprintf(
				"%s is a %s release, but the commits since %s require a %s release (%s): tag %s instead",
				c.Name, actual, prevName, required, describeCommits(s, prev, c.Commits, required), prev.Bump(required).Tag(s.TagPrefix))})
		}
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

// describeCommits names up to three commits that require bump.
func describeCommits(s policies.ReleaseSettings, prev Version, commits []policies.Commit, bump policies.Bump) string {
	const max = 3
	var names []string
	n := 0
	for _, c := range commits {
		if adjust(s, prev, BumpOf(s, c.Message)) != bump {
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
