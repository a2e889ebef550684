package gitlab

import (
	"context"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot/gate"
)

var _ gate.CommitFiler = (*project)(nil)

// CommitFiles returns the paths a commit changed, both paths of a rename,
// every page: GET /projects/:id/repository/commits/:sha/diff. A
// component's tag is judged by the commits that are its own.
func (p *project) CommitFiles(ctx context.Context, sha string) ([]string, error) {
	diffs, err := listPages(func(o gl.ListOptions) ([]*gl.Diff, *gl.Response, error) {
		return p.a.gl.Commits.GetCommitDiff(p.pid, sha, &gl.GetCommitDiffOptions{ListOptions: o}, gl.WithContext(ctx))
	})
	if err != nil {
		return nil, wrapIf(err, "reading the files of commit %s in %s", sha, p.path)
	}
	paths := make([]string, 0, len(diffs))
	for _, d := range diffs {
		paths = append(paths, d.NewPath)
		if d.OldPath != "" && d.OldPath != d.NewPath {
			paths = append(paths, d.OldPath)
		}
	}
	return paths, nil
}
