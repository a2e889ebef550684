package fakegithub

import (
	"encoding/json"
	"errors"

	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
)

const repo = "acme/widgets"

func TestBaseURLIsNotTheRoot(t *testing.T) {
	s := New(t)
	if !strings.HasSuffix(s.URL(), "/api/v3/") {
		t.Fatalf("URL() = %s, want a /api/v3/ base", s.URL())
	}
	equal(t, "client base", s.Client("").BaseURL.String(), s.URL())
}

func TestReposAndContents(t *testing.T) {
	s := New(t)
	s.AddRepo(Repo{FullName: repo, DefaultBranch: "trunk", Private: true})
	s.SetBranch(repo, "trunk", "1111111111111111111111111111111111111111")
	s.SetFile(repo, "trunk", ".shipgate.yml", "version: 1\n")
	s.SetFile(repo, "trunk", ".changes/a.md", "Added a.")
	s.SetFile(repo, "trunk", ".changes/b.md", "Added b.")
	s.SetFile(repo, "feature", ".shipgate.yml", "version: 2\n")
	gh := s.Client("")

	r := got(gh.Repositories.Get(ctx(t), "acme", "widgets")).must(t)
	equal(t, "full name", r.GetFullName(), repo)
	equal(t, "default branch", r.GetDefaultBranch(), "trunk")
	equal(t, "private", r.GetPrivate(), true)

	// The base branch's file, read at the SHA the branch points to.
	f, _, _, err := gh.Repositories.GetContents(ctx(t), "acme", "widgets", ".shipgate.yml",
		&github.RepositoryContentGetOptions{Ref: "1111111111111111111111111111111111111111"})
	if err != nil {
		t.Fatal(err)
	}
	content, err := f.GetContent()
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "content at the base SHA", content, "version: 1\n")
	equal(t, "encoding", f.GetEncoding(), "base64")

	// The default branch when no ref is given; another ref has its own.
	f, _, _, _ = gh.Repositories.GetContents(ctx(t), "acme", "widgets", ".shipgate.yml", nil)
	content, _ = f.GetContent()
	equal(t, "content on the default branch", content, "version: 1\n")
	f, _, _, _ = gh.Repositories.GetContents(ctx(t), "acme", "widgets", ".shipgate.yml", &github.RepositoryContentGetOptions{Ref: "feature"})
	content, _ = f.GetContent()
	equal(t, "content on feature", content, "version: 2\n")

	_, dir, _, err := gh.Repositories.GetContents(ctx(t), "acme", "widgets", ".changes", nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dir {
		names = append(names, d.GetPath())
	}
	equal(t, "folder listing", names, []string{".changes/a.md", ".changes/b.md"})

	_, _, resp, err := gh.Repositories.GetContents(ctx(t), "acme", "widgets", "absent.yml", nil)
	if err == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("absent file: %v, want 404", err)
	}
	if _, resp, err := gh.Repositories.Get(ctx(t), "acme", "nothing"); err == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("absent repo: %v, want 404", err)
	}
	if u := s.Unexpected(); len(u) != 0 {
		t.Fatalf("unexpected requests: %v", u)
	}
}

