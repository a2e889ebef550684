package fakegitlab

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// TestCherryPicksAndMergeRequestsAnswerAsGitLab: a cherry-pick wants a
// branch and answers GitLab's 400 with error_code conflict or empty; a
// merge request wants its branches, and one open MR per source and
// target.
func TestCherryPicksAndMergeRequestsAnswerAsGitLab(t *testing.T) {
	s := New(t, "tok", User{ID: 1, Username: "bot"})
	p := s.AddProject(&Project{ID: 3, Path: "g/p", Members: []Member{{User: User{ID: 2, Username: "erin"}, AccessLevel: 30}}})
	p.History = []Commit{{SHA: "base"}, {SHA: "fix", Parent: "base", Files: []string{"a"}}}
	p.Files["base"], p.Files["fix"] = map[string]string{"a": "1"}, map[string]string{"a": "2"}
	p.Files["other"] = map[string]string{"a": "3"}
	p.Branches["main"], p.Branches["fixed"], p.Branches["other"] = "base", "fix", "other"
	c := client(t, s, "tok")
	code := func(err error) (int, string) {
		var e *gl.ErrorResponse
		if !errors.As(err, &e) {
			return 0, ""
		}
		return e.Response.StatusCode, string(e.Body)
	}

	if _, _, err := c.Commits.CherryPickCommit(3, "fix", &gl.CherryPickCommitOptions{}); err == nil {
		t.Error("a cherry-pick without a branch answered")
	}
	for branch, want := range map[string]string{"fixed": `"error_code":"empty"`, "other": `"error_code":"conflict"`} {
		st, body := code(func() error {
			_, _, err := c.Commits.CherryPickCommit(3, "fix", &gl.CherryPickCommitOptions{Branch: gl.Ptr(branch)})
			return err
		}())
		if st != http.StatusBadRequest || !strings.Contains(body, want) || !strings.Contains(body, "Sorry, we cannot cherry-pick") {
			t.Errorf("picking onto %s: %d %s, want 400 with %s", branch, st, body, want)
		}
	}
	picked, _, err := c.Commits.CherryPickCommit(3, "fix", &gl.CherryPickCommitOptions{Branch: gl.Ptr("main")})
	if err != nil || !slices.Equal(picked.ParentIDs, []string{"base"}) || p.Tree("main")["a"] != "2" || p.Branches["main"] != picked.ID {
		t.Fatalf("a clean pick: %+v, %v; main at %s with %v", picked, err, p.Branches["main"], p.Tree("main"))
	}

	if _, _, err := c.MergeRequests.CreateMergeRequest(3, &gl.CreateMergeRequestOptions{Title: gl.Ptr("t"), SourceBranch: gl.Ptr("gone"), TargetBranch: gl.Ptr("main")}); err == nil {
		t.Error("an MR from a missing branch opened")
	}
	opt := &gl.CreateMergeRequestOptions{Title: gl.Ptr("Draft: t"), SourceBranch: gl.Ptr("fixed"), TargetBranch: gl.Ptr("other"), AssigneeIDs: &[]int64{2, 77}}
	mr, _, err := c.MergeRequests.CreateMergeRequest(3, opt)
	if err != nil || mr.IID != 1 || !mr.Draft || mr.Author.Username != "bot" || len(mr.Assignees) != 1 || mr.Assignees[0].Username != "erin" {
		t.Fatalf("created %+v, %v", mr, err)
	}
	if st, _ := code(func() error { _, _, err := c.MergeRequests.CreateMergeRequest(3, opt); return err }()); st != http.StatusConflict {
		t.Errorf("a second open MR from fixed into other: %d, want 409", st)
	}
	if got := s.MRsCreated(); !slices.Equal(got, []string{"g/p!1:fixed->other:Draft: t"}) {
		t.Errorf("MRs created: %q", got)
	}
}
