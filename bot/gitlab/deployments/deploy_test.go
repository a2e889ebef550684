package deployments_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/slack"
	"github.com/shipgate/shipgate/internal/fakegitlab"
)

// TestReleaseThroughStagingAndProductionOnGitLab: bob's tag v1.2.0 starts
// staging, whose pipeline Shipgate creates with its key, version and
// environment; its Pipeline Hooks move it; production asks in Slack, alice
// approves, its pipeline runs; GitLab's Deployments API tells the same
// story, each state once.
func TestReleaseThroughStagingAndProductionOnGitLab(t *testing.T) {
	w := newWorld(t)
	w.pushTag("v1.2.0", "bob")
	staging := w.mustPipeline("staging")
	if staging.Ref != "v1.2.0" || staging.Source != "api" || staging.User.Username != botUser {
		t.Fatalf("staging pipeline: %+v", staging)
	}
	key := staging.Variables[deploy.KeyVariable]
	if len(deploy.IDsOf(deploy.WorkflowRun{Keys: []string{key}})) != 1 {
		t.Fatalf("the pipeline's key %q is not a shipgate_id", key)
	}
	want := testRepo + "@v1.2.0:SHIPGATE_ENVIRONMENT=staging,SHIPGATE_ID=" + key + ",SHIPGATE_VERSION=v1.2.0,TARGET=staging"
	if got := w.fake.PipelinesCreated(); !slices.Equal(got, []string{want}) {
		t.Fatalf("pipelines created:\n got %q\nwant %q", got, []string{want})
	}
	w.checkSent(t)
	w.wantDeploymentStatuses("staging@v1.2.0:created", "staging@v1.2.0:running")

	w.move(staging.ID, "running")
	w.move(staging.ID, "success")
	w.wantDeploymentStatuses("staging@v1.2.0:created", "staging@v1.2.0:running", "staging@v1.2.0:success", "production@v1.2.0:created")
	msgs := w.slack.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Blocks, `"action_id":"deploy_approve"`) {
		t.Fatalf("no approval buttons in Slack: %+v", msgs)
	}
	if w.pipeline("production") != nil {
		t.Fatal("production's pipeline ran before its approval")
	}

	w.click("U0ALICE", slack.ActionApprove, productionID())
	production := w.mustPipeline("production")
	w.move(production.ID, "success")
	w.wantDeploymentStatuses("staging@v1.2.0:created", "staging@v1.2.0:running", "staging@v1.2.0:success",
		"production@v1.2.0:created", "production@v1.2.0:running", "production@v1.2.0:success")
	if n := len(w.fake.PipelinesCreated()); n != 2 {
		t.Errorf("%d pipelines created, want one per environment", n)
	}
	if !strings.Contains(w.slack.Messages()[0].Text, "*production*: succeeded") {
		t.Errorf("Slack message: %s", w.slack.Messages()[0].Text)
	}
	if got := w.audit("deploy.decision"); len(got) != 1 || !strings.HasPrefix(got[0], "alice production@v1.2.0: approval approved") {
		t.Errorf("decisions: %q", got)
	}
	var envs []string
	w.fake.Do(func() { envs = slices.Clone(w.project.Environments) })
	if !slices.Equal(envs, []string{"staging", "production"}) {
		t.Errorf("environments: %q", envs)
	}
}

// checkSent checks what the deployment sent GitLab: the pipeline's ref
// and env_var variables, and a deployment of the tag with its commit.
func (w *world) checkSent(t *testing.T) {
	t.Helper()
	var pipeline, deployment struct {
		Ref, SHA, Environment, Status string
		Tag                           *bool
		Variables                     []struct {
			Key, Value   string
			VariableType string `json:"variable_type"`
		}
	}
	for _, r := range w.fake.Requests() {
		switch {
		case r.Method == "POST" && strings.HasSuffix(r.Path, "/pipeline"):
			json.Unmarshal(r.Body, &pipeline)
		case r.Method == "POST" && strings.HasSuffix(r.Path, "/deployments"):
			json.Unmarshal(r.Body, &deployment)
		}
	}
	if pipeline.Ref != "v1.2.0" || len(pipeline.Variables) != 4 || pipeline.Variables[0].VariableType != "env_var" {
		t.Errorf("pipeline request: %+v", pipeline)
	}
	if deployment.Ref != "v1.2.0" || deployment.SHA != w.sha || deployment.Tag == nil || !*deployment.Tag || deployment.Environment != "staging" ||
		deployment.Status != "created" {
		t.Errorf("deployment request: %+v", deployment)
	}
}

// TestATagPushedAgainStartsNothingNew: a second Tag Push Hook of a tag
// (GitLab's retry, a tag deleted and pushed again) finds its deployment
// and creates no second pipeline or deployment.
func TestATagPushedAgainStartsNothingNew(t *testing.T) {
	w := newWorld(t)
	w.pushTag("v1.2.0", "bob")
	w.pushTag("v1.2.0", "bob")
	if n := len(w.fake.PipelinesCreated()); n != 1 {
		t.Fatalf("%d pipelines, want 1", n)
	}
	w.wantDeploymentStatuses("staging@v1.2.0:created", "staging@v1.2.0:running")
}

