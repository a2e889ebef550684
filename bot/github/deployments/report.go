package deployments

import (
	"context"

	"github.com/shipgate/shipgate/bot/report"
	"github.com/shipgate/shipgate/policies"
)

var _ report.Host = (*GitHub)(nil)

// ReleaseCommits implements report.Host: tag's commits since previous
// (GET /repos/{owner}/{repo}/compare/{previous}...{tag}), each with the
// merged PR that brought it (Releases.PullRequestNotes). A first release
// (no previous) lists none: its history is the repository's.
func (g *GitHub) ReleaseCommits(ctx context.Context, repo, previous, tag string) ([]policies.Commit, error) {
	if previous == "" {
		return nil, nil
	}
	s, err := g.app.Session(ctx, 0, repo)
	if err != nil {
		return nil, err
	}
	_, commits, err := s.Compare(ctx, previous, tag, true)
	if err != nil || len(commits) == 0 {
		return nil, err
	}
	r, err := g.app.Releases(ctx, repo)
	if err != nil {
		return nil, err
	}
	commits, _, err = r.PullRequestNotes(ctx, nil, commits, g.app.Now())
	return commits, err
}

// AttachReport implements report.Host: the report becomes a section of
// the release's notes, replaced in place.
func (g *GitHub) AttachReport(ctx context.Context, repo, tag, section string) (bool, error) {
	r, err := g.app.Releases(ctx, repo)
	if err != nil {
		return false, err
	}
	return r.EditNotes(ctx, tag, func(body string) string { return report.WithSection(body, section) })
}
