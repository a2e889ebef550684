package gitlab

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/rs/zerolog"
	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
	"github.com/shipgate/shipgate/templates"
)

// This file is the project's gate.Releaser: the host calls of the tag
// flow and of /release (the release math itself is the gate's).

var _ gate.Releaser = (*project)(nil)

// TagStatusName is the commit status Shipgate publishes on a tagged commit.
const TagStatusName = gate.TagStatus

// DefaultBranch is the project's default branch: GET /projects/:id.
func (p *project) DefaultBranch(ctx context.Context) (string, error) {
	pr, _, err := p.a.gl.Projects.GetProject(p.pid, nil, gl.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", p.path, err)
	}
	return pr.DefaultBranch, nil
}

// Refs lists the tags ("tags": GET /projects/:id/repository/tags) or the
// branches ("heads": GET /projects/:id/repository/branches) with their
// commits.
func (p *project) Refs(ctx context.Context, kind string) ([]release.Tag, error) {
	var out []release.Tag
	var err error
	if kind == "tags" {
		var tags []*gl.Tag
		tags, err = listPages(func(o gl.ListOptions) ([]*gl.Tag, *gl.Response, error) {
			return p.a.gl.Tags.ListTags(p.pid, &gl.ListTagsOptions{ListOptions: o}, gl.WithContext(ctx))
		})
		for _, t := range tags {
			out = append(out, release.Tag{Name: t.Name, SHA: tagSHA(t)})
		}
	} else {
		var branches []*gl.Branch
		branches, err = listPages(func(o gl.ListOptions) ([]*gl.Branch, *gl.Response, error) {
			return p.a.gl.Branches.ListBranches(p.pid, &gl.ListBranchesOptions{ListOptions: o}, gl.WithContext(ctx))
		})
		for _, b := range branches {
			if b.Commit != nil {
				out = append(out, release.Tag{Name: b.Name, SHA: b.Commit.ID})
			}
		}
	}
	return out, wrapIf(err, "listing the %s of %s", kind, p.path)
}

// tagSHA is the commit a tag points at.
func tagSHA(t *gl.Tag) string {
	if t.Commit != nil {
		return t.Commit.ID
	}
	return t.Target
}

// Compare reports whether head descends from base: nothing of base is
// missing from head (GET /projects/:id/repository/compare?from=HEAD&to=
// BASE&straight=true lists no commit); and with wantCommits, head's commits
// since base, newest first (compare from BASE to HEAD).
func (p *project) Compare(ctx context.Context, base, head string, wantCommits bool) (bool, []policies.Commit, error) {
	compare := func(from, to string) (*gl.Compare, error) {
		c, resp, err := p.a.gl.Repositories.Compare(p.pid, &gl.CompareOptions{From: gl.Ptr(from), To: gl.Ptr(to), Straight: gl.Ptr(true)}, gl.WithContext(ctx))
		if IsNotFound(resp, err) {
			return nil, nil
		}
		return c, wrapIf(err, "comparing %s with %s in %s", from, to, p.path)
	}
	back, err := compare(head, base)
	if err != nil || back == nil || len(back.Commits) > 0 {
		return false, nil, err
	}
	if !wantCommits {
		return true, nil, nil
	}
	fwd, err := compare(base, head)
	if err != nil || fwd == nil {
		return fwd != nil, nil, err
	}
	commits := make([]policies.Commit, 0, min(len(fwd.Commits), gate.MaxReleaseCommits))
	for j := len(fwd.Commits) - 1; j >= 0 && len(commits) < gate.MaxReleaseCommits; j-- { // newest first, as git log
		c := fwd.Commits[j]
		commits = append(commits, policies.Commit{SHA: c.ID, Message: c.Message, AuthorName: c.AuthorName, Time: deref(c.CommittedDate)})
	}
	return true, commits, nil
}

// Holding returns the candidates that hold sha, from GitLab's list of the
// branches holding it: GET /projects/:id/repository/commits/:sha/refs?
// type=branch.
func (p *project) Holding(ctx context.Context, sha string, candidates []release.Tag) ([]string, error) {
	refs, err := listPages(func(o gl.ListOptions) ([]*gl.CommitRef, *gl.Response, error) {
		return p.a.gl.Commits.GetCommitRefs(p.pid, sha, &gl.GetCommitRefsOptions{Type: gl.Ptr("branch"), ListOptions: o}, gl.WithContext(ctx))
	})
	if err != nil {
		return nil, fmt.Errorf("reading the branches holding %.7s in %s: %w", sha, p.path, err)
	}
	holding := map[string]bool{}
	for _, r := range refs {
		holding[r.Name] = true
	}
	var out []string
	for _, c := range candidates {
		if holding[c.Name] {
			out = append(out, c.Name)
		}
	}
	return out, nil
}

// TagCommit is the commit a tag points at: GET /projects/:id/repository/
// tags/:tag.
func (p *project) TagCommit(ctx context.Context, tag string) (string, bool, error) {
	t, resp, err := p.a.gl.Tags.GetTag(p.pid, tag, gl.WithContext(ctx))
	switch {
	case IsNotFound(resp, err):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("reading the tag %s of %s: %w", tag, p.path, err)
	}
	return tagSHA(t), true, nil
}

