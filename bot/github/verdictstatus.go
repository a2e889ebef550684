package github

import (
	"context"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
)

// PublishVerdictStatus posts a verdict as the commit status
// `shipgate: <base>` (review.CheckName) on sha: POST
// /repos/{owner}/{repo}/statuses/{sha}. The Action reports through it,
// because the check run of a workflow job started by a review, a comment
// or a merge group is not attached to the commit the verdict is about.
//
// conclusion maps onto the status's state: success and pending as they
// are, anything else failure (fail closed). description is cut to the 140
// characters GitHub allows; targetURL may be empty.
func (a *App) PublishVerdictStatus(ctx context.Context, repo, sha, base string, conclusion policies.Conclusion, description, targetURL string) error {
	s, err := a.Session(ctx, 0, repo)
	if err != nil {
		return err
	}
	name := review.CheckName(base)
	status := &gh.RepoStatus{
		State: gh.String(statusState(conclusion)), Context: gh.String(name), Description: gh.String(statusDescription(description)),
	}
	if targetURL != "" {
		status.TargetURL = gh.String(targetURL)
	}
	if _, _, err := s.gh.Repositories.CreateStatus(ctx, s.owner, s.name, sha, status); err != nil {
		return s.wrap(err, "writing the commit status %q on %.7s in %s", name, sha, s.repo)
	}
	return nil
}

// statusState is the commit status state of a conclusion. A status has
// no neutral: what is neither success nor pending is a failure.
func statusState(c policies.Conclusion) string {
	switch c {
	case policies.Success:
		return "success"
	case policies.Pending:
		return "pending"
	}
	return "failure"
}