func TestPulls(t *testing.T) {
	s := New(t)
	s.AddPR(repo, PR{Number: 42, Title: "feat: widgets", Body: "CHG-1", Author: "alice", Base: "main", Head: "feature/w", Labels: []string{"semver:minor"}})
	s.AddPR(repo, PR{Number: 43, Title: "fix: release", Author: "bob", Base: "release/1.x"})
	s.AddPR(repo, PR{Number: 41, Title: "old", Author: "bob", State: "closed", Merged: true, MergeCommitSHA: "feedfeedfeedfeedfeedfeedfeedfeedfeedfeed"})
	s.SetPRCommits(repo, 42, []Commit{{Message: "feat: one", Author: "alice"}, {Message: "feat: two", Author: "alice"}})
	s.SetPRFiles(repo, 42, []File{{Filename: "db/migrations/1.sql", Status: "added", Additions: 3}, {Filename: "README.md", Deletions: 1}})
	s.AddReview(repo, 42, Review{Author: "carol", State: "APPROVED"})
	gh := s.Client("")

	pr := got(gh.PullRequests.Get(ctx(t), "acme", "widgets", 42)).must(t)
	equal(t, "title", pr.GetTitle(), "feat: widgets")
	equal(t, "author", pr.GetUser().GetLogin(), "alice")
	equal(t, "head ref", pr.GetHead().GetRef(), "feature/w")
	equal(t, "labels", pr.Labels[0].GetName(), "semver:minor")
	equal(t, "changed files", pr.GetChangedFiles(), 2)
	head := pr.GetHead().GetSHA()

	open := got(gh.PullRequests.List(ctx(t), "acme", "widgets", &github.PullRequestListOptions{State: "open", Base: "main"})).must(t)
	if len(open) != 1 || open[0].GetNumber() != 42 {
		t.Fatalf("open PRs into main = %d, want #42 only", len(open))
	}
	all := got(gh.PullRequests.List(ctx(t), "acme", "widgets", &github.PullRequestListOptions{State: "all"})).must(t)
	equal(t, "all PRs", len(all), 3)

	reviews := got(gh.PullRequests.ListReviews(ctx(t), "acme", "widgets", 42, nil)).must(t)
	equal(t, "review state", reviews[0].GetState(), "APPROVED")
	equal(t, "review SHA", reviews[0].GetCommitID(), head)

	files := got(gh.PullRequests.ListFiles(ctx(t), "acme", "widgets", 42, nil)).must(t)
	equal(t, "file statuses", []string{files[0].GetStatus(), files[1].GetStatus()}, []string{"added", "modified"})

	commits := got(gh.PullRequests.ListCommits(ctx(t), "acme", "widgets", 42, nil)).must(t)
	equal(t, "commit messages", []string{commits[0].GetCommit().GetMessage(), commits[1].GetCommit().GetMessage()}, []string{"feat: one", "feat: two"})
	equal(t, "head is the last commit", commits[1].GetSHA(), head)

	with := got(gh.PullRequests.ListPullRequestsWithCommit(ctx(t), "acme", "widgets", commits[0].GetSHA(), nil)).must(t)
	if len(with) != 1 || with[0].GetNumber() != 42 {
		t.Fatalf("PRs with the first commit: %d", len(with))
	}
	merged := got(gh.PullRequests.ListPullRequestsWithCommit(ctx(t), "acme", "widgets", "feedfeedfeedfeedfeedfeedfeedfeedfeedfeed", nil)).must(t)
	if len(merged) != 1 || merged[0].GetNumber() != 41 {
		t.Fatalf("PRs merged as the commit: %d", len(merged))
	}
	if _, resp, err := gh.PullRequests.Get(ctx(t), "acme", "widgets", 7); err == nil || resp.StatusCode != 404 {
		t.Fatalf("absent PR: %v", err)
	}
}

