package github

import "github.com/shipgate/shipgate/bot/hostapi"

// apiRoutes are the templates of the REST operations the adapter calls,
// for the metrics labels.
func apiRoutes() [][]string {
	return hostapi.SplitRoutes(
		"/app",
		"/app/installations",
		"/app/installations/{installation_id}/access_tokens",
		"/installation/repositories",
		"/user",
		"/orgs/{org}/teams/{team_slug}/members",
		"/repos/{owner}/{repo}/installation",
		"/repos/{owner}/{repo}/contents/{path...}",
		"/repos/{owner}/{repo}/pulls",
		"/repos/{owner}/{repo}/pulls/{pull_number}",
		"/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
		"/repos/{owner}/{repo}/pulls/{pull_number}/files",
		"/repos/{owner}/{repo}/pulls/{pull_number}/commits",
		"/repos/{owner}/{repo}/issues/{issue_number}/comments",
		"/repos/{owner}/{repo}/issues/{issue_number}/labels",
		"/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
		"/repos/{owner}/{repo}/issues/comments/{comment_id}",
		"/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
		"/repos/{owner}/{repo}/check-runs",
		"/repos/{owner}/{repo}/check-runs/{check_run_id}",
		"/repos/{owner}/{repo}/commits/{ref...}/check-runs",
		"/repos/{owner}/{repo}/commits/{ref...}/statuses",
		"/repos/{owner}/{repo}/collaborators/{username}/permission",
	)
}
