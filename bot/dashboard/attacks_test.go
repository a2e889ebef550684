package dashboard

// The dashboard's attacks, one test each, named for the attack: what a
// person with a browser, a stolen link or another site could try.

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
)

// secretFixture makes a repository alice can write to and a private one
// she cannot see, each with a change, an audit event, a freeze window and
// a deployment.
func secretFixture(t *testing.T, opts ...envOption) *env {
	e := newEnv(t, opts...)
	e.gh.SetPermission("acme/widgets", "alice", "write")
	e.gh.AddRepo(fakegithubRepo("acme/secret", true))
	e.gh.SetPermission("acme/secret", "mallory", "read")
	policy := "version: 1\nfreeze:\n  windows:\n    - {name: %s, start: 2026-12-05T00:00:00Z, end: 2026-12-06T00:00:00Z}\n"
	e.gh.SetFile("acme/widgets", "main", ".shipgate.yml", strings.ReplaceAll(policy, "%s", "widgets-freeze"))
	e.gh.SetFile("acme/secret", "main", ".shipgate.yml", strings.ReplaceAll(policy, "%s", "secret-freeze"))
	e.seedChange("acme/widgets", 1, "success")
	e.seedChange("acme/secret", 2, "failure")
	e.seedDeployment("acme/secret", "production", "v9.9.9-secret", "approval")
	return e
}

func TestAUserWithoutReadAccessSeesNothingOfARepository(t *testing.T) {
	e := secretFixture(t)
	b := e.browser()
	if code, _ := b.signIn("alice", "/"); code != http.StatusOK {
		t.Fatalf("sign-in: %d", code)
	}
	pages := map[string]string{}
	for _, p := range []string{"/", "/audit", "/audit?repo=github:acme/secret", "/calendar",
		"/audit/export?format=csv", "/audit/export?format=json", "/audit/export?format=csv&repo=github:acme/secret",
		"/calendar.ics"} {
		code, body := b.get(p)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", p, code, body)
		}
		pages[p] = body
		if strings.Contains(body, "acme/secret") || strings.Contains(body, "secret-freeze") || strings.Contains(body, "v9.9.9-secret") {
			t.Errorf("GET %s shows the repository alice cannot read:\n%s", p, body)
		}
	}
	if !strings.Contains(pages["/audit/export?format=csv"], "acme/widgets") || !strings.Contains(pages["/calendar.ics"], "widgets-freeze") {
		t.Errorf("the readable repository is missing from the export or the feed:\n%s\n%s", pages["/audit/export?format=csv"], pages["/calendar.ics"])
	}
	if code, body := b.get("/repos/github/acme/secret/-/changes/2"); code != http.StatusNotFound || strings.Contains(body, "failure") {
		t.Errorf("the change page of an unreadable repository answered %d:\n%s", code, body)
	}
	// The feed link, used without the session, sees no more.
	_, cal := b.get("/calendar")
	feed := feedURLOf(t, cal)
	resp, err := http.Get(feed)
	if err != nil {
		t.Fatal(err)
	}
	ics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(ics), "widgets-freeze") || strings.Contains(string(ics), "secret") {
		t.Errorf("the feed URL answered %d:\n%s", resp.StatusCode, ics)
	}
}

func TestARoleTakenAwayOnTheHostStopsCountingWithinTheCache(t *testing.T) {
	e := secretFixture(t)
	b := e.browser()
	b.signIn("alice", "/")
	if code, _ := b.get("/repos/github/acme/widgets/-/changes/1"); code != http.StatusOK {
		t.Fatalf("alice cannot read her own repository's change: %d", code)
	}
	e.gh.AddRepo(fakegithubRepo("acme/widgets", true))
	e.gh.SetPermission("acme/widgets", "alice", "none")
	e.clock.Advance(2 * time.Minute)
	if code, _ := b.get("/repos/github/acme/widgets/-/changes/1"); code != http.StatusNotFound {
		t.Errorf("after her access was removed, alice still reads the change: %d", code)
	}
}

