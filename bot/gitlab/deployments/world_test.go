package deployments_test

import (
	"context"
	"fmt"
	_ "github.com/shipgate/shipgate/bot/store/drivers" // the store opens SQLite
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/gitlab"
	"github.com/shipgate/shipgate/bot/gitlab/deployments"
	"github.com/shipgate/shipgate/bot/slack"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/internal/fakeslack"
	"github.com/shipgate/shipgate/internal/testclock"
	"github.com/shipgate/shipgate/policies"
)

const (
	testRepo      = "acme/platform/shop" // a subgroup: the owner holds a slash
	testProjectID = 7
	glToken       = "glpat-test"
	hookSecret    = "gitlab-hook-secret"
	botUser       = "project_7_bot_shipgate"
	slackToken    = "xoxb-test"
	signingSecret = "slack-signing-secret"
)

// worldPolicy releases to staging on a tag, then to production after
// alice's or bob's approval.
const worldPolicy = `version: 1
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
      approval: {required: 1, from: [alice, bob]}
      steps:
        - gitlab_pipeline: {variables: {TARGET: "{{.Environment}}"}}
      rollback:
        - gitlab_pipeline: {variables: {TARGET: production, ROLLBACK: "{{.PreviousVersion}}"}}
    - name: qa
      steps:
        - gitlab_pipeline: {ref: main, variables: {TARGET: qa}}
      rollback:
        - gitlab_pipeline: {ref: main, variables: {TARGET: qa-rollback, VERSION: "{{.PreviousVersion}}"}}
notify:
  slack: {channel: "#releases", users: {alice: U0ALICE, bob: U0BOB, dave: U0DAVE}}
`

// world is a Shipgate process on GitLab — the adapter with its gate, the
// deployment integration, the orchestrator, Slack — on a real SQLite
// store, against the fake GitLab and the fake Slack. People: bob and
// alice are Maintainers, dave a Developer, erin a Reporter.
type world struct {
	t        *testing.T
	ctx      context.Context
	clock    *testclock.Clock
	fake     *fakegitlab.Server
	project  *fakegitlab.Project
	slack    *fakeslack.Server
	path     string
	st       *store.Store
	app      *gitlab.App
	gate     *gate.Gate
	gl       *deployments.GitLab
	sl       *slack.Slack
	o        *deploy.Orchestrator
	srv      *httptest.Server
	delivery int
	sha      string
	// transport carries the deployment integration's requests (nil: the
	// client's own); tolerate retries failed jobs rather than failing.
	transport http.RoundTripper
	tolerate  bool
}

func newWorld(t *testing.T) *world { return newWorldWith(t, worldPolicy) }

func newWorldWith(t *testing.T, policy string) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), clock: testclock.New(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)),
		path: filepath.Join(t.TempDir(), "s.db"), sha: strings.Repeat("a", 40)}
	w.fake = fakegitlab.New(t, glToken, fakegitlab.User{ID: 99, Username: botUser, Bot: true})
	w.fake.Now = w.clock.Now
	w.project = w.fake.AddProject(&fakegitlab.Project{ID: testProjectID, Path: testRepo, DefaultBranch: "main"})
	w.fake.Do(func() {
		for i, m := range []struct {
			name  string
			level int
		}{{"bob", 40}, {"alice", 40}, {"dave", 30}, {"erin", 20}} {
			w.project.Members = append(w.project.Members, fakegitlab.Member{User: fakegitlab.User{ID: int64(i + 1), Username: m.name}, AccessLevel: m.level})
		}
		w.project.History = []fakegitlab.Commit{{SHA: w.sha, Message: "feat: gift cards", AuthorName: "dave", At: w.clock.Now().Add(-time.Hour)}}
		w.project.Branches["main"] = w.sha
		w.project.Files["main"] = map[string]string{".shipgate.yml": policy}
	})
	w.slack = fakeslack.New(t, slackToken)
	w.open()
	t.Cleanup(func() { w.srv.Close(); w.st.Close() })
	return w
}

