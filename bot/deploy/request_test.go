package deploy

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

// waitingProduction starts v1.2.0 on production, started by dave, and
// runs it to its approval gate.
func waitingProduction(t *testing.T) (*env, string) {
	t.Helper()
	e := newEnv(t, monday)
	id, _, err := e.o.Start(e.ctx, StartRequest{Repo: repo, Environment: "production", Version: "v1.2.0", Actor: Actor{Login: "dave"}, Trigger: "/deploy"})
	if err != nil {
		t.Fatal(err)
	}
	e.drain()
	if st := e.state(id); st.Step != 1 || st.Current().Status != stepRunning {
		t.Fatalf("production is not at its gate: step %d %+v", st.Step, st.Steps)
	}
	return e, id
}

func (e *env) request(r DecisionRequest) string {
	e.t.Helper()
	if r.Host == "" {
		r.Host = policies.GitHub
	}
	why, err := e.o.Request(e.ctx, r)
	if err != nil {
		e.t.Fatal(err)
	}
	return why
}

// TestAWebApprovalMovesTheDeploymentOn: the approver's request is
// accepted, queued, and applied by the same job as a Slack click.
func TestAWebApprovalMovesTheDeploymentOn(t *testing.T) {
	e, id := waitingProduction(t)
	if why := e.request(DecisionRequest{ID: id, Actor: Actor{Login: "alice"}, Approve: true, Via: ViaWeb, Dedupe: "web:alice:n1"}); why != "" {
		t.Fatalf("alice refused: %s", why)
	}
	e.drain()
	e.wantDispatches("deploy.yml@v1.2.0 environment=production")
	if d := e.state(id).Steps[1].Decisions; len(d) != 1 || d[0].Person != "alice" || d[0].Via != ViaWeb {
		t.Fatalf("decisions: %+v", d)
	}
	if got := e.audit("deploy.decision"); len(got) != 1 || !strings.HasPrefix(got[0], "alice production@v1.2.0: approval approved") {
		t.Fatalf("decision audit: %q", got)
	}
}

// TestWebDecisionAttacks: each refusal is told at once and nothing is
// queued; refusals about who decides are audited.
func TestWebDecisionAttacks(t *testing.T) {
	tests := []struct {
		name    string
		r       DecisionRequest
		refused string
		audited bool
	}{
		{"a person not in from: is refused", DecisionRequest{Actor: Actor{Login: "mallory"}, Approve: true},
			"mallory is not an approver of this gate; approvers: alice, slack:U0BOB", true},
		{"the starter is refused", DecisionRequest{Actor: Actor{Login: "dave"}, Approve: true},
			"dave started this deployment and cannot approve it", true},
		{"a reject without a reason is refused", DecisionRequest{Actor: Actor{Login: "alice"}, Reason: "  "},
			"a rejection needs a reason", false},
		{"an approver's name signed in on another host is refused", DecisionRequest{Host: policies.GitLab, Actor: Actor{Login: "alice"}, Approve: true},
			"runs on github and you signed in on gitlab", false},
		{"an unknown deployment is refused", DecisionRequest{ID: "github:acme/widgets:production:v9", Actor: Actor{Login: "alice"}, Approve: true},
			"there is no such deployment", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, id := waitingProduction(t)
			r := tt.r
			if r.ID == "" {
				r.ID = id
			}
			r.Via, r.Dedupe = ViaWeb, "web:n1"
			if why := e.request(r); !strings.Contains(why, tt.refused) {
				t.Fatalf("refusal %q, want %q", why, tt.refused)
			}
			e.drain()
			e.wantDispatches()
			if st := e.state(id); st.Status != StatusRunning || len(st.Current().Decisions) != 0 {
				t.Fatalf("the deployment changed: %s %+v", st.Status, st.Current())
			}
			if got := e.audit("deploy.decision"); (len(got) == 1) != tt.audited {
				t.Fatalf("decision audit %q, audited want %v", got, tt.audited)
			}
		})
	}
}

// TestAReplayedWebDecisionHasNoSecondEffect: the same request twice (a
// replayed POST) queues one decision; the job never sees a second one.
func TestAReplayedWebDecisionHasNoSecondEffect(t *testing.T) {
	e, id := waitingProduction(t)
	r := DecisionRequest{ID: id, Actor: Actor{Login: "alice"}, Approve: true, Via: ViaWeb, Dedupe: "web:alice:n1"}
	for i := range 2 {
		if why := e.request(r); why != "" {
			t.Fatalf("request %d refused: %s", i+1, why)
		}
	}
	e.drain()
	if len(e.notes.Refused) != 0 {
		t.Fatalf("a second decision reached the job: %q", e.notes.Refused)
	}
	// After it was applied, the replay is refused and changes nothing.
	if why := e.request(r); !strings.Contains(why, "not waiting for a decision") {
		t.Fatalf("replay after the gate: %q", why)
	}
	e.drain()
	e.wantDispatches("deploy.yml@v1.2.0 environment=production")
	if got := e.audit("deploy.decision"); len(got) != 1 {
		t.Fatalf("decision audit: %q", got)
	}
}

// TestWaitingGateTellsWhoMayApprove: the gate, its approvers, and why a
// viewer may not approve, with no effect.
func TestWaitingGateTellsWhoMayApprove(t *testing.T) {
	e, id := waitingProduction(t)
	d, err := e.st.GetDeployment(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		host    policies.Host
		login   string
		refused string
	}{
		{policies.GitHub, "alice", ""},
		{policies.GitHub, "mallory", "not an approver"},
		{policies.GitHub, "dave", "started this deployment"},
		{policies.GitLab, "alice", "signed in on gitlab"},
	} {
		g, ok, err := e.o.WaitingGate(e.ctx, d, tt.host, Actor{Login: tt.login})
		if err != nil || !ok {
			t.Fatalf("%s: WaitingGate = %v, %v", tt.login, ok, err)
		}
		if g.Step != "approval" || g.Required != 1 || g.From != "alice, slack:U0BOB" || g.Until.IsZero() {
			t.Fatalf("gate: %+v", g)
		}
		if (tt.refused == "") != (g.Refused == "") || !strings.Contains(g.Refused, tt.refused) {
			t.Fatalf("%s on %s: refused %q, want %q", tt.login, tt.host, g.Refused, tt.refused)
		}
	}
	if got := e.audit("deploy.decision"); len(got) != 0 {
		t.Fatalf("looking audited: %q", got)
	}
	// Staging, at its workflow, waits on no gate.
	if _, _, err := e.o.Start(e.ctx, StartRequest{Repo: repo, Environment: "staging", Version: "v1.2.0", Actor: Actor{Login: "dave"}}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	s, _ := e.st.GetDeployment(e.ctx, stagingID())
	if _, ok, err := e.o.WaitingGate(e.ctx, s, policies.GitHub, Actor{Login: "alice"}); ok || err != nil {
		t.Fatalf("staging: WaitingGate = %v, %v", ok, err)
	}
}
