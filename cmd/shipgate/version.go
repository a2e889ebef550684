package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shipgate/shipgate/githistory"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
	"github.com/shipgate/shipgate/templates"
)

func newVersionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Compute versions from the repository's tags and commits",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError(errors.New("missing subcommand: try 'shipgate version next'"))
		},
	}
	cmd.AddCommand(newVersionNextCmd())
	return cmd
}

// versionNextOptions are the flags of `shipgate version next`.
type versionNextOptions struct {
	repo, to, prerelease, format string
	// component names the version line (components); "" for the repository's.
	component string
}

func newVersionNextCmd() *cobra.Command {
	var o versionNextOptions
	cmd := &cobra.Command{
		Use:   "next",
		Short: "Print the next version: the previous tag bumped by the conventional commits since it",
		Long: `Print the next version of the repository: the highest stable version tag
reachable from --to, bumped by what the conventional commits since it
require (feat: minor; fix, perf, revert: patch; a breaking change: major;
below 1.0.0 as semver.pre_major_* say). Without a tag it is semver.initial
(default 0.1.0); when nothing needs a release it is the previous version.

On a release line (a release/* branch such as release/1.4, or a branch that
the repository's highest version is not on) the next version is the line's
next patch: a feature or a breaking change is refused (exit 1) unless
semver.release_line_features: patch caps it at a patch. The branch is the
one --to names (HEAD: the one checked out), else every branch holding it.
The version proposed never exists already: one released on another branch
is passed over.

With --component NAME the version is that component's (policy key
components): its tags (tag_prefix, e.g. api/v1.4.0), bumped by the commits
since its previous tag that change its paths or name it as their scope.

The semver and tags keys of REPO/.shipgate.yml apply when the file exists.
The repository needs its full history (not a shallow clone).

Exit status: 0 with the version, 1 when the release line does not take the
commits, 2 on a usage or policy error.`,
		Example: `  shipgate version next
  shipgate version next --repo ../app --to origin/main --format json
  shipgate version next --prerelease rc     # v1.3.0-rc.1, then v1.3.0-rc.2…
  shipgate version next --to origin/release/1.4   # v1.4.3: release lines take patches
  shipgate version next --component api           # api/v1.5.0: the api component's line`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVersionNext(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.repo, "repo", ".", "the git repository")
	f.StringVar(&o.to, "to", "HEAD", "the commit to release")
	f.StringVar(&o.prerelease, "prerelease", "", "pre-release identifier, e.g. rc: NEXT-rc.N")
	f.StringVar(&o.format, "format", "text", "output format: text or json")
	f.StringVar(&o.component, "component", "", "the `NAME` of a component (policy key components): its version line, tags and commits")
	return cmd
}

func runVersionNext(ctx context.Context, out io.Writer, o versionNextOptions) error {
	if o.format != "text" && o.format != "json" {
		return usageError(fmt.Errorf("--format %q: want text or json", o.format))
	}
	rc, err := openReleaseRepo(ctx, o.repo)
	if err != nil {
		return err
	}
	if err := rc.forComponent(o.component); err != nil {
		return err
	}
	plan, _, err := rc.plan(ctx, o.to, o.prerelease)
	if err != nil {
		return err
	}
	if o.format == "json" {
		return writePlanJSON(out, plan)
	}
	return templates.Plan(out, plan)
}

// writePlanJSON prints the stable one-line JSON of `version next`:
// {"previous": "v1.2.3", "next": "v1.3.0", "bump": "minor", "commits": 12}.
func writePlanJSON(w io.Writer, p release.Plan) error {
	q := func(s string) string {
		b, _ := json.Marshal(s) // a string always marshals
		return string(b)
	}
	_, err := fmt.Fprintf(w, "{\"previous\": %s, \"next\": %s, \"bump\": %s, \"commits\": %d}\n",
		q(p.PreviousTag), q(p.NextTag), q(string(p.Bump)), p.Commits)
	return err
}

// releaseRepo is a repository with its release settings, shared by the
// version, notes and tag commands.
type releaseRepo struct {
	repo     *githistory.Repo
	settings policies.ReleaseSettings
	// fragments is the glob of release-note fragments:
	// release_notes.fragments, else release.DefaultFragments.
	fragments policies.Glob
	// policy is the policy read, nil when there is none.
	policy *policies.Policy
}

// openReleaseRepo opens the git repository at dir and reads the release
// settings of dir/.shipgate.yml, or the defaults when there is none. Both
// failures are usage errors (exit 2); a policy error names file:line:col.
func openReleaseRepo(ctx context.Context, dir string) (*releaseRepo, error) {
	p, found, err := loadPolicy(ctx, filepath.Join(dir, ".shipgate.yml"))
	if err != nil {
		return nil, usageError(err)
	}
	rc := &releaseRepo{settings: policies.DefaultReleaseSettings(), fragments: release.FragmentsOf(p)}
	if found {
		rc.settings, rc.policy = p.Release, p
	}
	if rc.repo, err = githistory.Open(ctx, dir); err != nil {
		return nil, usageError(err)
	}
	return rc, nil
}

// resolve names a commit or fails with a usage error.
func (rc *releaseRepo) resolve(ctx context.Context, ref string) (string, error) {
	sha, err := rc.repo.Resolve(ctx, ref)
	if err != nil {
		return "", usageError(err)
	}
	return sha, nil
}

// plan computes the next release at ref and returns it with the commits
// since the previous tag (githistory's Plan, the Action's too). With
// commits that the release line does not take, the plan and the commits
// come with the error (see releaseError).
func (rc *releaseRepo) plan(ctx context.Context, ref, prerelease string) (release.Plan, []policies.Commit, error) {
	plan, commits, err := rc.repo.Plan(ctx, rc.settings, githistory.Target{Ref: ref}, prerelease)
	if err != nil {
		return plan, commits, releaseError(err)
	}
	return plan, commits, nil
}

// releaseError maps an error of the version math to its exit status:
// commits that their release line does not take, and a Release-As footer
// that cannot be followed, are a policy failure (exit 1), the rest usage
// errors (exit 2).
func releaseError(err error) error {
	var lineErr *release.LineError
	if errors.As(err, &lineErr) || errors.Is(err, release.ErrReleaseAs) {
		return &exitError{code: exitUnsatisfied, err: err}
	}
	return usageError(err)
}
