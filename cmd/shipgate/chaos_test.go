package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

// The chaos test's world: pull requests of four kinds, each with the
// final state of its reviews and comments already on the fake GitHub, so
// that whatever order the deliveries are processed in, each PR has one
// right verdict; and tags released to staging by a workflow.
const chaosPolicy = `version: 1
approvals:
  - required: 1
hold: {}
notify:
  comment: always
tags:
  prefix: v
  branches: [main]
deploy:
  environments:
    - name: staging
      on: release
      steps:
        - github_workflow: {workflow: deploy.yml}
`

const (
	chaosRepo   = "acme/widgets"
	chaosSecret = "chaos-secret"
	chaosToken  = "ghs_chaos"
)

// chaosKind is what a PR's reviews and comments add up to.
type chaosKind int

const (
	approved   chaosKind = iota // bob approved: success
	unreviewed                  // nobody approved: in progress (pending)
	held                        // approved, then /hold by carol: failure
	unheld                      // approved, /hold, then /unhold: success
)

// want is the check run a PR of the kind must end with.
func (k chaosKind) want() (status, conclusion string) {
	switch k {
	case unreviewed:
		return "in_progress", ""
	case held:
		return "completed", "failure"
	default:
		return "completed", "success"
	}
}

// chaosLine is a line of loadgen's -script file.
type chaosLine struct {
	Key   string          `json:"key"`
	Event string          `json:"event"`
	ID    string          `json:"id"`
	Body  json.RawMessage `json:"body"`
}

// chaosWorld is the fake GitHub, its PRs and tags, and the script of
// deliveries that tells Shipgate about them.
type chaosWorld struct {
	fake     *fakegithub.Server
	kinds    map[int]chaosKind
	services []string
	script   []chaosLine
	ids      int    // delivery IDs given
	dbURL    string // the replicas' database
}

// newChaosWorld makes prs PRs and services to release, and a script of total
// deliveries: each PR's events in order (opened, the review, the
// comments), then edits of them round-robin, with the tag pushes spread
// evenly through it.
func newChaosWorld(t *testing.T, prs, services, total int) *chaosWorld {
	w := &chaosWorld{kinds: map[int]chaosKind{}}
	// 10 ms an API call: a job stays in flight for tens of milliseconds,
	// so that kills and the database's crash land in the middle of work.
	w.fake = fakegithub.New(t, fakegithub.WithToken(chaosToken), fakegithub.WithClock(time.Now), fakegithub.WithLatency(10*time.Millisecond))
	f := w.fake
	f.AddRepo(fakegithub.Repo{FullName: chaosRepo})
	f.SetPermission(chaosRepo, "alice", "maintain")
	f.SetPermission(chaosRepo, "bob", "write")
	f.SetPermission(chaosRepo, "carol", "maintain")
	f.SetFile(chaosRepo, "main", ".shipgate.yml", chaosPolicy)
	var tagLines []chaosLine
	for i := 1; i <= services; i++ {
		tagLines = append(tagLines, w.addService(fmt.Sprintf("acme/service-%d", i)))
	}
	var perPR [][]chaosLine
	for n := 1; n <= prs; n++ {
		perPR = append(perPR, w.addPR(n, chaosKind(n%4)))
	}
	w.interleave(perPR, tagLines, total)
	return w
}

// addService adds a repository whose v1.0.0 is released to staging by
// its deploy.yml, and returns the delivery of the tag's push. (Each
// release in a repository of its own: a tag that the fake knows before
// it is pushed would be refused as older than the latest.)
func (w *chaosWorld) addService(repo string) chaosLine {
	f := w.fake
	f.AddRepo(fakegithub.Repo{FullName: repo})
	f.SetPermission(repo, "alice", "maintain")
	f.SetRunName(repo, "deploy.yml", "Deploy (${{ inputs.shipgate_id }})")
	sha := f.AddCommit(repo, fakegithub.Commit{Message: "feat: service", Author: "alice"})
	f.SetBranch(repo, "main", sha)
	f.SetFile(repo, "main", ".shipgate.yml", chaosPolicy)
	f.AddTag(repo, "v1.0.0", sha)
	w.services = append(w.services, repo)
	return w.line(repo, "push", f.PushEvent(repo, "refs/tags/v1.0.0", "", sha, "alice"))
}