func TestIssueCommentsReactionsAndLabels(t *testing.T) {
	s := New(t)
	s.AddPR(repo, PR{Number: 42, Author: "alice", Labels: []string{"do-not-merge/hold"}})
	id := s.AddComment(repo, 42, Comment{Author: "bob", Body: "/hold cancel"})
	gh := s.Client("")

	comments := got(gh.Issues.ListComments(ctx(t), "acme", "widgets", 42, nil)).must(t)
	equal(t, "comment", comments[0].GetBody(), "/hold cancel")
	equal(t, "comment id", comments[0].GetID(), id)

	c := got(gh.Issues.CreateComment(ctx(t), "acme", "widgets", 42, &github.IssueComment{Body: github.String("<!-- shipgate:summary -->\nfailing")})).must(t)
	equal(t, "author of the bot's comment", c.GetUser().GetLogin(), "shipgate[bot]")
	got(gh.Issues.EditComment(ctx(t), "acme", "widgets", c.GetID(), &github.IssueComment{Body: github.String("<!-- shipgate:summary -->\npassing")})).must(t)
	rc, resp, err := gh.Reactions.CreateIssueCommentReaction(ctx(t), "acme", "widgets", id, "+1")
	if err != nil || resp.StatusCode != http.StatusCreated || rc.GetContent() != "+1" {
		t.Fatalf("reaction: %v %v", resp.StatusCode, err)
	}
	if _, resp, _ := gh.Reactions.CreateIssueCommentReaction(ctx(t), "acme", "widgets", id, "+1"); resp.StatusCode != http.StatusOK {
		t.Fatalf("repeated reaction answered %d, want 200", resp.StatusCode)
	}

	got(gh.Issues.AddLabelsToIssue(ctx(t), "acme", "widgets", 42, []string{"semver:minor"})).must(t)
	// go-github v62 does not escape the label: a name with a slash must be
	// escaped by the caller, or GitHub (and the fake) answer 404.
	if _, err := gh.Issues.RemoveLabelForIssue(ctx(t), "acme", "widgets", 42, url.PathEscape("do-not-merge/hold")); err != nil {
		t.Fatal(err)
	}
	if resp, err := gh.Issues.RemoveLabelForIssue(ctx(t), "acme", "widgets", 42, "absent"); err == nil || resp.StatusCode != 404 {
		t.Fatalf("removing an absent label: %v", err)
	}

	equal(t, "comments created", s.CommentsCreated(), []string{"acme/widgets#42:<!-- shipgate:summary -->\nfailing"})
	equal(t, "comments edited", s.CommentsEdited(), []string{"acme/widgets#42:<!-- shipgate:summary -->\npassing"})
	equal(t, "reactions", s.Reactions(), []string{"acme/widgets#42:comment-" + itoa(id) + ":+1"})
	equal(t, "labels added", s.LabelsAdded(), []string{"acme/widgets#42:semver:minor"})
	equal(t, "labels removed", s.LabelsRemoved(), []string{"acme/widgets#42:do-not-merge/hold"})
	equal(t, "labels now", s.Labels(repo, 42), []string{"semver:minor"})
	s.UpdatePR(repo, 42, func(pr *PR) { pr.Title = "edited" })
	now, _ := s.PullRequest(repo, 42)
	equal(t, "an update keeps the labels API calls set", []any{now.Title, now.Labels}, []any{"edited", []string{"semver:minor"}})
	equal(t, "sticky comment now", s.Comments(repo, 42)[1].Body, "<!-- shipgate:summary -->\npassing")
	equal(t, "reactions now", s.Comments(repo, 42)[0].Reactions, []string{"shipgate[bot]:+1"})
	// The label with a slash was one escaped segment, as GitHub wants.
	if !contains(pathsOf(s.Requests()), "/labels/do-not-merge%2Fhold") {
		t.Errorf("requests: %v", pathsOf(s.Requests()))
	}
}

func TestChecksAndStatuses(t *testing.T) {
	s := New(t)
	sha := "abcdefabcdefabcdefabcdefabcdefabcdefabcd"
	s.SetBranch(repo, "feature/x", sha)
	s.AddCheckRun(repo, CheckRun{HeadSHA: sha, Name: "build", Conclusion: "success"})
	gh := s.Client("")

	cr := got(gh.Checks.CreateCheckRun(ctx(t), "acme", "widgets", github.CreateCheckRunOptions{
		Name: "shipgate", HeadSHA: sha, Status: github.String("in_progress"),
		Output: &github.CheckRunOutput{Title: github.String("Evaluating"), Summary: github.String("…")},
	})).must(t)
	equal(t, "status", cr.GetStatus(), "in_progress")
	cr = got(gh.Checks.UpdateCheckRun(ctx(t), "acme", "widgets", cr.GetID(), github.UpdateCheckRunOptions{
		Name: "shipgate", Conclusion: github.String("failure"),
		Output: &github.CheckRunOutput{Title: github.String("1 rule failing"), Summary: github.String("approvals"),
			Annotations: []*github.CheckRunAnnotation{{Path: github.String(".shipgate.yml"), StartLine: github.Int(3), EndLine: github.Int(3),
				AnnotationLevel: github.String("failure"), Message: github.String("bad key")}}},
	})).must(t)
	equal(t, "completed by a conclusion", cr.GetStatus(), "completed")

	// A branch name with a slash spans segments of .../commits/{ref}/check-runs.
	list := got(gh.Checks.ListCheckRunsForRef(ctx(t), "acme", "widgets", "feature/x", nil)).must(t)
	equal(t, "runs on the branch", list.GetTotal(), 2)
	runs := s.CheckRuns(repo, sha)
	equal(t, "recorded run", []string{runs[1].Name, runs[1].Conclusion, runs[1].Title, runs[1].Annotations[0].Message},
		[]string{"shipgate", "failure", "1 rule failing", "bad key"})

	got(gh.Repositories.CreateStatus(ctx(t), "acme", "widgets", sha, &github.RepoStatus{State: github.String("pending"), Context: github.String("shipgate")})).must(t)
	got(gh.Repositories.CreateStatus(ctx(t), "acme", "widgets", sha, &github.RepoStatus{State: github.String("success"), Context: github.String("shipgate")})).must(t)
	statuses := got(gh.Repositories.ListStatuses(ctx(t), "acme", "widgets", "feature/x", nil)).must(t)
	equal(t, "newest status first", statuses[0].GetState(), "success")
	equal(t, "statuses created", s.StatusesCreated(), []string{
		"acme/widgets@" + sha + ":shipgate=pending", "acme/widgets@" + sha + ":shipgate=success",
	})
}

