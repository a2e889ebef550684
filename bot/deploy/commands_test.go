package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

func TestCommands(t *testing.T) {
	perms := map[string]policies.Permission{"maint": policies.PermMaintain, "writer": policies.PermWrite, "reader": policies.PermRead, "alice": policies.PermRead}
	tests := []struct {
		name       string
		allowRefs  bool
		actor      string
		cmd, args  string
		wantOK     bool
		wantReply  string
		wantStatus []string
	}{
		{"a commenter with write access cannot /deploy", false, "writer", "deploy", "production v1.2.0", false, "needs maintain access", nil},
		{"a commenter with read access cannot /rollback", false, "reader", "rollback", "production", false, "needs maintain access", nil},
		{"a maintainer deploys a validated release tag", false, "maint", "deploy", "production v1.3.0", true, "deploying v1.3.0 to production", []string{"production@v1.3.0:queued"}},
		{"a maintainer deploys the latest release", false, "maint", "deploy", "production latest", true, "deploying v1.3.0 to production", []string{"production@v1.3.0:queued"}},
		{"a maintainer deploys the latest release by default", false, "maint", "deploy", "production", true, "deploying v1.3.0 to production", []string{"production@v1.3.0:queued"}},
		{"/deploy production main is refused without allow_refs", false, "maint", "deploy", "production main", false, "main is not a release tag that Shipgate validated", nil},
		{"/deploy production ../x is refused", false, "maint", "deploy", "production ../x", false, "../x is not a tag, a branch or a commit name", nil},
		{"/deploy production ../x is refused with allow_refs too", true, "maint", "deploy", "production ../x", false, "is not a tag, a branch or a commit name", nil},
		{"a tag nobody validated is refused", false, "maint", "deploy", "production v9.9.9", false, "v9.9.9 is not a release tag that Shipgate validated", nil},
		{"with allow_refs a maintainer deploys a branch", true, "maint", "deploy", "production main", true, "deploying main to production", []string{"production@main:queued"}},
		{"with allow_refs a ref that does not exist is refused", true, "maint", "deploy", "production nope", false, "names no tag, branch or commit", nil},
		{"a maintainer must name a known environment", false, "maint", "deploy", "prod v1.3.0", false, "the policy has no environment prod; its environments: staging, production", nil},
		{"an environment name cannot close the reply's markup", false, "maint", "deploy", "</code><!--x v1.3.0", false, "no environment &lt;/code&gt;&lt;!--x", nil},
		{"a maintainer rolls back to the previous version", false, "maint", "rollback", "production", true, "rolling back production", []string{"production@v1.1.0:queued", "production@v1.1.0:in_progress"}},
		{"rolling back what has no earlier version is a refusal", false, "maint", "rollback", "staging", false, "staging has no successful deployment to roll back", nil},
		{"a rejection needs a reason", false, "alice", "reject-deploy", "production", false, "give the reason", nil},
		{"approving with nothing waiting says so", false, "alice", "approve-deploy", "staging", false, "no deployment to staging is waiting", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, monday)
			e.policy.DeployAllowRefs = tc.allowRefs
			deployTo(t, e, "v1.1.0")
			deployTo(t, e, "v1.2.0")
			e.host.mu.Lock()
			e.host.Statuses = nil
			e.host.mu.Unlock()
			ok, reply, err := e.o.Command(e.ctx, CommandRequest{Repo: repo, Number: 7, Command: policies.Command{Name: tc.cmd, Args: tc.args, Known: true},
				Actor: policies.Actor{Login: tc.actor}, Change: &policies.Change{Permissions: perms}, Dedupe: "c1"})
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.wantOK || !strings.Contains(reply, tc.wantReply) {
				t.Fatalf("Command = %v %q; want %v and %q", ok, reply, tc.wantOK, tc.wantReply)
			}
			e.drain()
			e.wantStatuses(tc.wantStatus...)
		})
	}
}

