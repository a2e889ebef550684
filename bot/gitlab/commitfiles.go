package gitlab

import (
	"context"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/policies"
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

var _ gate.CommitReader = (*project)(nil)

// CommitPatches reads the diffs of a commit's files, every page: GET
// /projects/:id/repository/commits/:sha/diff. GitLab leaves a binary or
// too large file's diff empty: then it is incomplete.
func (p *project) CommitPatches(ctx context.Context, sha string) (map[string]string, bool, error) {
	diffs, err := listPages(func(o gl.ListOptions) ([]*gl.Diff, *gl.Response, error) {
		return p.a.gl.Commits.GetCommitDiff(p.pid, sha, &gl.GetCommitDiffOptions{ListOptions: o}, gl.WithContext(ctx))
	})
	if err != nil {
		return nil, false, wrapIf(err, "reading the diff of commit %.7s in %s", sha, p.path)
	}
	out := make(map[string]string, len(diffs))
	complete := true
	for _, d := range diffs {
		complete = complete && d.Diff != ""
		out[d.NewPath] = d.Diff
	}
	return out, complete, nil
}

// ChangeCommits lists a merge request's commits, newest first.
func (p *project) ChangeCommits(ctx context.Context, number int) ([]policies.Commit, error) {
	list, err := p.mrCommits(ctx, int64(number))
	if err != nil {
		return nil, err
	}
	out := make([]policies.Commit, len(list))
	for i, c := range list {
		out[i] = policies.Commit{SHA: c.ID, Message: c.Message}
	}
	return out, nil
}

// mrCommits lists a merge request's commits, every page, newest first:
// GET /projects/:id/merge_requests/:iid/commits.
func (p *project) mrCommits(ctx context.Context, iid int64) ([]*gl.Commit, error) {
	commits, err := listPages(func(o gl.ListOptions) ([]*gl.Commit, *gl.Response, error) {
		return p.a.gl.MergeRequests.GetMergeRequestCommits(p.pid, iid, &gl.GetMergeRequestCommitsOptions{ListOptions: o}, gl.WithContext(ctx))
	})
	return commits, wrapIf(err, "reading the commits of %s", p.ref(int(iid)))
}