// addPR adds PR n of a kind with its reviews and comments, and returns
// the deliveries that tell of them.
func (w *chaosWorld) addPR(n int, kind chaosKind) []chaosLine {
	f, key := w.fake, fmt.Sprint("pr-", n)
	w.kinds[n] = kind
	f.AddPR(chaosRepo, fakegithub.PR{Number: n, Title: fmt.Sprintf("feat: change %d", n), Author: "alice", Base: "main"})
	lines := []chaosLine{w.line(key, "pull_request", f.PullRequestEvent(chaosRepo, n, "opened", "alice"))}
	if kind == unreviewed {
		return lines
	}
	rv := f.AddReview(chaosRepo, n, fakegithub.Review{Author: "bob", State: "APPROVED"})
	lines = append(lines, w.line(key, "pull_request_review", f.PullRequestReviewEvent(chaosRepo, n, rv, "submitted")))
	at := time.Now().Add(-time.Hour)
	for i, body := range []string{"/hold", "/unhold"} {
		if kind == approved || kind == held && i == 1 {
			break
		}
		c := f.AddComment(chaosRepo, n, fakegithub.Comment{Author: "carol", Body: body, CreatedAt: at.Add(time.Duration(i) * time.Minute)})
		lines = append(lines, w.line(key, "issue_comment", f.IssueCommentEvent(chaosRepo, c, "created")))
	}
	return lines
}

// line makes a script line of an event, with the next delivery ID.
func (w *chaosWorld) line(key, event string, payload any) chaosLine {
	w.ids++
	return chaosLine{Key: key, Event: event, ID: fmt.Sprintf("chaos-%d", w.ids), Body: w.fake.Payload(payload)}
}

// interleave lays the PRs' lines out round-robin, pads with "edited"
// deliveries up to total, and spreads the tag pushes through it.
func (w *chaosWorld) interleave(perPR [][]chaosLine, tagLines []chaosLine, total int) {
	var lines []chaosLine
	for round := 0; len(lines) < total-len(tagLines); round++ {
		for i, own := range perPR {
			if round < len(own) {
				lines = append(lines, own[round])
			} else {
				n := i + 1
				lines = append(lines, w.line(fmt.Sprint("pr-", n), "pull_request", w.fake.PullRequestEvent(chaosRepo, n, "edited", "alice")))
			}
		}
	}
	every := len(lines) / (len(tagLines) + 1)
	for i, tl := range tagLines {
		at := (i+1)*every + i
		lines = slices.Insert(lines, at, tl)
	}
	w.script = lines
}

// writeScript writes the script as loadgen reads it.
func (w *chaosWorld) writeScript(t *testing.T, path string) {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	for _, l := range w.script {
		if err := enc.Encode(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// chaosCluster is the replicas: real `shipgate serve` processes on one
// PostgreSQL, each on its own fixed address, killed and restarted.
type chaosCluster struct {
	env   []string
	addrs []string
	mu    sync.Mutex
	procs []*serveProcess
	logs  []string // output of the processes killed, for a failure's report
	kills int
}

func newChaosCluster(t *testing.T, replicas int, env []string) *chaosCluster {
	c := &chaosCluster{env: env, procs: make([]*serveProcess, replicas)}
	for i := range replicas {
		c.addrs = append(c.addrs, freeAddr(t))
		if err := c.start(i); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, p := range c.procs {
			if p != nil {
				_ = p.cmd.Process.Kill()
				_ = p.waitExit()
			}
		}
	})
	return c
}

// start starts replica i, trying again while it cannot (its database
// may be restarting), for up to a minute.
func (c *chaosCluster) start(i int) error {
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var p *serveProcess
		if p, err = launchServe(c.addrs[i], c.env, 20*time.Second); err == nil {
			c.mu.Lock()
			c.procs[i] = p
			c.mu.Unlock()
			return nil
		}
	}
	return fmt.Errorf("replica %d: %w", i, err)
}

// kill SIGKILLs replica i.
func (c *chaosCluster) kill(i int) {
	c.mu.Lock()
	p := c.procs[i]
	c.procs[i] = nil
	c.kills++
	c.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.waitExit()
	c.mu.Lock()
	c.logs = append(c.logs, fmt.Sprintf("--- replica %d (killed):\n%s", i, tail(p.out.String(), 40)))
	c.mu.Unlock()
}

// urls lists the replicas' webhook URLs, as a load balancer knows them.
func (c *chaosCluster) urls() string {
	var out []string
	for _, a := range c.addrs {
		out = append(out, "http://"+a+"/webhooks/github")
	}
	return strings.Join(out, ",")
}

// report is every replica's recent output.
func (c *chaosCluster) report() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.logs)
	for i, p := range c.procs {
		if p != nil {
			out = append(out, fmt.Sprintf("--- replica %d:\n%s", i, tail(p.out.String(), 40)))
		}
	}
	return strings.Join(out, "\n")
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	return strings.Join(l[max(0, len(l)-lines):], "\n")
}

