package dashboard

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/store"
	_ "github.com/shipgate/shipgate/bot/store/drivers" // SQLite for the tests' store
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/testclock"
	"github.com/shipgate/shipgate/policies"
)

// Test fixtures: the OAuth app the fake GitHub knows, and the session
// secret.
const (
	testClientID     = "Iv1.dashboardtest"
	testClientSecret = "client-secret-of-the-test-app"
	testSecret       = "0123456789abcdef0123456789abcdef-test-session-secret"
	testBotToken     = "ghs_bottoken"
	testDashToken    = "read-only-dashboard-token-123"
)

var testNow = time.Date(2026, time.December, 1, 10, 0, 0, 0, time.UTC)

// env is a dashboard served over HTTP on a store, with a fake GitHub that
// people sign in through.
type env struct {
	t     testing.TB
	ctx   context.Context
	clock *testclock.Clock
	st    *store.Store
	gh    *fakegithub.Server
	d     *Dashboard
	srv   *httptest.Server
	// h is the handler srv serves; swap replaces it (a restart).
	h atomic.Pointer[http.Handler]
}

// swap makes srv serve h from now on, as a restarted Shipgate would.
func (e *env) swap(h http.Handler) { e.h.Store(&h) }

type envOption func(*Config)

// withDashboardToken lets the token sign in read-only.
func withDashboardToken(c *Config) { c.DashboardToken = testDashToken }

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	return newEnvOn(t, filepath.Join(t.TempDir(), "shipgate.db"), opts...)
}

// newEnvOn is newEnv on the database at dbURL.
func newEnvOn(t testing.TB, dbURL string, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), clock: testclock.New(testNow)}
	var err error
	e.st, err = store.OpenWith(e.ctx, dbURL, store.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.st.Close() })
	e.swap(http.NotFoundHandler())
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*e.h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	e.gh = fakegithub.New(t, fakegithub.WithToken(testBotToken), fakegithub.WithoutConformance())
	e.gh.EnableOAuth(fakegithub.OAuthApp{ClientID: testClientID, ClientSecret: testClientSecret, CallbackURL: e.srv.URL + "/auth/github/callback"})
	app, err := github.New(github.Config{APIURL: e.gh.URL(), Token: bot.Secret(testBotToken), Tries: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Store: e.st, PublicURL: e.srv.URL, SessionSecret: testSecret, Now: e.clock.Now, Logger: zerolog.Nop(),
		GitHub: &OAuthHost{ClientID: testClientID, ClientSecret: testClientSecret, WebURL: e.webURL(), APIURL: e.gh.URL()},
		Hosts:  map[policies.Host]RepoOpener{policies.GitHub: app},
	}
	for _, o := range opts {
		o(&cfg)
	}
	if e.d, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	e.swap(e.d.Handler())
	return e
}

// webURL is the fake GitHub's web root (its API lives under /api/v3/).
func (e *env) webURL() string { return strings.TrimSuffix(e.gh.URL(), "/api/v3/") }

// browser is a cookie-keeping HTTP client, as a browser is.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// signIn signs login in through the fake GitHub's OAuth flow and returns
// the page it lands on.
func (b *browser) signIn(login, next string) (int, string) {
	b.e.gh.SignInAs(login, strings.ToUpper(login[:1])+login[1:])
	return b.get("/auth/github/start?next=" + next)
}

// get fetches a dashboard path, following redirects.
func (b *browser) get(path string) (int, string) {
	b.e.t.Helper()
	resp, err := b.c.Get(b.e.srv.URL + path)
	if err != nil {
		b.e.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// seedChange stores an open change with one evaluation of conclusion.
func (e *env) seedChange(repo string, number int, conclusion policies.Conclusion, results ...policies.Result) {
	e.t.Helper()
	at := e.clock.Now().Add(-time.Duration(number) * time.Minute)
	if err := e.st.PutPR(e.ctx, store.PRState{Host: policies.GitHub, Repo: repo, Number: number, BaseBranch: "main",
		HeadSHA: "abc123def456", State: store.PROpen, LastActivityAt: at, LastEvaluatedAt: at, LastEvaluatedSHA: "abc123def456"}); err != nil {
		e.t.Fatal(err)
	}
	verdict, _ := json.Marshal(policies.Verdict{Conclusion: conclusion, Gated: true, Results: results})
	if _, err := e.st.SaveEvaluation(e.ctx, store.Evaluation{Host: policies.GitHub, Repo: repo, Number: number, HeadSHA: "abc123def456",
		PolicyRevision: "f00dfeed", Conclusion: string(conclusion), Verdict: verdict, At: at}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.AppendAudit(e.ctx, store.AuditEvent{At: at, Host: policies.GitHub, Repo: repo, Number: number, Kind: store.AuditEvaluation,
		Actor: "carol", Subject: "abc123def456", Outcome: string(conclusion)}); err != nil {
		e.t.Fatal(err)
	}
}

// seedDeployment stores a running deployment whose current step is step.
func (e *env) seedDeployment(repo, environment, version, step string) {
	e.t.Helper()
	st := deploy.State{ID: "github:" + repo + ":" + environment + ":" + version, Host: policies.GitHub, Repo: repo, Environment: environment,
		Version: version, Status: deploy.StatusRunning, Steps: []deploy.StepState{{Name: step, Status: "running", StartedAt: e.clock.Now().Add(-time.Hour),
			Message: "waiting for 1 approval from @sre"}}, CreatedAt: e.clock.Now().Add(-2 * time.Hour)}
	data, _ := json.Marshal(st)
	if _, err := e.st.CreateDeployment(e.ctx, store.Deployment{ID: st.ID, Host: policies.GitHub, Repo: repo, Environment: environment,
		Version: version, State: deploy.StatusRunning, Data: data}); err != nil {
		e.t.Fatal(err)
	}
}

// post sends a form from the browser, with the Origin a browser sends;
// it does not follow redirects.
func (b *browser) post(path string, form url.Values, origin string) (int, string, string) {
	b.e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	c := *b.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		b.e.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// finalURL fetches path following redirects and returns where it landed.
func (b *browser) finalURL(path string) string {
	b.e.t.Helper()
	resp, err := b.c.Get(b.e.srv.URL + path)
	if err != nil {
		b.e.t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.Request.URL.String()
}

// csrfOf finds the CSRF token in a page's forms.
func csrfOf(t testing.TB, page string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	return m[1]
}

// feedURLOf finds the calendar feed URL on the calendar page.
func feedURLOf(t testing.TB, page string) string {
	t.Helper()
	m := regexp.MustCompile(`id="feed" type="text" readonly value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no feed URL on the calendar page:\n%s", page)
	}
	return html.UnescapeString(m[1])
}

// httptestRequestWithViewer is a POST with v signed in and v's CSRF token.
func httptestRequestWithViewer(t testing.TB, v *Viewer) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/test-action", nil)
	return req.WithContext(withViewer(req.Context(), v))
}

// serveAction serves req through the action middleware (actor, then
// CSRF) around a handler that answers 204.
func serveAction(d *Dashboard, req *http.Request) int {
	rec := httptest.NewRecorder()
	h := d.requireActor(d.checkCSRF(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })))
	h.ServeHTTP(rec, req)
	return rec.Code
}

func newTestServer(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
