package dashboard

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// deployPolicy gates production on alice or the @acme/sre team; the
// steps are waits, so a deployment moves on the clock alone.
const deployPolicy = `version: 1
deploy:
  environments:
    - name: staging
      on: release
      steps:
        - wait: 30m
    - name: production
      after: staging
      approval: {required: 1, from: [alice, "@acme/sre"]}
      steps:
        - wait: 1h
`

const (
	deployRepo = "acme/widgets"
	secretRepo = "acme/secret"
)

// staticPolicies serves one policy for every repository.
type staticPolicies struct{ p *policies.Policy }

func (s staticPolicies) DeployPolicy(context.Context, policies.Host, string) (*policies.Policy, error) {
	return s.p, nil
}

// deployWorld is the dashboard with the real orchestrator on its store.
// On the fake GitHub: alice (approver), mallory (writer, not an
// approver), dave (maintainer, who starts deployments) read acme/widgets;
// eve reads nothing of it; acme/secret is dave's alone.
type deployWorld struct {
	*env
	o *deploy.Orchestrator
}

func withOrchestrator(o **deploy.Orchestrator) envOption {
	return func(c *Config) {
		p, err := policies.Load(".shipgate.yml", []byte(deployPolicy))
		if err != nil {
			panic(err)
		}
		orch, err := deploy.New(deploy.Config{Store: c.Store, Now: c.Now,
			Hosts: map[policies.Host]deploy.HostIntegrations{policies.GitHub: {Policies: staticPolicies{p}}}})
		if err != nil {
			panic(err)
		}
		*o, c.Deployments = orch, orch
	}
}

func newDeployWorld(t testing.TB, opts ...envOption) *deployWorld {
	t.Helper()
	w := &deployWorld{}
	w.env = newEnv(t, append(opts, withOrchestrator(&w.o))...)
	w.gh.AddRepo(fakegithubRepo(deployRepo, true))
	w.gh.AddRepo(fakegithubRepo(secretRepo, true))
	for login, role := range map[string]string{"alice": "write", "mallory": "write", "dave": "maintain"} {
		w.gh.SetPermission(deployRepo, login, role)
	}
	w.gh.SetPermission(secretRepo, "dave", "admin")
	return w
}

// start starts version on environment of repo, started by dave, and runs
// it as far as it goes; it returns the deployment's ID.
func (w *deployWorld) start(repo, environment, version string) string {
	w.t.Helper()
	id, _, err := w.o.Start(w.ctx, deploy.StartRequest{Host: policies.GitHub, Repo: repo, Environment: environment, Version: version,
		Actor: deploy.Actor{Login: "dave"}, Trigger: "/deploy by dave on #7"})
	if err != nil {
		w.t.Fatal(err)
	}
	w.drain()
	return id
}

// drain runs every due job of the orchestrator, as the workers would.
func (w *deployWorld) drain() {
	w.t.Helper()
	for range 100 {
		bs, err := w.st.Claim(w.ctx, "test", time.Minute, 16)
		if err != nil {
			w.t.Fatal(err)
		}
		if len(bs) == 0 {
			return
		}
		for _, b := range bs {
			if err := w.o.Process(w.ctx, b); err != nil {
				w.t.Fatalf("processing %s: %v", b.Key, err)
			}
			if err := w.st.Complete(w.ctx, b.Lease, b.IDs()...); err != nil {
				w.t.Fatal(err)
			}
		}
	}
	w.t.Fatal("the queue never drained")
}

// state reads a deployment's state.
func (w *deployWorld) state(id string) deploy.State {
	w.t.Helper()
	d, err := w.st.GetDeployment(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	var st deploy.State
	if err := json.Unmarshal(d.Data, &st); err != nil {
		w.t.Fatal(err)
	}
	return st
}

// decisions lists the deploy.decision audit events as "actor outcome".
func (w *deployWorld) decisions() []string {
	w.t.Helper()
	var out []string
	err := w.st.ExportAudit(w.ctx, store.AuditFilter{Kinds: []string{"deploy.decision"}}, func(e store.AuditEvent) error {
		out = append(out, e.Actor+" "+e.Outcome)
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

var (
	csrfField  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	nonceField = regexp.MustCompile(`name="nonce" value="([^"]+)"`)
)

// formOf returns the CSRF token and the first decision nonce of a page.
func formOf(t testing.TB, page string) (csrf, nonce string) {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	csrf = m[1]
	if n := nonceField.FindStringSubmatch(page); n != nil {
		nonce = n[1]
	}
	return csrf, nonce
}

// submit sends a form as the browser would, from the dashboard's origin,
// following redirects.
func (b *browser) submit(path string, form url.Values) (int, string) {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.e.srv.URL)
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// decideAs signs login in, opens the Approvals page, and sends decision
// on deployment id with the page's tokens (a nonce of its own when the
// page offers no form to login).
func (w *deployWorld) decideAs(login, id, decision, reason string) (int, string) {
	w.t.Helper()
	b := w.browser()
	b.signIn(login, "/approvals")
	_, page := b.get("/approvals")
	csrf, nonce := formOf(w.t, page)
	if nonce == "" {
		nonce = "forged-" + login
	}
	return b.submit("/approvals", url.Values{"csrf": {csrf}, "deployment": {id}, "decision": {decision}, "reason": {reason}, "nonce": {nonce}})
}

var preCSRFField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// signInReadOnly signs in with the dashboard token.
func (b *browser) signInReadOnly() {
	b.e.t.Helper()
	_, page := b.get("/signin?next=/approvals")
	m := preCSRFField.FindStringSubmatch(page)
	if m == nil {
		b.e.t.Fatalf("no token form on the sign-in page:\n%s", page)
	}
	if code, page := b.submit("/signin/token", url.Values{"csrf": {m[1]}, "token": {testDashToken}, "next": {"/approvals"}}); code != http.StatusOK {
		b.e.t.Fatalf("token sign-in: %d\n%s", code, page)
	}
}