// open builds the process, in the order serve builds it: the deployment
// integration, the orchestrator on it, then the adapter and its gate with
// the orchestrator.
func (w *world) open() {
	var err error
	if w.st, err = store.OpenWith(w.ctx, w.path, store.Options{Now: w.clock.Now}); err != nil {
		w.t.Fatal(err)
	}
	if w.gl, err = deployments.New(deployments.Config{URL: w.fake.URL, Token: glToken, Tries: 1, Transport: w.transport}); err != nil {
		w.t.Fatal(err)
	}
	w.sl, err = slack.New(slack.Config{BotToken: slackToken, SigningSecret: signingSecret, APIURL: w.slack.URL(), Store: w.st, Now: w.clock.Now})
	if err != nil {
		w.t.Fatal(err)
	}
	w.o, err = deploy.New(deploy.Config{Store: w.st, Hosts: map[policies.Host]deploy.HostIntegrations{policies.GitLab: w.gl.Integrations()},
		Notifier: w.sl, Groups: w.sl, Directory: w.sl, Now: w.clock.Now})
	if err != nil {
		w.t.Fatal(err)
	}
	w.sl.SetDecider(w.o)
	w.app, err = gitlab.New(gitlab.Config{URL: w.fake.URL, Token: glToken, WebhookSecret: hookSecret, Now: w.clock.Now, Tries: 1,
		Logger: zerolog.Nop(), Store: w.st, Acceptor: w.st})
	if err != nil {
		w.t.Fatal(err)
	}
	if w.gate, err = gate.New(gate.Config{Host: w.app, Store: w.st, Acceptor: w.st, Deployer: w.o, Now: w.clock.Now, Logger: zerolog.Nop()}); err != nil {
		w.t.Fatal(err)
	}
	if w.srv != nil {
		w.srv.Close()
	}
	w.srv = httptest.NewServer(w.sl)
}

// restart replaces the process: only the store survives.
func (w *world) restart() { w.st.Close(); w.open() }

// process hands a batch to its processor, as the workers do.
func (w *world) process(ctx context.Context, b store.Batch) error {
	switch b.Jobs[0].Kind {
	case gitlab.KindPipeline:
		return deployments.Hooks{GitLab: w.gl, Orchestrator: w.o}.Process(ctx, b)
	case deploy.KindEvent:
		return w.o.Process(ctx, b)
	case gate.JobKind(policies.GitLab), gate.TagKind(policies.GitLab):
		return w.gate.Process(ctx, b)
	}
	return w.app.Process(ctx, b)
}

// drain runs every due job, as the workers would, until none is due.
func (w *world) drain() {
	w.t.Helper()
	for range 100 {
		bs, err := w.st.Claim(w.ctx, "test", time.Minute, 16)
		if err != nil {
			w.t.Fatal(err)
		}
		if len(bs) == 0 {
			return
		}
		for _, b := range bs {
			if err := w.process(w.ctx, b); err != nil {
				if !w.tolerate {
					w.t.Fatalf("processing %s: %v", b.Key, err)
				}
				w.t.Logf("processing %s failed, retried in a minute: %v", b.Key, err)
				for _, j := range b.Jobs {
					if err := w.st.Retry(w.ctx, b.Lease, j.ID, err, w.clock.Now().Add(time.Minute)); err != nil {
						w.t.Fatal(err)
					}
				}
				continue
			}
			if err := w.st.Complete(w.ctx, b.Lease, b.IDs()...); err != nil {
				w.t.Fatal(err)
			}
		}
	}
	w.t.Fatal("the queue never drained")
}

// after moves the clock and runs what became due.
func (w *world) after(d time.Duration) { w.clock.Advance(d); w.drain() }

