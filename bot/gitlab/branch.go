package gitlab

import (
	"context"
	"fmt"
	"net/http"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot/gate"
)

var _ gate.BranchCutter = (*project)(nil)

// CreateBranch creates branch at sha: POST
// /projects/:id/repository/branches. A branch already at sha is no error
// (a retried cut); one elsewhere is gate.ErrBranchExists, left alone.
func (p *project) CreateBranch(ctx context.Context, branch, sha string) error {
	_, resp, err := p.a.gl.Branches.CreateBranch(p.pid, &gl.CreateBranchOptions{Branch: gl.Ptr(branch), Ref: gl.Ptr(sha)}, gl.WithContext(ctx))
	if err == nil {
		return nil
	}
	if resp == nil || resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusConflict {
		return fmt.Errorf("creating the branch %s at %.7s in %s: %w", branch, sha, p.path, err)
	}
	// 400: most likely the branch exists; see where it points.
	b, resp, gerr := p.a.gl.Branches.GetBranch(p.pid, branch, gl.WithContext(ctx))
	switch {
	case IsNotFound(resp, gerr):
		return fmt.Errorf("creating the branch %s at %.7s in %s: %w", branch, sha, p.path, err)
	case gerr != nil:
		return fmt.Errorf("reading the branch %s of %s: %w", branch, p.path, gerr)
	case b.Commit == nil || b.Commit.ID != sha:
		at := ""
		if b.Commit != nil {
			at = b.Commit.ID
		}
		return fmt.Errorf("creating the branch %s at %.7s in %s: %w (%.7s)", branch, sha, p.path, gate.ErrBranchExists, at)
	}
	return nil
}
