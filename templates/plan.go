package templates

import (
	"fmt"
	"io"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// Plan writes the one-line account of a next version, as `shipgate
// version next` prints it and the Action's job summary shows it:
// "next version: v1.3.0 (minor bump from v1.2.3; 12 commits)", with the
// release line, a cap and a version passed over when there are.
func Plan(w io.Writer, p release.Plan) error {
	var err error
	switch {
	case p.PreviousTag == "":
		_, err = fmt.Fprintf(w, "next version: %s (first release: no version tag yet%s; %d commits)\n", p.NextTag, planDetails(p), p.Commits)
	case p.Bump == policies.BumpNone:
		_, err = fmt.Fprintf(w, "next version: %s (nothing to release: the %d commits since %s bump nothing)\n", p.NextTag, p.Commits, p.PreviousTag)
	default:
		_, err = fmt.Fprintf(w, "next version: %s (%s bump from %s%s; %d commits)\n", p.NextTag, p.Bump, p.PreviousTag, planDetails(p), p.Commits)
	}
	return err
}

// planDetails says where the version comes from when it is more than a
// bump: ", on release line 1.4", ", opening release line 1.4", the cap
// of semver.release_line_features, and a version released elsewhere that
// it was moved above.
func planDetails(p release.Plan) string {
	var s string
	if l := p.Line; l != nil {
		verb := "on"
		if p.Previous == nil || !l.Holds(*p.Previous) {
			verb = "opening"
		}
		s = fmt.Sprintf(", %s %s (%s)", verb, l, l.Branch)
		if p.Required.Rank() > p.Bump.Rank() {
			s += fmt.Sprintf(", where semver.release_line_features caps the %s bump the commits need", p.Required)
		}
	}
	if p.Passed != "" {
		s += fmt.Sprintf(", above %s, which is not on this branch", p.Passed)
	}
	if ra := p.ReleaseAs; ra != nil {
		s += fmt.Sprintf(", set by Release-As: %s in commit %.7s", ra.Text, ra.Commit)
	}
	if p.Empty {
		s += ", no commit bumps anything and semver.empty_release is patch"
	}
	return s
}
