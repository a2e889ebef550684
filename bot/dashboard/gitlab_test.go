package dashboard

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/policies"
)

const (
	glClientID = "gitlab-app-id"
	glSecret   = "gitlab-app-secret"
)

// withGitLab adds sign-in with a fake GitLab whose project group/sub/app
// has dave as a Developer; erin is a member of nothing.
func withGitLab(t *testing.T, gl **fakegitlab.Server, srvURL func() string) envOption {
	return func(c *Config) {
		f := fakegitlab.New(t, "bot-token", fakegitlab.User{ID: 1, Username: "shipgate-bot", Bot: true})
		f.AddProject(&fakegitlab.Project{ID: 7, Path: "group/sub/app", DefaultBranch: "main",
			Members: []fakegitlab.Member{{User: fakegitlab.User{ID: 2, Username: "dave"}, AccessLevel: 30}}})
		f.AddProject(&fakegitlab.Project{ID: 8, Path: "group/open", DefaultBranch: "main", Visibility: "public"})
		f.EnableOAuth(fakegitlab.OAuthApp{ClientID: glClientID, ClientSecret: glSecret, RedirectURI: srvURL() + "/auth/gitlab/callback"})
		c.GitLab = &OAuthHost{ClientID: glClientID, ClientSecret: glSecret, WebURL: f.WebURL(), APIURL: f.URL}
		*gl = f
	}
}

func TestSignInWithGitLabReadsTheProjectsAccessLevel(t *testing.T) {
	var gl *fakegitlab.Server
	var e *env
	e = newEnv(t, func(c *Config) { withGitLab(t, &gl, func() string { return c.PublicURL })(c) })
	for _, repo := range []string{"group/sub/app", "group/open", "group/hidden"} {
		if err := e.st.PutPR(e.ctx, store.PRState{Host: policies.GitLab, Repo: repo, Number: 3, BaseBranch: "main", HeadSHA: "a1", State: store.PROpen}); err != nil {
			t.Fatal(err)
		}
		v, _ := json.Marshal(policies.Verdict{Conclusion: policies.Pending})
		if _, err := e.st.SaveEvaluation(e.ctx, store.Evaluation{Host: policies.GitLab, Repo: repo, Number: 3, HeadSHA: "a1", Conclusion: "pending", Verdict: v}); err != nil {
			t.Fatal(err)
		}
	}
	e.seedChange("acme/widgets", 1, "success") // a GitHub repository: not a GitLab viewer's

	b := e.browser()
	_, signin := b.get("/signin")
	if !strings.Contains(signin, "Sign in with GitLab") || !strings.Contains(signin, "Sign in with GitHub") {
		t.Fatalf("the sign-in page lacks a host:\n%s", signin)
	}
	gl.SignInAs(fakegitlab.User{ID: 2, Username: "dave"})
	code, body := b.get("/auth/gitlab/start?next=/")
	if code != http.StatusOK || !strings.Contains(body, "dave") {
		t.Fatalf("GitLab sign-in landed on %d:\n%s", code, body)
	}
	for _, want := range []string{"group/sub/app#3", "group/open#3"} {
		if !strings.Contains(body, want) {
			t.Errorf("the overview lacks %s:\n%s", want, body)
		}
	}
	for _, unwanted := range []string{"group/hidden", "acme/widgets"} {
		if strings.Contains(body, unwanted) {
			t.Errorf("the overview shows %s, which dave cannot read:\n%s", unwanted, body)
		}
	}
	if code, _ := b.get("/repos/gitlab/group/sub/app/-/changes/3"); code != http.StatusOK {
		t.Errorf("the change page of a subgroup project: %d", code)
	}
	if got := gl.OAuthGrants(); len(got) != 1 || got[0] != "dave→"+glClientID {
		t.Errorf("grants = %v", got)
	}
}
