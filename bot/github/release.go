package github

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"
	"golang.org/x/sync/errgroup"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// This file is the release-publishing side that the bot and the Action
// share: the pull requests behind a release's commits with their notes,
// the tag ref, and the GitHub release itself. It is written once here and
// used by both (the Action through Releases, the bot through a session).

// maxNoteLookups caps the commits whose pull request is looked up for one
// release; older commits keep their commit subjects.
const maxNoteLookups = 500

// ErrTagExists is returned by CreateTag when the tag already exists and
// points at another commit: a version tag is never moved.
var ErrTagExists = errors.New("the tag already exists on another commit")

// Releases publishes the releases of one repository. Get one with
// App.Releases; it is safe for concurrent use.
type Releases struct {
	s *Session
}

// Releases returns the release side of repo ("owner/name"), authenticated
// as the App's installation on it (looked up once) or with the token.
func (a *App) Releases(ctx context.Context, repo string) (*Releases, error) {
	s, err := a.Session(ctx, 0, repo)
	if err != nil {
		return nil, err
	}
	return &Releases{s: s}, nil
}

// Policy reads the policy file at path on ref ("" for the default branch)
// through the API and loads it: GET /repos/{owner}/{repo}/contents/{path}.
// found is false, with no error, when there is no such file; an invalid
// policy's error holds its *policies.FieldError list.
func (r *Releases) Policy(ctx context.Context, path, ref string) (p *policies.Policy, found bool, err error) {
	lp, err := gate.LoadPolicy(ctx, r.s, path, ref)
	switch {
	case err != nil:
		return nil, false, err
	case lp.Missing:
		return nil, false, nil
	case lp.Invalid != nil:
		return nil, true, lp.Invalid
	}
	return lp.Policy, true, nil
}

// Release is a GitHub release to create or update.
type Release struct {
	// Tag is the tag name, e.g. "v1.3.0".
	Tag string
	// Target is the commit the tag is created at when it does not exist
	// yet; "" leaves that to GitHub (the default branch).
	Target string
	// Name is the release's title; the tag when empty.
	Name string
	// Body is the Markdown release notes.
	Body string
	// Prerelease marks a pre-release version (v1.3.0-rc.1).
	Prerelease bool
}

// Published is what PublishRelease did.
type Published struct {
	// ID is the release's ID; URL its page (html_url).
	ID  int64
	URL string
	// Created is false when an existing release of the tag was updated.
	Created bool
}

// PublishRelease creates the release of r.Tag, or updates its title,
// notes and pre-release flag when the tag has a published release already
// (so that a re-run repairs rather than fails): GET
// /repos/{owner}/{repo}/releases/tags/{tag}, then POST
// /repos/{owner}/{repo}/releases or PATCH
// /repos/{owner}/{repo}/releases/{release_id}.
func (r *Releases) PublishRelease(ctx context.Context, rel Release) (Published, error) {
	s := r.s
	name := rel.Name
	if name == "" {
		name = rel.Tag
	}
	body := &gh.RepositoryRelease{
		TagName: gh.String(rel.Tag), Name: gh.String(name), Body: gh.String(rel.Body), Prerelease: gh.Bool(rel.Prerelease),
	}
	existing, _, err := s.gh.Repositories.GetReleaseByTag(ctx, s.owner, s.name, rel.Tag)
	switch {
	case isNotFound(err):
	case err != nil:
		return Published{}, s.wrap(err, "reading the release of %s in %s", rel.Tag, s.repo)
	default:
		body.TagName = nil // unchanged
		out, _, err := s.gh.Repositories.EditRelease(ctx, s.owner, s.name, existing.GetID(), body)
		if err != nil {
			return Published{}, s.wrap(err, "updating the release of %s in %s", rel.Tag, s.repo)
		}
		return Published{ID: out.GetID(), URL: out.GetHTMLURL()}, nil
	}
	if rel.Target != "" {
		body.TargetCommitish = gh.String(rel.Target)
	}
	out, _, err := s.gh.Repositories.CreateRelease(ctx, s.owner, s.name, body)
	if err != nil {
		return Published{}, s.wrap(err, "creating the release of %s in %s", rel.Tag, s.repo)
	}
	return Published{ID: out.GetID(), URL: out.GetHTMLURL(), Created: true}, nil
}

// CreateTag creates the lightweight tag refs/tags/TAG at the commit sha:
// POST /repos/{owner}/{repo}/git/refs. A tag that already points at sha is
// no error (a re-run); one that points elsewhere is ErrTagExists.
func (r *Releases) CreateTag(ctx context.Context, tag, sha string) error {
	s := r.s
	ref := "refs/tags/" + tag
	_, _, err := s.gh.Git.CreateRef(ctx, s.owner, s.name, &gh.Reference{Ref: gh.String(ref), Object: &gh.GitObject{SHA: gh.String(sha)}})
	if err == nil {
		return nil
	}
	var re *gh.ErrorResponse
	if !errors.As(err, &re) || re.Response == nil || re.Response.StatusCode != 422 {
		return s.wrap(err, "creating the tag %s at %.7s in %s", tag, sha, s.repo)
	}
	// 422: most likely the ref exists; see where it points.
	at, found, gerr := r.tagCommit(ctx, tag)
	switch {
	case gerr != nil:
		return gerr
	case !found:
		return s.wrap(err, "creating the tag %s at %.7s in %s", tag, sha, s.repo)
	case at != sha:
		return fmt.Errorf("creating the tag %s at %.7s in %s: %w (%.7s): tag another version", tag, sha, s.repo, ErrTagExists, at)
	}
	return nil
}

