package fakegithub

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
)

func TestGitDataCommitsFilesAndMovesTheBranchForward(t *testing.T) {
	s := New(t)
	head := s.AddCommit(repo, Commit{Message: "feat: base"})
	s.SetBranch(repo, "main", head)
	s.SetFile(repo, "main", "CHANGELOG.md", "# Changelog\n")
	s.SetFile(repo, "main", ".changes/a.md", "Added a.")
	gh := s.Client("")

	base := got(gh.Git.GetCommit(ctx(t), "acme", "widgets", head)).must(t)
	blob := got(gh.Git.CreateBlob(ctx(t), "acme", "widgets", &github.Blob{Content: github.String("# Changelog\n\n## [1.0.0]\n"), Encoding: github.String("utf-8")})).must(t)
	tree := got(gh.Git.CreateTree(ctx(t), "acme", "widgets", base.GetTree().GetSHA(), []*github.TreeEntry{
		{Path: github.String("CHANGELOG.md"), Mode: github.String("100644"), Type: github.String("blob"), SHA: blob.SHA},
		{Path: github.String(".changes/a.md"), Mode: github.String("100644"), Type: github.String("blob")}, // null SHA: delete
	})).must(t)
	commit := got(gh.Git.CreateCommit(ctx(t), "acme", "widgets", &github.Commit{
		Message: github.String("chore: changelog"), Tree: &github.Tree{SHA: tree.SHA}, Parents: []*github.Commit{{SHA: github.String(head)}},
	}, nil)).must(t)
	got(gh.Git.UpdateRef(ctx(t), "acme", "widgets", &github.Reference{Ref: github.String("refs/heads/main"), Object: &github.GitObject{SHA: commit.SHA}}, false)).must(t)

	sha := commit.GetSHA()
	equal(t, "commits created", s.CommitsCreated(), []string{repo + "@" + sha + ":chore: changelog +CHANGELOG.md -.changes/a.md"})
	equal(t, "refs updated", s.RefsUpdated(), []string{repo + ":refs/heads/main@" + sha})
	content, _ := s.File(repo, "main", "CHANGELOG.md")
	equal(t, "the changelog on main", content, "# Changelog\n\n## [1.0.0]\n")
	_, found := s.File(repo, "main", ".changes/a.md")
	equal(t, "the fragment on main", found, false)
	old, _ := s.File(repo, head, "CHANGELOG.md")
	equal(t, "the changelog at the old head", old, "# Changelog\n")

	// The old head again: not a fast forward, refused without force.
	_, resp, err := gh.Git.UpdateRef(ctx(t), "acme", "widgets", &github.Reference{Ref: github.String("refs/heads/main"), Object: &github.GitObject{SHA: github.String(head)}}, false)
	if err == nil || resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), "not a fast forward") {
		t.Errorf("rewinding main: %v, want 422 not a fast forward", err)
	}
}

func TestGitDataRefusesWhatGitHubRefuses(t *testing.T) {
	s := New(t)
	head := s.AddCommit(repo, Commit{Message: "feat: base"})
	s.SetBranch(repo, "main", head)
	gh := s.Client("")
	base := got(gh.Git.GetCommit(ctx(t), "acme", "widgets", head)).must(t)
	tests := []struct {
		name  string
		entry *github.TreeEntry
	}{
		{"an unknown blob", &github.TreeEntry{Path: github.String("a"), Mode: github.String("100644"), Type: github.String("blob"), SHA: github.String(strings.Repeat("a", 40))}},
		{"a deletion of a missing path", &github.TreeEntry{Path: github.String("missing"), Mode: github.String("100644"), Type: github.String("blob")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, resp, err := gh.Git.CreateTree(ctx(t), "acme", "widgets", base.GetTree().GetSHA(), []*github.TreeEntry{tt.entry})
			if err == nil || resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("err %v, want 422", err)
			}
		})
	}
}
