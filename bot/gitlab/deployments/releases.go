package deployments

import (
	"context"
	"fmt"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot/gitlab"
	"github.com/shipgate/shipgate/policies"
)

// LatestRelease implements deploy.Releases: the tag of the project's
// newest release, "" when it has none (GET /projects/:id/releases, newest
// released first).
func (g *GitLab) LatestRelease(ctx context.Context, repo string) (string, error) {
	rels, _, err := g.gl.Releases.ListReleases(repo, &gl.ListReleasesOptions{ListOptions: gl.ListOptions{PerPage: 1},
		OrderBy: gl.Ptr("released_at"), Sort: gl.Ptr("desc")}, gl.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("reading the latest release of %s: %w", repo, err)
	}
	if len(rels) == 0 {
		return "", nil
	}
	return rels[0].TagName, nil
}

// ValidatedTag implements deploy.Releases: the tag's commit, and whether
// Shipgate validated the tag as a release: the newest gitlab.TagStatusName
// status for the tag on that commit that Shipgate's user posted is
// success. Anyone with Developer access can post a status of that name, so
// its author counts, and every status is read (all=true): GitLab otherwise
// shows only the newest of a name, which may be someone else's.
// GET /projects/:id/repository/tags/:tag and
// …/repository/commits/:sha/statuses?name=shipgate/tag&all=true.
func (g *GitLab) ValidatedTag(ctx context.Context, repo, tag string) (string, bool, error) {
	t, resp, err := g.gl.Tags.GetTag(repo, tag, gl.WithContext(ctx))
	switch {
	case gitlab.IsNotFound(resp, err):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("reading the tag %s of %s: %w", tag, repo, err)
	case t.Commit == nil:
		return "", false, nil
	}
	self, err := g.Self(ctx)
	if err != nil {
		return "", false, err
	}
	sha := t.Commit.ID
	statuses, _, err := g.gl.Commits.GetCommitStatuses(repo, sha, &gl.GetCommitStatusesOptions{Name: gl.Ptr(gitlab.TagStatusName), All: gl.Ptr(true),
		ListOptions: gl.ListOptions{PerPage: 100}}, gl.WithContext(ctx))
	if err != nil {
		return "", false, fmt.Errorf("reading the statuses of %.7s in %s: %w", sha, repo, err)
	}
	var newest *gl.CommitStatus
	for _, st := range statuses {
		if st.Name == gitlab.TagStatusName && strings.HasPrefix(st.Description, tag+" ") && policies.SameLogin(st.Author.Username, self) &&
			(newest == nil || st.ID > newest.ID) {
			newest = st
		}
	}
	return sha, newest != nil && newest.Status == "success", nil
}

// ResolveRef implements deploy.Releases: the commit a branch, a tag or a
// SHA names (GET /projects/:id/repository/commits/:ref).
func (g *GitLab) ResolveRef(ctx context.Context, repo, ref string) (string, bool, error) {
	c, resp, err := g.gl.Commits.GetCommit(repo, ref, nil, gl.WithContext(ctx))
	switch {
	case gitlab.IsNotFound(resp, err):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("resolving %s in %s: %w", ref, repo, err)
	}
	return c.ID, c.ID != "", nil
}
