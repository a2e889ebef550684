package release

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shipgate/shipgate/policies"
)

// Plan is the next release of a branch.
type Plan struct {
	// Previous is the highest stable version tag reachable from the
	// commit; nil when none.
	Previous *Version
	// PreviousTag is Previous's tag name; "" when there is no previous tag.
	PreviousTag string
	// Next is the version to release; equal to Previous when the bump is
	// none.
	Next Version
	// NextTag is Next's tag name with the prefix.
	NextTag string
	// Bump is the increment from Previous to Next; without a previous tag,
	// what the commits require.
	Bump policies.Bump
	// Required is what the commits require (after the pre-1.0 rules). It
	// is above Bump when a release line caps it at a patch
	// (semver.release_line_features: patch), below it when a release line
	// opens with its first version or the main line moves above a version
	// released elsewhere.
	Required policies.Bump
	// Line is the release line the commit is on; nil on the main line.
	Line *Line
	// Passed is the highest existing version that Next was moved above
	// because it is not reachable from the commit (another branch released
	// it); "" when none.
	Passed string
	// Commits is the number of commits considered: for a component, those
	// that are its own (policies.ReleaseSettings.Own).
	Commits int
	// ReleaseAs is the Release-As footer that set Next, nil when the
	// commits set none.
	ReleaseAs *ReleaseAs
	// Empty is set when the commits ask for no bump and the policy cuts
	// such a release as a patch (semver.empty_release: patch).
	Empty bool
}

// Next computes the next release of the commit that at describes, from
// the version tags reachable from it and the commits since the previous
// one, the highest stable of them. It never proposes a version that
// exists in at.All.
//
// Without a previous version, the next version is s.Initial (on a release
// line, the line's first version) whatever the commits. With a bump of
// none, it is the previous one (nothing to release). Otherwise:
//   - on the main line, it is the previous version bumped by what the
//     commits require; when that is not above the repository's highest
//     stable version (released on a branch the commit does not hold), it is
//     the next minor (or major) above that version instead, whose line
//     belongs to that branch;
//   - on a release line (LineOf), it is the line's next patch, above every
//     version of the line wherever it is, or the line's first version when
//     the line has none reachable yet. Commits that need more than that (a
//     feature, a breaking change) give a *LineError, unless
//     s.ReleaseLineFeatures caps them at a patch.
//
// For a component's settings (s.Component), only the component's own
// commits count (policies.ReleaseSettings.Own) and only its tags
// (s.TagPrefix) are versions.
//
// A non-empty prerelease identifier such as "rc" makes the next version
// NEXT-rc.N, N one above the highest NEXT-rc.* among all tags (starting at
// 1); it is ignored when the bump is none, as there is nothing new to
// pre-release.
//
// A Release-As footer in the commits (FindReleaseAs: the newest wins)
// sets the next version instead, which must be above the previous
// version, not released yet, and of the release line when on one; else
// the error wraps ErrReleaseAs and names the commit. Commits that ask
// for no bump make a patch release when s.EmptyRelease is patch (and
// there is a previous version and at least one commit).
//
// With a *LineError the plan is returned too, without Next: its previous
// version, line and required bump, for a caller that releases a version
// of its own choosing (release notes with an explicit version).
//
// Commits are given newest first.
func Next(s policies.ReleaseSettings, at At, commits []policies.Commit, prerelease string) (Plan, error) {
	if prerelease != "" && !validIdentifier(prerelease) {
		return Plan{}, fmt.Errorf("pre-release identifier %q: want letters, digits and hyphens with at least one non-digit, e.g. rc", prerelease)
	}
	commits = s.Own(commits) // a component's line counts its commits only
	reachable := parseTags(s.TagPrefix, at.Reachable)
	known := reachable // every tag, reachable or not
	if len(at.All) > 0 {
		known = append(parseTags(s.TagPrefix, at.All), reachable...)
	}
	p := Plan{Commits: len(commits)}
	base, err := ParseVersion(s.Initial)
	if prev, ok := highestStableTag(reachable); ok {
		base, err = prev.version, nil
		p.Previous, p.PreviousTag = &prev.version, prev.name
	}
	if err != nil {
		return Plan{}, fmt.Errorf("initial version: %w", err)
	}
	p.Required = Required(s, base, commits)
	p.Bump = p.Required
	if p.Bump == policies.BumpNone && s.EmptyRelease == policies.BumpPatch && p.Previous != nil && len(commits) > 0 {
		// Commits that ask for nothing are still released, as a patch.
		p.Bump, p.Empty = policies.BumpPatch, true
	}
	ra, err := FindReleaseAs(s.TagPrefix, commits)
	if err != nil {
		return Plan{}, err
	}
	if l, ok := lineOf(at.Branches, at.Default, reachable, known); ok {
		p.Line = &l
		if ra == nil {
			err = p.onLine(s, l, base, known, commits)
		}
	} else if ra == nil {
		p.onMainLine(base, known)
	}
	if ra != nil {
		// The footer decides the version: the commits' bump does not.
		err = p.releaseAs(ra, known)
	}
	if err != nil {
		return p, err
	}
	if prerelease != "" && (p.Previous == nil || p.Bump != policies.BumpNone) {
		p.Next.Prerelease = prerelease + "." + strconv.Itoa(nextPrereleaseNumber(known, p.Next, prerelease))
	}
	p.NextTag = p.Next.Tag(s.TagPrefix)
	return p, nil
}

