package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegithub"
)

func TestCheckLivePR(t *testing.T) {
	fake := fakegithub.New(t, fakegithub.WithToken("ghp_live"), fakegithub.WithClock(time.Now))
	fake.AddRepo(fakegithub.Repo{FullName: "acme/widgets"})
	fake.SetFile("acme/widgets", "main", ".shipgate.yml", "version: 1\napprovals:\n  - name: reviewers\n    required: 1\n")
	fake.AddPR("acme/widgets", fakegithub.PR{Number: 7, Title: "feat: x", Author: "alice", Base: "main"})
	fake.AddPR("acme/widgets", fakegithub.PR{Number: 8, Title: "feat: y", Author: "alice", Base: "main"})
	fake.SetPermission("acme/widgets", "bob", "write")
	fake.AddReview("acme/widgets", 8, fakegithub.Review{Author: "bob", State: "APPROVED"})
	t.Setenv("SHIPGATE_GITHUB_API_URL", fake.URL())
	t.Setenv("SHIPGATE_GITHUB_TOKEN", "ghp_live")

	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"a PR without its approval is pending", []string{"--repo", "acme/widgets", "--pr", "7"}, exitUnsatisfied, "wait  reviewers  needs 1 more approval"},
		{"an approved PR passes, as JSON", []string{"--repo", "acme/widgets", "--pr", "8", "--format", "json"}, exitOK, `"conclusion": "success"`},
		{"--policy is refused: the policy comes from the base branch", []string{"--repo", "acme/widgets", "--pr", "7", "--policy", "x.yml"}, exitUsage, ""},
		{"--repo needs --pr", []string{"--repo", "acme/widgets"}, exitUsage, ""},
		{"--repo and --event do not mix", []string{"--repo", "acme/widgets", "--pr", "7", "--event", "e.json"}, exitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"check"}, tt.args...), &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String(), tt.out) {
				t.Errorf("exit %d, want %d; stdout:\n%s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			if strings.Contains(stderr.String()+stdout.String(), "ghp_live") {
				t.Error("the token was printed")
			}
		})
	}
	t.Run("without a token it says which variable to set", func(t *testing.T) {
		t.Setenv("SHIPGATE_GITHUB_TOKEN", "")
		var stdout, stderr bytes.Buffer
		if code := run([]string{"check", "--repo", "acme/widgets", "--pr", "7"}, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "SHIPGATE_GITHUB_TOKEN") {
			t.Errorf("exit %d: %s", code, stderr.String())
		}
	})
}
