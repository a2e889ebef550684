package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/shipgate/shipgate/githistory"
	"github.com/shipgate/shipgate/policies/release"
)

func newTagCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tag",
		Short: "Validate version tags against the release policy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError(errors.New("missing subcommand: try 'shipgate tag check TAG'"))
		},
	}
	cmd.AddCommand(newTagCheckCmd())
	return cmd
}

func newTagCheckCmd() *cobra.Command {
	var repo string
	cmd := &cobra.Command{
		Use:   "check TAG",
		Short: "Check that an existing tag is a valid next version",
		Long: `Check an existing tag against the release policy: its name is the tag
prefix and a strict semantic version; it is greater than every tag of its
release line and skips no version; its bump is at least what the
conventional commits since the previous tag require; and its commit is on a
branch allowed by tags.branches in .shipgate.yml.

A tag with a component's prefix (policy key components, e.g. api/v1.4.0)
is checked on that component's version line: against its tags only, with
the commits that change its paths or name it as their scope.

A tag whose commit is only on a release line (a release/* branch such as
release/1.4, or a branch that the repository's highest version is not on)
must be a version of that line and its next patch, and the commits since
the line's previous tag must hold no feature or breaking change unless
semver.release_line_features: patch caps them. Elsewhere it is compared
with every tag of the repository. A version it advises never exists.

Exit status: 0 when valid, 1 when not (each problem is listed with how to
fix it), 2 when the tag does not exist or the policy is invalid.`,
		Example: `  shipgate tag check v1.3.0              # after git tag v1.3.0
  shipgate tag check v1.2.4 --repo ../app
  shipgate tag check api/v1.5.0           # a component's tag`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTagCheck(cmd.Context(), cmd.OutOrStdout(), repo, args[0])
		},
	}
	cmd.Flags().StringVar(&repo, "repo", ".", "the git repository")
	return cmd
}

func runTagCheck(ctx context.Context, out io.Writer, dir, name string) error {
	rc, err := openReleaseRepo(ctx, dir)
	if err != nil {
		return err
	}
	sha, err := rc.repo.Resolve(ctx, "refs/tags/"+name)
	if errors.Is(err, githistory.ErrUnknownRef) {
		return usageError(fmt.Errorf("unknown tag %s in %s: create it first (git tag %s) or check the name with 'git tag --list'", name, dir, name))
	}
	if err != nil {
		return usageError(err)
	}
	rc.forTag(name)
	check, _, _, err := rc.repo.TagCheck(ctx, rc.settings, name, sha, "")
	if err != nil {
		return err
	}
	problems := release.ValidateTag(rc.settings, check)
	if len(problems) == 0 {
		_, err := fmt.Fprintf(out, "ok: %s (commit %.7s) is a valid version tag\n", name, sha)
		return err
	}
	fmt.Fprintf(out, "%s (commit %.7s) is not a valid version tag:\n", name, sha)
	for _, p := range problems {
		fmt.Fprintf(out, "  - %s: %s\n", p.Kind, p.Message)
	}
	return unsatisfied()
}
