package deployments_test

// The attacks on GitLab deployments that Shipgate defends against, each a
// test named for the attack, against the fake GitLab and the fake Slack
// (DESIGN: "every gate has its attack written as a test"). The GitHub
// ones are in bot/deploy/attacks_test.go; both hosts' runs go through one
// check (bot/deploy: mismatch).

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/slack"
	"github.com/shipgate/shipgate/internal/fakegitlab"
)

// stagingRunning pushes v1.2.0 as bob and returns staging's pipeline,
// running.
func (w *world) stagingRunning() *fakegitlab.Pipeline {
	w.t.Helper()
	w.pushTag("v1.2.0", "bob")
	staging := w.mustPipeline("staging")
	w.move(staging.ID, "running")
	return staging
}

func (w *world) wantStagingRunning() {
	w.t.Helper()
	w.wantDeploymentStatuses("staging@v1.2.0:created", "staging@v1.2.0:running")
	if w.pipeline("production") != nil || len(w.slack.Messages()) > 0 && strings.Contains(w.slack.Messages()[0].Blocks, "deploy_approve") {
		w.t.Fatal("staging counted as done")
	}
}

// TestPipelinesThatAreNotShipgatesAreIgnoredAndAudited: a pipeline that
// carries staging's SHIPGATE_ID (pipeline variables show it to the
// project's members) but that Shipgate did not create fakes neither
// staging's success nor its failure, through its Pipeline Hook or the API
// fallback; it is audited once, and Shipgate's own pipeline still moves
// staging.
func TestPipelinesThatAreNotShipgatesAreIgnoredAndAudited(t *testing.T) {
	tests := []struct {
		name   string
		status string
		spoof  func(real fakegitlab.Pipeline, now time.Time) fakegitlab.Pipeline
		want   string
	}{
		{"a push pipeline of a developer's with the copied key is ignored and audited", "success",
			func(p fakegitlab.Pipeline, _ time.Time) fakegitlab.Pipeline {
				p.Source, p.User = "push", fakegitlab.User{ID: 3, Username: "dave"}
				return p
			}, "its event is push, not api"},
		{"a pipeline a developer ran from the web with the copied key is ignored and audited", "success",
			func(p fakegitlab.Pipeline, _ time.Time) fakegitlab.Pipeline {
				p.Source, p.User = "web", fakegitlab.User{ID: 3, Username: "dave"}
				return p
			}, "its event is web, not api"},
		{"a pipeline a developer created through the API with the copied key is ignored and audited", "failed",
			func(p fakegitlab.Pipeline, _ time.Time) fakegitlab.Pipeline {
				p.User = fakegitlab.User{ID: 3, Username: "dave"}
				return p
			}, "dispatched by dave, not by Shipgate (" + botUser + ")"},
		{"a trigger-token pipeline with the copied key is ignored and audited", "success",
			func(p fakegitlab.Pipeline, _ time.Time) fakegitlab.Pipeline {
				p.Source, p.User = "trigger", fakegitlab.User{ID: 3, Username: "dave"}
				return p
			}, "its event is trigger"},
		{"a pipeline on another ref is ignored and audited", "success",
			func(p fakegitlab.Pipeline, _ time.Time) fakegitlab.Pipeline { p.Ref, p.Tag = "main", false; return p }, "ran at main, not at the dispatched ref v1.2.0"},
		{"a pipeline created before the step started is ignored and audited", "success",
			func(p fakegitlab.Pipeline, now time.Time) fakegitlab.Pipeline {
				p.CreatedAt = now.Add(-time.Hour)
				return p
			}, "before Shipgate's dispatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			real := w.stagingRunning()
			spoof := tc.spoof(*real, w.clock.Now())
			spoof.Status, spoof.UpdatedAt = tc.status, time.Time{}
			fake := w.fake.AddPipeline(w.project, spoof)
			w.deliver("Pipeline Hook", w.fake.PipelineHook(w.project, fake.ID))
			w.after(time.Minute) // the API fallback reads the real pipeline, which runs
			w.after(time.Minute)
			w.wantStagingRunning()
			got := w.audit(deploy.AuditRunMismatch)
			if len(got) != 1 || !strings.Contains(got[0], tc.want) || !strings.HasPrefix(got[0], spoof.User.Username+" ") {
				t.Fatalf("mismatch audit: %q, want one by %s naming %q", got, spoof.User.Username, tc.want)
			}
			w.deliver("Pipeline Hook", w.fake.PipelineHook(w.project, fake.ID)) // GitLab's retry
			if got := w.audit(deploy.AuditRunMismatch); len(got) != 1 {
				t.Fatalf("a second hook of the same pipeline audited again: %q", got)
			}
			w.move(real.ID, "success")
			w.wantDeploymentStatuses("staging@v1.2.0:created", "staging@v1.2.0:running", "staging@v1.2.0:success", "production@v1.2.0:created")
		})
	}
}

