package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shipgate/shipgate/bot/dashboard"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/policies"
)

const (
	dashClientID = "Iv1.e2edashboard"
	dashSecret   = "e2e-dashboard-client-secret"
)

// dashboardServe starts `shipgate serve` with the dashboard on, signing
// in through the fake GitHub's OAuth app, opens PR 1 and waits for its
// check run. It returns the server's public URL and the PR's check run.
func dashboardServe(t *testing.T) (public string, run fakegithub.CheckRun, g *e2eGitHub, p *serveProcess) {
	t.Helper()
	addr := freeAddr(t)
	public = "http://" + addr
	g = newE2EGitHub(t, 1,
		"SHIPGATE_PUBLIC_URL="+public,
		"SHIPGATE_GITHUB_CLIENT_ID="+dashClientID,
		"SHIPGATE_GITHUB_CLIENT_SECRET="+dashSecret,
		"SHIPGATE_SESSION_SECRET=e2e-session-secret-of-at-least-32-bytes!",
	)
	g.env = append(g.env, "SHIPGATE_GITHUB_WEB_URL="+strings.TrimSuffix(g.fake.URL(), "/api/v3/"))
	soon := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Hour)
	g.fake.SetFile(e2eRepo, "main", ".shipgate.yml", fmt.Sprintf("version: 1\napprovals:\n  - required: 1\nfreeze:\n  windows:\n    - {name: release-week, start: %s, end: %s}\n",
		soon.Format(time.RFC3339), soon.Add(48*time.Hour).Format(time.RFC3339)))
	g.fake.EnableOAuth(fakegithub.OAuthApp{ClientID: dashClientID, ClientSecret: dashSecret, CallbackURL: public + "/auth/github/callback"})
	g.fake.SetPermission(e2eRepo, "alice", "write")
	var err error
	p, err = launchServe(addr, g.env, 20*time.Second)
	if p != nil {
		t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.waitExit() })
	}
	if err != nil {
		t.Fatal(err)
	}
	g.open(t, p, 1)
	g.waitEvaluated(t, p, 1, 20*time.Second)
	runs := g.fake.CheckRuns(e2eRepo, headSHA(t, g.fake, e2eRepo, 1))
	return public, runs[len(runs)-1], g, p
}

func TestServeLinksTheCheckRunToTheChangesDashboardPage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	public, run, _, _ := dashboardServe(t)
	if want := public + dashboard.ChangePath(policies.GitHub, e2eRepo, 1); run.DetailsURL != want {
		t.Fatalf("details_url = %q, want %q", run.DetailsURL, want)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(run.DetailsURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin?next=") {
		t.Errorf("an anonymous visit of the details link: %d → %q, want the sign-in page", resp.StatusCode, loc)
	}
	for _, route := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(public + route)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s answered %d with the dashboard mounted at the root", route, resp.StatusCode)
		}
	}
}

// chromiumPath finds the browser, or skips (fails with
// SHIPGATE_REQUIRE_BROWSER=1) when there is none.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SHIPGATE_REQUIRE_BROWSER") == "1" {
		t.Fatal("no chromium on PATH and SHIPGATE_REQUIRE_BROWSER=1: apt-get install -y chromium")
	}
	t.Skip("no chromium on PATH (apt-get install -y chromium); set SHIPGATE_REQUIRE_BROWSER=1 to fail instead")
	return ""
}

// artifactsDir is where screenshots go: $SHIPGATE_ARTIFACTS_DIR, or a
// temporary folder that is kept; the test logs it.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("SHIPGATE_ARTIFACTS_DIR")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "shipgate-artifacts-"); err != nil {
			t.Fatal(err)
		}
	}
	dir = filepath.Join(dir, "dashboard")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// newBrowser starts headless Chromium with a fresh profile.
func newBrowser(t *testing.T) context.Context {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 820),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

// step runs browser actions, failing the test with what it was doing.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// shoot saves a PNG of the page as name in dir.
func shoot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

func TestDashboardInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process and a browser")
	}
	ctx := newBrowser(t)
	dir := artifactsDir(t)
	public, run, g, _ := dashboardServe(t)
	g.fake.SignInAs("alice", "Alice Liddell")

	step(t, ctx, "opening the dashboard", chromedp.Navigate(public+"/"), chromedp.WaitVisible(chromedp.CSS(`a[href^="/auth/github/start"]`)))
	shoot(t, ctx, dir, "signin.png")
	step(t, ctx, "signing in with GitHub", chromedp.Click(chromedp.CSS(`a[href^="/auth/github/start"]`)), chromedp.WaitVisible(chromedp.ID("repos")))
	overview := text(t, ctx, "main")
	for _, want := range []string{"Overview", e2eRepo + "#1", "release-week", "Alice Liddell"} {
		if !strings.Contains(overview+text(t, ctx, "header"), want) {
			t.Errorf("the overview lacks %q:\n%s", want, overview)
		}
	}
	shoot(t, ctx, dir, "overview.png")

	step(t, ctx, "following the check run's details link", chromedp.Navigate(run.DetailsURL), chromedp.WaitVisible(chromedp.ID("rules")))
	change := text(t, ctx, "main")
	for _, want := range []string{e2eRepo + "#1", "approvals", "History of evaluations", ".shipgate.yml"} {
		if !strings.Contains(change, want) {
			t.Errorf("the change page lacks %q:\n%s", want, change)
		}
	}
	shoot(t, ctx, dir, "change.png")

	step(t, ctx, "opening the audit trail", chromedp.Navigate(public+"/audit?kind=evaluation"), chromedp.WaitVisible(chromedp.ID("export-csv")))
	shoot(t, ctx, dir, "audit.png")
	csv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.getElementById("export-csv").href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("exporting the audit CSV: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "id,at,host,repo") || !strings.Contains(lines[1], e2eRepo) || !strings.Contains(lines[1], "evaluation") {
		t.Errorf("the audit CSV:\n%s", csv)
	}
	if err := os.WriteFile(filepath.Join(dir, "audit.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}

	step(t, ctx, "opening the freeze calendar", chromedp.Navigate(public+"/calendar"), chromedp.WaitVisible(chromedp.ID("feed")))
	if cal := text(t, ctx, "main"); !strings.Contains(cal, "release-week") {
		t.Errorf("the calendar lacks the freeze window:\n%s", cal)
	}
	shoot(t, ctx, dir, "calendar.png")

	// The same pages on a phone's width stay readable.
	step(t, ctx, "narrowing to a phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(public+"/"), chromedp.WaitVisible(chromedp.ID("repos")))
	shoot(t, ctx, dir, "overview-phone.png")
	assertNoHorizontalScroll(t, ctx)
}

// assertNoHorizontalScroll checks that the page fits a phone's width
// (tables scroll inside their own wrapper).
func assertNoHorizontalScroll(t *testing.T, ctx context.Context) {
	t.Helper()
	over, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil {
		t.Fatal(err)
	}
	if over {
		t.Error("the overview scrolls sideways on a phone")
	}
}