func TestAFormPostedWithoutTheSessionsCSRFTokenIsRefused(t *testing.T) {
	e := secretFixture(t)
	b := e.browser()
	_, page := b.signIn("alice", "/")
	token := csrfOf(t, page)
	for name, c := range map[string]struct {
		form   url.Values
		origin string
	}{
		"no token":                       {url.Values{}, ""},
		"another session's token":        {url.Values{"csrf": {e.d.csrfFor("session:someone-else")}}, ""},
		"the right token from elsewhere": {url.Values{"csrf": {token}}, "https://evil.example"},
	} {
		if code, _, _ := b.post("/signout", c.form, c.origin); code != http.StatusForbidden {
			t.Errorf("%s: POST /signout answered %d, want 403", name, code)
		}
	}
	if code, _ := b.get("/"); code != http.StatusOK {
		t.Fatalf("a refused sign-out signed alice out: %d", code)
	}
	if code, loc, _ := b.post("/signout", url.Values{"csrf": {token}}, e.srv.URL); code != http.StatusSeeOther || loc != "/signin" {
		t.Errorf("sign-out with the token: %d → %q", code, loc)
	}
}

func TestAForgedOrTamperedSessionCookieIsRefused(t *testing.T) {
	e := secretFixture(t)
	u, _ := url.Parse(e.srv.URL)
	forge := func(value string) *browser {
		b := e.browser()
		b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "shipgate_session", Value: value, Path: "/"}})
		return b
	}
	other := securecookie.New(deriveKey([]byte("another-secret-that-is-long-enough!!"), "cookie signing"), deriveKey([]byte("another-secret-that-is-long-enough!!"), "cookie encryption"))
	other.SetSerializer(securecookie.JSONEncoder{})
	signedElsewhere, _ := other.Encode("shipgate_session", session{ID: "x", Host: "github", Login: "alice", Token: "gho_stolen", Expires: testNow.Add(time.Hour).Unix()})
	real := e.browser()
	real.signIn("alice", "/")
	var good string
	for _, c := range real.c.Jar.Cookies(u) {
		if c.Name == "shipgate_session" {
			good = c.Value
		}
	}
	tampered := []byte(good)
	tampered[len(tampered)/2] ^= 1
	for name, value := range map[string]string{"garbage": "not-a-session", "signed with another secret": signedElsewhere, "one bit flipped": string(tampered)} {
		if got := forge(value).finalURL("/"); !strings.Contains(got, "/signin") {
			t.Errorf("%s: GET / landed on %s, want the sign-in page", name, got)
		}
	}
}

func TestAnExpiredSessionIsRefusedEvenIfTheBrowserStillSendsIt(t *testing.T) {
	e := secretFixture(t)
	b := e.browser()
	b.signIn("alice", "/")
	e.clock.Advance(8*time.Hour + time.Second)
	if got := b.finalURL("/audit"); !strings.Contains(got, "/signin?next=%2Faudit") {
		t.Errorf("an expired session reached %s", got)
	}
}

func TestAnOpenRedirectAfterSignInIsRefused(t *testing.T) {
	e := secretFixture(t)
	for _, next := range []string{"//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)", "/\t/evil.example", "\\evil.example"} {
		b := e.browser()
		e.gh.SignInAs("alice", "Alice")
		landed := b.finalURL("/auth/github/start?next=" + url.QueryEscape(next))
		if landed != e.srv.URL+"/" {
			t.Errorf("next=%q landed on %s, want the overview", next, landed)
		}
	}
	b := e.browser()
	e.gh.SignInAs("alice", "Alice")
	if landed := b.finalURL("/auth/github/start?next=" + url.QueryEscape("/audit?kind=command")); landed != e.srv.URL+"/audit?kind=command" {
		t.Errorf("a local next landed on %s", landed)
	}
}

