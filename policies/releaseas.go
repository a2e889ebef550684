package policies

import (
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// releaseAsFooter finds Release-As footers: a line of a commit message's
// body, any case (git trailers are case-insensitive; release-please reads
// "release-as" too).
var releaseAsFooter = regexp.MustCompile(`(?im)^[ \t]*release-as:[ \t]*(\S*)[ \t]*\r?$`)

// ReleaseAsFooter returns the value of the last `Release-As:` footer in a
// commit message's body (release-please's convention: it sets the next
// version), and whether there is one. The subject is no footer.
func ReleaseAsFooter(message string) (string, bool) {
	if !strings.Contains(strings.ToLower(message), "release-as:") {
		return "", false
	}
	_, body, _ := strings.Cut(message, "\n")
	m := releaseAsFooter.FindAllStringSubmatch(body, -1)
	if len(m) == 0 {
		return "", false
	}
	return m[len(m)-1][1], true
}

// ReleaseAsVersion parses a Release-As value: a stable MAJOR.MINOR.PATCH,
// with the tag prefix or a "v" in front or not.
func ReleaseAsVersion(prefix, text string) (*semver.Version, bool) {
	s := text
	if prefix != "" {
		s = strings.TrimPrefix(s, prefix)
	}
	if s == text {
		s = strings.TrimPrefix(s, "v")
	}
	v, err := semver.StrictNewVersion(s)
	if err != nil || v.Prerelease() != "" || v.Metadata() != "" {
		return nil, false
	}
	return v, true
}

// releaseAsNote tells the reviewers of a change that one of its commits
// sets the next version, or fails a footer that no release could follow;
// "" when no commit has one. The newest commit's footer wins, as in the
// release math (policies/release).
func (s *evaluation) releaseAsNote() (note string, bad bool) {
	for i := len(s.c.Commits) - 1; i >= 0; i-- { // oldest first: the newest is last
		c := s.c.Commits[i]
		text, ok := ReleaseAsFooter(c.Message)
		if !ok {
			continue
		}
		if _, ok := ReleaseAsVersion(s.p.Release.TagPrefix, text); !ok {
			return "commit " + short7(c.SHA) + " says Release-As: " + text + ", which is not a stable version: write MAJOR.MINOR.PATCH, e.g. Release-As: 2.0.0, or drop the footer", true
		}
		return "commit " + short7(c.SHA) + " sets the next release's version: Release-As: " + text + " (it must be above the previous version when released)", false
	}
	return "", false
}
