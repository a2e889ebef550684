package github

import (
	"context"

	gh "github.com/google/go-github/v62/github"
)

// EditNotes rewrites the notes of tag's published release with edit,
// and saves them only when they change: GET
// /repos/{owner}/{repo}/releases/tags/{tag}, then PATCH
// /repos/{owner}/{repo}/releases/{release_id}. found is false, and nothing
// is written, when the tag has no published release.
func (r *Releases) EditNotes(ctx context.Context, tag string, edit func(body string) string) (found bool, err error) {
	s := r.s
	rel, _, err := s.gh.Repositories.GetReleaseByTag(ctx, s.owner, s.name, tag)
	switch {
	case isNotFound(err):
		return false, nil
	case err != nil:
		return false, s.wrap(err, "reading the release of %s in %s", tag, s.repo)
	}
	body := edit(rel.GetBody())
	if body == rel.GetBody() {
		return true, nil
	}
	if _, _, err := s.gh.Repositories.EditRelease(ctx, s.owner, s.name, rel.GetID(), &gh.RepositoryRelease{Body: gh.String(body)}); err != nil {
		return true, s.wrap(err, "editing the notes of the release of %s in %s", tag, s.repo)
	}
	return true, nil
}