// hook delivers a webhook as GitLab does, with token, and returns the
// answer's status code.
func (w *world) hook(event, token string, body []byte) int {
	w.t.Helper()
	w.delivery++
	r := httptest.NewRequest(http.MethodPost, gitlab.Route, strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Gitlab-Event", event)
	r.Header.Set("X-Gitlab-Event-UUID", fmt.Sprint("uuid-", w.delivery))
	if token != "" {
		r.Header.Set("X-Gitlab-Token", token)
	}
	rec := httptest.NewRecorder()
	w.app.ServeHTTP(rec, r)
	return rec.Code
}

// deliver delivers a webhook with the right token, wants it accepted, and
// runs the jobs.
func (w *world) deliver(event string, body []byte) {
	w.t.Helper()
	if code := w.hook(event, hookSecret, body); code/100 != 2 {
		w.t.Fatalf("%s answered %d", event, code)
	}
	w.drain()
}

// pushTag tags main's head as tag, pushed by user, and delivers the Tag
// Push Hook.
func (w *world) pushTag(tag, user string) {
	w.t.Helper()
	w.fake.PushTag(w.project, tag, w.sha, user)
	w.deliver("Tag Push Hook", w.fake.TagPushHook(w.project, tag, user))
}

// pipeline returns the newest pipeline whose TARGET variable is target,
// nil when there is none.
func (w *world) pipeline(target string) *fakegitlab.Pipeline {
	var found *fakegitlab.Pipeline
	w.fake.Do(func() {
		for i := len(w.project.Pipelines) - 1; i >= 0 && found == nil; i-- {
			if pl := w.project.Pipelines[i]; pl.Variables["TARGET"] == target {
				copied := *pl
				found = &copied
			}
		}
	})
	return found
}

// mustPipeline is pipeline, failing the test when there is none.
func (w *world) mustPipeline(target string) *fakegitlab.Pipeline {
	w.t.Helper()
	pl := w.pipeline(target)
	if pl == nil {
		w.t.Fatalf("no %s pipeline; created: %q; audit:\n%s", target, w.fake.PipelinesCreated(), strings.Join(w.audit(), "\n"))
	}
	return pl
}

// move sets a pipeline's status on the fake and delivers its Pipeline
// Hook.
func (w *world) move(id int64, status string) {
	w.t.Helper()
	w.fake.SetPipelineStatus(w.project, id, status)
	w.deliver("Pipeline Hook", w.fake.PipelineHook(w.project, id))
}

// click posts a signed block_actions payload as Slack would.
func (w *world) click(user, action, value string) {
	w.t.Helper()
	w.delivery++
	ats := fmt.Sprint(w.delivery, ".1")
	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":%q},"trigger_id":"trig-%s","actions":[{"block_id":"deploy_gate","action_id":%q,"value":%q,"action_ts":%q}]}`,
		user, ats, action, value, ats)
	body := "payload=" + url.QueryEscape(payload)
	ts := strconv.FormatInt(w.clock.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL+slack.Route, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign(signingSecret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		w.t.Fatalf("the click answered %d", resp.StatusCode)
	}
	w.drain()
}

// deploymentStatuses are the Deployments API's states, as
// "env@ref:status".
func (w *world) deploymentStatuses() []string {
	var out []string
	for _, s := range w.fake.DeploymentStatuses() {
		out = append(out, strings.TrimPrefix(s, testRepo+":"))
	}
	return out
}

func (w *world) wantDeploymentStatuses(want ...string) {
	w.t.Helper()
	if got := w.deploymentStatuses(); !slices.Equal(got, want) {
		w.t.Fatalf("deployment statuses:\n got %q\nwant %q\naudit:\n%s", got, want, strings.Join(w.audit(), "\n"))
	}
}

// audit returns the audit events of kinds as "actor subject outcome".
func (w *world) audit(kinds ...string) []string {
	w.t.Helper()
	var out []string
	if err := w.st.ExportAudit(w.ctx, store.AuditFilter{Kinds: kinds}, func(a store.AuditEvent) error {
		out = append(out, a.Actor+" "+a.Subject+" "+a.Outcome)
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// releaseToStaging pushes v1.2.0 as bob and runs staging's pipeline to
// success: production then waits for its approval.
func (w *world) releaseToStaging() {
	w.t.Helper()
	w.pushTag("v1.2.0", "bob")
	staging := w.mustPipeline("staging")
	w.move(staging.ID, "running")
	w.move(staging.ID, "success")
}

// productionID is the deployment of v1.2.0 to production, the Slack
// buttons' value.
func productionID() string {
	return deploy.DeploymentID(policies.GitLab, testRepo, "production", "v1.2.0", deploy.KindDeploy)
}

// openMR opens MR 1 by dave into main, for comment commands.
func (w *world) openMR() {
	w.fake.Do(func() {
		w.project.MRs[1] = &fakegitlab.MR{IID: 1, Title: "feat: gift cards", Author: fakegitlab.User{ID: 3, Username: "dave"},
			SourceBranch: "feature", TargetBranch: "main", SHA: w.sha, State: "opened", CreatedAt: w.clock.Now()}
	})
}

// note adds a note by author on MR 1 and delivers its Note Hook.
func (w *world) note(author, body string) {
	w.t.Helper()
	var id int64
	var user fakegitlab.User
	w.fake.Do(func() {
		for _, m := range w.project.Members {
			if m.Username == author {
				user = m.User
			}
		}
		mr := w.project.MRs[1]
		id = int64(len(mr.Notes) + 1)
		mr.Notes = append(mr.Notes, &fakegitlab.Note{ID: id, Author: user, Body: body, CreatedAt: w.clock.Now()})
	})
	w.deliver("Note Hook", []byte(fmt.Sprintf(`{"object_kind":"note","event_type":"note","user":{"username":%q},"project_id":%d,
		"project":{"id":%d,"path_with_namespace":%q,"default_branch":"main"},
		"object_attributes":{"id":%d,"note":%q,"noteable_type":"MergeRequest","action":"create","created_at":%q},
		"merge_request":{"iid":1,"last_commit":{"id":%q}}}`, author, testProjectID, testProjectID, testRepo, id, body,
		w.clock.Now().Format("2006-01-02 15:04:05 UTC"), w.sha)))
}

// replies are the bot's notes on MR 1 other than the sticky summary.
func (w *world) replies() []string {
	var out []string
	w.fake.Do(func() {
		for _, n := range w.project.MRs[1].Notes {
			if n.Author.Username == botUser && !strings.HasPrefix(n.Body, "<!-- shipgate:summary -->") {
				out = append(out, n.Body)
			}
		}
	})
	return out
}