// TestDeployingARefIsAuditedAsSuch: with deploy.allow_refs a branch
// deploys, and the audit log says it was a ref, not a validated release.
func TestDeployingARefIsAuditedAsSuch(t *testing.T) {
	e := newEnv(t, monday)
	e.policy.DeployAllowRefs = true
	perms := map[string]policies.Permission{"maint": policies.PermMaintain}
	if ok, reply, _ := e.o.Command(e.ctx, CommandRequest{Repo: repo, Number: 7, Command: policies.Command{Name: "deploy", Args: "production main", Known: true},
		Actor: policies.Actor{Login: "maint"}, Change: &policies.Change{Permissions: perms}}); !ok {
		t.Fatalf("refused: %s", reply)
	}
	got := e.audit("deploy.start")
	if len(got) != 1 || !strings.Contains(got[0], "/deploy of main, a ref and not a validated release (deploy.allow_refs), by maint on #7") {
		t.Fatalf("start audit: %q", got)
	}
}

// TestAnUnauthorisedApprovalCommandIsRefusedWithTheReason: the gate's
// rules are checked before the comment is answered, so a refused
// /approve-deploy is told why, audited, and decides nothing.
func TestAnUnauthorisedApprovalCommandIsRefusedWithTheReason(t *testing.T) {
	e := newEnv(t, monday)
	if _, _, err := e.o.Start(e.ctx, StartRequest{Repo: repo, Environment: "production", Version: "v1.2.0", Actor: Actor{Login: "dave"}}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	for _, tc := range []struct{ who, want string }{
		{"mallory", "mallory is not an approver of this gate; approvers: alice, slack:U0BOB"},
		{"dave", "dave started this deployment and cannot approve it"},
	} {
		ok, reply, err := e.o.Command(e.ctx, CommandRequest{Repo: repo, Number: 7, Command: policies.Command{Name: "approve-deploy", Args: "production", Known: true},
			Actor: policies.Actor{Login: tc.who}, Change: &policies.Change{Permissions: map[string]policies.Permission{tc.who: policies.PermWrite}}, Dedupe: "c-" + tc.who})
		if err != nil || ok || reply != tc.want {
			t.Errorf("%s: Command = %v %q %v; want a refusal %q", tc.who, ok, reply, err, tc.want)
		}
	}
	e.drain()
	e.wantDispatches()
	if got := e.audit("deploy.decision"); len(got) != 2 || !strings.Contains(got[0], "refused: mallory is not an approver") {
		t.Errorf("decision audit: %q", got)
	}
	ok, reply, _ := e.o.Command(e.ctx, CommandRequest{Repo: repo, Number: 7, Command: policies.Command{Name: "approve-deploy", Args: "production", Known: true},
		Actor: policies.Actor{Login: "alice"}, Change: &policies.Change{Permissions: map[string]policies.Permission{"alice": policies.PermRead}}, Dedupe: "c-alice"})
	if !ok || reply != "approval of the v1.2.0 to production recorded" {
		t.Fatalf("alice: %v %q", ok, reply)
	}
	e.drain()
	e.wantDispatches("deploy.yml@v1.2.0 environment=production")
}

// failingPolicies fails as a database or an API would.
type failingPolicies struct{}

func (failingPolicies) DeployPolicy(context.Context, policies.Host, string) (*policies.Policy, error) {
	return nil, errors.New(`GET https://api.github.com/repos/acme/widgets/contents/.shipgate.yml: 502 token=ghs_secret`)
}

// TestAnInternalErrorIsLoggedWithAnIDAndNotShown: the reply names an error
// ID that the log has too, and never the raw error.
func TestAnInternalErrorIsLoggedWithAnIDAndNotShown(t *testing.T) {
	e := newEnv(t, monday)
	var log strings.Builder
	e.setHost(func(h *HostIntegrations) { h.Policies = failingPolicies{} })
	e.o.cfg.Logger = zerolog.New(&log)
	ok, reply, err := e.o.Command(e.ctx, CommandRequest{Repo: repo, Number: 7, Command: policies.Command{Name: "rollback", Args: "production", Known: true},
		Actor: policies.Actor{Login: "maint"}})
	if err != nil || ok {
		t.Fatalf("Command = %v, %v", ok, err)
	}
	if strings.Contains(reply, "502") || strings.Contains(reply, "ghs_") || !strings.Contains(reply, "something failed on its side") {
		t.Fatalf("reply: %q", reply)
	}
	i := strings.Index(reply, "sg-err-")
	id := reply[i : i+len("sg-err-")+12]
	if !strings.Contains(log.String(), `"error_id":"`+id+`"`) || !strings.Contains(log.String(), "502") {
		t.Fatalf("the log lacks %s with the error:\n%s", id, log.String())
	}
	if strings.Contains(templates.Inert(reply), "\n") {
		t.Fatal("the reply spans lines")
	}
}
