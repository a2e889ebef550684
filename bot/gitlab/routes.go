package gitlab

import "github.com/shipgate/shipgate/bot/hostapi"

// apiRoutes are the templates of the REST operations the adapter calls,
// for the metrics labels.
func apiRoutes() [][]string {
	return hostapi.SplitRoutes(
		"/user",
		"/groups/{id}/members/all",
		"/projects/{id}",
		"/projects/{id}/members/all",
		"/projects/{id}/merge_requests",
		"/projects/{id}/merge_requests/{iid}",
		"/projects/{id}/merge_requests/{iid}/approvals",
		"/projects/{id}/merge_requests/{iid}/commits",
		"/projects/{id}/merge_requests/{iid}/diffs",
		"/projects/{id}/merge_requests/{iid}/notes",
		"/projects/{id}/merge_requests/{iid}/notes/{note_id}",
		"/projects/{id}/merge_requests/{iid}/notes/{note_id}/award_emoji",
		"/projects/{id}/merge_requests/{iid}/resource_label_events",
		"/projects/{id}/repository/files/{path}/raw",
		"/projects/{id}/repository/branches",
		"/projects/{id}/repository/tags",
		"/projects/{id}/repository/tags/{tag}",
		"/projects/{id}/repository/compare",
		"/projects/{id}/repository/commits/{sha}/diff",
		"/projects/{id}/repository/commits/{sha}/refs",
		"/projects/{id}/repository/commits/{sha}/statuses",
		"/projects/{id}/statuses/{sha}",
		"/projects/{id}/releases",
		"/projects/{id}/pipeline",
		"/projects/{id}/pipelines/{pipeline_id}",
	)
}
