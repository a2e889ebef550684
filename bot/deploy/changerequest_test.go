package deploy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/records"
	"github.com/shipgate/shipgate/internal/fakeservicenow"
	"github.com/shipgate/shipgate/policies"
)

const changePolicy = `version: 1
change_record:
  patterns: ['[A-Z][A-Z0-9]+-\d+', 'CHG\d{7}']
deploy:
  environments:
    - name: production
      on: release
      change_request:
        servicenow:
          short_description: "Deploy {{.Version}} of {{.Repo}} to {{.Environment}}"
          assignment_group: Release Management
          category: Software
        wait_for_approval: true
        duration: 2h
        poll: 1m
      steps:
        - github_workflow: {workflow: deploy.yml, inputs: {environment: production}}
      rollback:
        - github_workflow: {workflow: rollback.yml, inputs: {version: "{{.PreviousVersion}}"}}
`

// newChangeEnv is a world whose production opens a ServiceNow change
// request, on a fake ServiceNow that the real client talks to.
func newChangeEnv(t *testing.T) (*env, *fakeservicenow.Server) {
	t.Helper()
	sn := fakeservicenow.New(t, fakeservicenow.WithBasic("shipgate", "sn-password"))
	client, err := records.NewServiceNow(sn.URL(), "shipgate", "sn-password", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, monday, changePolicy)
	e.changes = client
	e.restart()
	return e, sn
}

// ReleaseNotes implements ReleaseNotes.
func (h *fakeHost) ReleaseNotes(ctx context.Context, repo, tag string) (string, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n, ok := h.notes[tag]
	return n, ok, nil
}

// onlyChange returns the one change request of the fake.
func onlyChange(t *testing.T, sn *fakeservicenow.Server) fakeservicenow.Change {
	t.Helper()
	cs := sn.Changes()
	if len(cs) != 1 {
		t.Fatalf("%d change requests, want 1: %+v", len(cs), cs)
	}
	return cs[0]
}

func approve(sn *fakeservicenow.Server, number string) {
	sn.Update(number, func(c *fakeservicenow.Change) { c.Approval, c.State = "Approved", "Scheduled" })
}

