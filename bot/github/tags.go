package github

import (
	"context"
	"slices"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
	"github.com/shipgate/shipgate/templates"
)

// This file is the session's gate.Releaser: the host calls of the tag flow
// and of /release (the release math itself is the gate's).

var _ gate.Releaser = (*Session)(nil)

// Refs lists the refs under refs/KIND/ ("tags", "heads") by their
// short names, with the object each points at: GET
// /repos/{owner}/{repo}/git/matching-refs/{ref}.
func (s *Session) Refs(ctx context.Context, kind string) ([]release.Tag, error) {
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

// Compare compares base with head (names or SHAs): GET
// /repos/{owner}/{repo}/compare/{basehead}, the first page only unless
// commits are wanted. contains is true when head descends from base (or is
// it); commits are head's commits since base, newest first, up to
// maxReleaseCommits.
func (s *Session) Compare(ctx context.Context, base, head string, wantCommits bool) (contains bool, commits []policies.Commit, err error) {
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
				SHA: rc.GetSHA(), Message: rc.GetCommit().GetMessage(), Author: ActorOf(rc.GetAuthor()),
				AuthorName: rc.GetCommit().GetAuthor().GetName(), Time: rc.GetCommit().GetAuthor().GetDate().Time,
			})
		}
		if resp == nil || resp.NextPage == 0 || len(commits) >= gate.MaxReleaseCommits {
			break
		}
		opts.Page = resp.NextPage
	}
	slices.Reverse(commits) // GitHub lists oldest first; git log newest first
	return true, commits, nil
}

// Holding returns the candidates whose head holds sha, comparing each with
// it.
func (s *Session) Holding(ctx context.Context, sha string, candidates []release.Tag) ([]string, error) {
	var out []string
	for _, h := range candidates {
		if h.SHA == sha {
			out = append(out, h.Name)
			continue
		}
		ok, _, err := s.Compare(ctx, sha, h.Name, false)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, h.Name)
		}
	}
	return out, nil
}

// DefaultBranch is the repository's default branch: GET /repos/{owner}/{repo}.
func (s *Session) DefaultBranch(ctx context.Context) (string, error) {
	repo, _, err := s.gh.Repositories.Get(ctx, s.owner, s.name)
	if err != nil {
		return "", s.wrap(err, "reading %s", s.repo)
	}
	return repo.GetDefaultBranch(), nil
}

// TagCommit is the commit a tag points at.
func (s *Session) TagCommit(ctx context.Context, tag string) (string, bool, error) {
	return (&Releases{s: s}).tagCommit(ctx, tag)
}

// CreateTag creates tag at sha (Releases.CreateTag).
func (s *Session) CreateTag(ctx context.Context, tag, sha string) error {
	return (&Releases{s: s}).CreateTag(ctx, tag, sha)
}

// PublishRelease renders the notes of a release (with the titles and
// release notes of its merged pull requests) and creates or updates it.
func (s *Session) PublishRelease(ctx context.Context, p *policies.Policy, rel gate.Release) (string, error) {
	r := &Releases{s: s}
	notes, err := r.Notes(ctx, p, rel.Tag, rel.Previous, rel.Commits, s.a.cfg.Now())
	if err != nil {
		return "", err
	}
	body, err := templates.String(templates.Notes, any(notes))
	if err != nil {
		return "", err
	}
	pub, err := r.PublishRelease(ctx, Release{Tag: rel.Tag, Target: rel.SHA, Body: body, Prerelease: rel.Prerelease})
	return pub.URL, err
}

// TagReported reports whether Shipgate already published the status of
// this tag on its commit (an earlier delivery, the push or the create).
func (s *Session) TagReported(ctx context.Context, tag, sha string) (bool, error) {
	st, err := s.TagStatus(ctx, tag, sha)
	return st != nil, err
}