func TestPermissionsUseTheOldFourLevels(t *testing.T) {
	s := New(t)
	for _, tc := range []struct{ role, permission string }{
		{"admin", "admin"}, {"maintain", "write"}, {"write", "write"}, {"triage", "read"}, {"read", "read"}, {"none", "none"},
	} {
		t.Run(tc.role+" shows as "+tc.permission, func(t *testing.T) {
			login := "user-" + tc.role
			s.SetPermission(repo, login, tc.role)
			gh := s.Client("")
			p := got(gh.Repositories.GetPermissionLevel(ctx(t), "acme", "widgets", login)).must(t)
			equal(t, "permission", p.GetPermission(), tc.permission)
			perms := p.GetUser().GetPermissions()
			equal(t, "user.permissions.maintain", perms["maintain"], tc.role == "maintain" || tc.role == "admin")
			equal(t, "user.permissions.triage", perms["triage"], tc.role != "read" && tc.role != "none")

			req, _ := gh.NewRequest("GET", "repos/acme/widgets/collaborators/"+login+"/permission", nil)
			var raw struct {
				RoleName string `json:"role_name"`
			}
			if _, err := gh.Do(ctx(t), req, &raw); err != nil {
				t.Fatal(err)
			}
			equal(t, "role_name", raw.RoleName, tc.role)
		})
	}
	t.Run("a stranger has none", func(t *testing.T) {
		p := got(s.Client("").Repositories.GetPermissionLevel(ctx(t), "acme", "widgets", "mallory")).must(t)
		equal(t, "permission", p.GetPermission(), "none")
	})
}

func TestTeams(t *testing.T) {
	s := New(t)
	s.AddTeamMember("acme", "release-managers", "alice")
	s.AddTeamMember("acme", "release-managers", "bob")
	gh := s.Client("")
	m := got(gh.Teams.GetTeamMembershipBySlug(ctx(t), "acme", "release-managers", "alice")).must(t)
	equal(t, "state", m.GetState(), "active")
	if _, resp, err := gh.Teams.GetTeamMembershipBySlug(ctx(t), "acme", "release-managers", "mallory"); err == nil || resp.StatusCode != 404 {
		t.Fatalf("non-member: %v, want 404", err)
	}
	if _, resp, err := gh.Teams.GetTeamMembershipBySlug(ctx(t), "acme", "nobody", "alice"); err == nil || resp.StatusCode != 404 {
		t.Fatalf("absent team: %v, want 404", err)
	}
	members := got(gh.Teams.ListTeamMembersBySlug(ctx(t), "acme", "release-managers", nil)).must(t)
	equal(t, "members", []string{members[0].GetLogin(), members[1].GetLogin()}, []string{"alice", "bob"})
}