// TestAPipelineOfAnotherProjectIsIgnoredAndAudited: Shipgate's own user
// runs pipelines in another project it deploys; one there that carries
// staging's key does not move staging.
func TestAPipelineOfAnotherProjectIsIgnoredAndAudited(t *testing.T) {
	w := newWorld(t)
	real := w.stagingRunning()
	other := w.fake.AddProject(&fakegitlab.Project{ID: 8, Path: "mallory/shop", DefaultBranch: "main"})
	spoof := *real
	spoof.Status = "success"
	fake := w.fake.AddPipeline(other, spoof)
	w.deliver("Pipeline Hook", w.fake.PipelineHook(other, fake.ID))
	w.wantStagingRunning()
	if got := w.audit(deploy.AuditRunMismatch); len(got) != 1 || !strings.Contains(got[0], "it ran in gitlab mallory/shop, not in gitlab "+testRepo) {
		t.Fatalf("mismatch audit: %q", got)
	}
}

// TestAForgedPipelineHookMovesNothing: a Pipeline Hook without the
// webhook's token is refused (401) and stored nowhere; one with the token
// (which every project's webhook shares) that claims Shipgate's pipeline
// succeeded while GitLab shows it running moves nothing, as the pipeline
// is read again; one that names a pipeline GitLab does not show Shipgate
// (404, 403) is ignored, and not retried.
func TestAForgedPipelineHookMovesNothing(t *testing.T) {
	w := newWorld(t)
	real := w.stagingRunning()
	w.fake.SetPipelineStatus(w.project, real.ID, "success")
	claim := w.fake.PipelineHook(w.project, real.ID)
	w.fake.SetPipelineStatus(w.project, real.ID, "running")
	for _, token := range []string{"", "wrong-secret", strings.ToUpper(hookSecret)} {
		if code := w.hook("Pipeline Hook", token, claim); code != http.StatusUnauthorized {
			t.Fatalf("a hook with token %q answered %d, want 401", token, code)
		}
	}
	w.drain()
	w.wantStagingRunning()
	w.deliver("Pipeline Hook", claim) // the right token, a false claim
	w.wantStagingRunning()
	gone := strings.Replace(string(claim), `"id":`+strconv.FormatInt(real.ID, 10)+`,`, `"id":424242,`, 1)
	w.deliver("Pipeline Hook", []byte(gone))
	w.wantStagingRunning()
	w.fake.FailNext("GET /projects/:id/pipelines/:pipeline", http.StatusForbidden) // a project Shipgate cannot read
	w.deliver("Pipeline Hook", claim)
	w.wantStagingRunning()
	w.move(real.ID, "success")
	w.wantDeploymentStatuses("staging@v1.2.0:created", "staging@v1.2.0:running", "staging@v1.2.0:success", "production@v1.2.0:created")
}