func TestSafeNextKeepsOnlyLocalPaths(t *testing.T) {
	for in, want := range map[string]string{
		"": "/", "/": "/", "/audit?x=1": "/audit?x=1", "//evil": "/", "/\\evil": "/", "https://evil": "/",
		"evil": "/", "/a\nb": "/", "/ok/\\x": "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAnOAuthCallbackNotStartedInThisBrowserIsRefused(t *testing.T) {
	e := secretFixture(t)
	// Mallory starts a sign-in and stops at the callback, with a code for
	// her own account; she sends the link to alice (login CSRF).
	m := e.browser()
	e.gh.SignInAs("mallory", "Mallory")
	c := *m.c
	c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if strings.Contains(req.URL.Path, "/auth/github/callback") {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err := c.Get(e.srv.URL + "/auth/github/start")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback := resp.Header.Get("Location")
	if !strings.Contains(callback, "code=") {
		t.Fatalf("no callback with a code: %q", callback)
	}
	victim := e.browser()
	resp, err = victim.c.Get(callback)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("the victim's browser was signed in by mallory's callback: %d", resp.StatusCode)
	}
	if got := victim.finalURL("/"); !strings.Contains(got, "/signin") {
		t.Errorf("the victim has a session: landed on %s", got)
	}
}

func TestAForgedOrExpiredCalendarFeedTokenIsRefused(t *testing.T) {
	e := secretFixture(t)
	b := e.browser()
	b.signIn("alice", "/")
	_, cal := b.get("/calendar")
	feed := feedURLOf(t, cal)
	forged, _ := url.Parse(feed)
	q := forged.Query()
	q.Set("feed", q.Get("feed")[:20]+"A"+q.Get("feed")[21:])
	forged.RawQuery = q.Encode()
	for name, u := range map[string]string{"forged": forged.String(), "none": e.srv.URL + "/calendar.ics"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s feed token: %d, want 401", name, resp.StatusCode)
		}
	}
	e.clock.Advance(feedTTL + time.Second)
	resp, err := http.Get(feed)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired feed token: %d, want 401", resp.StatusCode)
	}
}

func TestTheDashboardTokenSignsInReadOnlyAndAWrongOneDoesNot(t *testing.T) {
	e := secretFixture(t, withDashboardToken)
	b := e.browser()
	_, page := b.get("/signin")
	pre := csrfOf(t, page)
	if code, _, _ := b.post("/signin/token", url.Values{"csrf": {pre}, "token": {"wrong-token-wrong-token"}, "next": {"/"}}, e.srv.URL); code != http.StatusUnauthorized {
		t.Errorf("a wrong dashboard token answered %d, want 401", code)
	}
	if code, _, _ := b.post("/signin/token", url.Values{"token": {testDashToken}}, e.srv.URL); code != http.StatusForbidden {
		t.Errorf("the token form without its CSRF token answered %d, want 403", code)
	}
	if code, loc, _ := b.post("/signin/token", url.Values{"csrf": {pre}, "token": {testDashToken}, "next": {"//evil.example"}}, e.srv.URL); code != http.StatusSeeOther || loc != "/" {
		t.Fatalf("the dashboard token: %d → %q", code, loc)
	}
	_, body := b.get("/")
	if !strings.Contains(body, "read-only") || !strings.Contains(body, "acme/secret") {
		t.Errorf("the token's viewer should read every repository, read-only:\n%s", body)
	}
	// Read-only: an action route refuses it.
	req := httptestRequestWithViewer(t, &Viewer{Login: "dashboard token", ReadOnly: true, sessionID: "s"})
	rec := serveAction(e.d, req)
	if rec != http.StatusForbidden {
		t.Errorf("an action by the read-only viewer answered %d, want 403", rec)
	}
}

func TestTheDashboardIsOffWithoutSignInSettings(t *testing.T) {
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := newTestServer(t, d.Handler())
	for path, want := range map[string]int{"/": http.StatusOK, "/audit": http.StatusNotFound, "/calendar.ics": http.StatusNotFound} {
		resp, err := http.Get(srv + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
		if path == "/" && !strings.Contains(string(body), "SHIPGATE_SESSION_SECRET") {
			t.Errorf("the off page does not say how to turn the dashboard on:\n%s", body)
		}
	}
}

func TestAShortSessionSecretOrNoPublicURLIsRefused(t *testing.T) {
	_, err := New(Config{GitHub: &OAuthHost{ClientID: "x", ClientSecret: "y", WebURL: "https://github.com", APIURL: "https://api.github.com/"}, SessionSecret: "short"})
	if err == nil || !strings.Contains(err.Error(), "at least 32") || !strings.Contains(err.Error(), "public URL") {
		t.Errorf("New = %v, want the secret's length and the public URL named", err)
	}
}

func TestPagesCannotBeFramedNorRunForeignScripts(t *testing.T) {
	e := secretFixture(t)
	resp, err := http.Get(e.srv.URL + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
		"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
	} {
		if !strings.Contains(resp.Header.Get(h), want) {
			t.Errorf("%s = %q, want %q in it", h, resp.Header.Get(h), want)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("the CSP lets scripts of other origins run: %q", resp.Header.Get("Content-Security-Policy"))
	}
}