// tagCommit returns the commit a tag points at, peeling an annotated tag:
// GET /repos/{owner}/{repo}/git/ref/tags/{tag}, and for an annotated tag
// GET /repos/{owner}/{repo}/git/tags/{tag_sha}. found is false for a tag
// that does not exist.
func (r *Releases) tagCommit(ctx context.Context, tag string) (sha string, found bool, err error) {
	s := r.s
	ref, _, err := s.gh.Git.GetRef(ctx, s.owner, s.name, "tags/"+tag)
	switch {
	case isNotFound(err):
		return "", false, nil
	case err != nil:
		return "", false, s.wrap(err, "reading the tag %s of %s", tag, s.repo)
	}
	obj := ref.GetObject()
	if obj.GetType() != "tag" {
		return obj.GetSHA(), true, nil
	}
	t, _, err := s.gh.Git.GetTag(ctx, s.owner, s.name, obj.GetSHA())
	if err != nil {
		return "", false, s.wrap(err, "reading the annotated tag %s of %s", tag, s.repo)
	}
	return t.GetObject().GetSHA(), true, nil
}

// PullRequestNotes finds the merged pull request behind each commit (GET
// /repos/{owner}/{repo}/commits/{commit_sha}/pulls, a few at once, for at
// most the newest 500 commits) and returns the commits with their PR
// number, and the PR author's login where git gave none, plus one
// release.Override per PR whose description gives a release note (Text)
// or says it needs none (Omit) under p, as policies.ReleaseNote reads it
// (nil p: the default `release-note` block). release.BuildNotes then
// prefers the PRs' own words over commit subjects.
//
// A commit belongs to the PR merged as it, else to a merged PR that
// contains it; open and closed-unmerged PRs are ignored.
func (r *Releases) PullRequestNotes(ctx context.Context, p *policies.Policy, commits []policies.Commit, now time.Time) ([]policies.Commit, []release.Override, error) {
	s := r.s
	out := slices.Clone(commits)
	prs := make([]*gh.PullRequest, min(len(out), maxNoteLookups))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxParallel)
	for i := range prs {
		sha := out[i].SHA
		g.Go(func() error {
			list, _, err := s.gh.PullRequests.ListPullRequestsWithCommit(gctx, s.owner, s.name, sha, &gh.ListOptions{PerPage: 100})
			if err != nil {
				return s.wrap(err, "finding the pull request of commit %.7s in %s", sha, s.repo)
			}
			prs[i] = mergedPR(list, sha)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	var overrides []release.Override
	seen := map[int]bool{}
	for i, pr := range prs {
		if pr == nil {
			continue
		}
		n := pr.GetNumber()
		out[i].PR = n
		if out[i].Author.Login == "" {
			out[i].Author = ActorOf(pr.GetUser())
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		text, none := policies.ReleaseNote(p, BuildChange(ChangeInput{PR: pr}), now)
		if none || text != "" {
			overrides = append(overrides, release.Override{PR: n, Text: oneLine(text), Omit: none})
		}
	}
	return out, overrides, nil
}

// mergedPR picks the PR a commit belongs to among those GitHub lists.
func mergedPR(list []*gh.PullRequest, sha string) *gh.PullRequest {
	var contains *gh.PullRequest
	for _, pr := range list {
		if pr.MergedAt == nil && !pr.GetMerged() {
			continue
		}
		if pr.GetMergeCommitSHA() == sha {
			return pr
		}
		if contains == nil {
			contains = pr
		}
	}
	return contains
}

// Notes builds the release notes of version (previous is the tag it
// follows, "" for a first release) from its commits, newest first: the
// merged PRs' own notes replace their commit subjects (PullRequestNotes
// under p), the types p's notes.hide names are left out, and PRs and
// authors link to this GitHub's web pages. Render
// them with templates.Notes.
func (r *Releases) Notes(ctx context.Context, p *policies.Policy, version, previous string, commits []policies.Commit, date time.Time) (release.Notes, error) {
	commits, overrides, err := r.PullRequestNotes(ctx, p, commits, date)
	if err != nil {
		return release.Notes{}, err
	}
	n := release.BuildNotes(version, previous, date, commits, overrides...)
	n.Hide(p.NotesHideOf(version)) // a component's tag: its notes key
	n.Link(r.s.a.webURL(), r.s.repo)
	return n, nil
}

// webURL is the web address of the GitHub the API belongs to:
// https://github.com for api.github.com, the scheme and host of another
// (GitHub Enterprise Server serves its API under /api/v3/).
func (a *App) webURL() string {
	if a.apiURL.Host == "api.github.com" {
		return "https://github.com"
	}
	return a.apiURL.Scheme + "://" + a.apiURL.Host
}

// oneLine joins a multi-line note into one list entry.
func oneLine(text string) string {
	return strings.Join(strings.Fields(text), " ")
}
