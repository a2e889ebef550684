package templates

import (
	"fmt"
	"io"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// Plan writes the one-line account of a next version, as `shipgate
// version next` prints it and the Action's job summary shows it:
// "next version: v1.3.0 (minor bump from v1.2.3; 12 commits)".
func Plan(w io.Writer, p release.Plan) error {
	var err error
	switch {
	case p.PreviousTag == "":
		_, err = fmt.Fprintf(w, "next version: %s (first release: no version tag yet; %d commits)\n", p.NextTag, p.Commits)
	case p.Bump == policies.BumpNone:
		_, err = fmt.Fprintf(w, "next version: %s (nothing to release: the %d commits since %s bump nothing)\n", p.NextTag, p.Commits, p.PreviousTag)
	default:
		_, err = fmt.Fprintf(w, "next version: %s (%s bump from %s; %d commits)\n", p.NextTag, p.Bump, p.PreviousTag, p.Commits)
	}
	return err
}
