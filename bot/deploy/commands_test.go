package deploy

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

func TestCommands(t *testing.T) {
	perms := map[string]policies.Permission{"maint": policies.PermMaintain, "writer": policies.PermWrite, "reader": policies.PermRead, "alice": policies.PermRead}
	tests := []struct {
		name       string
		actor      string
		cmd, args  string
		wantOK     bool
		wantReply  string
		wantStatus []string
	}{
		{"a commenter with write access cannot /deploy", "writer", "deploy", "production v1.2.0", false, "needs maintain access", nil},
		{"a commenter with read access cannot /rollback", "reader", "rollback", "production", false, "needs maintain access", nil},
		{"a maintainer deploys a version", "maint", "deploy", "production v1.3.0", true, "deploying v1.3.0 to production", []string{"production@v1.3.0:queued"}},
		{"a maintainer must name a known environment", "maint", "deploy", "prod v1.3.0", false, `no environment "prod"`, nil},
		{"a maintainer rolls back to the previous version", "maint", "rollback", "production", true, "rolling back production", []string{"production@v1.1.0:queued", "production@v1.1.0:in_progress"}},
		{"a rejection needs a reason", "alice", "reject-deploy", "production", false, "give the reason", nil},
		{"approving with nothing waiting says so", "alice", "approve-deploy", "staging", false, "no deployment to staging is waiting", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, monday)
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