// TestAHookOfAnotherStepsPipelineDoesNotMoveThisOne: each step follows
// the pipeline of its own key. qa's pipeline succeeding leaves staging
// running; staging's success hook delivered again leaves production's
// pipeline running.
func TestAHookOfAnotherStepsPipelineDoesNotMoveThisOne(t *testing.T) {
	w := newWorld(t)
	staging := w.stagingRunning()
	if _, _, err := w.o.Start(w.ctx, deploy.StartRequest{Host: "gitlab", Repo: testRepo, Environment: "qa", Version: "v1.2.0",
		Actor: deploy.Actor{Login: "bob"}, Trigger: "test"}); err != nil {
		t.Fatal(err)
	}
	w.drain()
	qa := w.mustPipeline("qa")
	w.move(qa.ID, "success")
	w.wantDeploymentStatuses("staging@v1.2.0:created", "staging@v1.2.0:running", "qa@v1.2.0:created", "qa@v1.2.0:running", "qa@v1.2.0:success")
	w.move(staging.ID, "success")
	w.click("U0ALICE", slack.ActionApprove, productionID())
	production := w.mustPipeline("production")
	w.deliver("Pipeline Hook", w.fake.PipelineHook(w.project, staging.ID))
	w.move(production.ID, "running")
	if got := w.deploymentStatuses(); got[len(got)-1] != "production@v1.2.0:running" {
		t.Fatalf("statuses: %q", got)
	}
	if got := w.audit(deploy.AuditRunMismatch); len(got) != 0 {
		t.Fatalf("another step's pipeline was audited as a spoof: %q", got)
	}
}

// TestAnApprovalCommandCountsOnlyFromTheGatesApprovers: on an MR note,
// /approve-deploy from a Developer or a Reporter who is not an approver is
// refused with the reason, as is the approval of bob, who pushed the tag;
// alice's counts.
func TestAnApprovalCommandCountsOnlyFromTheGatesApprovers(t *testing.T) {
	w := newWorld(t)
	w.releaseToStaging()
	w.openMR()
	for _, tc := range []struct{ who, why string }{
		{"dave", "dave is not an approver of this gate; approvers: alice, bob"},
		{"erin", "erin is not an approver of this gate"},
		{"bob", "bob started this deployment and cannot approve it"},
	} {
		w.note(tc.who, "/approve-deploy production")
		if r := w.replies(); len(r) == 0 || !strings.Contains(r[len(r)-1], tc.why) {
			t.Fatalf("%s's /approve-deploy: replies %q, want %q", tc.who, r, tc.why)
		}
		if w.pipeline("production") != nil {
			t.Fatalf("%s's /approve-deploy started production", tc.who)
		}
	}
	if got := w.audit("deploy.decision"); len(got) != 3 || !strings.Contains(got[0], "refused") {
		t.Errorf("refusals audited: %q", got)
	}
	w.note("alice", "/approve-deploy production")
	w.mustPipeline("production")
}

// TestTheStarterCannotApproveTheirOwnDeploymentInSlack: bob pushed the
// tag; his Slack account's click is refused privately, and so is a click
// from a Slack account nothing links to a GitLab username, which may be
// his.
func TestTheStarterCannotApproveTheirOwnDeploymentInSlack(t *testing.T) {
	w := newWorldWith(t, strings.Replace(worldPolicy, "from: [alice, bob]", `from: [alice, bob, "slack:U0OPS"]`, 1))
	w.releaseToStaging()
	w.click("U0BOB", slack.ActionApprove, productionID())
	w.wantEphemeral("U0BOB", "bob started this deployment and cannot approve it")
	w = newWorldWith(t, strings.Replace(strings.Replace(worldPolicy, "from: [alice, bob]", `from: [alice, "slack:U0OPS"]`, 1), "bob: U0BOB, ", "", 1))
	w.releaseToStaging()
	w.click("U0OPS", slack.ActionApprove, productionID())
	w.wantEphemeral("U0OPS", "cannot tell slack:U0OPS apart from bob")
	if w.pipeline("production") != nil {
		t.Fatal("the starter approved his own deployment")
	}
	w.click("U0ALICE", slack.ActionApprove, productionID())
	w.mustPipeline("production")
}

