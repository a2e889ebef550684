package github

import (
	"context"
	"slices"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// This file reads through the API what the release math needs when there
// is no clone at hand (the bot): version tags, which of them a commit
// descends from, the commits since, and the branches holding a commit.
// The Action and the CLI read the same facts from git (githistory).

// Caps on what one tag check or plan reads through the API.
const (
	// maxReleaseCommits caps the commits read since the previous tag.
	maxReleaseCommits = 1000
	// maxTagProbes caps the version tags tried, highest first, to find the
	// previous one a commit descends from.
	maxTagProbes = 20
	// maxBranchProbes caps the branches compared with a tagged commit.
	maxBranchProbes = 30
)

// refNames lists the refs under refs/KIND/ ("tags", "heads") by their
// short names, with the object each points at: GET
// /repos/{owner}/{repo}/git/matching-refs/{ref}.
func (s *session) refNames(ctx context.Context, kind string) ([]release.Tag, error) {
	// The operation is not paginated: GitHub answers every matching ref.
	refs, _, err := s.gh.Git.ListMatchingRefs(ctx, s.owner, s.name, &gh.ReferenceListOptions{Ref: kind})
	if err != nil {
		return nil, s.wrap(err, "listing the %s of %s", kind, s.repo)
	}
	out := make([]release.Tag, 0, len(refs))
	for _, r := range refs {
		if name, ok := strings.CutPrefix(r.GetRef(), "refs/"+kind+"/"); ok {
			out = append(out, release.Tag{Name: name, SHA: r.GetObject().GetSHA()})
		}
	}
	return out, nil
}

// compare compares base with head (names or SHAs): GET
// /repos/{owner}/{repo}/compare/{basehead}, the first page only unless
// commits are wanted. contains is true when head descends from base (or is
// it); commits are head's commits since base, newest first, up to
// maxReleaseCommits.
func (s *session) compare(ctx context.Context, base, head string, wantCommits bool) (contains bool, commits []policies.Commit, err error) {
	opts := gh.ListOptions{PerPage: 100}
	if !wantCommits {
		opts.PerPage = 1
	}
	for {
		cmp, resp, err := s.gh.Repositories.CompareCommits(ctx, s.owner, s.name, base, head, &opts)
		if isNotFound(err) {
			return false, nil, nil
		}
		if err != nil {
			return false, nil, s.wrap(err, "comparing %s with %s in %s", base, head, s.repo)
		}
		status := cmp.GetStatus()
		contains = status == "ahead" || status == "identical"
		if !wantCommits || !contains {
			return contains, nil, nil
		}
		for _, rc := range cmp.Commits {
			commits = append(commits, policies.Commit{
				SHA: rc.GetSHA(), Message: rc.GetCommit().GetMessage(), Author: actorOf(rc.GetAuthor()),
				AuthorName: rc.GetCommit().GetAuthor().GetName(), Time: rc.GetCommit().GetAuthor().GetDate().Time,
			})
		}
		if resp == nil || resp.NextPage == 0 || len(commits) >= maxReleaseCommits {
			break
		}
		opts.Page = resp.NextPage
	}
	slices.Reverse(commits) // GitHub lists oldest first; git log newest first
	return true, commits, nil
}

// previousTag finds the highest stable version tag below v (any version
// when v is nil) that sha descends from, trying at most maxTagProbes,
// and returns it with the commits since; ok is false, with no commits,
// when there is none.
func (s *session) previousTag(ctx context.Context, st policies.ReleaseSettings, tags []release.Tag, v *release.Version, sha string) (release.Tag, bool, []policies.Commit, error) {
	for i, c := range release.PreviousCandidates(st.TagPrefix, tags, v) {
		if i == maxTagProbes {
			break
		}
		ok, commits, err := s.compare(ctx, c.Name, sha, true)
		if err != nil {
			return release.Tag{}, false, nil, err
		}
		if ok {
			return c, true, commits, nil
		}
	}
	return release.Tag{}, false, nil, nil
}

// branchesContaining returns the branches that hold sha among those that
// matter to release.ValidateTag: the default branch, release/* branches,
// the policy's tags.branches and cutFrom (the branch a release is cut
// from, "" for none), at most maxBranchProbes of them, each compared with
// sha. A maintenance branch by another name (support/1.x) is a release
// line to the bot when tags.branches lists it.
func (s *session) branchesContaining(ctx context.Context, st policies.ReleaseSettings, defaultBranch, cutFrom, sha string) ([]string, error) {
	heads, err := s.refNames(ctx, "heads")
	if err != nil {
		return nil, err
	}
	var out []string
	probes := 0
	for _, h := range heads {
		relevant := h.Name == defaultBranch || h.Name == cutFrom || release.IsReleaseBranch(h.Name)
		for _, g := range st.TagBranches {
			relevant = relevant || g.Match(h.Name)
		}
		if !relevant {
			continue
		}
		if probes++; probes > maxBranchProbes {
			break
		}
		if h.SHA == sha {
			out = append(out, h.Name)
			continue
		}
		ok, _, err := s.compare(ctx, sha, h.Name, false)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, h.Name)
		}
	}
	return out, nil
}

// tagCheck gathers through the API what release.ValidateTag needs about
// the tag name at sha, like githistory's TagCheck does from git: every
// tag, the branches holding sha (see branchesContaining), the default
// branch, and the previous stable version sha descends from with the
// commits since, which it returns.
func (s *session) tagCheck(ctx context.Context, st policies.ReleaseSettings, name, sha, defaultBranch, cutFrom string) (release.TagCheck, release.Tag, bool, error) {
	check := release.TagCheck{Name: name, Commit: sha, Default: defaultBranch}
	var err error
	if check.AllTags, err = s.refNames(ctx, "tags"); err != nil {
		return check, release.Tag{}, false, err
	}
	if check.OnBranches, err = s.branchesContaining(ctx, st, defaultBranch, cutFrom, sha); err != nil {
		return check, release.Tag{}, false, err
	}
	v, err := release.ParseTag(st.TagPrefix, name)
	if err != nil {
		return check, release.Tag{}, false, nil // ValidateTag reports the name
	}
	prev, ok, commits, err := s.previousTag(ctx, st, check.AllTags, &v, sha)
	if err != nil {
		return check, release.Tag{}, false, err
	}
	if ok {
		check.Reachable = []release.Tag{prev}
	}
	check.Commits = commits
	return check, prev, ok, nil
}

// plan computes the next release at sha, cut from branch, through the
// API: the previous stable version it descends from, the commits since,
// and release.Next over that tag and the pre-releases above it, on the
// branch's release line when it is one. Without a previous version the
// release is the initial one and no commits are read (the API has no
// cheap way to list a whole history), so its notes list none. Commits
// that the line does not take give a *release.LineError.
func (s *session) plan(ctx context.Context, st policies.ReleaseSettings, sha, branch, defaultBranch string) (release.Plan, []policies.Commit, error) {
	tags, err := s.refNames(ctx, "tags")
	if err != nil {
		return release.Plan{}, nil, err
	}
	// A release line's previous tag is below the next line: looked for
	// there first, it is found within maxTagProbes however many versions
	// the main line has released since. (A release/1.2 that holds v1.3.0,
	// which git would see as line 1.3, is line 1.2 to the bot.)
	var below *release.Version
	if l, named := release.LineInName(branch); named && release.IsReleaseBranch(branch) {
		next := l.First().Bump(policies.BumpMinor)
		below = &next
	}
	prev, ok, commits, err := s.previousTag(ctx, st, tags, below, sha)
	if err != nil {
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
