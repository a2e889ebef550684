package githistory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// This file holds what the release commands of the CLI (`version next`,
// `notes`, `tag check`) and of the Action (`version`, `notes`, `release`)
// read from a repository: one implementation behind both front doors.

// LoadPolicy reads the policy file at path (in a work tree) through
// policies.Load. found is false, with no error, when the file does not
// exist: callers then use policies.DefaultReleaseSettings. An invalid
// policy's error holds its *policies.FieldError list.
func LoadPolicy(path string) (p *policies.Policy, found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading policy: %w", err)
	}
	p, err = policies.Load(path, data)
	if err != nil {
		return nil, true, err
	}
	return p, true, nil
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

// Plan computes the next release at ref under s: the version tags
// reachable from ref, the commits since the highest stable one (all of
// ref's history without one) and release.Next with the pre-release
// identifier. It returns those commits too, newest first, for release
// notes. An unknown ref wraps ErrUnknownRef; a bad identifier is
// release.Next's error.
func (r *Repo) Plan(ctx context.Context, s policies.ReleaseSettings, ref, prerelease string) (release.Plan, []policies.Commit, error) {
	to, err := r.Resolve(ctx, ref)
	if err != nil {
		return release.Plan{}, nil, err
	}
	tags, err := r.ReleaseTags(ctx, to, s.TagPrefix, nil)
	if err != nil {
		return release.Plan{}, nil, err
	}
	from := ""
	if prev, ok := release.LatestTag(s.TagPrefix, tags); ok {
		from = prev.SHA
	}
	commits, err := r.Commits(ctx, from, to)
	if err != nil {
		return release.Plan{}, nil, err
	}
	plan, err := release.Next(s, tags, commits, prerelease)
	if err != nil {
		return release.Plan{}, nil, err
	}
	return plan, commits, nil
}

// TagCheck gathers what release.ValidateTag needs about a tag name at the
// commit sha (the tag itself need not exist yet): every tag of the
// repository, the branches that contain sha, and the commits since the
// previous stable version reachable from sha (none for a first release or
// a name that is no version, which ValidateTag reports). prev is that
// previous version's tag, ok false when there is none.
func (r *Repo) TagCheck(ctx context.Context, s policies.ReleaseSettings, name, sha string) (check release.TagCheck, prev release.Tag, ok bool, err error) {
	check = release.TagCheck{Name: name, Commit: sha}
	all, err := r.tagsWithTimes(ctx, "") // listed once, for AllTags and the reachable versions
	if err != nil {
		return check, prev, false, err
	}
	check.AllTags = tagsOf(all)
	if check.OnBranches, err = r.BranchesContaining(ctx, sha); err != nil {
		return check, prev, false, err
	}
	v, verr := release.ParseTag(s.TagPrefix, name)
	if verr != nil {
		return check, prev, false, nil // ValidateTag reports the name
	}
	reachable, err := r.releaseTags(ctx, all, sha, s.TagPrefix, &v)
	if err != nil {
		return check, prev, false, err
	}
	// Without a previous version the tag is a first release: no bump to check.
	if prev, ok = release.PreviousTag(s.TagPrefix, reachable, v); ok {
		if check.Commits, err = r.Commits(ctx, prev.SHA, sha); err != nil {
			return check, prev, false, err
		}
	}
	return check, prev, ok, nil
}