// TestLostPipelineHooksAreCaughtByPolling: without any Pipeline Hook, the
// step reads its pipeline through the API once a minute and moves.
func TestLostPipelineHooksAreCaughtByPolling(t *testing.T) {
	w := newWorld(t)
	w.pushTag("v1.2.0", "bob")
	staging := w.mustPipeline("staging")
	w.fake.SetPipelineStatus(w.project, staging.ID, "success")
	w.after(30 * time.Second)
	w.wantDeploymentStatuses("staging@v1.2.0:created", "staging@v1.2.0:running")
	w.after(31 * time.Second)
	w.wantDeploymentStatuses("staging@v1.2.0:created", "staging@v1.2.0:running", "staging@v1.2.0:success", "production@v1.2.0:created")
}

// TestAFailedPipelineFailsTheDeploymentAndRollsBack: qa's pipeline for
// v1.2.0 fails; its deployment fails on GitLab and the rollback's
// pipeline redeploys v1.1.0, as a deployment of its own.
func TestAFailedPipelineFailsTheDeploymentAndRollsBack(t *testing.T) {
	w := newWorld(t)
	w.fake.Do(func() { w.project.Tags["v1.1.0"], w.project.Tags["v1.2.0"] = w.sha, w.sha })
	for _, v := range []string{"v1.1.0", "v1.2.0"} {
		if _, _, err := w.o.Start(w.ctx, deploy.StartRequest{Host: "gitlab", Repo: testRepo, Environment: "qa", Version: v,
			Actor: deploy.Actor{Login: "bob"}, Trigger: "test"}); err != nil {
			t.Fatal(err)
		}
		w.drain()
		w.move(w.mustPipeline("qa").ID, map[string]string{"v1.1.0": "success", "v1.2.0": "failed"}[v])
	}
	rollback := w.mustPipeline("qa-rollback")
	if rollback.Variables["VERSION"] != "v1.1.0" || rollback.Variables[deploy.VersionVariable] != "v1.1.0" {
		t.Fatalf("rollback pipeline: %+v", rollback.Variables)
	}
	w.move(rollback.ID, "success")
	w.wantDeploymentStatuses("qa@v1.1.0:created", "qa@v1.1.0:running", "qa@v1.1.0:success",
		"qa@v1.2.0:created", "qa@v1.2.0:running", "qa@v1.2.0:failed",
		"qa@v1.1.0:created", "qa@v1.1.0:running", "qa@v1.1.0:success")
	if got := w.audit("deploy.deploy", "deploy.rollback"); len(got) != 3 || !strings.Contains(got[1], "failed: pipeline: pipeline concluded failure") ||
		!strings.Contains(got[2], "succeeded") {
		t.Errorf("deployments: %q", got)
	}
}

// TestARejectedGateCancelsTheGitLabDeployment: a deployment that never ran
// (its gate rejected) is canceled on GitLab, not failed.
func TestARejectedGateCancelsTheGitLabDeployment(t *testing.T) {
	w := newWorld(t)
	w.releaseToStaging()
	if err := w.o.Decide(w.ctx, productionID(), deploy.Actor{Login: "alice"}, false, "not today", "comment", "r1"); err != nil {
		t.Fatal(err)
	}
	w.drain()
	w.wantDeploymentStatuses("staging@v1.2.0:created", "staging@v1.2.0:running", "staging@v1.2.0:success",
		"production@v1.2.0:created", "production@v1.2.0:canceled")
}

// TestDeployCommandsOnMergeRequestNotes: /deploy on an MR note needs
// maintain; a Maintainer's deploys a version Shipgate validated.
func TestDeployCommandsOnMergeRequestNotes(t *testing.T) {
	w := newWorld(t)
	w.pushTag("v1.2.0", "bob") // validated: its shipgate/tag status is Shipgate's success
	w.openMR()
	w.note("dave", "/deploy qa v1.2.0")
	if r := w.replies(); len(r) != 1 || !strings.Contains(r[0], "maintain") {
		t.Fatalf("replies to dave: %q", r)
	}
	if w.pipeline("qa") != nil {
		t.Fatal("a Developer's /deploy created a pipeline")
	}
	w.note("bob", "/deploy qa v1.2.0")
	qa := w.mustPipeline("qa")
	if qa.Ref != "main" {
		t.Errorf("qa's pipeline ran at %s, want its ref main", qa.Ref)
	}
	w.note("bob", "/deploy qa v9.9.9")
	if r := w.replies(); len(r) != 3 || !strings.Contains(r[2], "not a release tag that Shipgate validated") {
		t.Fatalf("replies: %q", r)
	}
	w.note("bob", "/deploy qa")
	if r := w.replies(); len(r) != 4 || !strings.Contains(r[3], "no release yet") {
		t.Fatalf("replies: %q", r)
	}
}