func (w *world) wantEphemeral(user, has string) {
	w.t.Helper()
	for _, e := range w.slack.Ephemerals() {
		if e.User == user && strings.Contains(e.Text, has) {
			return
		}
	}
	w.t.Fatalf("no ephemeral to %s saying %q: %+v", user, has, w.slack.Ephemerals())
}

// TestADevelopersTagStartsNoDeployment: dave may push tags (unless they
// are protected), but releasing needs maintain: his valid tag fails its
// status and deploys nothing.
func TestADevelopersTagStartsNoDeployment(t *testing.T) {
	w := newWorld(t)
	w.pushTag("v1.2.0", "dave")
	if got := w.fake.PipelinesCreated(); len(got) != 0 {
		t.Fatalf("pipelines: %q", got)
	}
	w.wantDeploymentStatuses()
	if got := w.fake.StatusesCreated(); len(got) != 1 || !strings.HasSuffix(got[0], ":shipgate/tag:failed") {
		t.Fatalf("tag statuses: %q", got)
	}
}

// TestAShipgateTagStatusADeveloperPostsDeploysNothing: anyone with
// Developer access can post a commit status named shipgate/tag; only
// Shipgate's own counts, whichever is newest.
func TestAShipgateTagStatusADeveloperPostsDeploysNothing(t *testing.T) {
	w := newWorld(t)
	w.pushTag("v1.3.0", "dave") // valid, but dave may not release: Shipgate's status fails
	w.fake.Do(func() {
		w.project.Statuses = append(w.project.Statuses, fakegitlab.Status{ID: 9000, SHA: w.sha, Name: "shipgate/tag", State: "success",
			Description: "v1.3.0 is a valid release", Author: fakegitlab.User{ID: 3, Username: "dave"}})
	})
	w.openMR()
	w.note("bob", "/deploy qa v1.3.0")
	if r := w.replies(); len(r) != 1 || !strings.Contains(r[0], "not a release tag that Shipgate validated") {
		t.Fatalf("replies: %q", r)
	}
	w.fake.Do(func() { delete(w.project.Tags, "v1.3.0") })
	w.pushTag("v1.2.0", "bob") // validated by Shipgate; dave then posts a failure over it
	w.fake.Do(func() {
		w.project.Statuses = append(w.project.Statuses, fakegitlab.Status{ID: 9001, SHA: w.sha, Name: "shipgate/tag", State: "failed",
			Description: "v1.2.0 is not a release", Author: fakegitlab.User{ID: 3, Username: "dave"}})
	})
	w.note("bob", "/deploy qa v1.2.0")
	w.mustPipeline("qa")
	var all bool
	for _, r := range w.fake.Requests() {
		all = all || strings.HasSuffix(r.Path, "/statuses") && strings.Contains(r.Query, "all=true")
	}
	if !all {
		t.Error("the tag's statuses were not all read (all=true)")
	}
}

// TestATagPushHookNamingAMaintainerForADevelopersTagDeploysNothing: the
// webhook token is the same for every project's webhook; a hook that says
// bob pushed the tag dave pushed is judged by GitLab's push events.
func TestATagPushHookNamingAMaintainerForADevelopersTagDeploysNothing(t *testing.T) {
	w := newWorld(t)
	w.fake.PushTag(w.project, "v1.2.0", w.sha, "dave")
	w.deliver("Tag Push Hook", w.fake.TagPushHook(w.project, "v1.2.0", "bob"))
	if got := w.fake.PipelinesCreated(); len(got) != 0 {
		t.Fatalf("pipelines: %q", got)
	}
	if got := w.audit("release"); len(got) != 1 || !strings.HasPrefix(got[0], "dave v1.2.0 refused") {
		t.Fatalf("audit: %q", got)
	}
}
