package gate

import (
	"context"
	"errors"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// Releaser is a Repo that can check, cut and report releases: the host
// calls of the tag flow (ProcessTag) and of `/release`. A Repo without it
// answers `/release` "not enabled" and validates no tags.
type Releaser interface {
	// DefaultBranch is the repository's default branch.
	DefaultBranch(ctx context.Context) (string, error)
	// Refs lists the tags (kind "tags") or branches ("heads") with the
	// commit each points at.
	Refs(ctx context.Context, kind string) ([]release.Tag, error)
	// Compare reports whether head descends from base (or is it), and with
	// wantCommits head's commits since base, newest first, up to
	// MaxReleaseCommits.
	Compare(ctx context.Context, base, head string, wantCommits bool) (contains bool, commits []policies.Commit, err error)
	// Holding returns the branches among candidates whose head holds sha.
	Holding(ctx context.Context, sha string, candidates []release.Tag) ([]string, error)
	// TagCommit is the commit a tag points at (an annotated tag peeled);
	// found is false when there is no such tag.
	TagCommit(ctx context.Context, tag string) (sha string, found bool, err error)
	// CreateTag creates tag at sha; a tag already there is no error, one
	// elsewhere is.
	CreateTag(ctx context.Context, tag, sha string) error
	// PublishRelease creates or updates tag's release with notes built
	// from commits since previous ("" for none), and returns its page.
	PublishRelease(ctx context.Context, p *policies.Policy, r Release) (url string, err error)
	// TagReported reports whether Shipgate's own TagStatus for tag is on
	// sha already (a second delivery of the same tag changes nothing).
	TagReported(ctx context.Context, tag, sha string) (bool, error)
	// SetTagStatus sets the commit status TagStatus on sha.
	SetTagStatus(ctx context.Context, sha string, ok bool, description, url string) error
}

// PusherConfirmer is a Releaser whose tag events cannot be taken as sent:
// the gate asks the host who pushed a tag before the tag counts as a
// release (GitLab: every project's webhook shares one token).
type PusherConfirmer interface {
	// ConfirmPusher returns who pushed tag at sha, or refusal when the
	// host shows no such push.
	ConfirmPusher(ctx context.Context, tag, sha, claimed string) (pusher, refusal string, err error)
}

// Release is a release to publish.
type Release struct {
	Tag, Previous, SHA string
	Prerelease         bool
	Commits            []policies.Commit
}

// TagStatus is the commit status of a tag's validation on its commit.
const TagStatus = "shipgate/tag"

// Caps on what one tag check or plan reads through a host's API.
const (
	// MaxReleaseCommits caps the commits read since the previous tag.
	MaxReleaseCommits = 1000
	// MaxTagProbes caps the version tags tried, highest first, to find the
	// previous one a commit descends from.
	MaxTagProbes = 20
	// maxBranchProbes caps the branches compared with a tagged commit.
	maxBranchProbes = 30
)

// refs is the release math over a Releaser: what release.ValidateTag and
// release.Next need when there is no clone at hand (the bot). The Action
// and the CLI read the same facts from git (githistory).
type refs struct{ r Releaser }

// previousTag finds the highest stable version tag below v (any version
// when v is nil) that sha descends from, trying at most MaxTagProbes, and
// returns it with the commits since; ok is false, with no commits, when
// there is none.
func (x refs) previousTag(ctx context.Context, st policies.ReleaseSettings, tags []release.Tag, v *release.Version, sha string) (release.Tag, bool, []policies.Commit, error) {
	for i, c := range release.PreviousCandidates(st.TagPrefix, tags, v) {
		if i == MaxTagProbes {
			break
		}
		ok, commits, err := x.r.Compare(ctx, c.Name, sha, true)
		if err != nil {
			return release.Tag{}, false, nil, err
		}
		if ok {
			return c, true, commits, nil
		}
	}
	return release.Tag{}, false, nil, nil
}

// branchesHolding returns the branches that hold sha among those that
// matter to release.ValidateTag: the default branch, release/* branches,
// the policy's tags.branches and cutFrom (the branch a release is cut
// from, "" for none), at most maxBranchProbes of them. A maintenance
// branch by another name (support/1.x) is a release line when
// tags.branches lists it.
func (x refs) branchesHolding(ctx context.Context, st policies.ReleaseSettings, defaultBranch, cutFrom, sha string) ([]string, error) {
	heads, err := x.r.Refs(ctx, "heads")
	if err != nil {
		return nil, err
	}
	var candidates []release.Tag
	for _, h := range heads {
		relevant := h.Name == defaultBranch || h.Name == cutFrom || release.IsReleaseBranch(h.Name)
		for _, g := range st.TagBranches {
			relevant = relevant || g.Match(h.Name)
		}
		if relevant && len(candidates) < maxBranchProbes {
			candidates = append(candidates, h)
		}
	}
	return x.r.Holding(ctx, sha, candidates)
}

// tagCheck gathers what release.ValidateTag needs about the tag name at
// sha: every tag, the branches holding sha, the default branch, and the
// previous stable version sha descends from with the commits since, which
// it returns.
func (x refs) tagCheck(ctx context.Context, st policies.ReleaseSettings, name, sha, defaultBranch, cutFrom string) (release.TagCheck, release.Tag, bool, error) {
	check := release.TagCheck{Name: name, Commit: sha, Default: defaultBranch}
	var err error
	if check.AllTags, err = x.r.Refs(ctx, "tags"); err != nil {
		return check, release.Tag{}, false, err
	}
	if check.OnBranches, err = x.branchesHolding(ctx, st, defaultBranch, cutFrom, sha); err != nil {
		return check, release.Tag{}, false, err
	}
	v, err := release.ParseTag(st.TagPrefix, name)
	if err != nil {
		return check, release.Tag{}, false, nil // ValidateTag reports the name
	}
	prev, ok, commits, err := x.previousTag(ctx, st, check.AllTags, &v, sha)
	if err != nil {
		return check, release.Tag{}, false, err
	}
	if ok {
		check.Reachable = []release.Tag{prev}
	}
	if commits, err = x.withPaths(ctx, st, commits); err != nil {
		return check, release.Tag{}, false, err
	}
	check.Commits, check.Since = st.Own(commits), commits
	return check, prev, ok, nil
}

// plan computes the next release at sha, cut from branch: the previous
// stable version it descends from, the commits since, and release.Next
// over that tag and the pre-releases above it, on the branch's release
// line when it is one. Without a previous version the release is the
// initial one and no commits are read (an API has no cheap way to list a
// whole history), so its notes list none. Commits that the line does not
// take give a *release.LineError.
func (x refs) plan(ctx context.Context, st policies.ReleaseSettings, sha, branch, defaultBranch string) (release.Plan, error) {
	plan, _, err := x.planCommits(ctx, st, sha, branch, defaultBranch)
	return plan, err
}

// planCommits is plan with the commits it considered, newest first.
func (x refs) planCommits(ctx context.Context, st policies.ReleaseSettings, sha, branch, defaultBranch string) (release.Plan, []policies.Commit, error) {
	tags, err := x.r.Refs(ctx, "tags")
	if err != nil {
		return release.Plan{}, nil, err
	}
	// A release line's previous tag is below the next line: looked for
	// there first, it is found within MaxTagProbes however many versions
	// the main line has released since.
	var below *release.Version
	if l, named := release.LineInName(branch); named && release.IsReleaseBranch(branch) {
		next := l.First().Bump(policies.BumpMinor)
		below = &next
	}
	prev, ok, commits, err := x.previousTag(ctx, st, tags, below, sha)
	if err != nil {
		return release.Plan{}, nil, err
	}
	if commits, err = x.withPaths(ctx, st, commits); err != nil {
		return release.Plan{}, nil, err
	}
	at := release.At{Branches: []string{branch}, Default: defaultBranch, All: tags}
	if ok {
		at.Reachable = append(at.Reachable, prev)
		pv, _ := release.ParseTag(st.TagPrefix, prev.Name)
		for _, t := range tags {
			if tv, err := release.ParseTag(st.TagPrefix, t.Name); err == nil && tv.IsPrerelease() && pv.Less(tv) {
				at.Reachable = append(at.Reachable, t)
			}
		}
	}
	plan, err := release.Next(st, at, commits, "")
	return plan, commits, err
}

// isLineError reports whether err says that a release line does not take
// the commits.
func isLineError(err error) bool {
	var lineErr *release.LineError
	return errors.As(err, &lineErr)
}
