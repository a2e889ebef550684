package githistory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// This file holds what the release commands of the CLI (`version next`,
// `notes`, `tag check`) and of the Action (`version`, `notes`, `release`)
// read from a repository: one implementation behind both front doors.

// LoadPolicy reads the policy file at path (in a work tree) through
// policies.LoadExtended: a base named by a path is read from disk,
// relative to the file; an owner/repo base is an error (LoadPolicyWith
// reads those). found is false, with no error, when the file does not
// exist: callers then use policies.DefaultReleaseSettings. An invalid
// policy's error holds its *policies.FieldError list.
func LoadPolicy(path string) (p *policies.Policy, found bool, err error) {
	return LoadPolicyWith(path, nil)
}

// LoadPolicyWith is LoadPolicy with remote reading owner/repo:path@ref
// bases (nil: such a base fails the load with a message that says so).
func LoadPolicyWith(path string, remote policies.Resolver) (p *policies.Policy, found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading policy: %w", err)
	}
	src := policies.Source{Path: filepath.ToSlash(filepath.Clean(path))}
	p, _, err = policies.LoadExtended(path, src, data, FileResolver(remote))
	if err != nil {
		return nil, true, err
	}
	return p, true, nil
}

// FileResolver reads bases named by a path from disk and the others
// through remote (nil: they cannot be read here).
func FileResolver(remote policies.Resolver) policies.Resolver {
	return func(src policies.Source) ([]byte, error) {
		if src.Repo == "" {
			data, err := os.ReadFile(filepath.FromSlash(src.Path))
			if errors.Is(err, fs.ErrNotExist) {
				return nil, errors.New("no such file")
			}
			return data, err
		}
		if remote == nil {
			return nil, errors.New("a base in another repository is read through the GitHub API: set SHIPGATE_GITHUB_TOKEN to a token that can read it")
		}
		return remote(src)
	}
}

// ReleaseSettings returns the release settings of the policy file at path,
// or the defaults when there is none.
func ReleaseSettings(path string) (policies.ReleaseSettings, error) {
	p, found, err := LoadPolicy(path)
	switch {
	case err != nil:
		return policies.ReleaseSettings{}, err
	case !found:
		return policies.DefaultReleaseSettings(), nil
	}
	return p.Release, nil
}

// Target is the commit a release is computed at, and where it is cut
// from: what tells a release line (release.LineOf).
type Target struct {
	// Ref names the commit: a branch, a tag, a SHA, HEAD…
	Ref string
	// Branch is the branch the release is cut from; "" for the branch Ref
	// names (HEAD: the one checked out), else every branch holding the
	// commit.
	Branch string
	// Default is the repository's default branch; "" to read it from the
	// repository (DefaultBranch).
	Default string
}

// Plan computes the next release at t under s: the version tags reachable
// from t's commit, the commits since the highest stable one (all of the
// history without one) and release.Next with the pre-release identifier,
// on t's release line when it is one (release.LineOf). It returns those
// commits too, newest first, for release notes, also with a
// *release.LineError (the line does not take them). An unknown ref wraps
// ErrUnknownRef; a bad identifier is release.Next's error.
func (r *Repo) Plan(ctx context.Context, s policies.ReleaseSettings, t Target, prerelease string) (release.Plan, []policies.Commit, error) {
	to, err := r.Resolve(ctx, t.Ref)
	if err != nil {
		return release.Plan{}, nil, err
	}
	at, err := r.At(ctx, s.TagPrefix, t, to)
	if err != nil {
		return release.Plan{}, nil, err
	}
	from := ""
	if prev, ok := release.LatestTag(s.TagPrefix, at.Reachable); ok {
		from = prev.SHA
	}
	commits, err := r.CommitsFor(ctx, s, from, to)
	if err != nil {
		return release.Plan{}, nil, err
	}
	commits = s.Own(commits) // a component's notes are its commits'

	plan, err := release.Next(s, at, commits, prerelease)
	var lineErr *release.LineError
	if err != nil && !errors.As(err, &lineErr) {
		return release.Plan{}, nil, err
	}
	return plan, commits, err
}

