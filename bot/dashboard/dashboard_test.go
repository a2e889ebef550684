package dashboard

import (
	"net/http"
	"strings"
	"testing"
)

func TestSignInWithGitHubShowsTheOverviewOfReadableRepositories(t *testing.T) {
	e := newEnv(t)
	e.gh.SetPermission("acme/widgets", "alice", "write")
	e.gh.AddRepo(fakegithubRepo("acme/secret", true))
	e.gh.SetFile("acme/widgets", "main", ".shipgate.yml", "version: 1\nfreeze:\n  windows:\n    - {name: year-end, start: 2026-12-05T00:00:00Z, end: 2027-01-04T00:00:00Z}\n")
	e.seedChange("acme/widgets", 7, "failure")
	e.seedChange("acme/widgets", 8, "success")
	e.seedChange("acme/secret", 9, "pending")
	e.seedDeployment("acme/widgets", "production", "v1.2.0", "approval")

	b := e.browser()
	code, body := b.signIn("alice", "/")
	if code != http.StatusOK {
		t.Fatalf("sign-in landed on %d:\n%s", code, body)
	}
	for _, want := range []string{"Alice", "acme/widgets#7", "acme/widgets#8", "year-end", "production", "v1.2.0"} {
		if !strings.Contains(body, want) {
			t.Errorf("the overview lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "acme/secret") {
		t.Errorf("the overview shows a repository alice cannot read:\n%s", body)
	}
	if got := e.gh.OAuthGrants(); len(got) != 1 || got[0] != "alice→"+testClientID {
		t.Errorf("grants = %v, want one for alice", got)
	}
}
