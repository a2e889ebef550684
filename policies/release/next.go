package release

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shipgate/shipgate/policies"
)

// Plan is the next release of a branch.
type Plan struct {
	// Previous is the highest stable version tag given; nil when none.
	Previous *Version
	// PreviousTag is Previous's tag name; "" when there is no previous tag.
	PreviousTag string
	// Next is the version to release; equal to Previous when the bump is
	// none.
	Next Version
	// NextTag is Next's tag name with the prefix.
	NextTag string
	// Bump is what the commits require (after the pre-1.0 rules).
	Bump policies.Bump
	// Commits is the number of commits considered.
	Commits int
}

// Next computes the next release from the version tags reachable from the
// target (tags whose names are not versions with s.TagPrefix are ignored)
// and the commits since the previous one.
//
// The previous version is the highest stable tag. Without one, the next
// version is s.Initial whatever the commits. With a bump of none, the next
// version is the previous one. A non-empty prerelease identifier such as
// "rc" makes the next version NEXT-rc.N, N one above the highest NEXT-rc.*
// among tags (starting at 1); it is ignored when the bump is none, as there
// is nothing new to pre-release.
func Next(s policies.ReleaseSettings, tags []Tag, commits []policies.Commit, prerelease string) (Plan, error) {
	if prerelease != "" && !validIdentifier(prerelease) {
		return Plan{}, fmt.Errorf("pre-release identifier %q: want letters, digits and hyphens with at least one non-digit, e.g. rc", prerelease)
	}
	versions := parseTags(s.TagPrefix, tags)
	prev, prevTag, ok := highestStable(versions)
	p := Plan{Commits: len(commits)}
	if ok {
		p.Previous, p.PreviousTag = &prev, prevTag
		p.Bump = Required(s, prev, commits)
		p.Next = prev.Bump(p.Bump)
	} else {
		initial, err := ParseVersion(s.Initial)
		if err != nil {
			return Plan{}, fmt.Errorf("initial version: %w", err)
		}
		p.Bump = Required(s, initial, commits)
		p.Next = initial
	}
	if prerelease != "" && (!ok || p.Bump != policies.BumpNone) {
		p.Next.Prerelease = prerelease + "." + strconv.Itoa(nextPrereleaseNumber(versions, p.Next, prerelease))
	}
	p.NextTag = p.Next.Tag(s.TagPrefix)
	return p, nil
}

// versionTag is a tag whose name parsed as a version.
type versionTag struct {
	name    string
	version Version
}

// parseTags keeps the tags whose names are versions with prefix.
func parseTags(prefix string, tags []Tag) []versionTag {
	out := make([]versionTag, 0, len(tags))
	for _, t := range tags {
		if v, err := ParseTag(prefix, t.Name); err == nil {
			out = append(out, versionTag{name: t.Name, version: v})
		}
	}
	return out
}

// highestStable returns the highest stable version among tags.
func highestStable(tags []versionTag) (Version, string, bool) {
	var best Version
	var name string
	found := false
	for _, t := range tags {
		if t.version.IsPrerelease() {
			continue
		}
		if !found || best.Less(t.version) {
			best, name, found = t.version, t.name, true
		}
	}
	return best, name, found
}

// nextPrereleaseNumber returns one more than the highest N of the tags
// CORE-id.N, or 1.
func nextPrereleaseNumber(tags []versionTag, core Version, id string) int {
	highest := 0
	for _, t := range tags {
		v := t.version
		if v.Core() != core.Core() {
			continue
		}
		rest, ok := strings.CutPrefix(v.Prerelease, id+".")
		if !ok || !isNumeric(rest) {
			continue
		}
		if n, err := strconv.Atoi(rest); err == nil && n > highest {
			highest = n
		}
	}
	return highest + 1
}

// validIdentifier reports whether id is one SemVer pre-release identifier
// that is not purely numeric.
func validIdentifier(id string) bool {
	if id == "" || isNumeric(id) {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		if !(('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') || ('0' <= b && b <= '9') || b == '-') {
			return false
		}
	}
	return true
}

// PreviousTag returns the highest stable version tag below v among tags:
// the tag a release of v follows, whose commits since it make up the
// release. ok is false when there is none.
func PreviousTag(prefix string, tags []Tag, v Version) (tag Tag, ok bool) {
	var best Version
	for _, t := range tags {
		tv, err := ParseTag(prefix, t.Name)
		if err != nil || tv.IsPrerelease() || tv.Compare(v) >= 0 {
			continue
		}
		if !ok || best.Less(tv) {
			best, tag, ok = tv, t, true
		}
	}
	return tag, ok
}

// LatestTag returns the highest stable version tag among tags: the
// previous release of a branch whose reachable tags they are. ok is false
// when there is none.
func LatestTag(prefix string, tags []Tag) (tag Tag, ok bool) {
	_, name, ok := highestStable(parseTags(prefix, tags))
	if !ok {
		return Tag{}, false
	}
	for _, t := range tags {
		if t.Name == name {
			return t, true
		}
	}
	return Tag{}, false
}