// onMainLine sets Next on the main line from base (the previous version,
// else the initial one), above every stable version in known.
func (p *Plan) onMainLine(base Version, known []versionTag) {
	switch {
	case p.Previous == nil:
		p.Next = base // the initial version, whatever the commits
	case p.Bump == policies.BumpNone:
		p.Next = base // nothing to release
		return
	default:
		p.Next = base.Bump(p.Bump)
	}
	top, ok := highestStableTag(known)
	if !ok || top.version.Less(p.Next) {
		return
	}
	// top is not reachable (else it would be Previous, below Next): the
	// branch that released it owns its line.
	p.Next = top.version.Bump(maxBump(p.Required, policies.BumpMinor))
	p.Passed = top.name
	if p.Previous != nil {
		p.Bump = bumpBetween(*p.Previous, p.Next)
	}
}

// onLine sets Next on release line l from base (the previous version,
// else the initial one), above every version of the line in known, or
// returns a *LineError.
func (p *Plan) onLine(s policies.ReleaseSettings, l Line, base Version, known []versionTag, commits []policies.Commit) error {
	if p.Previous != nil && p.Bump == policies.BumpNone {
		p.Next = *p.Previous // nothing to release
		return nil
	}
	next, passed := nextInLine(l, known)
	if takes := takesAfter(l, p.Previous); p.Required.Rank() > takes.Rank() && s.ReleaseLineFeatures != policies.BumpPatch {
		return &LineError{Line: l, msg: tooMuch(s, l, p.PreviousTag, base, p.Required, takes, commits, next)}
	}
	p.Next = next
	if passed != "" && (p.Previous == nil || passed != p.PreviousTag) {
		p.Passed = passed
	}
	if p.Previous != nil {
		p.Bump = bumpBetween(*p.Previous, p.Next)
	}
	return nil
}

// maxBump returns the larger of two bumps.
func maxBump(a, b policies.Bump) policies.Bump {
	if a.Rank() >= b.Rank() {
		return a
	}
	return b
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

// highestStableTag returns the highest stable version among tags.
func highestStableTag(tags []versionTag) (versionTag, bool) {
	var best versionTag
	found := false
	for _, t := range tags {
		if t.version.IsPrerelease() {
			continue
		}
		if !found || best.version.Less(t.version) {
			best, found = t, true
		}
	}
	return best, found
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
	h, ok := highestStableTag(parseTags(prefix, tags))
	if !ok {
		return Tag{}, false
	}
	for _, t := range tags {
		if t.Name == h.name {
			return t, true
		}
	}
	return Tag{}, false
}
