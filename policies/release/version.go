package release

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/shipgate/shipgate/policies"
)

// Version is a semantic version (SemVer 2.0.0) without a tag prefix.
type Version struct {
	Major, Minor, Patch uint64
	// Prerelease is the dot-separated pre-release, e.g. "rc.1"; "" for a
	// stable version.
	Prerelease string
	// Metadata is the build metadata after `+`; it plays no part in
	// precedence.
	Metadata string
}

// Tag is a git tag: its name and the commit it points to (annotated tags
// are peeled to their commit).
type Tag struct {
	Name string
	SHA  string
}

// ParseVersion parses a strict SemVer 2.0.0 version such as "1.2.3" or
// "2.0.0-rc.1+build.5", without prefix: no leading zeros, no missing parts.
func ParseVersion(s string) (Version, error) {
	sv, err := semver.StrictNewVersion(s)
	if err != nil {
		return Version{}, fmt.Errorf("%q is not a semantic version: want MAJOR.MINOR.PATCH, e.g. %s: %w", s, suggest("", s), err)
	}
	return Version{Major: sv.Major(), Minor: sv.Minor(), Patch: sv.Patch(), Prerelease: sv.Prerelease(), Metadata: sv.Metadata()}, nil
}

// ParseTag parses a version tag name: prefix followed by a strict SemVer
// 2.0.0 version, e.g. "v1.2.3" with prefix "v". Errors say what a valid
// name looks like, with a corrected example when one can be guessed.
func ParseTag(prefix, name string) (Version, error) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return Version{}, fmt.Errorf("%s is not a version tag: want the prefix %q, e.g. %s", name, prefix, suggest(prefix, name))
	}
	sv, err := semver.StrictNewVersion(rest)
	if err != nil {
		return Version{}, fmt.Errorf("%s is not a semantic version: want %sMAJOR.MINOR.PATCH, e.g. %s", name, prefix, suggest(prefix, rest))
	}
	return Version{Major: sv.Major(), Minor: sv.Minor(), Patch: sv.Patch(), Prerelease: sv.Prerelease(), Metadata: sv.Metadata()}, nil
}

// suggest returns prefix + a corrected version for s when the lenient
// parser can coerce it ("1.2" → "1.2.0"), else prefix + "1.0.0".
func suggest(prefix, s string) string {
	if sv, err := semver.NewVersion(strings.TrimLeft(s, "vV")); err == nil {
		return prefix + sv.String()
	}
	return prefix + "1.0.0"
}

// String formats the version without prefix.
func (v Version) String() string {
	var b strings.Builder
	b.Grow(16 + len(v.Prerelease) + len(v.Metadata))
	b.WriteString(strconv.FormatUint(v.Major, 10))
	b.WriteByte('.')
	b.WriteString(strconv.FormatUint(v.Minor, 10))
	b.WriteByte('.')
	b.WriteString(strconv.FormatUint(v.Patch, 10))
	if v.Prerelease != "" {
		b.WriteByte('-')
		b.WriteString(v.Prerelease)
	}
	if v.Metadata != "" {
		b.WriteByte('+')
		b.WriteString(v.Metadata)
	}
	return b.String()
}

// Tag formats the version as a tag name with prefix.
func (v Version) Tag(prefix string) string { return prefix + v.String() }

// IsPrerelease reports whether the version has a pre-release part.
func (v Version) IsPrerelease() bool { return v.Prerelease != "" }

// Core returns the version without pre-release and metadata.
func (v Version) Core() Version { return Version{Major: v.Major, Minor: v.Minor, Patch: v.Patch} }

// Compare returns -1, 0 or +1 as v has lower, equal or higher precedence
// than o (SemVer 2.0.0 §11: metadata is ignored, a pre-release is lower
// than its stable version).
func (v Version) Compare(o Version) int {
	switch {
	case v.Major != o.Major:
		return cmpUint(v.Major, o.Major)
	case v.Minor != o.Minor:
		return cmpUint(v.Minor, o.Minor)
	case v.Patch != o.Patch:
		return cmpUint(v.Patch, o.Patch)
	}
	return comparePrerelease(v.Prerelease, o.Prerelease)
}

// Less reports whether v has lower precedence than o.
func (v Version) Less(o Version) bool { return v.Compare(o) < 0 }

// Bump returns the version after an increment of kind b: major resets
// minor and patch, minor resets patch, none returns the core unchanged.
func (v Version) Bump(b policies.Bump) Version {
	c := v.Core()
	switch b {
	case policies.BumpMajor:
		return Version{Major: c.Major + 1}
	case policies.BumpMinor:
		return Version{Major: c.Major, Minor: c.Minor + 1}
	case policies.BumpPatch:
		return Version{Major: c.Major, Minor: c.Minor, Patch: c.Patch + 1}
	}
	return c
}

// bumpBetween returns the increment from prev's core to next's core: the
// highest part that differs, none when the cores are equal.
func bumpBetween(prev, next Version) policies.Bump {
	switch {
	case next.Major != prev.Major:
		return policies.BumpMajor
	case next.Minor != prev.Minor:
		return policies.BumpMinor
	case next.Patch != prev.Patch:
		return policies.BumpPatch
	}
	return policies.BumpNone
}

func cmpUint(a, b uint64) int {
	if a < b {
		return -1
	}
	return 1
}

// comparePrerelease compares pre-release strings by SemVer precedence.
func comparePrerelease(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	for {
		ai, arest, amore := strings.Cut(a, ".")
		bi, brest, bmore := strings.Cut(b, ".")
		if c := compareIdentifier(ai, bi); c != 0 {
			return c
		}
		switch {
		case !amore && !bmore:
			return 0
		case !amore:
			return -1
		case !bmore:
			return 1
		}
		a, b = arest, brest
	}
}

// compareIdentifier compares one pre-release identifier: numeric ones
// numerically and below alphanumeric ones, which compare in ASCII order.
func compareIdentifier(a, b string) int {
	an, bn := isNumeric(a), isNumeric(b)
	switch {
	case an && bn:
		if len(a) != len(b) { // no leading zeros in valid versions
			if len(a) < len(b) {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}

func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
