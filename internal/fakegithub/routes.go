package fakegithub

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

type authKind int

const (
	authToken authKind = iota // token auth, when the fake has a token or an App
	authJWT                   // the App's JWT, always
)

// route is one endpoint the fake serves. Templates are GitHub's, with
// "{name...}" for a parameter that may span segments.
type route struct {
	method   string
	template string
	auth     authKind
	handle   func(*call)
}

func (r *route) name() string { return r.method + " " + r.template }

// routeTable lists every endpoint the fake serves, by family.
func routeTable() []*route {
	return []*route{
		// Repositories and contents.
		{"GET", "/repos/{owner}/{repo}", authToken, getRepo},
		{"GET", "/repos/{owner}/{repo}/contents/{path...}", authToken, getContents},

		// Pull requests.
		{"GET", "/repos/{owner}/{repo}/pulls", authToken, listPulls},
		{"GET", "/repos/{owner}/{repo}/pulls/{pull_number}", authToken, getPull},
		{"GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", authToken, listReviews},
		{"GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files", authToken, listPullFiles},
		{"GET", "/repos/{owner}/{repo}/pulls/{pull_number}/commits", authToken, listPullCommits},
		{"GET", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls", authToken, listPullsWithCommit},

		// Issues: comments, reactions, labels.
		{"GET", "/repos/{owner}/{repo}/issues/{issue_number}", authToken, getIssue},
		{"GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments", authToken, listComments},
		{"GET", "/repos/{owner}/{repo}/issues/{issue_number}/events", authToken, listIssueEvents},
		{"POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", authToken, createComment},
		{"PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", authToken, editComment},
		{"POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", authToken, createReaction},
		{"POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", authToken, addLabels},
		{"DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", authToken, removeLabel},

		// Checks and statuses.
		{"POST", "/repos/{owner}/{repo}/check-runs", authToken, createCheckRun},
		{"PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", authToken, updateCheckRun},
		{"GET", "/repos/{owner}/{repo}/commits/{ref...}/check-runs", authToken, listCheckRuns},
		{"GET", "/repos/{owner}/{repo}/commits/{ref...}/statuses", authToken, listStatuses},
		{"POST", "/repos/{owner}/{repo}/statuses/{sha...}", authToken, createStatus},

		// People: who the credentials are, profiles, permissions and teams.
		{"GET", "/user", authToken, getAuthenticatedUser},
		{"GET", "/users/{username}", authToken, getUser},
		{"GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", authToken, getPermission},
		{"GET", "/orgs/{org}/teams/{team_slug}/memberships/{username}", authToken, getTeamMembership},
		{"GET", "/orgs/{org}/teams/{team_slug}/members", authToken, listTeamMembers},

		// App authentication.
		{"GET", "/app", authJWT, getApp},
		{"POST", "/app/installations/{installation_id}/access_tokens", authJWT, createInstallationToken},
		{"GET", "/repos/{owner}/{repo}/installation", authJWT, getRepoInstallation},

		// Git data, tags, releases, comparisons.
		{"GET", "/repos/{owner}/{repo}/git/ref/{ref...}", authToken, getRef},
		{"GET", "/repos/{owner}/{repo}/git/matching-refs/{ref...}", authToken, listMatchingRefs},
		{"POST", "/repos/{owner}/{repo}/git/refs", authToken, createRef},
		{"POST", "/repos/{owner}/{repo}/git/tags", authToken, createTagObject},
		{"PATCH", "/repos/{owner}/{repo}/git/refs/{ref...}", authToken, updateRef},
		{"POST", "/repos/{owner}/{repo}/git/blobs", authToken, createBlob},
		{"POST", "/repos/{owner}/{repo}/git/trees", authToken, createTree},
		{"GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}", authToken, getTree},
		{"POST", "/repos/{owner}/{repo}/pulls", authToken, createPull},
		{"POST", "/repos/{owner}/{repo}/issues/{issue_number}/assignees", authToken, addAssignees},
		{"GET", "/repos/{owner}/{repo}/git/commits/{commit_sha}", authToken, getGitCommit},
		{"POST", "/repos/{owner}/{repo}/git/commits", authToken, createGitCommit},
		{"GET", "/repos/{owner}/{repo}/tags", authToken, listTags},
		{"GET", "/repos/{owner}/{repo}/releases", authToken, listReleases},
		{"GET", "/repos/{owner}/{repo}/releases/latest", authToken, getLatestRelease},
		{"GET", "/repos/{owner}/{repo}/releases/tags/{tag...}", authToken, getReleaseByTag},
		{"POST", "/repos/{owner}/{repo}/releases", authToken, createRelease},
		{"PATCH", "/repos/{owner}/{repo}/releases/{release_id}", authToken, updateRelease},
		{"GET", "/repos/{owner}/{repo}/compare/{basehead...}", authToken, compareCommits},
		{"GET", "/repos/{owner}/{repo}/commits", authToken, listCommits},
		{"GET", "/repos/{owner}/{repo}/commits/{ref}", authToken, getCommit},

		// Deployments and Actions.
		{"POST", "/repos/{owner}/{repo}/deployments", authToken, createDeployment},
		{"GET", "/repos/{owner}/{repo}/deployments", authToken, listDeployments},
		{"GET", "/repos/{owner}/{repo}/deployments/{deployment_id}", authToken, getDeployment},
		{"POST", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", authToken, createDeploymentStatus},
		{"GET", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", authToken, listDeploymentStatuses},
		{"POST", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", authToken, dispatchWorkflow},
		{"GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs", authToken, listWorkflowRuns},
		{"GET", "/repos/{owner}/{repo}/actions/runs", authToken, listWorkflowRuns},
		{"GET", "/repos/{owner}/{repo}/actions/runs/{run_id}", authToken, getWorkflowRun},
		{"POST", "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule", authToken, reviewProtectionRule},
	}
}

// paginate returns the page of items the request asks for (per_page,
// default 30, at most 100; page from 1) and sets GitHub's Link header.
func paginate[T any](c *call, items []T) []T {
	perPage, page := 30, 1
	if n, err := strconv.Atoi(c.query.Get("per_page")); err == nil && n > 0 {
		perPage = min(n, 100)
	}
	if n, err := strconv.Atoi(c.query.Get("page")); err == nil && n > 0 {
		page = n
	}
	last := max(1, int(math.Ceil(float64(len(items))/float64(perPage))))
	link := func(p int, rel string) string {
		q := url.Values{}
		for k, v := range c.query {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(p))
		u := url.URL{Scheme: "http", Host: c.r.Host, RawPath: c.r.URL.EscapedPath(), Path: c.r.URL.Path, RawQuery: q.Encode()}
		return fmt.Sprintf(`<%s>; rel="%s"`, u.String(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(min(page-1, last), "prev"))
	}
	if len(links) > 0 {
		c.header.Set("Link", strings.Join(links, ", "))
	}
	start := (page - 1) * perPage
	if start >= len(items) {
		return []T{}
	}
	return items[start:min(start+perPage, len(items))]
}

// Rendering helpers: go-github's types give GitHub's field names.

func ptr[T any](v T) *T { return &v }

// optional returns nil for the zero value, so it is left out of the JSON.
func optional[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func stamp(t time.Time) *github.Timestamp {
	if t.IsZero() {
		return nil
	}
	return &github.Timestamp{Time: t}
}

func (c *call) user(login string) *github.User {
	if login == "" {
		return nil
	}
	kind := "User"
	if strings.HasSuffix(login, "[bot]") {
		kind = "Bot"
	}
	return &github.User{
		Login:   ptr(login),
		ID:      ptr(userID(login)),
		NodeID:  ptr(fmt.Sprintf("U_%d", userID(login))),
		Type:    ptr(kind),
		URL:     ptr(c.apiURL("users/%s", url.PathEscape(login))),
		HTMLURL: ptr(c.s.srv.URL + "/" + url.PathEscape(login)),
	}
}

func (c *call) repository(r *repoState) *github.Repository {
	visibility := "public"
	if r.Private {
		visibility = "private"
	}
	return &github.Repository{
		ID:            ptr(r.ID),
		NodeID:        ptr(fmt.Sprintf("R_%d", r.ID)),
		Name:          ptr(r.name),
		FullName:      ptr(r.FullName),
		Owner:         c.user(r.owner),
		Private:       ptr(r.Private),
		Visibility:    ptr(visibility),
		DefaultBranch: ptr(r.DefaultBranch),
		URL:           ptr(c.apiURL("repos/%s", r.FullName)),
		HTMLURL:       ptr(c.s.srv.URL + "/" + r.FullName),
		CloneURL:      ptr(c.s.srv.URL + "/" + r.FullName + ".git"),
	}
}
