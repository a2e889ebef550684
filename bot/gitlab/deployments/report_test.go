package deployments_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/gitlab/deployments"
	"github.com/shipgate/shipgate/internal/fakegitlab"
)

// TestTheReportIsBuiltFromGitLabsCommitsAndAttachedToItsRelease: the
// commits since the previous tag carry the MR their merge commit names,
// and the report is a section of the release's description, edited once.
func TestTheReportIsBuiltFromGitLabsCommitsAndAttachedToItsRelease(t *testing.T) {
	fake := fakegitlab.New(t, "glpat-test", fakegitlab.User{ID: 99, Username: "shipgate-bot", Bot: true})
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	fake.AddProject(&fakegitlab.Project{ID: 7, Path: "acme/tools", DefaultBranch: "main",
		History: []fakegitlab.Commit{
			{SHA: "c0", Message: "chore: start", AuthorName: "dave", At: at.Add(-72 * time.Hour)},
			{SHA: "c1", Message: "fix: crash", AuthorName: "erin", At: at.Add(-48 * time.Hour)},
			{SHA: "c2", Message: "Merge branch 'fix' into 'main'\n\nfix: crash\n\nSee merge request acme/tools!12", AuthorName: "erin", At: at.Add(-47 * time.Hour)},
		},
		Tags:     map[string]string{"v1.1.0": "c0", "v1.2.0": "c2"},
		Branches: map[string]string{"main": "c2"},
		Releases: []fakegitlab.Release{{TagName: "v1.2.0", Name: "v1.2.0", Description: "Notes of v1.2.0."}},
	})
	g, err := deployments.New(deployments.Config{URL: fake.URL, Token: "glpat-test", Tries: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	commits, err := g.ReleaseCommits(ctx, "acme/tools", "v1.1.0", "v1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != 2 || commits[0].SHA != "c2" || commits[0].PR != 12 || commits[1].PR != 0 || !commits[1].Time.Equal(at.Add(-48*time.Hour)) {
		t.Fatalf("commits: %+v", commits)
	}
	for range 2 {
		if ok, err := g.AttachReport(ctx, "acme/tools", "v1.2.0", "## Release report: v1.2.0"); err != nil || !ok {
			t.Fatalf("attach: %v, %v", ok, err)
		}
	}
	desc, _ := fake.ReleaseDescription("acme/tools", "v1.2.0")
	if desc != "Notes of v1.2.0.\n\n<!-- shipgate:report -->\n## Release report: v1.2.0\n<!-- /shipgate:report -->\n" {
		t.Fatalf("description: %q", desc)
	}
	if got := fake.ReleasesEdited(); len(got) != 1 {
		t.Fatalf("edits: %q, want one", got)
	}
	if ok, err := g.AttachReport(ctx, "acme/tools", "v9.9.9", "x"); err != nil || ok {
		t.Fatalf("a tag without a release: %v, %v", ok, err)
	}
	if !strings.HasPrefix(desc, "Notes of v1.2.0.") {
		t.Fatal("the notes were not kept")
	}
}