// At gathers what release.Next and release.LineOf read about the commit
// sha that t names: the branches it is cut from (see Target), the default
// branch, the version tags reachable from it and every tag. Three git
// processes, four when the branch is read from the commit.
func (r *Repo) At(ctx context.Context, prefix string, t Target, sha string) (release.At, error) {
	all, err := r.tagsWithTimes(ctx, "")
	if err != nil {
		return release.At{}, err
	}
	at := release.At{All: tagsOf(all), Default: t.Default}
	if at.Reachable, err = r.releaseTags(ctx, all, sha, prefix, nil); err != nil {
		return release.At{}, err
	}
	branch := t.Branch
	if branch == "" {
		if branch, err = r.branchOf(ctx, t.Ref); err != nil {
			return release.At{}, err
		}
	}
	if branch != "" {
		at.Branches = []string{branch}
	} else if at.Branches, err = r.BranchesContaining(ctx, sha); err != nil {
		return release.At{}, err
	}
	if at.Default == "" {
		if at.Default, err = r.DefaultBranch(ctx); err != nil {
			return release.At{}, err
		}
	}
	return at, nil
}

// branchOf returns the branch that ref names, without refs/heads/ or
// refs/remotes/REMOTE/ ("HEAD": the branch checked out); "" when ref is
// no branch (a tag, a SHA, a detached HEAD).
func (r *Repo) branchOf(ctx context.Context, ref string) (string, error) {
	if strings.HasPrefix(ref, "-") {
		return "", nil // no branch name starts with a dash
	}
	out, err := r.git(ctx, "rev-parse", "--verify", "--quiet", "--symbolic-full-name", "--end-of-options", ref)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the branch of %q in %s: %w", ref, r.dir, err)
	}
	full := strings.TrimSpace(string(out))
	if name, ok := strings.CutPrefix(full, "refs/heads/"); ok {
		return name, nil
	}
	if rest, ok := strings.CutPrefix(full, "refs/remotes/"); ok {
		_, name, _ := strings.Cut(rest, "/")
		return name, nil
	}
	return "", nil
}

// DefaultBranch returns the repository's default branch: the branch
// origin/HEAD points at, else main, else master when a branch of that
// name exists (locally or on origin); "" when none of them does. One git
// process.
func (r *Repo) DefaultBranch(ctx context.Context) (string, error) {
	out, err := r.git(ctx, "for-each-ref", "--format=%(refname)%00%(symref)", "refs/remotes/origin/HEAD",
		"refs/heads/main", "refs/remotes/origin/main", "refs/heads/master", "refs/remotes/origin/master")
	if err != nil {
		return "", fmt.Errorf("reading the default branch of %s: %w", r.dir, err)
	}
	found := make(map[string]bool)
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		ref, symref, _ := strings.Cut(line, "\x00")
		if name, ok := strings.CutPrefix(symref, "refs/remotes/origin/"); ok && ref == "refs/remotes/origin/HEAD" {
			return name, nil
		}
		found[ref] = true // the patterns match refs below them too: compare whole names
	}
	for _, name := range []string{"main", "master"} {
		if found["refs/heads/"+name] || found["refs/remotes/origin/"+name] {
			return name, nil
		}
	}
	return "", nil
}

// TagCheck gathers what release.ValidateTag needs about a tag name at the
// commit sha (the tag itself need not exist yet): every tag of the
// repository, the branches that contain sha, the default branch, the
// version tags below the name reachable from sha, and the commits since
// the previous stable version among them (none for a first release or
// a name that is no version, which ValidateTag reports). prev is that
// previous version's tag, ok false when there is none. defaultBranch is
// the repository's default branch, "" to read it (DefaultBranch).
func (r *Repo) TagCheck(ctx context.Context, s policies.ReleaseSettings, name, sha, defaultBranch string) (check release.TagCheck, prev release.Tag, ok bool, err error) {
	check = release.TagCheck{Name: name, Commit: sha, Default: defaultBranch}
	all, err := r.tagsWithTimes(ctx, "") // listed once, for AllTags and the reachable versions
	if err != nil {
		return check, prev, false, err
	}
	check.AllTags = tagsOf(all)
	if check.OnBranches, err = r.BranchesContaining(ctx, sha); err != nil {
		return check, prev, false, err
	}
	if check.Default == "" {
		if check.Default, err = r.DefaultBranch(ctx); err != nil {
			return check, prev, false, err
		}
	}
	v, verr := release.ParseTag(s.TagPrefix, name)
	if verr != nil {
		return check, prev, false, nil // ValidateTag reports the name
	}
	if check.Reachable, err = r.releaseTags(ctx, all, sha, s.TagPrefix, &v); err != nil {
		return check, prev, false, err
	}
	// Without a previous version the tag is a first release: no bump to check.
	if prev, ok = release.PreviousTag(s.TagPrefix, check.Reachable, v); ok {
		if check.Commits, err = r.CommitsFor(ctx, s, prev.SHA, sha); err != nil {
			return check, prev, false, err
		}
		check.Commits = s.Own(check.Commits)
	}
	return check, prev, ok, nil
}
