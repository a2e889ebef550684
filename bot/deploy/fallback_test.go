package deploy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// TestLostWorkflowRunWebhookIsCaughtByPolling: no workflow_run webhook
// arrives; the per-minute API check sees the run completed.
func TestLostWorkflowRunWebhookIsCaughtByPolling(t *testing.T) {
	e := newEnv(t, monday)
	if err := e.o.Release(e.ctx, "github", repo, "v1.2.0", "abc", Actor{Login: "dave"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.host.complete("success") // and the webhook is lost
	e.after(time.Minute)
	if st := e.state(stagingID()); st.Steps[1].Status != stepDone || st.Steps[1].Conclusion != "success" {
		t.Fatalf("workflow step: %+v", st.Steps[1])
	}
	e.wantDispatches("deploy.yml@v1.2.0 environment=staging")
}

type teams map[string][]string

func (m teams) IsTeamMember(ctx context.Context, team, login string) (bool, error) {
	for _, l := range m[team] {
		if strings.EqualFold(l, login) {
			return true, nil
		}
	}
	return false, nil
}

type groups map[string][]string

func (m groups) InSlackGroup(ctx context.Context, group, user string) (bool, error) {
	for _, u := range m[group] {
		if u == user {
			return true, nil
		}
	}
	return false, nil
}

// TestApproversThroughTeamsAndSlackGroups: `@org/team` members and Slack
// user-group members approve; a person in two groups counts once.
func TestApproversThroughTeamsAndSlackGroups(t *testing.T) {
	e := newEnv(t, monday)
	gate := e.policy.Deploy[1].Approval
	gate.Required = 2
	gate.From = append(gate.From[:0:0], mustPrincipal(t, "@acme/sre"), mustPrincipal(t, "slack:S0SRE"))
	e.setHost(func(h *HostIntegrations) { h.Teams = teams{"acme/sre": {"alice", "erin"}} })
	e.o.cfg.Groups = groups{"S0SRE": {"U0ALICE", "U0FRANK"}}
	// The starter's Slack user is known, so frank, known only on Slack,
	// cannot be him.
	e.policy.Notify.SlackUsers["dave"] = "U0DAVE"
	if _, _, err := e.o.Start(e.ctx, StartRequest{Repo: repo, Environment: "production", Version: "v1.2.0", Actor: Actor{Login: "dave"}}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	// alice by comment (team), then alice in Slack (group): one person.
	e.o.Decide(e.ctx, productionID(), Actor{Login: "alice"}, true, "", "comment", "a1")
	e.o.Decide(e.ctx, productionID(), Actor{SlackUser: "U0ALICE"}, true, "", "slack", "a2")
	e.drain()
	e.wantDispatches()
	if len(e.notes.Refused) != 1 || !strings.Contains(e.notes.Refused[0], "decided already") {
		t.Fatalf("refusals: %q", e.notes.Refused)
	}
	e.o.Decide(e.ctx, productionID(), Actor{SlackUser: "U0FRANK"}, true, "", "slack", "a3")
	e.drain()
	e.wantDispatches("deploy.yml@v1.2.0 environment=production")
}

func mustPrincipal(t *testing.T, s string) policies.Principal {
	t.Helper()
	p, err := policies.ParsePrincipal(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
