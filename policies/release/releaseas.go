package release

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/policies"
)

// ReleaseAs is a `Release-As: x.y.z` footer (release-please's convention):
// a commit that sets the next version explicitly.
type ReleaseAs struct {
	// Version is the version the footer names, without prefix.
	Version Version
	// Commit is the SHA of the commit that carries it.
	Commit string
	// Text is the footer's value as written.
	Text string
}

// ErrReleaseAs is wrapped by the errors about a Release-As footer that
// cannot be followed (not a version, not above the previous one, already
// released, outside the release line): the release waits until the
// footer is fixed, as a release cannot go back.
var ErrReleaseAs = errors.New("Release-As")

// FindReleaseAs returns the Release-As footer that decides the next
// version among commits, given newest first as every caller lists them:
// the newest commit that carries one wins, as in release-please ("commits
// are handled newest to oldest, so take the first one found"); within a
// commit, its last footer. A commit time, when both are known, orders
// commits listed out of order. The value may carry the tag prefix or a
// "v" (v2.0.0). A footer that is not a stable MAJOR.MINOR.PATCH version
// is an error naming its commit; nil, nil when there is none.
func FindReleaseAs(prefix string, commits []policies.Commit) (*ReleaseAs, error) {
	var win *policies.Commit
	var text string
	for i := range commits {
		c := &commits[i]
		value, ok := policies.ReleaseAsFooter(c.Message)
		if !ok {
			continue
		}
		if win == nil || (!c.Time.IsZero() && !win.Time.IsZero() && c.Time.After(win.Time)) {
			win, text = c, value
		}
	}
	if win == nil {
		return nil, nil
	}
	v, err := parseReleaseAs(prefix, text)
	if err != nil {
		return nil, fmt.Errorf("%w: commit %s says Release-As: %s, %v", ErrReleaseAs, shortSHA(win.SHA), text, err)
	}
	return &ReleaseAs{Version: v, Commit: win.SHA, Text: text}, nil
}

// parseReleaseAs parses a footer's value (policies.ReleaseAsVersion).
func parseReleaseAs(prefix, text string) (Version, error) {
	sv, ok := policies.ReleaseAsVersion(prefix, text)
	if !ok {
		s := strings.TrimPrefix(strings.TrimPrefix(text, prefix), "v")
		return Version{}, fmt.Errorf("which is not a stable version: write MAJOR.MINOR.PATCH, e.g. Release-As: %s (a pre-release is asked for with the pre-release option)", suggest("", s))
	}
	return Version{Major: sv.Major(), Minor: sv.Minor(), Patch: sv.Patch()}, nil
}

// releaseAsProblem says why ra cannot be the next version after prev
// (nil when there is no previous version) on line l (nil on the main
// line), given the known version tags; "" when it can.
func releaseAsProblem(ra *ReleaseAs, prev *Version, prevTag string, l *Line, known []versionTag) string {
	v := ra.Version
	switch {
	case prev != nil && v.Compare(*prev) <= 0:
		return fmt.Sprintf("which is not greater than the previous version %s: a release cannot go back; amend or revert that commit, or add a commit with a Release-As above %s, e.g. Release-As: %s",
			prevTag, prev.String(), prev.Bump(policies.BumpPatch).String())
	case l != nil && !l.Holds(v):
		return fmt.Sprintf("which is not a version of %s, which takes %d.%d.x versions only: release %s from the main line", l, l.Major, l.Minor, v.String())
	}
	for _, t := range known {
		if !t.version.IsPrerelease() && t.version.Core() == v {
			return fmt.Sprintf("which is released already (%s): write a version that does not exist", t.name)
		}
	}
	return ""
}

// releaseAs sets the plan's next version to ra's, or returns why it
// cannot be.
func (p *Plan) releaseAs(ra *ReleaseAs, known []versionTag) error {
	if why := releaseAsProblem(ra, p.Previous, p.PreviousTag, p.Line, known); why != "" {
		return fmt.Errorf("%w: commit %s says Release-As: %s, %s", ErrReleaseAs, shortSHA(ra.Commit), ra.Text, why)
	}
	p.Next, p.ReleaseAs = ra.Version, ra
	if p.Previous != nil {
		p.Bump = bumpBetween(*p.Previous, p.Next)
	}
	return nil
}
