package github

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/shipgate/shipgate/bot/deploy"
)

var _ deploy.Releases = (*App)(nil)

// LatestRelease implements deploy.Releases: the tag of repo's latest
// release, "" when it has none: GET /repos/{owner}/{repo}/releases/latest.
func (a *App) LatestRelease(ctx context.Context, repo string) (string, error) {
	s, err := a.Session(ctx, 0, repo)
	if err != nil {
		return "", err
	}
	rel, _, err := s.gh.Repositories.GetLatestRelease(ctx, s.owner, s.name)
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", s.wrap(err, "reading the latest release of %s", repo)
	}
	return rel.GetTagName(), nil
}

// ValidatedTag implements deploy.Releases: the tag's commit, and whether
// Shipgate validated the tag as a release (its own successful TagContext
// status for the tag on that commit).
func (a *App) ValidatedTag(ctx context.Context, repo, tag string) (string, bool, error) {
	s, err := a.Session(ctx, 0, repo)
	if err != nil {
		return "", false, err
	}
	sha, found, err := (&Releases{s: s}).tagCommit(ctx, tag)
	if err != nil || !found {
		return "", false, err
	}
	st, err := s.tagStatus(ctx, tag, sha)
	if err != nil {
		return "", false, err
	}
	return sha, st != nil && st.GetState() == "success", nil
}

// ResolveRef implements deploy.Releases: the commit a branch, a tag or a
// SHA names: GET /repos/{owner}/{repo}/commits/{ref} (GitHub answers 404
// or 422 for a name it does not know).
func (a *App) ResolveRef(ctx context.Context, repo, ref string) (string, bool, error) {
	s, err := a.Session(ctx, 0, repo)
	if err != nil {
		return "", false, err
	}
	req, err := s.gh.NewRequest("GET", fmt.Sprintf("repos/%s/%s/commits/%s", url.PathEscape(s.owner), url.PathEscape(s.name), url.PathEscape(ref)), nil)
	if err != nil {
		return "", false, fmt.Errorf("resolving %s in %s: %w", ref, repo, err)
	}
	var c struct {
		SHA string `json:"sha"`
	}
	resp, err := s.gh.Do(ctx, req, &c)
	if resp != nil && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusUnprocessableEntity) {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.wrap(err, "resolving %s in %s", ref, repo)
	}
	return c.SHA, c.SHA != "", nil
}
