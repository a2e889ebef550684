package github

import (
	"context"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/gate"
)

var _ gate.CommitFiler = (*Session)(nil)

// CommitFiles returns the paths a commit changed, both paths of a rename,
// reading every page: GET /repos/{owner}/{repo}/commits/{ref}. A
// component's tag is judged by the commits that are its own.
func (s *Session) CommitFiles(ctx context.Context, sha string) ([]string, error) {
	opts := &gh.ListOptions{PerPage: 100}
	paths := []string{}
	for {
		rc, resp, err := s.gh.Repositories.GetCommit(ctx, s.owner, s.name, sha, opts)
		if err != nil {
			return nil, s.wrap(err, "reading the files of commit %s in %s", sha, s.repo)
		}
		for _, f := range rc.Files {
			paths = append(paths, f.GetFilename())
			if prev := f.GetPreviousFilename(); prev != "" {
				paths = append(paths, prev)
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return paths, nil
		}
		opts.Page = resp.NextPage
	}
}
