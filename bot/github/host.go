package github

import (
	"context"
	"strings"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/policies"
)

var _ gate.Host = (*App)(nil)

// Name is the host the adapter serves.
func (a *App) Name() policies.Host { return policies.GitHub }

// Repo opens a session on repo ("owner/name") with the client of the App
// installation scope (0: found from the repository).
func (a *App) Repo(ctx context.Context, repo string, scope int64) (gate.Repo, error) {
	return a.Session(ctx, scope, repo)
}

// Classify maps GitHub's errors onto the worker's retry policy (classify).
func (a *App) Classify(err error) error { return classify(err, a.cfg.Now()) }

// CommentLimit is the longest comment body GitHub takes.
func (a *App) CommentLimit() int { return maxCommentBody }

// VerdictHoldsReport is true: a check run shows the whole report.
func (a *App) VerdictHoldsReport() bool { return true }

// ReviewState is the state of a review after a review event's action: a
// dismissed review counts as dismissed whatever the payload's state.
func ReviewState(state, action string) policies.ReviewState {
	if action == "dismissed" {
		return policies.ReviewDismissed
	}
	return policies.ReviewState(strings.ToUpper(state))
}