// TagStatus returns the newest gate.TagStatus status of tag on its commit
// that Shipgate itself posted, nil when there is none: GET
// /repos/{owner}/{repo}/commits/{ref}/statuses. Statuses by anyone else
// are ignored: anyone with write access can post one of that name.
func (s *Session) TagStatus(ctx context.Context, tag, sha string) (*gh.RepoStatus, error) {
	self, err := s.a.Self(ctx)
	if err != nil {
		return nil, err
	}
	statuses, _, err := s.gh.Repositories.ListStatuses(ctx, s.owner, s.name, sha, &gh.ListOptions{PerPage: 100})
	if err != nil {
		return nil, s.wrap(err, "reading the statuses of %.7s in %s", sha, s.repo)
	}
	for _, st := range statuses {
		if st.GetContext() == gate.TagStatus && strings.HasPrefix(st.GetDescription(), tag+" ") && policies.SameLogin(st.GetCreator().GetLogin(), self) {
			return st, nil
		}
	}
	return nil, nil
}

// SetTagStatus publishes the commit status gate.TagStatus on the tagged
// commit: POST /repos/{owner}/{repo}/statuses/{sha}.
func (s *Session) SetTagStatus(ctx context.Context, sha string, ok bool, description, url string) error {
	state := "success"
	if !ok {
		state = "failure"
	}
	status := &gh.RepoStatus{State: gh.String(state), Context: gh.String(gate.TagStatus), Description: gh.String(statusDescription(description))}
	if url != "" {
		status.TargetURL = gh.String(url)
	}
	if _, _, err := s.gh.Repositories.CreateStatus(ctx, s.owner, s.name, sha, status); err != nil {
		return s.wrap(err, "reporting the tag status on %.7s in %s", sha, s.repo)
	}
	return nil
}

// statusDescription fits s into a commit status description (GitHub
// allows 140 characters), cut on a rune boundary and ending with "…".
func statusDescription(s string) string {
	const max = 140
	if len([]rune(s)) <= max {
		return s
	}
	return string([]rune(s)[:max-1]) + "…"
}

var _ gate.ChangeTracer = (*Session)(nil)

// MergedChangesOf lists the merged pull requests associated with commit
// sha — the one that merged it and those whose branch held it: GET
// /repos/{owner}/{repo}/commits/{commit_sha}/pulls (the first 100).
func (s *Session) MergedChangesOf(ctx context.Context, sha string) ([]gate.MergedChange, error) {
	prs, _, err := s.gh.PullRequests.ListPullRequestsWithCommit(ctx, s.owner, s.name, sha, &gh.ListOptions{PerPage: 100})
	if err != nil {
		return nil, s.wrap(err, "listing the pull requests of commit %.7s in %s", sha, s.repo)
	}
	var out []gate.MergedChange
	for _, pr := range prs {
		if pr.MergedAt != nil {
			out = append(out, gate.MergedChange{Number: pr.GetNumber(), Base: pr.GetBase().GetRef(), HeadSHA: pr.GetHead().GetSHA()})
		}
	}
	return out, nil
}

var _ gate.CommitReader = (*Session)(nil)

// ChangeCommits lists a pull request's commits, oldest first, every page
// up to GitHub's 250: GET /repos/{owner}/{repo}/pulls/{pull_number}/commits.
func (s *Session) ChangeCommits(ctx context.Context, number int) ([]policies.Commit, error) {
	list, _, err := listAll(maxCommits, func(o gh.ListOptions) ([]*gh.RepositoryCommit, *gh.Response, error) {
		return s.gh.PullRequests.ListCommits(ctx, s.owner, s.name, number, &o)
	})
	if err != nil {
		return nil, s.wrap(err, "listing the commits of %s#%d", s.repo, number)
	}
	out := make([]policies.Commit, len(list))
	for i, c := range list {
		out[i] = policies.Commit{SHA: c.GetSHA(), Message: c.GetCommit().GetMessage()}
	}
	return out, nil
}

// CommitPatches reads the patches of a commit's files: GET
// /repos/{owner}/{repo}/commits/{ref}. GitHub leaves a binary or large
// file's patch out and lists at most 300 files: then it is incomplete.
func (s *Session) CommitPatches(ctx context.Context, sha string) (map[string]string, bool, error) {
	c, _, err := s.gh.Repositories.GetCommit(ctx, s.owner, s.name, sha, &gh.ListOptions{PerPage: 100})
	if err != nil {
		return nil, false, s.wrap(err, "reading commit %.7s of %s", sha, s.repo)
	}
	out := make(map[string]string, len(c.Files))
	complete := len(c.Files) < 100
	for _, f := range c.Files {
		complete = complete && f.GetPatch() != ""
		out[f.GetFilename()] = f.GetPatch()
	}
	return out, complete, nil
}