func TestGitTagsReleasesAndCompare(t *testing.T) {
	s := New(t)
	c1 := s.AddCommit(repo, Commit{Message: "feat: a"})
	c2 := s.AddCommit(repo, Commit{Message: "fix: b", Parents: []string{c1}})
	c3 := s.AddCommit(repo, Commit{Message: "feat: c", Parents: []string{c2}})
	s.SetBranch(repo, "main", c3)
	s.AddTag(repo, "v1.0.0", c1)
	gh := s.Client("")

	ref := got(gh.Git.GetRef(ctx(t), "acme", "widgets", "tags/v1.0.0")).must(t)
	equal(t, "tag ref", ref.GetObject().GetSHA(), c1)
	if _, resp, err := gh.Git.GetRef(ctx(t), "acme", "widgets", "tags/v9"); err == nil || resp.StatusCode != 404 {
		t.Fatalf("absent tag: %v", err)
	}

	cmp := got(gh.Repositories.CompareCommits(ctx(t), "acme", "widgets", "v1.0.0", "main", nil)).must(t)
	equal(t, "status", cmp.GetStatus(), "ahead")
	equal(t, "commits since the tag", []string{cmp.Commits[0].GetCommit().GetMessage(), cmp.Commits[1].GetCommit().GetMessage()}, []string{"fix: b", "feat: c"})
	equal(t, "merge base", cmp.GetMergeBaseCommit().GetSHA(), c1)

	tag := got(gh.Git.CreateTag(ctx(t), "acme", "widgets", &github.Tag{Tag: github.String("v1.1.0"), Message: github.String("v1.1.0"),
		Object: &github.GitObject{Type: github.String("commit"), SHA: github.String(c3)}})).must(t)
	got(gh.Git.CreateRef(ctx(t), "acme", "widgets", &github.Reference{Ref: github.String("refs/tags/v1.1.0"), Object: &github.GitObject{SHA: tag.SHA}})).must(t)
	if _, resp, err := gh.Git.CreateRef(ctx(t), "acme", "widgets", &github.Reference{Ref: github.String("refs/tags/v1.1.0"), Object: &github.GitObject{SHA: tag.SHA}}); err == nil || resp.StatusCode != 422 {
		t.Fatalf("creating an existing ref: %v, want 422", err)
	}
	ref = got(gh.Git.GetRef(ctx(t), "acme", "widgets", "tags/v1.1.0")).must(t)
	equal(t, "annotated tag ref", ref.GetObject().GetType(), "tag")

	if _, resp, err := gh.Repositories.GetReleaseByTag(ctx(t), "acme", "widgets", "v1.1.0"); err == nil || resp.StatusCode != 404 {
		t.Fatalf("absent release: %v", err)
	}
	rel := got(gh.Repositories.CreateRelease(ctx(t), "acme", "widgets", &github.RepositoryRelease{
		TagName: github.String("v1.1.0"), Name: github.String("v1.1.0"), Body: github.String("notes"), Draft: github.Bool(true)})).must(t)
	got(gh.Repositories.EditRelease(ctx(t), "acme", "widgets", rel.GetID(), &github.RepositoryRelease{Draft: github.Bool(false)})).must(t)
	gotRel := got(gh.Repositories.GetReleaseByTag(ctx(t), "acme", "widgets", "v1.1.0")).must(t)
	equal(t, "release body", gotRel.GetBody(), "notes")
	// A release of a new tag creates the tag, as GitHub does.
	got(gh.Repositories.CreateRelease(ctx(t), "acme", "widgets", &github.RepositoryRelease{TagName: github.String("v1.2.0"), TargetCommitish: github.String("main")})).must(t)

	releases := s.Releases()
	equal(t, "releases", []string{releases[0].TagName, releases[1].TagName}, []string{"v1.1.0", "v1.2.0"})
	equal(t, "refs created", s.RefsCreated(), []string{"acme/widgets:refs/tags/v1.1.0@" + tag.GetSHA(), "acme/widgets:refs/tags/v1.2.0@" + c3})
	equal(t, "tags created", s.TagsCreated(), []string{"acme/widgets:v1.1.0@" + c3})
	tags := got(gh.Repositories.ListTags(ctx(t), "acme", "widgets", nil)).must(t)
	equal(t, "tags, newest name first", []string{tags[0].GetName(), tags[2].GetName()}, []string{"v1.2.0", "v1.0.0"})
}

