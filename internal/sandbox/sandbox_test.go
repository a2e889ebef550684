package sandbox

import (
	"net/http"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegithub"
)

// TestSandboxReportsWhatATestWouldFail starts the sandbox outside a test's
// TB: a helper's Fatalf becomes Do's error, an unexpected request becomes
// Close's, and the health endpoint answers 200.
func TestSandboxReportsWhatATestWouldFail(t *testing.T) {
	sb, err := Start(Options{GitHubToken: "ghs_x", SlackToken: "xoxb-x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Do(func() { sb.GitHub.AddRepo(fakegithub.Repo{FullName: "acme/widgets"}) }); err != nil {
		t.Fatalf("adding a repository: %v", err)
	}
	err = sb.Do(func() { sb.GitHub.SetPermission("acme/widgets", "bob", "boss") })
	if err == nil || !strings.Contains(err.Error(), `role "boss"`) {
		t.Fatalf("Do = %v, want the helper's failure", err)
	}
	resp, err := http.Get(sb.HealthURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || sb.HealthHits() != 1 {
		t.Fatalf("health: %d, %d hits", resp.StatusCode, sb.HealthHits())
	}
	req, _ := http.NewRequest(http.MethodGet, sb.GitHub.URL()+"no/such/route", nil)
	req.Header.Set("Authorization", "token ghs_x")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if p := sb.Problems(); len(p) != 2 || !strings.Contains(p[1], "unexpected request GET /no/such/route") {
		t.Errorf("problems before Close: %q", p)
	}
	err = sb.Close()
	if err == nil || !strings.Contains(err.Error(), "unexpected request") || !strings.Contains(err.Error(), `role "boss"`) {
		t.Fatalf("Close = %v, want the unexpected request and the helper's failure", err)
	}
}
