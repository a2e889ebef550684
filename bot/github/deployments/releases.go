package deployments

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/shipgate/shipgate/bot/github"
)

// LatestRelease implements deploy.Releases: the tag of repo's latest
// release, "" when it has none: GET /repos/{owner}/{repo}/releases/latest.
func (g *GitHub) LatestRelease(ctx context.Context, repo string) (string, error) {
	s, err := g.app.Session(ctx, 0, repo)
	if err != nil {
		return "", err
	}
	rel, _, err := s.API().Repositories.GetLatestRelease(ctx, s.Owner(), s.Short())
	if github.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", s.Wrap(err, "reading the latest release of %s", repo)
	}
	return rel.GetTagName(), nil
}

// ValidatedTag implements deploy.Releases: the tag's commit, and whether
// Shipgate validated the tag as a release (its own successful TagContext
// status for the tag on that commit).
func (g *GitHub) ValidatedTag(ctx context.Context, repo, tag string) (string, bool, error) {
	s, err := g.app.Session(ctx, 0, repo)
	if err != nil {
		return "", false, err
	}
	sha, found, err := s.TagCommit(ctx, tag)
	if err != nil || !found {
		return "", false, err
	}
	st, err := s.TagStatus(ctx, tag, sha)
	if err != nil {
		return "", false, err
	}
	return sha, st != nil && st.GetState() == "success", nil
}

// ResolveRef implements deploy.Releases: the commit a branch, a tag or a
// SHA names: GET /repos/{owner}/{repo}/commits/{ref} (GitHub answers 404
// or 422 for a name it does not know).
func (g *GitHub) ResolveRef(ctx context.Context, repo, ref string) (string, bool, error) {
	s, err := g.app.Session(ctx, 0, repo)
	if err != nil {
		return "", false, err
	}
	req, err := s.API().NewRequest("GET", fmt.Sprintf("repos/%s/%s/commits/%s", url.PathEscape(s.Owner()), url.PathEscape(s.Short()), url.PathEscape(ref)), nil)
	if err != nil {
		return "", false, fmt.Errorf("resolving %s in %s: %w", ref, repo, err)
	}
	var c struct {
		SHA string `json:"sha"`
	}
	resp, err := s.API().Do(ctx, req, &c)
	if resp != nil && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusUnprocessableEntity) {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.Wrap(err, "resolving %s in %s", ref, repo)
	}
	return c.SHA, c.SHA != "", nil
}