// CreateTag creates tag at sha: POST /projects/:id/repository/tags. A tag
// already at sha is no error; one elsewhere is.
func (p *project) CreateTag(ctx context.Context, tag, sha string) error {
	_, resp, err := p.a.gl.Tags.CreateTag(p.pid, &gl.CreateTagOptions{TagName: gl.Ptr(tag), Ref: gl.Ptr(sha)}, gl.WithContext(ctx))
	if err == nil {
		return nil
	}
	if resp == nil || resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusConflict {
		return fmt.Errorf("creating the tag %s at %.7s in %s: %w", tag, sha, p.path, err)
	}
	at, found, gerr := p.TagCommit(ctx, tag)
	switch {
	case gerr != nil:
		return gerr
	case !found:
		return fmt.Errorf("creating the tag %s at %.7s in %s: %w", tag, sha, p.path, err)
	case at != sha:
		return fmt.Errorf("creating the tag %s at %.7s in %s: the tag exists at %.7s: tag another version", tag, sha, p.path, at)
	}
	return nil
}

// PublishRelease creates the tag's release with generated notes:
// POST /projects/:id/releases. A release that exists already is kept.
func (p *project) PublishRelease(ctx context.Context, policy *policies.Policy, rel gate.Release) (string, error) {
	notes := release.BuildNotes(rel.Tag, rel.Previous, p.a.cfg.Now(), rel.Commits)
	notes.Hide(policy.NotesHideOf(rel.Tag)) // a component's tag: its notes key
	web := strings.TrimSuffix(strings.TrimSuffix(p.a.gl.BaseURL().String(), "/"), "/api/v4")
	notes.LinkChanges(web, p.path, "-/merge_requests", "!")
	body, err := templates.String(templates.Notes, any(notes))
	if err != nil {
		return "", err
	}
	page := fmt.Sprintf("%s/%s/-/releases/%s", web, p.path, rel.Tag)
	out, resp, err := p.a.gl.Releases.CreateRelease(p.pid, &gl.CreateReleaseOptions{
		TagName: gl.Ptr(rel.Tag), Name: gl.Ptr(rel.Tag), Description: gl.Ptr(body),
	}, gl.WithContext(ctx))
	switch {
	case resp != nil && resp.StatusCode == http.StatusConflict:
		zerolog.Ctx(ctx).Info().Msg("release exists already: kept")
		return page, nil
	case err != nil:
		return "", fmt.Errorf("creating the release %s of %s: %w", rel.Tag, p.path, err)
	case out.Links.Self != "":
		return out.Links.Self, nil
	}
	return page, nil
}

// TagReported is false: GitLab sends one Tag Push Hook per push (a
// redelivery carries the same delivery ID, which the queue drops), so a
// tag pushed again, after its policy was fixed or by someone else, is
// checked again.
func (p *project) TagReported(context.Context, string, string) (bool, error) { return false, nil }

// SetTagStatus sets the commit status TagStatusName on the tagged commit.
func (p *project) SetTagStatus(ctx context.Context, sha string, ok bool, description, url string) error {
	state := gl.Failed
	if ok {
		state = gl.Success
	}
	return p.setStatus(ctx, sha, TagStatusName, state, description, url)
}

var _ gate.PusherConfirmer = (*project)(nil)

// maxPushEvents bounds the push events read to find a tag's push.
const maxPushEvents = 100

// ConfirmPusher returns who pushed tag at sha as GitLab's events name them
// (GET /projects/:id/events?action=pushed, newest first), or why the push
// cannot be confirmed. The hook's user_username is only a claim: GitLab's
// webhook token is the same for every project that sends to Shipgate, so
// whoever set up one project's webhook could write a Tag Push Hook for
// another naming a Maintainer as the pusher. GitLab records the push event
// before it sends the hook.
func (p *project) ConfirmPusher(ctx context.Context, tag, sha, claimed string) (pusher, refusal string, err error) {
	evs, _, err := p.a.gl.Events.ListProjectVisibleEvents(p.pid, &gl.ListProjectVisibleEventsOptions{ListOptions: gl.ListOptions{PerPage: maxPushEvents},
		Action: gl.Ptr(gl.PushedEventType), Sort: gl.Ptr("desc")}, gl.WithContext(ctx))
	if err != nil {
		return "", "", fmt.Errorf("reading the pushes of %s: %w", p.path, err)
	}
	for _, ev := range evs {
		pd, who := ev.PushData, cmp.Or(ev.Author.Username, ev.AuthorUsername)
		if pd.RefType == "tag" && pd.Ref == tag && pd.CommitTo == sha && pd.Action == "created" && who != "" {
			if !strings.EqualFold(who, claimed) {
				zerolog.Ctx(ctx).Warn().Str("hook_user", claimed).Str("pusher", who).Msg("the Tag Push Hook names another pusher than GitLab's events: the events count")
			}
			return who, "", nil
		}
	}
	return "", fmt.Sprintf("GitLab shows no push that created %s at %.7s, so who pushed it cannot be confirmed; delete the tag and push it again",
		templates.Inert(tag), sha), nil
}

var _ gate.ChangeTracer = (*project)(nil)

// MergedChangesOf lists the merged merge requests related to commit sha
// (those whose commits hold it, and those merged or squashed as it): GET
// /projects/:id/repository/commits/:sha/merge_requests.
func (p *project) MergedChangesOf(ctx context.Context, sha string) ([]gate.MergedChange, error) {
	mrs, _, err := p.a.gl.Commits.ListMergeRequestsByCommit(p.pid, sha, gl.WithContext(ctx))
	if err != nil {
		return nil, wrapIf(err, "listing the merge requests of commit %.7s in %s", sha, p.path)
	}
	var out []gate.MergedChange
	for _, mr := range mrs {
		if mr.State == "merged" {
			out = append(out, gate.MergedChange{Number: int(mr.IID), Base: mr.TargetBranch, HeadSHA: mr.SHA})
		}
	}
	return out, nil
}
