package fakegithub

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
)

// TestConformanceCatchesRequestsGitHubWouldReject sends requests GitHub
// would refuse and checks that each fails the test (recorded, not real)
// with the operation and the reason, and is still answered.
func TestConformanceCatchesRequestsGitHubWouldReject(t *testing.T) {
	requireDescription(t)
	for _, tc := range []struct {
		name       string
		method     string
		path       string
		body       any
		wantStatus int
		want       []string // substrings of the one error
	}{
		{
			name: "a check run with an invalid conclusion", method: "POST", path: "repos/acme/widgets/check-runs",
			body:       map[string]string{"name": "shipgate", "head_sha": "abc", "conclusion": "passed"},
			wantStatus: http.StatusCreated, want: []string{"checks/create", "/conclusion", "passed"},
		},
		{
			name: "a check run without head_sha", method: "POST", path: "repos/acme/widgets/check-runs",
			body:       map[string]string{"name": "shipgate"},
			wantStatus: http.StatusUnprocessableEntity, want: []string{"checks/create", "head_sha"},
		},
		{
			name: "a check run output without its summary", method: "POST", path: "repos/acme/widgets/check-runs",
			body:       map[string]any{"name": "shipgate", "head_sha": "abc", "output": map[string]string{"title": "t"}},
			wantStatus: http.StatusCreated, want: []string{"checks/create", "/output", "summary"},
		},
		{
			name: "a started_at that is not a date-time", method: "POST", path: "repos/acme/widgets/check-runs",
			body:       map[string]string{"name": "shipgate", "head_sha": "abc", "started_at": "yesterday"},
			wantStatus: http.StatusUnprocessableEntity, want: []string{"checks/create", "date-time"},
		},
		{
			name: "a commit status with an invalid state", method: "POST", path: "repos/acme/widgets/statuses/abc",
			body:       map[string]string{"state": "failed", "context": "shipgate"},
			wantStatus: http.StatusUnprocessableEntity, want: []string{"repos/create-commit-status", "/state"},
		},
		{
			name: "a pull number that is not a number", method: "GET", path: "repos/acme/widgets/pulls/abc",
			wantStatus: http.StatusNotFound, want: []string{"pulls/get", "pull_number", "not an integer"},
		},
		{
			name: "a state filter GitHub does not have", method: "GET", path: "repos/acme/widgets/pulls?state=merged",
			wantStatus: http.StatusOK, want: []string{"pulls/list", "state", "merged"},
		},
		{
			name: "a method the path does not take", method: "PUT", path: "repos/acme/widgets/pulls/1",
			wantStatus: http.StatusNotFound, want: []string{"GitHub has no PUT here", "GET /repos/{owner}/{repo}/pulls/{pull_number}"},
		},
		{
			name: "an unknown route", method: "GET", path: "repos/acme/widgets/pull/1",
			wantStatus: http.StatusNotFound, want: []string{"no operation of GitHub's REST API has this path"},
		},
		{
			name: "a comment without a body", method: "POST", path: "repos/acme/widgets/issues/1/comments",
			body:       map[string]string{"text": "hi"},
			wantStatus: http.StatusUnprocessableEntity, want: []string{"issues/create-comment", "body"},
		},
		{
			name: "a reaction GitHub does not have", method: "POST", path: "repos/acme/widgets/issues/comments/1001/reactions",
			body:       map[string]string{"content": "thumbsup"},
			wantStatus: http.StatusUnprocessableEntity, want: []string{"reactions/create-for-issue-comment", "/content"},
		},
		{
			name: "a deployment status GitHub does not have", method: "POST", path: "repos/acme/widgets/deployments/1/statuses",
			body:       map[string]string{"state": "done"},
			wantStatus: http.StatusNotFound, want: []string{"repos/create-deployment-status", "/state"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, rec := newRecorded(t)
			s.AddIssue(repo, Issue{Number: 1})
			s.AddComment(repo, 1, Comment{ID: 1001, Author: "bob", Body: "hi"})
			gh := s.Client("")
			req, err := gh.NewRequest(tc.method, tc.path, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			resp, _ := gh.Do(ctx(t), req, nil)
			if resp == nil || resp.StatusCode != tc.wantStatus {
				t.Errorf("answered %v, want %d", resp, tc.wantStatus)
			}
			errs := rec.Errors()
			if len(errs) != 1 {
				t.Fatalf("conformance errors = %q, want one", errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs[0], w) {
					t.Errorf("error %q does not mention %q", errs[0], w)
				}
			}
		})
	}
}

// TestConformanceAcceptsWhatGoGitHubSends checks that the requests the real
// client sends for every route family pass, including the bare label array
// that GitHub accepts beyond its schema.
func TestConformanceAcceptsWhatGoGitHubSends(t *testing.T) {
	requireDescription(t)
	s, rec := newRecorded(t)
	s.AddPR(repo, PR{Number: 1, Author: "alice"})
	gh := s.Client("")
	calls := []func() error{
		func() error {
			_, _, err := gh.Issues.AddLabelsToIssue(ctx(t), "acme", "widgets", 1, []string{"a", "b"})
			return err
		},
		func() error {
			_, _, err := gh.Checks.CreateCheckRun(ctx(t), "acme", "widgets", github.CreateCheckRunOptions{
				Name: "shipgate", HeadSHA: "abc", Status: github.String("completed"), Conclusion: github.String("neutral"),
				CompletedAt: &github.Timestamp{Time: DefaultTime()},
				Output:      &github.CheckRunOutput{Title: github.String("t"), Summary: github.String("s")},
			})
			return err
		},
		func() error {
			_, _, err := gh.Repositories.CreateDeployment(ctx(t), "acme", "widgets", &github.DeploymentRequest{
				Ref: github.String(s.AddCommit(repo, Commit{Message: "x"})), Payload: `{"a":1}`, Environment: github.String("staging"),
			})
			return err
		},
		func() error {
			_, _, err := gh.PullRequests.List(ctx(t), "acme", "widgets", &github.PullRequestListOptions{State: "open", Base: "main", ListOptions: github.ListOptions{PerPage: 100}})
			return err
		},
	}
	for i, call := range calls {
		if err := call(); err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if errs := rec.Errors(); len(errs) > 0 {
		t.Errorf("conformance errors: %q", errs)
	}
}

// TestEveryRouteIsAGitHubOperation checks the fake's own route table
// against GitHub's description, so it serves nothing GitHub does not.
func TestEveryRouteIsAGitHubOperation(t *testing.T) {
	api := requireDescription(t)
	for _, r := range routeTable() {
		path := strings.NewReplacer("{owner}", "acme", "{repo}", "widgets", "{path...}", "a/b.yml",
			"{ref...}", "heads/feature/x", "{sha...}", "abc", "{tag...}", "v1.0.0", "{basehead...}", "v1...main",
			"{pull_number}", "1", "{issue_number}", "1", "{comment_id}", "1", "{check_run_id}", "1",
			"{release_id}", "1", "{deployment_id}", "1", "{run_id}", "1", "{installation_id}", "1",
			"{commit_sha}", "abc", "{name}", "bug", "{username}", "alice", "{org}", "acme",
			"{team_slug}", "sre", "{workflow_id}", "deploy.yml").Replace(r.template)
		c := api.check(r.method, splitPath(path), url.Values{}, "", nil)
		if c.operation == "" {
			t.Errorf("%s: %v", r.name(), c.problems)
		}
	}
}

func TestWithoutTheDescriptionConformanceIsOffAndSaysSo(t *testing.T) {
	t.Setenv("SHIPGATE_FIXTURES", t.TempDir())
	t.Setenv("SHIPGATE_REQUIRE_FIXTURES", "")
	path, err := findDescription()
	if path != "" || err != nil {
		t.Fatalf("findDescription() = %q, %v; want nothing", path, err)
	}
	s, rec := newRecorded(t, WithoutConformance())
	s.useDescription(nil, nil)
	if len(rec.logs) != 1 || !strings.Contains(rec.logs[0], "conformance checking is off") {
		t.Errorf("logs = %q", rec.logs)
	}
	req, _ := s.Client("").NewRequest("POST", "repos/acme/widgets/check-runs", map[string]string{"name": "x", "head_sha": "y", "conclusion": "nope"})
	_, _ = s.Client("").Do(ctx(t), req, nil)
	if errs := rec.Errors(); len(errs) > 0 {
		t.Errorf("errors with conformance off: %q", errs)
	}
}

func TestFindDescriptionBesideTheModule(t *testing.T) {
	t.Setenv("SHIPGATE_FIXTURES", "")
	path, err := findDescription()
	if err != nil {
		t.Fatal(err)
	}
	if path == "" {
		t.Skip("no ../shared/fixtures beside the module")
	}
	if !strings.HasSuffix(filepath.ToSlash(path), "shared/fixtures/github/openapi/api.github.com.json") {
		t.Errorf("path = %s", path)
	}
}

func BenchmarkConformanceCheck(b *testing.B) {
	api := requireDescription(b)
	type request struct {
		method, path, query string
		body                []byte
	}
	requests := []request{
		{"GET", "/repos/acme/widgets/pulls/42", "", nil},
		{"GET", "/repos/acme/widgets/commits/feature/x/check-runs", "per_page=100", nil},
		{"GET", "/repos/acme/widgets/contents/.shipgate.yml", "ref=0123456789abcdef0123456789abcdef01234567", nil},
		{"POST", "/repos/acme/widgets/check-runs", "", []byte(`{"name":"shipgate","head_sha":"abc","status":"completed","conclusion":"failure","output":{"title":"1 rule failing","summary":"approvals: 1 of 2"}}`)},
		{"PATCH", "/repos/acme/widgets/issues/comments/1001", "", []byte(`{"body":"<!-- shipgate:summary -->\nall rules pass"}`)},
	}
	type prepared struct {
		method string
		segs   []string
		query  url.Values
		body   []byte
	}
	var ps []prepared
	for _, r := range requests {
		q, _ := url.ParseQuery(r.query)
		ps = append(ps, prepared{r.method, splitPath(r.path), q, r.body})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := ps[i%len(ps)]
		if c := api.check(p.method, p.segs, p.query, "application/json", p.body); len(c.problems) > 0 {
			b.Fatal(c.problems)
		}
	}
}