// The deployment opens the change request from the template, waits until
// ServiceNow approves it (across a restart), moves it to Implement when
// the steps run, and closes it successful with the facts.
func TestADeploymentWithAServiceNowChange(t *testing.T) {
	e, sn := newChangeEnv(t)
	e.host.notes = map[string]string{"v1.2.0": "## Features\n- Gift cards (#12, SHOP-12)\n- Coupons removed (SHOP-13, CHG0042421)\n"}
	if err := e.o.Release(e.ctx, "github", repo, "v1.2.0", "abc", Actor{Login: "dave"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	c := onlyChange(t, sn)
	for _, s := range []string{"Release notes:\n## Features\n- Gift cards (#12, SHOP-12)", "Change records: SHOP-12, SHOP-13, CHG0042421"} {
		if !strings.Contains(c.Fields["description"], s) {
			t.Errorf("the description does not say %q:\n%s", s, c.Fields["description"])
		}
	}
	want := map[string]string{"short_description": "Deploy v1.2.0 of " + repo + " to production", "assignment_group": "Release Management",
		"category": "Software", "start_date": "2026-11-16 09:00:00", "end_date": "2026-11-16 11:00:00", "correlation_display": "Shipgate"}
	for k, v := range want {
		if c.Fields[k] != v {
			t.Errorf("field %s = %q, want %q", k, c.Fields[k], v)
		}
	}
	if !strings.Contains(c.Fields["description"], "Commit: abc") || c.Fields["correlation_id"] == "" {
		t.Errorf("fields = %+v", c.Fields)
	}
	e.wantDispatches()
	e.after(time.Minute)
	e.restart() // a SIGKILL while the gate waits: only the store survives
	e.after(time.Minute)
	e.wantDispatches()
	if st := e.state(DeploymentID("github", repo, "production", "v1.2.0", KindDeploy)); !strings.Contains(st.Current().Message, "waiting for ServiceNow to approve change request "+c.Number) {
		t.Errorf("the gate says %q", st.Current().Message)
	}
	approve(sn, c.Number)
	e.after(time.Minute)
	e.wantDispatches("deploy.yml@v1.2.0 environment=production")
	if c = onlyChange(t, sn); c.State != "Implement" {
		t.Errorf("during the steps the change request is %s, want Implement", c.State)
	}
	e.runCompleted("success")
	c = onlyChange(t, sn)
	if c.State != "Closed" || c.Fields["close_code"] != "successful" || !strings.Contains(c.Fields["close_notes"], "v1.2.0 is live on production") ||
		!strings.Contains(c.Fields["close_notes"], "workflow deploy.yml: done") {
		t.Errorf("closed as %s %q: %q", c.State, c.Fields["close_code"], c.Fields["close_notes"])
	}
	audit := strings.Join(e.audit("deploy.change_request", "deploy.step"), "\n")
	for _, s := range []string{c.Number + " opened", "change request done: change request " + c.Number + " approved in ServiceNow",
		"change request: implement done: change request " + c.Number + " moved to Implement", c.Number + " closed successful"} {
		if !strings.Contains(audit, s) {
			t.Errorf("the audit does not say %q:\n%s", s, audit)
		}
	}
	if strings.Contains(audit, "sn-password") {
		t.Errorf("the audit holds the password")
	}
}

// A failed deployment closes its change request unsuccessful, noting the
// rollback to the previous version.
func TestAFailedDeploymentClosesItsChangeFailedWithTheRollback(t *testing.T) {
	e, sn := newChangeEnv(t)
	if err := e.o.Release(e.ctx, "github", repo, "v1.1.0", "aaa", Actor{Login: "dave"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	approve(sn, sn.Changes()[0].Number)
	e.after(time.Minute)
	e.runCompleted("success")
	if err := e.o.Release(e.ctx, "github", repo, "v1.2.0", "bbb", Actor{Login: "dave"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	second := sn.Changes()[1]
	approve(sn, second.Number)
	e.after(time.Minute)
	e.runCompleted("failure")
	e.wantDispatches("deploy.yml@v1.1.0 environment=production", "deploy.yml@v1.2.0 environment=production", "rollback.yml@v1.1.0 version=v1.1.0")
	c, _ := sn.Change(second.Number)
	if c.State != "Closed" || c.Fields["close_code"] != "unsuccessful" || !strings.Contains(c.Fields["close_notes"], "Rolled back: a rollback to v1.1.0 was started") ||
		!strings.Contains(c.Fields["close_notes"], "failed") {
		t.Errorf("closed as %s %q: %q", c.State, c.Fields["close_code"], c.Fields["close_notes"])
	}
	if len(sn.Changes()) != 2 {
		t.Errorf("the rollback opened a change request of its own: %+v", sn.Changes())
	}
}

// A change request rejected in ServiceNow fails the deployment before any
// step ran: nothing is dispatched or rolled back, and it is canceled.
func TestARejectedChangeStopsTheDeployment(t *testing.T) {
	e, sn := newChangeEnv(t)
	if err := e.o.Release(e.ctx, "github", repo, "v1.2.0", "abc", Actor{Login: "dave"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	c := onlyChange(t, sn)
	sn.Update(c.Number, func(c *fakeservicenow.Change) { c.Approval = "Rejected" })
	e.after(time.Minute)
	e.wantDispatches()
	st := e.state(DeploymentID("github", repo, "production", "v1.2.0", KindDeploy))
	if st.Status != StatusFailed || !strings.Contains(st.Message, "was rejected in ServiceNow") {
		t.Errorf("deployment %s: %s", st.Status, st.Message)
	}
	if c = onlyChange(t, sn); c.State != "Canceled" || !strings.Contains(c.Fields["close_notes"], "Not deployed") {
		t.Errorf("the change request is %s: %q", c.State, c.Fields["close_notes"])
	}
}

// Attack: a change request approved and then canceled (or closed) in
// ServiceNow keeps its approval "Approved"; the deployment must not take
// that approval and go.
func TestAnApprovedChangeCanceledAfterwardsStopsTheDeployment(t *testing.T) {
	for _, state := range []string{"Canceled", "Cancelled", "Closed"} {
		t.Run(state, func(t *testing.T) {
			e, sn := newChangeEnv(t)
			if err := e.o.Release(e.ctx, "github", repo, "v1.2.0", "abc", Actor{Login: "dave"}); err != nil {
				t.Fatal(err)
			}
			e.drain()
			c := onlyChange(t, sn)
			sn.Update(c.Number, func(c *fakeservicenow.Change) { c.Approval, c.State = "Approved", state })
			e.after(time.Minute)
			e.wantDispatches()
			st := e.state(DeploymentID("github", repo, "production", "v1.2.0", KindDeploy))
			if st.Status != StatusFailed || !strings.Contains(st.Message, "is "+state+" in ServiceNow") {
				t.Errorf("deployment %s: %s", st.Status, st.Message)
			}
		})
	}
}

// A ServiceNow that keeps failing to open the change request holds the
// deployment only until expires, then fails it saying why; nothing runs.
func TestAChangeThatCannotBeOpenedFailsTheDeploymentAtExpiry(t *testing.T) {
	e, sn := newChangeEnv(t)
	sn.Down()
	if err := e.o.Release(e.ctx, "github", repo, "v1.2.0", "abc", Actor{Login: "dave"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	id := DeploymentID("github", repo, "production", "v1.2.0", KindDeploy)
	if st := e.state(id); st.Status == StatusFailed || !strings.Contains(st.Current().Message, "opening the change request") {
		t.Fatalf("before expiry, deployment %s: %+v", st.Status, st.Current())
	}
	for range 25 {
		e.after(time.Hour)
	}
	e.wantDispatches()
	st := e.state(id)
	if st.Status != StatusFailed || !strings.Contains(st.Message, "gave up after 24h0m0s (change_request.expires)") {
		t.Errorf("deployment %s: %s", st.Status, st.Message)
	}
	if len(sn.Changes()) != 0 {
		t.Errorf("change requests: %+v", sn.Changes())
	}
}

// SIGKILL after ServiceNow opened the change request and before Shipgate
// saved it: the next process finds it by its correlation ID and opens no
// second one.
func TestACrashAfterOpeningTheChangeOpensNoSecond(t *testing.T) {
	e, sn := newChangeEnv(t)
	cfg := e.o.cfg
	cfg.Store = &crashingStore{Store: e.st, crashAfter: func() bool { return len(sn.Changes()) > 0 }}
	e.o = &Orchestrator{cfg: cfg, links: &linkCache{}}
	if err := e.o.Release(e.ctx, "github", repo, "v1.2.0", "abc", Actor{Login: "dave"}); err != nil {
		t.Fatal(err)
	}
	bs, err := e.st.Claim(e.ctx, "test", time.Minute, 16)
	if err != nil || len(bs) != 1 {
		t.Fatalf("claim: %v %d", err, len(bs))
	}
	if err := e.o.Process(e.ctx, bs[0]); err == nil {
		t.Fatal("the job survived the crash")
	}
	e.restart()
	e.after(2 * time.Minute)
	c := onlyChange(t, sn)
	approve(sn, c.Number)
	e.after(time.Minute)
	e.runCompleted("success")
	if c = onlyChange(t, sn); c.Fields["close_code"] != "successful" {
		t.Errorf("closed as %q", c.Fields["close_code"])
	}
}

// Without ServiceNow settings the deployment fails at once, saying which.
func TestAChangeRequestWithoutSettingsFailsSayingWhich(t *testing.T) {
	e := newEnvWith(t, monday, changePolicy)
	if err := e.o.Release(e.ctx, "github", repo, "v1.2.0", "abc", Actor{Login: "dave"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	st := e.state(DeploymentID(policies.GitHub, repo, "production", "v1.2.0", KindDeploy))
	if st.Status != StatusFailed || !strings.Contains(st.Message, "SHIPGATE_SERVICENOW_URL") {
		t.Errorf("deployment %s: %s", st.Status, st.Message)
	}
	e.wantDispatches()
}
