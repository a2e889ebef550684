package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/shipgate/shipgate/bot/store/drivers" // the store opens SQLite and PostgreSQL

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/testclock"
)

const (
	testRepo   = "acme/shop"
	testSecret = "It's a Secret to Everybody"
	testToken  = "ghs_test_token"
)

// countingAcceptor records what reached the store through Accept.
type countingAcceptor struct {
	bot.Acceptor
	calls atomic.Int64
}

func (c *countingAcceptor) Accept(ctx context.Context, d store.Delivery, jobs ...store.Job) (bool, error) {
	c.calls.Add(1)
	return c.Acceptor.Accept(ctx, d, jobs...)
}

// harness is a fake GitHub, a real SQLite store, the adapter, and an
// in-memory stand-in for the worker loop.
type harness struct {
	t        *testing.T
	clock    *testclock.Clock
	fake     *fakegithub.Server
	store    *store.Store
	acceptor *countingAcceptor
	app      *github.App
	srv      *Server
	gate     *gate.Gate
	deployer gate.Deployer
	cfg      github.Config
	srvCfg   Config
	metrics  *bot.Metrics
	logs     *syncBuffer
	// deliveries counts webhook deliveries that queued work, for the
	// calls-per-event measurement.
	deliveries int
	seq        int
	// gateOpts adjust the gate's configuration.
	gateOpts []func(*gate.Config)
	// failures are the errors Process returned, in order.
	failures []error
	commits  map[int][]fakegithub.Commit
}

type harnessOption struct {
	fake []fakegithub.Option
	cfg  func(*github.Config)
	srv  func(*Config)
	gate func(*gate.Config)
}

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	clk := testclock.New(time.Now().UTC().Truncate(time.Second))
	fakeOpts := []fakegithub.Option{fakegithub.WithClock(clk.Now), fakegithub.WithToken(testToken)}
	for _, o := range opts {
		fakeOpts = append(fakeOpts, o.fake...)
	}
	fake := fakegithub.New(t, fakeOpts...)
	st, err := store.OpenWith(context.Background(), filepath.Join(t.TempDir(), "shipgate.db"), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs := &syncBuffer{}
	h := &harness{
		t: t, clock: clk, fake: fake, store: st, acceptor: &countingAcceptor{Acceptor: st},
		metrics: bot.NewMetrics(), logs: logs, commits: map[int][]fakegithub.Commit{},
	}
	cfg := github.Config{
		APIURL: fake.URL(), Token: testToken, Transport: fake.HTTPClient().Transport, Now: clk.Now,
		Sleep:  func(_ context.Context, d time.Duration) error { clk.Advance(d); return nil },
		Logger: zerolog.New(logs), Metrics: h.metrics, RequestTimeout: 300 * time.Millisecond,
	}
	h.srvCfg = Config{WebhookSecret: testSecret, Store: st, Acceptor: h.acceptor, Now: clk.Now, Logger: zerolog.New(logs), Metrics: h.metrics}
	for _, o := range opts {
		if o.cfg != nil {
			o.cfg(&cfg)
		}
		if o.srv != nil {
			o.srv(&h.srvCfg)
		}
		if o.gate != nil {
			h.gateOpts = append(h.gateOpts, o.gate)
		}
	}
	h.cfg = cfg
	h.restart()
	fake.AddRepo(fakegithub.Repo{FullName: testRepo})
	return h
}