// deliver sends one delivery to the first replica that acknowledges it,
// as GitHub's redelivery through a load balancer would; it returns
// whether one did within a minute.
func (c *chaosCluster) deliver(event, id string, payload []byte) bool {
	for try, deadline := 0, time.Now().Add(time.Minute); time.Now().Before(deadline); try++ {
		resp, err := fakegithub.SignedWebhook("http://"+c.addrs[try%len(c.addrs)]+"/webhooks/github", event, id, payload, chaosSecret)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// chaosDuration is how long the load runs: SHIPGATE_CHAOS (30s in CI,
// 2m from scripts/chaos.sh); the test is skipped without it.
func chaosDuration(t *testing.T) time.Duration {
	v := os.Getenv("SHIPGATE_CHAOS")
	if v == "" {
		t.Skip("chaos test: set SHIPGATE_CHAOS=30s (CI) or run scripts/chaos.sh (2 minutes)")
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 10*time.Second {
		t.Fatalf("SHIPGATE_CHAOS=%q: want a duration of at least 10s, such as 30s or 2m", v)
	}
	return d
}

// TestChaosReplicasOnPostgreSQL runs three `shipgate serve` replicas on a
// PostgreSQL of its own while loadgen sends a scripted mix of deliveries
// through them; every 10 seconds one random replica is SIGKILLed and
// started again, and PostgreSQL itself is crashed and restarted once.
// Afterwards: every acknowledged delivery was stored and its work done
// (no job left, none dead); each PR has exactly one `shipgate: main`
// check run, in its right final state, and one sticky comment; each
// release's workflow was dispatched once and its deployment succeeded.
func TestChaosReplicasOnPostgreSQL(t *testing.T) {
	d := chaosDuration(t)
	pg, dbURL := startPrivatePostgres(t)
	const rate = 20 // deliveries a second
	total := int(d.Seconds() * rate)
	w := newChaosWorld(t, 24, max(3, int(d/(5*time.Second))), total)
	dir := t.TempDir()
	script, acks := filepath.Join(dir, "script.jsonl"), filepath.Join(dir, "acks")
	w.writeScript(t, script)
	loadgen := filepath.Join(dir, "loadgen")
	if out, err := exec.Command("go", "build", "-o", loadgen, "../loadgen").CombinedOutput(); err != nil {
		t.Fatalf("building loadgen: %v\n%s", err, out)
	}
	c := newChaosCluster(t, 3, []string{
		"SHIPGATE_DATABASE_URL=" + dbURL,
		"SHIPGATE_GITHUB_API_URL=" + w.fake.URL(),
		"SHIPGATE_GITHUB_TOKEN=" + chaosToken,
		"SHIPGATE_GITHUB_WEBHOOK_SECRET=" + chaosSecret,
		"SHIPGATE_RECONCILE_INTERVAL=0", // nothing may be healed by re-reading: every delivery must count
		"SHIPGATE_LOG_LEVEL=warn",
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runAcks := w.completeRuns(ctx, c)
	chaosDone := make(chan error, 1)
	go func() { chaosDone <- c.monkey(ctx, pg, d) }()

	began := time.Now()
	out, err := exec.Command(loadgen, "-url", c.urls(), "-secret", chaosSecret, "-script", script,
		"-rate", fmt.Sprint(rate), "-acks", acks, "-retry-for", "2m").CombinedOutput()
	t.Logf("loadgen, %s of scripted deliveries to 3 replicas:\n%s", time.Since(began).Round(time.Second), out)
	if err != nil {
		t.Fatalf("loadgen: %v\n%s", err, c.report())
	}
	cancelMonkey := time.Now()
	if err := <-chaosDone; err != nil {
		t.Fatalf("chaos: %v\n%s", err, c.report())
	}
	st := openChaosStore(t, dbURL)
	w.dbURL = dbURL
	settled := w.settle(t, st, c, time.Minute)
	t.Logf("%d replica kills, PostgreSQL crashed once; settled %s after the load", c.kills, settled.Sub(cancelMonkey).Round(100*time.Millisecond))
	cancel()
	w.check(t, st, dbURL, append(readLines(t, acks), runAcks()...), c)
}

// monkey SIGKILLs a random replica every 10 seconds and starts it again
// at once, and crashes PostgreSQL once, 40% into the run, until d has
// passed; it leaves every replica running.
func (c *chaosCluster) monkey(ctx context.Context, pg *privatePostgres, d time.Duration) error {
	end := time.Now().Add(d)
	pgAt := time.Now().Add(d * 4 / 10)
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for pgDone := false; time.Now().Before(end); {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			i := rand.IntN(len(c.addrs))
			c.kill(i)
			if err := c.start(i); err != nil {
				return err
			}
		case <-time.After(time.Until(pgAt)):
			if !pgDone {
				pgDone = true
				if err := pg.crashAndRestart(time.Second); err != nil {
					return err
				}
			}
			pgAt = end
		}
	}
	return nil
}

// completeRuns finishes every workflow run Shipgate dispatches, as GitHub
// Actions would, and tells a replica with a workflow_run delivery; the
// function it returns lists the IDs of those deliveries.
func (w *chaosWorld) completeRuns(ctx context.Context, c *chaosCluster) func() []string {
	var mu sync.Mutex
	var ids []string
	done := map[int64]bool{}
	go func() {
		for ctx.Err() == nil {
			for _, repo := range w.services {
				for _, r := range w.fake.WorkflowRuns(repo) {
					if done[r.ID] || r.Status == "completed" {
						continue
					}
					done[r.ID] = true
					w.fake.SetWorkflowRunStatus(repo, r.ID, "completed", "success")
					id := fmt.Sprintf("run-%d-completed", r.ID)
					if c.deliver("workflow_run", id, w.fake.Payload(w.fake.WorkflowRunEvent(repo, r.ID, "completed"))) {
						mu.Lock()
						ids = append(ids, id)
						mu.Unlock()
					}
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	return func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(ids) }
}

func openChaosStore(t *testing.T, url string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

// settle waits until the queue is empty, every PR's check is in its final
// state and every release is deployed, and returns when it was.
func (w *chaosWorld) settle(t *testing.T, st *store.Store, c *chaosCluster, within time.Duration) time.Time {
	t.Helper()
	var why string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if why = w.unsettled(st); why == "" {
			return time.Now()
		}
	}
	t.Fatalf("not settled within %s of the load's end: %s\n%s\n%s", within, why, queueDump(w.dbURL), c.report())
	return time.Time{}
}

// unsettled says what is not yet done, or "".
func (w *chaosWorld) unsettled(st *store.Store) string {
	s, err := st.Stats(context.Background())
	if err != nil {
		return err.Error()
	}
	if s.Ready+s.Leased > 0 {
		return fmt.Sprintf("%d jobs ready, %d leased", s.Ready, s.Leased)
	}
	for n, kind := range w.kinds {
		status, conclusion := kind.want()
		runs := w.mainRuns(n)
		if len(runs) == 0 || runs[len(runs)-1].Status != status || runs[len(runs)-1].Conclusion != conclusion {
			return fmt.Sprintf("PR %d's check is %+v, want %s %s", n, runs, status, conclusion)
		}
	}
	for _, repo := range w.services {
		if statuses := w.deploymentStatuses(repo); !slices.Contains(statuses, "staging@v1.0.0:success") {
			return fmt.Sprintf("%s is not deployed: %q", repo, statuses)
		}
	}
	return ""
}

// queueDump shows the live jobs, the keys and the workers, to tell why
// the queue did not drain.
func queueDump(dbURL string) string {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	var b strings.Builder
	ctx := context.Background()
	now := time.Now().UnixMicro()
	for _, q := range []string{
		`SELECT 'job', id, ordering_key, state, attempts, COALESCE(leased_by, ''), (leased_until - $1) / 1000, (run_at - $1) / 1000, left(last_error, 200) FROM jobs WHERE state <> 'dead' ORDER BY id`,
		`SELECT 'key', 0, ordering_key, '', 0, COALESCE(leased_by, ''), (leased_until - $1) / 1000, (ready_at - $1) / 1000, '' FROM queue_keys ORDER BY ordering_key`,
		`SELECT 'worker', 0, name, '', 0, '', 0, (heartbeat_at - $1) / 1000, '' FROM workers ORDER BY name`,
	} {
		rows, err := db.QueryContext(ctx, q, now)
		if err != nil {
			return err.Error()
		}
		for rows.Next() {
			var what, key, state, by, lastErr string
			var id, attempts, leaseMs, dueMs int64
			_ = rows.Scan(&what, &id, &key, &state, &attempts, &by, &leaseMs, &dueMs, &lastErr)
			fmt.Fprintf(&b, "%s %d %s %s attempts=%d by=%s lease=%dms due=%dms %s\n", what, id, key, state, attempts, by, leaseMs, dueMs, lastErr)
		}
		rows.Close()
	}
	return b.String()
}

// mainRuns lists PR n's `shipgate: main` check runs on its head.
func (w *chaosWorld) mainRuns(n int) []fakegithub.CheckRun {
	pr, _ := w.fake.PullRequest(chaosRepo, n)
	var out []fakegithub.CheckRun
	for _, r := range w.fake.CheckRuns(chaosRepo, pr.HeadSHA) {
		if r.Name == "shipgate: main" {
			out = append(out, r)
		}
	}
	return out
}

// check asserts the end state once settled.
func (w *chaosWorld) check(t *testing.T, st *store.Store, dbURL string, acked []string, c *chaosCluster) {
	t.Helper()
	if dead, err := st.Dead(context.Background()); err != nil || len(dead) > 0 {
		t.Errorf("dead jobs: %v %+v", err, dead)
	}
	stored := storedDeliveries(t, dbURL)
	missing := 0
	for _, id := range acked {
		if !stored[id] {
			missing++
			t.Errorf("delivery %s was acknowledged but is not in the store", id)
		}
	}
	t.Logf("%d acknowledged deliveries, %d stored, %d missing", len(acked), len(stored), missing)
	for n := range w.kinds {
		if runs := w.mainRuns(n); len(runs) != 1 {
			t.Errorf("PR %d has %d `shipgate: main` check runs, want 1: %+v", n, len(runs), runs)
		}
		sticky := 0
		for _, cm := range w.fake.Comments(chaosRepo, n) {
			if strings.Contains(cm.Body, "<!-- shipgate:summary -->") {
				sticky++
			}
		}
		if sticky != 1 {
			t.Errorf("PR %d has %d sticky comments, want 1", n, sticky)
		}
	}
	w.checkReleases(t)
	t.Logf("%d PRs, each with one `shipgate: main` check run in its final state and one sticky comment; %d releases, each dispatched once and deployed once",
		len(w.kinds), len(w.services))
	if t.Failed() {
		t.Logf("replicas:\n%s", c.report())
	}
}

// checkReleases asserts each release's workflow was dispatched once and
// its one deployment succeeded once.
func (w *chaosWorld) checkReleases(t *testing.T) {
	t.Helper()
	dispatches := strings.Join(w.fake.Dispatches(), "\n")
	for _, repo := range w.services {
		if n := strings.Count(dispatches, repo+":deploy.yml@v1.0.0 "); n != 1 {
			t.Errorf("%s's workflow was dispatched %d times, want once:\n%s", repo, n, dispatches)
		}
		want := []string{"staging@v1.0.0:queued", "staging@v1.0.0:in_progress", "staging@v1.0.0:success"}
		if got := w.deploymentStatuses(repo); !slices.Equal(got, want) {
			t.Errorf("%s's deployment statuses: %q, want %q", repo, got, want)
		}
		if deps := w.fake.Deployments(repo); len(deps) != 1 {
			t.Errorf("%s has %d GitHub deployments, want 1", repo, len(deps))
		}
	}
}

// deploymentStatuses lists the statuses Shipgate set on repo's
// deployments, as "env@ref:state".
func (w *chaosWorld) deploymentStatuses(repo string) []string {
	var out []string
	for _, s := range deploymentStatuses(w.fake, repo) {
		if !strings.Contains(s, ":staging@") { // another repository's
			out = append(out, s)
		}
	}
	return out
}

// storedDeliveries lists the delivery IDs in the store.
func storedDeliveries(t *testing.T, dbURL string) map[string]bool {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id FROM deliveries WHERE host = 'github'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}
