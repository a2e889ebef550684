package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/gitlab"
	"github.com/shipgate/shipgate/bot/slack"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/internal/fakeslack"
	"github.com/shipgate/shipgate/policies"
)

const gitlabDeployPolicy = `version: 1
tags:
  prefix: v
  branches: [main]
deploy:
  environments:
    - name: staging
      on: release
      steps:
        - gitlab_pipeline: {variables: {TARGET: staging}}
    - name: production
      after: staging
      approval: {required: 1, from: [alice]}
      steps:
        - gitlab_pipeline: {variables: {TARGET: production}}
notify:
  slack: {channel: "#releases", users: {alice: U0ALICE, bob: U0BOB}}
`

// gitlabServer is a real `shipgate serve` for GitLab on SQLite, against
// the fake GitLab and the fake Slack; kill and start replace the process.
type gitlabServer struct {
	t       *testing.T
	fake    *fakegitlab.Server
	project *fakegitlab.Project
	slack   *fakeslack.Server
	env     []string
	db      string
	p       *serveProcess
	hooks   int
}

const (
	glE2EToken  = "glpat-e2e"
	glE2ESecret = "gitlab-e2e-secret"
	glE2ERepo   = "acme/platform/shop"
)

func newGitLabServer(t *testing.T) *gitlabServer {
	g := &gitlabServer{t: t, db: t.TempDir() + "/shipgate.db"}
	g.fake = fakegitlab.New(t, glE2EToken, fakegitlab.User{ID: 99, Username: "project_7_bot_shipgate", Bot: true})
	g.project = g.fake.AddProject(&fakegitlab.Project{ID: 7, Path: glE2ERepo, DefaultBranch: "main"})
	sha := strings.Repeat("a", 40)
	g.fake.Do(func() {
		g.project.Members = []fakegitlab.Member{{User: fakegitlab.User{ID: 1, Username: "bob"}, AccessLevel: 40},
			{User: fakegitlab.User{ID: 2, Username: "alice"}, AccessLevel: 40}}
		g.project.History = []fakegitlab.Commit{{SHA: sha, Message: "feat: gift cards", AuthorName: "bob", At: time.Now().Add(-time.Hour)}}
		g.project.Branches["main"] = sha
		g.project.Files["main"] = map[string]string{".shipgate.yml": gitlabDeployPolicy}
	})
	g.slack = fakeslack.New(t, releaseSlackToken)
	g.env = []string{
		"SHIPGATE_DATABASE_URL=" + g.db,
		"SHIPGATE_GITLAB_URL=" + g.fake.URL,
		"SHIPGATE_GITLAB_TOKEN=" + glE2EToken,
		"SHIPGATE_GITLAB_WEBHOOK_SECRET=" + glE2ESecret,
		"SHIPGATE_SLACK_BOT_TOKEN=" + releaseSlackToken,
		"SHIPGATE_SLACK_SIGNING_SECRET=" + releaseSigningSecret,
		"SHIPGATE_SLACK_API_URL=" + g.slack.URL(),
		"SHIPGATE_JOB_LEASE=2s",
		"SHIPGATE_LOG_LEVEL=warn",
	}
	return g
}

// start starts a server process and returns how long it took to answer
// /readyz.
func (g *gitlabServer) start() time.Duration {
	began := time.Now()
	g.p = startServe(g.t, g.env)
	return time.Since(began)
}

func (g *gitlabServer) kill() {
	g.t.Helper()
	if err := g.p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		g.t.Fatal(err)
	}
	_ = g.p.waitExit()
}

// hook delivers a GitLab webhook as GitLab does and fails unless it is
// acknowledged.
func (g *gitlabServer) hook(event string, body []byte) {
	g.t.Helper()
	g.hooks++
	req, _ := http.NewRequest(http.MethodPost, "http://"+g.p.addr+gitlab.Route, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Gitlab-Event", event)
	req.Header.Set("X-Gitlab-Token", glE2ESecret)
	req.Header.Set("X-Gitlab-Event-UUID", fmt.Sprint("e2e-", g.hooks))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		g.t.Fatalf("%s answered %d\n%s", event, resp.StatusCode, g.p.out)
	}
}

