package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/shipgate/shipgate/bot/dashboard"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/policies"
)

// dashboardReleaseServer is newReleaseServer with the dashboard on,
// signing in through the fake GitHub's OAuth app: bob approves
// production; mallory, who may read the repository, may not.
func dashboardReleaseServer(t *testing.T) (w *releaseServer, public string) {
	t.Helper()
	addr := freeAddr(t)
	public = "http://" + addr
	w = newReleaseServerAt(t, addr, func(w *releaseServer) []string {
		return []string{
			"SHIPGATE_PUBLIC_URL=" + public,
			"SHIPGATE_GITHUB_CLIENT_ID=" + dashClientID,
			"SHIPGATE_GITHUB_CLIENT_SECRET=" + dashSecret,
			"SHIPGATE_SESSION_SECRET=e2e-session-secret-of-at-least-32-bytes!",
			"SHIPGATE_GITHUB_WEB_URL=" + strings.TrimSuffix(w.fake.URL(), "/api/v3/"),
		}
	})
	w.fake.EnableOAuth(fakegithub.OAuthApp{ClientID: dashClientID, ClientSecret: dashSecret, CallbackURL: public + "/auth/github/callback"})
	w.fake.SetPermission(w.repo, "bob", "write")
	w.fake.SetPermission(w.repo, "mallory", "write")
	return w, public
}

// signInTo opens path in a fresh browser as login, through the sign-in
// page and the fake GitHub's OAuth flow, and waits for sel.
func signInTo(t *testing.T, w *releaseServer, public, login, path, sel string) context.Context {
	t.Helper()
	ctx := newBrowser(t)
	w.fake.SignInAs(login, strings.ToUpper(login[:1])+login[1:])
	step(t, ctx, login+" opens "+path, chromedp.Navigate(public+path), chromedp.WaitVisible(chromedp.CSS(`a[href^="/auth/github/start"]`)))
	step(t, ctx, login+" signs in with GitHub", chromedp.Click(chromedp.CSS(`a[href^="/auth/github/start"]`)), chromedp.WaitVisible(chromedp.CSS(sel)))
	return ctx
}

// TestApprovingADeploymentInABrowser takes a release to production's gate
// through a real `shipgate serve`, then: mallory sees that the gate is not
// hers, and her approval, sent anyway, is refused and changes nothing;
// bob approves from the Approvals page, opens the deployment, and sees it
// move on to success as its run completes, without reloading.
func TestApprovingADeploymentInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process and a browser")
	}
	chromiumPath(t)
	dir := artifactsDir(t)
	w, public := dashboardReleaseServer(t)
	w.deliver("push", w.fake.Payload(w.fake.PushEvent(w.repo, "refs/tags/v1.0.0", "", w.sha, "alice")))
	w.finish("staging")
	w.waitFor("production's gate", func() bool {
		msgs := w.slack.Messages()
		return len(msgs) == 1 && strings.Contains(msgs[0].Blocks, `"action_id":"deploy_approve"`)
	})
	id := "github:" + w.repo + ":production:v1.0.0"

	// mallory: the gate waits for others; her approval is refused.
	m := signInTo(t, w, public, "mallory", "/approvals", "#others")
	if others := text(t, m, "main"); !strings.Contains(others, "mallory is not an approver of this gate; approvers: bob") || !strings.Contains(others, "Nothing waits for you.") {
		t.Fatalf("mallory's approvals page:\n%s", others)
	}
	shoot(t, m, dir, "approvals-not-yours.png")
	// The page offers her no form: she builds one, with her session's
	// CSRF token, as anyone could.
	if _, err := chromedp.Run(m, chromedp.Evaluate[bool](`(() => {
			const f = document.createElement("form");
			f.method = "post"; f.action = "/approvals";
			const add = (n, v) => { const i = document.createElement("input"); i.type = "hidden"; i.name = n; i.value = v; f.appendChild(i); };
			add("csrf", document.querySelector('input[name="csrf"]').value);
			add("deployment", "`+id+`"); add("decision", "approve"); add("nonce", "mallory-tries");
			document.body.appendChild(f); f.submit();
			return true;
		})()`)); err != nil {
		t.Fatalf("mallory sends an approval anyway: %v", err)
	}
	step(t, m, "mallory's answer", chromedp.WaitVisible(chromedp.CSS(`p.error`)))
	if refusal := text(t, m, "main"); !strings.Contains(refusal, "Nothing changed") || !strings.Contains(refusal, "mallory is not an approver") {
		t.Fatalf("mallory's refusal:\n%s", refusal)
	}
	shoot(t, m, dir, "approval-refused.png")
	if a := deployAudit(t, w.db); !strings.Contains(a, "refused: mallory is not an approver") {
		t.Errorf("the audit lacks mallory's refusal:\n%s", a)
	}
	if r := w.run("production"); r.ID != 0 {
		t.Fatalf("production was dispatched after mallory's approval: %+v", r)
	}

	// bob approves from the Approvals page.
	b := signInTo(t, w, public, "bob", "/approvals", "#mine")
	if mine := text(t, b, "#main"); !strings.Contains(mine, "Waiting for you (1)") || !strings.Contains(mine, "v1.0.0 to production") {
		t.Fatalf("bob's approvals page:\n%s", mine)
	}
	shoot(t, b, dir, "approvals.png")
	step(t, b, "bob approves", chromedp.Click(chromedp.CSS(`button[value="approve"]`)), chromedp.WaitVisible(chromedp.CSS(`p.notice`)))
	if done := text(t, b, "main"); !strings.Contains(done, "Approval recorded") {
		t.Fatalf("after bob's approval:\n%s", done)
	}
	step(t, b, "bob opens the deployment", chromedp.Click(chromedp.CSS(`a[href*="/-/deployments/"]`)), chromedp.WaitVisible(chromedp.ID("live")))
	w.finish("production")
	step(t, b, "the page follows the deployment to success", chromedp.WaitVisible(chromedp.CSS(`#live dl.facts .badge.succeeded`)))
	page := text(t, b, "#live")
	for _, want := range []string{"succeeded", "bob approved", "via web", "workflow deploy.yml"} {
		if !strings.Contains(page, want) {
			t.Errorf("the deployment page lacks %q:\n%s", want, page)
		}
	}
	shoot(t, b, dir, "deployment.png")
	if a := deployAudit(t, w.db); !strings.Contains(a, "deploy.decision,bob,production@v1.0.0: approval,approved") {
		t.Errorf("the audit lacks bob's approval:\n%s", a)
	}

	step(t, b, "bob opens the release", chromedp.Navigate(public+dashboard.ReleasePath(policies.GitHub, w.repo, "v1.0.0")),
		chromedp.WaitVisible(chromedp.ID("env-production")))
	if rel := text(t, b, "main"); !strings.Contains(rel, "Release v1.0.0") || !strings.Contains(rel, "staging") {
		t.Errorf("the release page:\n%s", rel)
	}
	shoot(t, b, dir, "release.png")
	step(t, b, "bob opens the deployments", chromedp.Navigate(public+"/deployments"), chromedp.WaitVisible(chromedp.ID("finished")))
	shoot(t, b, dir, "deployments.png")
}
