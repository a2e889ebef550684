package deploy

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/policies"
)

var monday = time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)

const repo = "acme/widgets"

func stagingID() string    { return DeploymentID("github", repo, "staging", "v1.2.0", KindDeploy) }
func productionID() string { return DeploymentID("github", repo, "production", "v1.2.0", KindDeploy) }

// TestReleaseThroughStagingAndProduction is issue 5's path, with a restart
// during the staging workflow and another during the soak.
func TestReleaseThroughStagingAndProduction(t *testing.T) {
	e := newEnv(t, monday)
	tagger := Actor{Login: "dave"}
	if err := e.o.Release(e.ctx, "github", repo, "v1.2.0", "abc123", tagger); err != nil {
		t.Fatal(err)
	}
	// A second event for the same tag changes nothing.
	if err := e.o.Release(e.ctx, "github", repo, "v1.2.0", "abc123", tagger); err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.wantStatuses("staging@v1.2.0:queued", "staging@v1.2.0:in_progress")
	e.wantDispatches("deploy.yml@v1.2.0 environment=staging")

	// SIGKILL while the workflow runs: the new process follows the run
	// and dispatches nothing again.
	e.restart()
	e.after(2 * time.Minute) // the API fallback polls; the run is still queued
	e.runCompleted("success")
	e.wantDispatches("deploy.yml@v1.2.0 environment=staging")
	st := e.state(stagingID())
	if st.Steps[1].Status != stepDone || st.Steps[2].Status != stepDone || st.Steps[3].Status != stepRunning {
		t.Fatalf("after the workflow: steps %+v", st.Steps)
	}
	soakEnds := st.Steps[3].Until
	if want := e.clock.Now().Add(15 * time.Minute); !soakEnds.Equal(want) {
		t.Fatalf("soak ends %s, want %s", soakEnds, want)
	}

	// SIGKILL during the soak: the timer keeps its time, never restarted.
	e.after(10 * time.Minute)
	e.restart()
	e.after(4 * time.Minute)
	if st := e.state(stagingID()); st.Status != StatusRunning || !st.Steps[3].Until.Equal(soakEnds) {
		t.Fatalf("4+10 minutes into a 15m soak: %s, until %s (want %s)", st.Status, st.Steps[3].Until, soakEnds)
	}
	e.after(time.Minute)
	if st := e.state(stagingID()); st.Status != StatusSucceeded {
		t.Fatalf("staging after the soak: %s (%s)", st.Status, st.Message)
	}
	e.wantStatuses("staging@v1.2.0:queued", "staging@v1.2.0:in_progress", "staging@v1.2.0:success", "production@v1.2.0:queued")

	// Production waits for its gate.
	prod := e.state(productionID())
	if prod.Step != 1 || prod.Steps[1].Status != stepRunning || !prod.Steps[1].Requested {
		t.Fatalf("production: step %d %+v", prod.Step, prod.Steps)
	}
	if !slices.ContainsFunc(e.notes.Lines, func(l string) bool { return strings.HasPrefix(l, EventApprovalRequested) }) {
		t.Fatalf("no approval request in %q", e.notes.Lines)
	}

	// The tagger, a stranger and a Slack stranger are refused; nothing changes.
	for i, a := range []Actor{{Login: "dave"}, {Login: "mallory"}, {SlackUser: "U0EVE"}} {
		if err := e.o.Decide(e.ctx, productionID(), a, true, "", "slack", "refused-"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	e.drain()
	if len(e.notes.Refused) != 3 || !strings.Contains(e.notes.Refused[0], "started this deployment") || !strings.Contains(e.notes.Refused[2], "not an approver") {
		t.Fatalf("refusals: %q", e.notes.Refused)
	}
	e.wantDispatches("deploy.yml@v1.2.0 environment=staging")

	// alice clicks in Slack (mapped through notify.slack.users), twice.
	for range 2 {
		if err := e.o.Decide(e.ctx, productionID(), Actor{SlackUser: "U0ALICE"}, true, "", "slack", "click-1"); err != nil {
			t.Fatal(err)
		}
	}
	e.drain()
	e.wantDispatches("deploy.yml@v1.2.0 environment=staging", "deploy.yml@v1.2.0 environment=production")
	e.runCompleted("success")
	if st := e.state(productionID()); st.Status != StatusSucceeded || st.Steps[1].Decisions[0].Person != "alice" {
		t.Fatalf("production: %s %+v", st.Status, st.Steps)
	}
	e.wantStatuses("staging@v1.2.0:queued", "staging@v1.2.0:in_progress", "staging@v1.2.0:success",
		"production@v1.2.0:queued", "production@v1.2.0:in_progress", "production@v1.2.0:success")
	if got := e.audit("deploy.decision"); len(got) != 4 || !strings.HasPrefix(got[3], "alice production@v1.2.0: approval approved") {
		t.Fatalf("decision audit: %q", got)
	}
}

// TestFailedStepRollsBack: a failing production workflow fails the
// deployment and rolls back to the previous successful version.
func TestFailedStepRollsBack(t *testing.T) {
	e := newEnv(t, monday)
	// v1.1.0 is live on production.
	deployTo(t, e, "v1.1.0")
	e.host.mu.Lock()
	e.host.Statuses, e.host.Dispatches = nil, nil
	e.host.mu.Unlock()

	if _, _, err := e.o.Start(e.ctx, StartRequest{Repo: repo, Environment: "production", Version: "v1.2.0", Actor: Actor{Login: "dave"}, Trigger: "/deploy"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if err := e.o.Decide(e.ctx, productionID(), Actor{Login: "alice"}, true, "", "comment", "c-1"); err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.runCompleted("failure")
	st := e.state(productionID())
	if st.Status != StatusFailed || !strings.Contains(st.Message, "concluded failure") {
		t.Fatalf("production: %s %q", st.Status, st.Message)
	}
	e.wantDispatches("deploy.yml@v1.2.0 environment=production", "rollback.yml@v1.1.0 version=v1.1.0")
	e.runCompleted("success")
	e.wantStatuses("production@v1.2.0:queued", "production@v1.2.0:in_progress", "production@v1.2.0:failure",
		"production@v1.1.0:queued", "production@v1.1.0:in_progress", "production@v1.1.0:success",
		// The first deployment of v1.1.0 is superseded by its redeployment.
		"production@v1.1.0:inactive")
	if !slices.ContainsFunc(e.notes.Lines, func(l string) bool { return strings.HasPrefix(l, EventRolledBack) }) {
		t.Fatalf("no rolled-back notice in %q", e.notes.Lines)
	}
}

// deployTo takes a version to production by hand (approved by alice).
func deployTo(t *testing.T, e *env, version string) {
	t.Helper()
	id, _, err := e.o.Start(e.ctx, StartRequest{Repo: repo, Environment: "production", Version: version, Actor: Actor{Login: "dave"}, Trigger: "/deploy"})
	if err != nil {
		t.Fatal(err)
	}
	e.drain()
	if err := e.o.Decide(e.ctx, id, Actor{Login: "alice"}, true, "", "comment", "c-"+version); err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.runCompleted("success")
	if st := e.state(id); st.Status != StatusSucceeded {
		t.Fatalf("%s: %s %s", id, st.Status, st.Message)
	}
}

// TestFreezeWaitsOrIsOverridden: inside the year-end freeze a deployment
// waits; carol's override lets it go; bob cannot override.
func TestFreezeWaitsOrIsOverridden(t *testing.T) {
	e := newEnv(t, time.Date(2026, 12, 22, 10, 0, 0, 0, time.UTC))
	if err := e.o.Release(e.ctx, "github", repo, "v1.2.0", "abc", Actor{Login: "dave"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.after(time.Hour)
	e.wantDispatches()
	e.wantStatuses("staging@v1.2.0:queued")
	if !slices.ContainsFunc(e.notes.Lines, func(l string) bool { return strings.HasPrefix(l, EventOverrideRequested) }) {
		t.Fatalf("no override request in %q", e.notes.Lines)
	}
	if err := e.o.Decide(e.ctx, stagingID(), Actor{Login: "alice"}, true, "", "slack", "o-1"); err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.wantDispatches()
	// carol may override, but not without saying why.
	if err := e.o.Decide(e.ctx, stagingID(), Actor{Login: "carol"}, true, "", "slack", "o-2a"); err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.wantDispatches()
	if got := e.audit("deploy.freeze_override"); len(got) != 0 {
		t.Fatalf("an override without a reason was recorded: %q", got)
	}
	if err := e.o.Decide(e.ctx, stagingID(), Actor{Login: "carol"}, true, "hotfix for INC-7", "slack", "o-2"); err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.wantDispatches("deploy.yml@v1.2.0 environment=staging")
	if got := e.audit("deploy.freeze_override"); len(got) != 1 || !strings.HasPrefix(got[0], "carol") || !strings.Contains(got[0], "hotfix for INC-7") {
		t.Fatalf("override audit: %q", got)
	}
}

// TestFreezeWithoutOverrideWaitsItOut: without an override the deployment
// resumes when the window ends, by its durable timer.
func TestFreezeWithoutOverrideWaitsItOut(t *testing.T) {
	e := newEnv(t, time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC))
	e.policy.Freeze.Override = nil
	if err := e.o.Release(e.ctx, "github", repo, "v1.2.0", "abc", Actor{Login: "dave"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.restart()
	e.after(11 * time.Hour)
	e.wantDispatches()
	e.after(time.Hour)
	e.wantDispatches("deploy.yml@v1.2.0 environment=staging")
}

// TestGateExpiresIntoRejection: nobody decides; after 24h the gate
// rejects, reported to GitHub and Slack.
func TestGateExpiresIntoRejection(t *testing.T) {
	e := newEnv(t, monday)
	if _, _, err := e.o.Start(e.ctx, StartRequest{Repo: repo, Environment: "production", Version: "v1.2.0", Actor: Actor{Login: "dave"}}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.restart()
	e.after(24 * time.Hour)
	st := e.state(productionID())
	if st.Status != StatusFailed || !strings.Contains(st.Message, "expired") {
		t.Fatalf("after 24h: %s %q", st.Status, st.Message)
	}
	e.wantStatuses("production@v1.2.0:queued", "production@v1.2.0:failure")
	e.wantDispatches()
	if !slices.ContainsFunc(e.notes.Lines, func(l string) bool { return strings.HasPrefix(l, EventFailed) && strings.Contains(l, "expired") }) {
		t.Fatalf("no expiry notice in %q", e.notes.Lines)
	}
}

// TestProtectionRule answers approved outside a freeze once the gate is
// approved, and rejected at once inside a freeze without override.
func TestProtectionRule(t *testing.T) {
	t.Run("outside a freeze the gate decides", func(t *testing.T) {
		e := newEnv(t, monday)
		if _, _, err := e.o.Start(e.ctx, StartRequest{Repo: repo, Environment: "production", Kind: KindProtection, RunID: 55, Actor: Actor{Login: "dave"}}); err != nil {
			t.Fatal(err)
		}
		e.drain()
		if _, _, r := e.host.snapshot(); len(r) != 0 {
			t.Fatalf("answered before the gate: %q", r)
		}
		if err := e.o.Decide(e.ctx, DeploymentID("github", repo, "production", "run-55", KindProtection), Actor{SlackUser: "U0BOB"}, true, "", "slack", "p-1"); err != nil {
			t.Fatal(err)
		}
		e.drain()
		if _, _, r := e.host.snapshot(); !slices.Equal(r, []string{"run-55:production=approved"}) {
			t.Fatalf("reviews: %q", r)
		}
	})
	t.Run("inside a freeze without override it rejects at once", func(t *testing.T) {
		e := newEnv(t, time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC))
		e.policy.Freeze.Override = nil
		if _, _, err := e.o.Start(e.ctx, StartRequest{Repo: repo, Environment: "staging", Kind: KindProtection, RunID: 56}); err != nil {
			t.Fatal(err)
		}
		e.drain()
		if _, _, r := e.host.snapshot(); !slices.Equal(r, []string{"run-56:staging=rejected"}) {
			t.Fatalf("reviews: %q", r)
		}
	})
	t.Run("a gate nobody answers is rejected when it expires", func(t *testing.T) {
		e := newEnv(t, monday)
		if _, _, err := e.o.Start(e.ctx, StartRequest{Repo: repo, Environment: "production", Kind: KindProtection, RunID: 57}); err != nil {
			t.Fatal(err)
		}
		e.drain()
		e.after(24 * time.Hour)
		if _, _, r := e.host.snapshot(); !slices.Equal(r, []string{"run-57:production=rejected"}) {
			t.Fatalf("reviews: %q", r)
		}
	})
}

var _ = policies.StepWait
