package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot"
)

// TestARotatedOrRemovedDashboardTokenEndsItsSessionsAndFeeds is the attack of
// someone who once held the dashboard token (a contractor, a leaked CI log):
// after the operator rotates or removes the token, neither the read-only
// session cookie they kept nor the calendar feed URL they copied may go on
// reading every repository.
func TestARotatedOrRemovedDashboardTokenEndsItsSessionsAndFeeds(t *testing.T) {
	for name, newToken := range map[string]string{"rotated": "another-dashboard-token-0123456789", "removed": ""} {
		t.Run(name, func(t *testing.T) {
			e := secretFixture(t, withDashboardToken)
			b := e.browser()
			_, page := b.get("/signin")
			if code, _, _ := b.post("/signin/token", url.Values{"csrf": {csrfOf(t, page)}, "token": {testDashToken}, "next": {"/"}}, e.srv.URL); code != http.StatusSeeOther {
				t.Fatalf("signing in with the token: %d", code)
			}
			_, cal := b.get("/calendar")
			feed := feedURLOf(t, cal)
			if _, body := b.get("/"); !strings.Contains(body, "acme/secret") {
				t.Fatalf("before the rotation the token's viewer should read acme/secret:\n%s", body)
			}

			// The operator restarts Shipgate with another token, or none,
			// and the same session secret (GitHub sign-in stays on).
			cfg := e.d.cfg
			cfg.DashboardToken = ""
			if newToken != "" {
				cfg.DashboardToken = bot.Secret(newToken)
			}
			d, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			e.d = d
			e.swap(d.Handler())

			if _, body := b.get("/"); strings.Contains(body, "acme/secret") || !strings.Contains(body, "Sign in to Shipgate") {
				t.Errorf("the old token's session still reads after the token was %s:\n%s", name, body)
			}
			resp, err := http.Get(feed)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("the old token's calendar feed answered %d after the token was %s, want 401", resp.StatusCode, name)
			}
		})
	}
}