func TestDeploymentsAndActions(t *testing.T) {
	s := New(t)
	sha := s.AddCommit(repo, Commit{Message: "release"})
	s.AddTag(repo, "v1.2.0", sha)
	s.AddTag(repo, "v1.1.0", sha)
	gh := s.Client("")

	newDeployment := func(ref, env string) int64 {
		d := got(gh.Repositories.CreateDeployment(ctx(t), "acme", "widgets", &github.DeploymentRequest{
			Ref: github.String(ref), Environment: github.String(env), AutoMerge: github.Bool(false),
			RequiredContexts: &[]string{}, Payload: map[string]string{"shipgate_id": "d1"},
		})).must(t)
		equal(t, "deployment SHA", d.GetSHA(), sha)
		return d.GetID()
	}
	old := newDeployment("v1.1.0", "staging")
	got(gh.Repositories.CreateDeploymentStatus(ctx(t), "acme", "widgets", old, &github.DeploymentStatusRequest{State: github.String("success")})).must(t)
	id := newDeployment("v1.2.0", "staging")
	for _, state := range []string{"queued", "in_progress", "success"} {
		got(gh.Repositories.CreateDeploymentStatus(ctx(t), "acme", "widgets", id, &github.DeploymentStatusRequest{State: github.String(state)})).must(t)
	}
	equal(t, "deployment statuses", s.DeploymentStatuses(), []string{
		"acme/widgets:staging@v1.1.0:success",
		"acme/widgets:staging@v1.2.0:queued",
		"acme/widgets:staging@v1.2.0:in_progress",
		"acme/widgets:staging@v1.2.0:success",
		"acme/widgets:staging@v1.1.0:inactive (auto)",
	})
	list := got(gh.Repositories.ListDeployments(ctx(t), "acme", "widgets", &github.DeploymentsListOptions{Environment: "staging"})).must(t)
	equal(t, "newest deployment first", list[0].GetID(), id)
	sts := got(gh.Repositories.ListDeploymentStatuses(ctx(t), "acme", "widgets", id, nil)).must(t)
	equal(t, "newest status first", sts[0].GetState(), "success")

	if _, err := gh.Actions.CreateWorkflowDispatchEventByFileName(ctx(t), "acme", "widgets", "deploy.yml", github.CreateWorkflowDispatchEventRequest{
		Ref: "v1.2.0", Inputs: map[string]any{"environment": "staging", "shipgate_id": "d1"},
	}); err != nil {
		t.Fatal(err)
	}
	equal(t, "dispatches", s.Dispatches(), []string{"acme/widgets:deploy.yml@v1.2.0 environment=staging shipgate_id=d1"})
	if _, err := gh.Actions.CreateWorkflowDispatchEventByFileName(ctx(t), "acme", "widgets", "deploy.yml", github.CreateWorkflowDispatchEventRequest{Ref: "v9"}); err == nil {
		t.Fatal("dispatch at an absent ref succeeded")
	}
	s.AddWorkflowRun(repo, WorkflowRun{Workflow: "ci.yml", Event: "push", HeadBranch: "main", Status: "completed", Conclusion: "success"})
	runs := got(gh.Actions.ListRepositoryWorkflowRuns(ctx(t), "acme", "widgets", &github.ListWorkflowRunsOptions{Event: "workflow_dispatch", Branch: "v1.2.0"})).must(t)
	if runs.GetTotalCount() != 1 || runs.WorkflowRuns[0].GetDisplayTitle() != "deploy.yml d1" {
		t.Fatalf("dispatched runs: %d", runs.GetTotalCount())
	}
	runID := runs.WorkflowRuns[0].GetID()
	s.SetWorkflowRunStatus(repo, runID, "completed", "success")
	run := got(gh.Actions.GetWorkflowRunByID(ctx(t), "acme", "widgets", runID)).must(t)
	equal(t, "run conclusion", run.GetConclusion(), "success")
	byFile := got(gh.Actions.ListWorkflowRunsByFileName(ctx(t), "acme", "widgets", "deploy.yml", nil)).must(t)
	equal(t, "runs of deploy.yml", byFile.GetTotalCount(), 1)

	// The protection-rule callback, from the webhook's deployment_callback_url.
	ev := s.DeploymentProtectionRuleEvent(repo, runID, "production", "alice")
	req, err := gh.NewRequest("POST", ev.GetDeploymentCallbackURL(), map[string]string{"environment_name": "production", "state": "approved", "comment": "ok"})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := gh.Do(ctx(t), req, nil); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("protection rule answer: %v", err)
	}
	equal(t, "protection rule reviews", s.ProtectionRuleReviews(), []string{"acme/widgets:run-" + itoa(runID) + ":production=approved"})
}

func TestUnknownRoutesAndMethodsAreUnexpected(t *testing.T) {
	s, rec := newRecorded(t, WithoutConformance())
	gh := s.Client("")
	for _, tc := range []struct{ method, path string }{
		{"GET", "repos/acme/widgets/hooks"},           // a route the fake does not serve
		{"DELETE", "repos/acme/widgets/pulls/1"},      // a method it does not serve there
		{"GET", s.srv.URL + "/repos/acme/widgets/"},   // outside the base path
		{"GET", "repos/acme/widgets/pulls/1/reviewz"}, // a typo
	} {
		req, _ := gh.NewRequest(tc.method, tc.path, nil)
		resp, err := gh.Do(ctx(t), req, nil)
		var er *github.ErrorResponse
		if !errors.As(err, &er) || resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: %v, want 404", tc.method, tc.path, err)
		}
	}
	equal(t, "unexpected", len(s.Unexpected()), 4)
	s.Close()
	if errs := rec.Errors(); len(errs) != 4 || !contains(errs, "unexpected request GET /repos/acme/widgets/hooks") || !contains(errs, "outside the base path") {
		t.Errorf("errors at the end of the test: %q", errs)
	}
}

func pathsOf(reqs []Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Path)
	}
	return out
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