// waitFor polls cond and returns how long it took to hold.
func (g *gitlabServer) waitFor(what string, cond func() bool) time.Duration {
	g.t.Helper()
	began := time.Now()
	for !cond() {
		if time.Since(began) > 30*time.Second {
			g.t.Fatalf("timed out waiting for %s\npipelines: %q\ndeployments: %q\nslack: %+v\naudit:\n%s\nserver:\n%s",
				what, g.fake.PipelinesCreated(), g.fake.DeploymentStatuses(), g.slack.Messages(), deployAudit(g.t, g.db), g.p.out)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(began)
}

// pipeline returns the pipeline whose TARGET is target, zero until made.
func (g *gitlabServer) pipeline(target string) fakegitlab.Pipeline {
	var out fakegitlab.Pipeline
	g.fake.Do(func() {
		for _, pl := range g.project.Pipelines {
			if pl.Variables["TARGET"] == target {
				out = *pl
			}
		}
	})
	return out
}

// move sets a pipeline's status and delivers its Pipeline Hook.
func (g *gitlabServer) move(id int64, status string) {
	g.fake.SetPipelineStatus(g.project, id, status)
	g.hook("Pipeline Hook", g.fake.PipelineHook(g.project, id))
}

func (g *gitlabServer) statuses() []string {
	var out []string
	for _, s := range g.fake.DeploymentStatuses() {
		out = append(out, strings.TrimPrefix(s, glE2ERepo+":"))
	}
	return out
}

// TestServeGitLabReleaseThroughSlackApprovalSurvivesSIGKILL takes a tag
// through a real `shipgate serve` for GitLab: bob's tag v1.2.0 starts
// staging, whose pipeline Shipgate creates; the server is SIGKILLed after
// GitLab created the pipeline but before its answer reached Shipgate (so
// nothing of it was saved but the step's key), and again while production
// waits for its approval; alice approves in Slack; production's pipeline
// succeeds. Each new process resumes from the database: one pipeline and
// one GitLab deployment per environment, each state set once.
func TestServeGitLabReleaseThroughSlackApprovalSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	g := newGitLabServer(t)
	ready := g.start()

	release := g.fake.HoldAnswers("POST /projects/:id/pipeline")
	t.Cleanup(release)
	g.fake.PushTag(g.project, "v1.2.0", strings.Repeat("a", 40), "bob")
	g.hook("Tag Push Hook", g.fake.TagPushHook(g.project, "v1.2.0", "bob"))
	toPipeline := g.waitFor("staging's pipeline", func() bool { return g.pipeline("staging").ID != 0 })
	staging := g.pipeline("staging")
	if staging.Source != "api" || staging.Ref != "v1.2.0" || staging.Variables[deploy.KeyVariable] == "" {
		t.Fatalf("staging pipeline: %+v", staging)
	}
	g.kill() // GitLab made the pipeline; Shipgate never heard its answer
	firstKill := time.Now()
	release()
	if a := deployAudit(t, g.db); strings.Contains(a, "deploy.dispatch") {
		t.Fatalf("the creation was audited before its answer came:\n%s", a)
	}

	restart := g.start()
	g.move(staging.ID, "running")
	g.move(staging.ID, "success")
	hookSent := time.Now()
	g.waitFor("production's approval buttons", func() bool {
		msgs := g.slack.Messages()
		return len(msgs) == 1 && strings.Contains(msgs[0].Blocks, `"action_id":"deploy_approve"`)
	})
	toGate := time.Since(hookSent)
	g.kill() // while production waits for its approval

	g.start()
	clicked := time.Now()
	clickSlack(t, g.p, releaseSigningSecret, "U0ALICE", slack.ActionApprove,
		deploy.DeploymentID(policies.GitLab, glE2ERepo, "production", "v1.2.0", deploy.KindDeploy))
	g.waitFor("production's pipeline", func() bool { return g.pipeline("production").ID != 0 })
	toProduction := time.Since(clicked)
	production := g.pipeline("production")
	g.move(production.ID, "success")
	g.waitFor("Slack to show production's success", func() bool {
		return strings.Contains(g.slack.Messages()[0].Text, "*production*: succeeded")
	})
	// Production was the last environment: the release is closed, its
	// report posted in the thread.
	g.waitFor("the release report in Slack", func() bool {
		for _, line := range g.slack.Thread(g.slack.Messages()[0].TS) {
			if strings.Contains(line, "Release report: "+glE2ERepo+" v1.2.0") {
				return true
			}
		}
		return false
	})
	t.Logf("ready after %s (restart %s); tag push to staging's pipeline %s; staging's success hook to production's buttons %s; "+
		"approval click to production's pipeline %s", ready, restart, toPipeline, toGate, toProduction)

	// The job that was creating staging's pipeline when the first process
	// died is taken over once its lease (2s) runs out: it must create
	// nothing. Anything late shows by then.
	time.Sleep(time.Until(firstKill.Add(3 * time.Second)))
	db, err := store.Open(context.Background(), g.db)
	if err != nil {
		t.Fatal(err)
	}
	q, err := db.Stats(context.Background())
	db.Close()
	if err != nil || q.Ready != 0 || q.Leased != 0 || q.Dead != 0 {
		t.Errorf("queue after the run: %+v, %v; want every due job done", q, err)
	}
	want := []string{"staging@v1.2.0:created", "staging@v1.2.0:running", "staging@v1.2.0:success",
		"production@v1.2.0:created", "production@v1.2.0:running", "production@v1.2.0:success"}
	if got := g.statuses(); !slices.Equal(got, want) {
		t.Errorf("GitLab deployment statuses:\n got %q\nwant %q", got, want)
	}
	if got := g.fake.PipelinesCreated(); len(got) != 2 {
		t.Errorf("pipelines created: %q, want one per environment", got)
	}
	var deployments []string
	g.fake.Do(func() {
		for _, d := range g.project.Deployments {
			deployments = append(deployments, d.Environment+"@"+d.Ref)
		}
	})
	if !slices.Equal(deployments, []string{"staging@v1.2.0", "production@v1.2.0"}) {
		t.Errorf("GitLab deployments: %q", deployments)
	}
	audit := deployAudit(t, g.db)
	for _, line := range []string{
		"found after a start that was not confirmed",
		"deploy.dispatch,shipgate,production@v1.2.0: pipeline,sg-",
		"deploy.decision,alice,production@v1.2.0: approval,approved",
		"deploy.deploy,shipgate,production@v1.2.0: production,succeeded",
	} {
		if n := strings.Count(audit, line); n != 1 {
			t.Errorf("audit has %d %q, want 1:\n%s", n, line, audit)
		}
	}
	g.kill()
}
