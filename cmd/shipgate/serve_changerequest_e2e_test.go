package main

import (
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakeservicenow"
)

const serveChangePolicy = `version: 1
tags:
  prefix: v
  branches: [main]
deploy:
  environments:
    - name: production
      on: release
      change_request:
        servicenow:
          short_description: "Deploy {{.Version}} of {{.Repo}}"
          assignment_group: Release Management
        wait_for_approval: true
        poll: 10s
      steps:
        - github_workflow: {workflow: deploy.yml}
`

// TestServeChangeRequestSurvivesSIGKILL deploys a tag whose environment
// opens a ServiceNow change request, through real `shipgate serve`
// processes that are SIGKILLed while the gate waits for ServiceNow's
// approval and while the workflow runs: one change request is opened,
// the workflow waits for the approval and is dispatched once, and the
// change request is moved to Implement and closed successful.
func TestServeChangeRequestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	const (
		repo, secret, token = "acme/widgets", "e2e-secret", "ghs_e2e"
		snUser, snPassword  = "shipgate", "sn-secret-password"
	)
	fake := fakegithub.New(t, fakegithub.WithToken(token), fakegithub.WithClock(time.Now))
	fake.AddRepo(fakegithub.Repo{FullName: repo})
	sha := fake.AddCommit(repo, fakegithub.Commit{Message: "feat: widgets", Author: "alice"})
	fake.SetBranch(repo, "main", sha)
	fake.SetFile(repo, "main", ".shipgate.yml", serveChangePolicy)
	fake.SetPermission(repo, "alice", "maintain")
	fake.AddTag(repo, "v1.0.0", sha)
	sn := fakeservicenow.New(t, fakeservicenow.WithBasic(snUser, snPassword))

	db := t.TempDir() + "/shipgate.db"
	env := []string{"SHIPGATE_DATABASE_URL=" + db, "SHIPGATE_GITHUB_API_URL=" + fake.URL(), "SHIPGATE_GITHUB_TOKEN=" + token,
		"SHIPGATE_GITHUB_WEBHOOK_SECRET=" + secret, "SHIPGATE_JOB_LEASE=2s", "SHIPGATE_RECONCILE_INTERVAL=0", "SHIPGATE_LOG_LEVEL=info",
		"SHIPGATE_SERVICENOW_URL=" + sn.URL(), "SHIPGATE_SERVICENOW_USER=" + snUser, "SHIPGATE_SERVICENOW_PASSWORD=" + snPassword}
	kill := func(p *serveProcess) {
		t.Helper()
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = p.waitExit()
		if strings.Contains(p.out.String(), snPassword) {
			t.Errorf("the server's log holds ServiceNow's password")
		}
	}
	waitFor := func(p *serveProcess, what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(45 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\nchanges: %+v\ndispatches: %q\naudit:\n%s\nserver:\n%s", what, sn.Changes(), fake.Dispatches(), deployAudit(t, db), p.out)
			}
		}
	}
	change := func() fakeservicenow.Change {
		t.Helper()
		cs := sn.Changes()
		if len(cs) != 1 {
			t.Fatalf("change requests: %+v, want one", cs)
		}
		return cs[0]
	}

	// 1. The tag opens the change request; SIGKILL while the gate waits.
	first := startServe(t, env)
	deliverWebhook(t, first, secret, "push", "push-v1.0.0", fake.Payload(fake.PushEvent(repo, "refs/tags/v1.0.0", "", sha, "alice")))
	waitFor(first, "the change request", func() bool { return len(sn.Changes()) == 1 })
	waitFor(first, "the wait for approval saved", func() bool {
		return strings.Contains(deployAudit(t, db), "opened")
	})
	kill(first)
	second := startServe(t, env)
	time.Sleep(time.Second)
	if d := fake.Dispatches(); len(d) != 0 {
		t.Fatalf("dispatched before ServiceNow approved: %q", d)
	}

	// 2. ServiceNow approves: the next poll lets the workflow start.
	sn.Update(change().Number, func(c *fakeservicenow.Change) { c.Approval, c.State = "Approved", "Scheduled" })
	waitFor(second, "the deploy.yml dispatch", func() bool { return len(fake.Dispatches()) == 1 })
	if c := change(); c.State != "Implement" {
		t.Errorf("while the workflow runs the change request is %s, want Implement", c.State)
	}
	runs := fake.WorkflowRuns(repo)
	waitFor(second, "the dispatching transition saved", func() bool {
		return strings.Contains(deployAudit(t, db), "deploy.dispatch,shipgate,production@v1.0.0: deploy.yml,sg-")
	})
	kill(second)

	// 3. The run ends; a third process closes the change request.
	third := startServe(t, env)
	fake.SetWorkflowRunStatus(repo, runs[0].ID, "completed", "success")
	deliverWebhook(t, third, secret, "workflow_run", "run-completed", fake.Payload(fake.WorkflowRunEvent(repo, runs[0].ID, "completed")))
	waitFor(third, "the change request closed", func() bool { return change().State == "Closed" })
	if c := change(); c.Fields["close_code"] != "successful" || c.Fields["short_description"] != "Deploy v1.0.0 of "+repo {
		t.Errorf("closed as %q: %+v", c.Fields["close_code"], c.Fields)
	}
	if d := fake.Dispatches(); len(d) != 1 {
		t.Errorf("dispatches: %q, want one", d)
	}
	if got := deploymentStatuses(fake, repo); !slices.Contains(got, "production@v1.0.0:success") {
		t.Errorf("deployment statuses: %q", got)
	}
	if audit := deployAudit(t, db); strings.Contains(audit, snPassword) {
		t.Errorf("the audit holds ServiceNow's password")
	}
	kill(third)
}
