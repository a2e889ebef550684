package deployments

import (
	"context"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/github"
)

var _ deploy.ReleaseNotes = (*GitHub)(nil)

// ReleaseNotes implements deploy.ReleaseNotes: the body of the release of
// tag (GET /repos/{owner}/{repo}/releases/tags/{tag}); found is false when
// the tag has no release.
func (g *GitHub) ReleaseNotes(ctx context.Context, repo, tag string) (string, bool, error) {
	s, err := g.app.Session(ctx, 0, repo)
	if err != nil {
		return "", false, err
	}
	rel, _, err := s.API().Repositories.GetReleaseByTag(ctx, s.Owner(), s.Short(), tag)
	if github.IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.Wrap(err, "reading the release %s of %s", tag, repo)
	}
	return rel.GetBody(), true, nil
}