// restart replaces the adapter with a new one on the same store and fake,
// as a new process would be: every in-memory cache is gone.
func (h *harness) restart() {
	h.t.Helper()
	app, err := github.New(h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.app = app
	sc := h.srvCfg
	sc.App = app
	if h.srv, err = New(sc); err != nil {
		h.t.Fatal(err)
	}
	h.setDeployer(h.deployer)
}

// setDeployer connects a deployment orchestrator (nil: none) to the App
// and its gate.
func (h *harness) setDeployer(d gate.Deployer) {
	h.t.Helper()
	h.deployer = d
	gc := gate.Config{Host: h.app, Store: h.store, Acceptor: h.acceptor, Deployer: d, Now: h.clock.Now, Logger: h.cfg.Logger, Legacy: DecodeLegacy}
	for _, o := range h.gateOpts {
		o(&gc)
	}
	g, err := gate.New(gc)
	if err != nil {
		h.t.Fatal(err)
	}
	h.gate = g
}

// process hands a batch to its processor, as bot.Workers does.
func (h *harness) process(ctx context.Context, b store.Batch) error {
	if slices.Contains(h.gate.Kinds(), b.Jobs[0].Kind) {
		return h.gate.Process(ctx, b)
	}
	return h.srv.Process(ctx, b)
}

// syncBuffer collects log lines from concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// sign is X-Hub-Signature-256 of body.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// post sends a delivery to the Receiver with the given headers.
func (h *harness) post(event, delivery string, body []byte, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, Route, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	return rec
}

// deliver signs and sends a payload, failing the test on a non-2xx.
func (h *harness) deliver(event string, payload any) {
	h.t.Helper()
	body, ok := payload.([]byte)
	if !ok {
		body = h.fake.Payload(payload)
	}
	h.seq++
	rec := h.post(event, fmt.Sprintf("delivery-%d", h.seq), body, map[string]string{"X-Hub-Signature-256": sign(testSecret, body)})
	if rec.Code/100 != 2 {
		h.t.Fatalf("delivering %s: %d %s", event, rec.Code, rec.Body)
	}
	if rec.Code == http.StatusAccepted && strings.HasPrefix(rec.Body.String(), "queued") {
		h.deliveries++
	}
}

// drain is the in-memory worker loop: it claims batches and processes
// them until nothing is left, retrying failed ones at the time they ask
// for (moving the clock there) as bot.Workers does.
func (h *harness) drain() {
	h.t.Helper()
	ctx := h.logCtx()
	var next time.Time // the earliest retry not yet due
	for range 500 {
		batches, err := h.store.Claim(ctx, "test", time.Hour, 8)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(batches) == 0 {
			if next.IsZero() {
				return
			}
			h.clock.AdvanceTo(next)
			next = time.Time{}
			continue
		}
		for _, b := range batches {
			err := h.process(ctx, b)
			if err == nil {
				if err := h.store.Complete(ctx, b.Lease, b.IDs()...); err != nil {
					h.t.Fatal(err)
				}
				continue
			}
			h.failures = append(h.failures, err)
			at := h.clock.Now().Add(2 * time.Second)
			var re *bot.RetryError
			if errors.As(err, &re) && re.At.After(at) {
				at = re.At
			}
			for _, j := range b.Jobs {
				if rerr := h.store.Retry(ctx, b.Lease, j.ID, err, at); rerr != nil {
					h.t.Fatal(rerr)
				}
			}
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
	}
	h.t.Fatal("the queue did not drain")
}

func (h *harness) logCtx() context.Context {
	l := zerolog.New(h.logs)
	return l.WithContext(context.Background())
}

// addPR adds a PR to the fake.
func (h *harness) addPR(pr fakegithub.PR) {
	h.t.Helper()
	h.fake.AddPR(testRepo, pr)
}

// updatePR changes a PR of the fake as an edit on GitHub would.
func (h *harness) updatePR(n int, change func(*fakegithub.PR)) {
	h.t.Helper()
	h.fake.UpdatePR(testRepo, n, change)
}

// push adds a commit to a PR (its new head) and delivers synchronize.
func (h *harness) push(n int, sha, message, sender string) {
	h.t.Helper()
	h.clock.Advance(time.Minute)
	h.commits[n] = append(h.commits[n], fakegithub.Commit{SHA: sha, Message: message, Author: sender, Date: h.clock.Now()})
	h.fake.SetPRCommits(testRepo, n, h.commits[n])
	h.updatePR(n, func(*fakegithub.PR) {}) // a push moves updated_at
	h.prEvent(n, "synchronize", sender)
}

// open adds a PR with one commit and delivers opened.
func (h *harness) open(pr fakegithub.PR, sha string) {
	h.t.Helper()
	pr.HeadSHA = sha
	h.addPR(pr)
	h.commits[pr.Number] = []fakegithub.Commit{{SHA: sha, Message: pr.Title, Author: pr.Author, Date: h.clock.Now()}}
	h.fake.SetPRCommits(testRepo, pr.Number, h.commits[pr.Number])
	h.prEvent(pr.Number, "opened", pr.Author)
}

// prEvent delivers a pull_request event built from the fake's state.
func (h *harness) prEvent(n int, action, sender string) {
	h.t.Helper()
	h.deliver("pull_request", h.fake.PullRequestEvent(testRepo, n, action, sender))
}

// comment adds a comment and delivers its issue_comment.created.
func (h *harness) comment(n int, author, body string) int64 {
	h.t.Helper()
	id := h.fake.AddComment(testRepo, n, fakegithub.Comment{Author: author, Body: body})
	h.deliver("issue_comment", h.fake.IssueCommentEvent(testRepo, id, "created"))
	return id
}

// review adds a review and delivers its pull_request_review.submitted.
func (h *harness) review(n int, author, state string) {
	h.t.Helper()
	id := h.fake.AddReview(testRepo, n, fakegithub.Review{Author: author, State: state, SubmittedAt: h.clock.Now()})
	h.deliver("pull_request_review", h.fake.PullRequestReviewEvent(testRepo, n, id, "submitted"))
}

// check returns the newest `shipgate: main` check run on sha (the base
// of the harness's PRs unless they say otherwise).
func (h *harness) check(sha string) fakegithub.CheckRun {
	h.t.Helper()
	return h.checkFor(sha, "main")
}

// checkFor returns the newest `shipgate: <base>` check run on sha.
func (h *harness) checkFor(sha, base string) fakegithub.CheckRun {
	h.t.Helper()
	cr, ok := h.newestCheck(sha, base)
	if !ok {
		h.t.Fatalf("no %s check run on %s", review.CheckName(base), sha)
	}
	return cr
}

// newestCheck returns the newest `shipgate: <base>` check run on sha, the
// one GitHub's required checks read.
func (h *harness) newestCheck(sha, base string) (fakegithub.CheckRun, bool) {
	var last *fakegithub.CheckRun
	runs := h.fake.CheckRuns(testRepo, sha)
	for i := range runs {
		if runs[i].Name == review.CheckName(base) && (last == nil || runs[i].ID > last.ID) {
			last = &runs[i]
		}
	}
	if last == nil {
		return fakegithub.CheckRun{}, false
	}
	return *last, true
}

// wantCheck asserts the newest check run's status and conclusion.
func (h *harness) wantCheck(sha, status, conclusion string, summaryHas ...string) fakegithub.CheckRun {
	h.t.Helper()
	cr := h.check(sha)
	if cr.Status != status || cr.Conclusion != conclusion {
		h.t.Fatalf("check on %.7s is %s/%s, want %s/%s\n%s\n%s", sha, cr.Status, cr.Conclusion, status, conclusion, cr.Title, cr.Summary)
	}
	for _, s := range summaryHas {
		if !strings.Contains(cr.Summary, s) && !strings.Contains(cr.Title, s) {
			h.t.Errorf("check on %.7s does not say %q:\n%s\n%s", sha, s, cr.Title, cr.Summary)
		}
	}
	return cr
}

// stickyComments returns the bot's summary comments on a PR.
func (h *harness) stickyComments(n int) []fakegithub.Comment {
	var out []fakegithub.Comment
	for _, c := range h.fake.Comments(testRepo, n) {
		if strings.HasPrefix(c.Body, "<!-- shipgate:summary -->") {
			out = append(out, c)
		}
	}
	return out
}

// replies returns the bot's other comments on a PR.
func (h *harness) replies(n int) []string {
	var out []string
	for _, c := range h.fake.Comments(testRepo, n) {
		if strings.HasSuffix(c.Author, "[bot]") && !strings.HasPrefix(c.Body, "<!-- shipgate:summary -->") {
			out = append(out, c.Body)
		}
	}
	return out
}

// logCalls logs the requests per route, 304s apart.
func logCalls(t *testing.T, reqs []fakegithub.Request) {
	t.Helper()
	type count struct{ charged, notModified int }
	by := map[string]*count{}
	var routes []string
	for _, r := range reqs {
		c := by[r.Route]
		if c == nil {
			c = &count{}
			by[r.Route] = c
			routes = append(routes, r.Route)
		}
		if r.NotModified {
			c.notModified++
		} else {
			c.charged++
		}
	}
	sort.Strings(routes)
	for _, r := range routes {
		t.Logf("  %3d charged, %3d not modified: %s", by[r].charged, by[r].notModified, r)
	}
}

// logProcessed logs the API calls of each processed batch.
func (h *harness) logProcessed() {
	for _, line := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(line, "pull request processed") {
			h.t.Log(line)
		}
	}
}
