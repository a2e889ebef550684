package github

import (
	"context"
	"errors"
	"fmt"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/gate"
)

var _ gate.BranchCutter = (*Session)(nil)

// CreateBranch creates branch at sha: POST /repos/{owner}/{repo}/git/refs
// (refs/heads/BRANCH). A branch already at sha is no error (a retried
// cut); one elsewhere is gate.ErrBranchExists, and is left where it is.
func (s *Session) CreateBranch(ctx context.Context, branch, sha string) error {
	ref := "refs/heads/" + branch
	_, _, err := s.gh.Git.CreateRef(ctx, s.owner, s.name, &gh.Reference{Ref: gh.String(ref), Object: &gh.GitObject{SHA: gh.String(sha)}})
	if err == nil {
		return nil
	}
	var re *gh.ErrorResponse
	if !errors.As(err, &re) || re.Response == nil || re.Response.StatusCode != 422 {
		return s.wrap(err, "creating the branch %s at %.7s in %s", branch, sha, s.repo)
	}
	// 422: most likely the branch exists; see where it points.
	got, _, gerr := s.gh.Git.GetRef(ctx, s.owner, s.name, "heads/"+branch)
	switch {
	case isNotFound(gerr):
		return s.wrap(err, "creating the branch %s at %.7s in %s", branch, sha, s.repo)
	case gerr != nil:
		return s.wrap(gerr, "reading the branch %s of %s", branch, s.repo)
	case got.GetObject().GetSHA() != sha:
		return fmt.Errorf("creating the branch %s at %.7s in %s: %w (%.7s)", branch, sha, s.repo, gate.ErrBranchExists, got.GetObject().GetSHA())
	}
	return nil
}