// TestTheLatestReleaseIsDeployedByDefault: `/deploy ENV` takes the
// project's newest release, which Shipgate validated.
func TestTheLatestReleaseIsDeployedByDefault(t *testing.T) {
	w := newWorldWith(t, strings.Replace(worldPolicy, "branches: [main]", "branches: [main]\n  release: true", 1))
	w.pushTag("v1.2.0", "bob")
	w.openMR()
	w.note("bob", "/deploy qa")
	if qa := w.mustPipeline("qa"); qa.Variables[deploy.VersionVariable] != "v1.2.0" {
		t.Fatalf("qa deployed %s", qa.Variables[deploy.VersionVariable])
	}
}

// TestAnApproverInAGitLabGroupApprovesByComment: `@group` approvers are
// the group's members, inherited ones included.
func TestAnApproverInAGitLabGroupApprovesByComment(t *testing.T) {
	w := newWorldWith(t, strings.Replace(worldPolicy, "from: [alice, bob]", `from: ["@acme/sre"]`, 1))
	w.fake.Do(func() {
		w.fake.Groups["acme/sre"] = []fakegitlab.User{{ID: 5, Username: "frank"}}
		w.project.Members = append(w.project.Members, fakegitlab.Member{User: fakegitlab.User{ID: 5, Username: "frank"}, AccessLevel: 30})
	})
	w.releaseToStaging()
	w.openMR()
	w.note("alice", "/approve-deploy production")
	if w.pipeline("production") != nil {
		t.Fatal("alice, not in @acme/sre, approved production")
	}
	w.note("frank", "/approve-deploy production")
	w.mustPipeline("production")
	if got := w.audit("deploy.decision"); len(got) != 2 || !strings.HasPrefix(got[1], "frank ") {
		t.Errorf("decisions: %q", got)
	}
}

// TestAnApproverLinkedByPublicEmailApprovesInSlack: a Slack user whose
// profile has the public e-mail of carol's GitLab profile is carol.
func TestAnApproverLinkedByPublicEmailApprovesInSlack(t *testing.T) {
	w := newWorldWith(t, strings.Replace(worldPolicy, "from: [alice, bob]", "from: [carol]", 1))
	w.fake.Do(func() {
		w.project.Members = append(w.project.Members, fakegitlab.Member{User: fakegitlab.User{ID: 6, Username: "carol"}, AccessLevel: 40})
		w.fake.PublicEmails["carol"] = "Carol@acme.example"
	})
	w.slack.SetEmail("U0CAROL", "carol@acme.example")
	w.releaseToStaging()
	w.click("U0CAROL", slack.ActionApprove, productionID())
	w.mustPipeline("production")
	if got := w.audit("deploy.decision"); len(got) != 1 || !strings.HasPrefix(got[0], "carol ") {
		t.Errorf("decisions: %q", got)
	}
}

// lostAnswers loses GitLab's answer to the first pipeline creation: the
// pipeline is made, and Shipgate hears a reset connection.
type lostAnswers struct{ lost bool }

func (l *lostAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && !l.lost && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/pipeline") {
		l.lost = true
		resp.Body.Close()
		return nil, errors.New("connection reset by peer")
	}
	return resp, err
}

// TestAPipelineWhoseCreationWasNotHeardIsFoundNotMadeTwice: GitLab made
// staging's pipeline but its answer was lost; the step lists Shipgate's
// pipelines of the tag, finds the one with its key, follows it, and never
// creates a second.
func TestAPipelineWhoseCreationWasNotHeardIsFoundNotMadeTwice(t *testing.T) {
	w := newWorld(t)
	w.transport, w.tolerate = &lostAnswers{}, true
	w.restart()
	w.pushTag("v1.2.0", "bob")
	staging := w.mustPipeline("staging")
	for range 3 {
		w.after(time.Minute)
	}
	w.fake.SetPipelineStatus(w.project, staging.ID, "success")
	w.after(time.Minute)
	w.after(3 * time.Minute)
	if got := w.fake.PipelinesCreated(); len(got) != 1 {
		t.Fatalf("pipelines created: %q", got)
	}
	listed := false
	for _, r := range w.fake.Requests() {
		listed = listed || r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/pipelines") &&
			strings.Contains(r.Query, "source=api") && strings.Contains(r.Query, "username="+botUser) && strings.Contains(r.Query, "ref=v1.2.0")
	}
	if !listed {
		t.Error("the step never listed Shipgate's pipelines of the tag")
	}
	if got := w.deploymentStatuses(); len(got) < 3 || got[2] != "staging@v1.2.0:success" {
		t.Fatalf("statuses: %q", got)
	}
}
