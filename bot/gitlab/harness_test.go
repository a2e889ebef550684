package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/shipgate/shipgate/bot/store/drivers" // the store opens SQLite and PostgreSQL

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/internal/testclock"
)

const (
	testRepo      = "acme/platform/shop" // a subgroup: the owner holds a slash
	testProjectID = 7
	testSecret    = "It's a Secret to Everybody"
	testToken     = "glpat-test-token"
	botUser       = "shipgate-bot"
)

// countingAcceptor counts what reached the store through Accept.
type countingAcceptor struct {
	bot.Acceptor
	calls atomic.Int64
}

func (c *countingAcceptor) Accept(ctx context.Context, d store.Delivery, jobs ...store.Job) (bool, error) {
	c.calls.Add(1)
	return c.Acceptor.Accept(ctx, d, jobs...)
}

// harness is a fake GitLab, a real SQLite store, the adapter, and an
// in-memory stand-in for the worker loop.
type harness struct {
	t        *testing.T
	clock    *testclock.Clock
	fake     *fakegitlab.Server
	project  *fakegitlab.Project
	store    *store.Store
	acceptor *countingAcceptor
	app      *App
	gate     *gate.Gate
	seq      int
	// processed counts the batches Process handled.
	processed int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	clk := testclock.New(time.Now().UTC().Truncate(time.Second))
	fake := fakegitlab.New(t, testToken, fakegitlab.User{ID: 99, Username: botUser, Bot: true})
	st, err := store.OpenWith(context.Background(), filepath.Join(t.TempDir(), "shipgate.db"), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{t: t, clock: clk, fake: fake, store: st, acceptor: &countingAcceptor{Acceptor: st}}
	h.project = fake.AddProject(&fakegitlab.Project{ID: testProjectID, Path: testRepo, DefaultBranch: "main"})
	h.app, err = New(Config{URL: fake.URL, Token: testToken, WebhookSecret: testSecret, Now: clk.Now, Tries: 1,
		Logger: zerolog.Nop(), Store: st, Acceptor: h.acceptor})
	if err != nil {
		t.Fatal(err)
	}
	h.gate, err = gate.New(gate.Config{Host: h.app, Store: st, Acceptor: h.acceptor, Now: clk.Now, Logger: zerolog.Nop(), Legacy: h.app.DecodeLegacy})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// setDeployer rebuilds the gate with a deployment orchestrator.
func (h *harness) setDeployer(d gate.Deployer) {
	h.t.Helper()
	g, err := gate.New(gate.Config{Host: h.app, Store: h.store, Acceptor: h.acceptor, Deployer: d, Now: h.clock.Now, Logger: zerolog.Nop(), Legacy: h.app.DecodeLegacy})
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
	return h.app.Process(ctx, b)
}

// people sets up the project's members: dave (Developer) opens MRs; alice
// (Developer) and bob (Maintainer) approve; erin is a Reporter; carol a
// Guest.
func (h *harness) people() {
	h.fake.Do(func() {
		for i, m := range []struct {
			name  string
			level int
		}{{"dave", 30}, {"alice", 30}, {"bob", 40}, {"erin", 20}, {"carol", 10}} {
			h.project.Members = append(h.project.Members, fakegitlab.Member{User: fakegitlab.User{ID: int64(i + 1), Username: m.name}, AccessLevel: m.level})
		}
	})
}

// user is a member by name (call it inside Do), or a stranger.
func (h *harness) user(name string) fakegitlab.User {
	for _, m := range h.project.Members {
		if m.Username == name {
			return m.User
		}
	}
	return fakegitlab.User{ID: 500, Username: name}
}

func (h *harness) setPolicy(yaml string) {
	h.fake.Do(func() { h.project.Files["main"] = map[string]string{".shipgate.yml": yaml} })
}

// post delivers a webhook as GitLab does.
func (h *harness) post(event, uuid, token string, body []byte) *httptest.ResponseRecorder {
	h.t.Helper()
	r := httptest.NewRequest(http.MethodPost, Route, strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Gitlab-Event", event)
	r.Header.Set("X-Gitlab-Event-UUID", uuid)
	if token != "" {
		r.Header.Set("X-Gitlab-Token", token)
	}
	w := httptest.NewRecorder()
	h.app.ServeHTTP(w, r)
	return w
}

// deliver posts payload with a fresh UUID and wants it queued.
func (h *harness) deliver(event string, payload any) string {
	h.t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		h.t.Fatal(err)
	}
	h.seq++
	uuid := fmt.Sprintf("uuid-%d", h.seq)
	if w := h.post(event, uuid, testSecret, body); w.Code != http.StatusAccepted {
		h.t.Fatalf("%s: answered %d %s", event, w.Code, w.Body)
	}
	h.clock.Advance(time.Second)
	return uuid
}

// drain processes every queued job, as the workers would.
func (h *harness) drain() {
	h.t.Helper()
	ctx := zerolog.New(testWriter{h.t}).WithContext(context.Background())
	for range 100 {
		batches, err := h.store.Claim(ctx, "test", time.Hour, 8)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(batches) == 0 {
			return
		}
		for _, b := range batches {
			h.processed++
			if err := h.process(ctx, b); err != nil {
				var perm bool = errors.Is(err, bot.ErrPermanent)
				h.t.Fatalf("processing %s (permanent %v): %v", b.Key, perm, err)
			}
			if err := h.store.Complete(ctx, b.Lease, b.IDs()...); err != nil {
				h.t.Fatal(err)
			}
		}
	}
	h.t.Fatal("the queue did not drain")
}

// testWriter sends logs to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (h *harness) projectJSON() map[string]any {
	return map[string]any{"id": testProjectID, "path_with_namespace": testRepo, "default_branch": "main"}
}

// open adds MR iid by author at sha and delivers its open hook.
func (h *harness) open(iid int, title, author, description, sha string) {
	h.fake.Do(func() {
		h.project.MRs[iid] = &fakegitlab.MR{IID: iid, Title: title, Description: description, Author: h.user(author),
			SourceBranch: "feature", TargetBranch: "main", SHA: sha, State: "opened", CreatedAt: h.clock.Now(),
			Commits: []fakegitlab.Commit{{SHA: sha, Message: title, AuthorName: author, At: h.clock.Now()}}}
	})
	h.mrHook(iid, "open", author)
}

// mrHook delivers a Merge Request Hook; changed names the attributes an
// update changed (GitLab's "changes").
func (h *harness) mrHook(iid int, action, sender string, changed ...string) string {
	sha := h.sha(iid)
	changes := map[string]any{"updated_at": map[string]any{}}
	for _, c := range changed {
		changes[c] = map[string]any{"previous": nil, "current": nil}
	}
	return h.deliver("Merge Request Hook", map[string]any{
		"object_kind": "merge_request", "event_type": "merge_request", "user": map[string]any{"username": sender},
		"project": h.projectJSON(), "changes": changes,
		"object_attributes": map[string]any{"iid": iid, "action": action, "target_branch": "main",
			"last_commit": map[string]any{"id": sha}},
	})
}

func (h *harness) sha(iid int) string {
	var sha string
	h.fake.Do(func() { sha = h.project.MRs[iid].SHA })
	return sha
}

// approve records an approval by who and delivers the approved hook.
func (h *harness) approve(iid int, who string) {
	h.fake.Do(func() { h.project.MRs[iid].Approve(h.user(who), h.clock.Now()) })
	h.mrHook(iid, "approved", who)
}

// note adds a note by author and delivers its hook; it returns its ID.
func (h *harness) note(iid int, author, body string) int64 {
	var id int64
	h.fake.Do(func() {
		mr := h.project.MRs[iid]
		id = int64(len(mr.Notes) + 1)
		mr.Notes = append(mr.Notes, &fakegitlab.Note{ID: id, Author: h.user(author), Body: body, CreatedAt: h.clock.Now()})
	})
	h.deliver("Note Hook", map[string]any{
		"object_kind": "note", "event_type": "note", "user": map[string]any{"username": author},
		"project_id": testProjectID, "project": h.projectJSON(),
		"object_attributes": map[string]any{"id": id, "note": body, "noteable_type": "MergeRequest", "action": "create",
			"created_at": h.clock.Now().Format("2006-01-02 15:04:05 UTC")},
		"merge_request": map[string]any{"iid": iid, "last_commit": map[string]any{"id": h.sha(iid)}},
	})
	return id
}

// lastStatus is the last status named name set on sha.
func (h *harness) lastStatus(sha, name string) fakegitlab.Status {
	h.t.Helper()
	var last fakegitlab.Status
	h.fake.Do(func() {
		for _, s := range h.project.Statuses {
			if s.SHA == sha && s.Name == name {
				last = s
			}
		}
	})
	return last
}

func (h *harness) wantStatus(sha, state string, descriptionHas ...string) {
	h.t.Helper()
	st := h.lastStatus(sha, review.CheckName("main"))
	if st.State != state {
		h.t.Fatalf("status of %s = %q (%s), want %q", sha[:7], st.State, st.Description, state)
	}
	for _, s := range descriptionHas {
		if !strings.Contains(st.Description, s) {
			h.t.Errorf("status description %q lacks %q", st.Description, s)
		}
	}
}

// sticky returns the bodies of the bot's notes that carry the marker.
func (h *harness) sticky(iid int) []string {
	var out []string
	h.fake.Do(func() {
		for _, n := range h.project.MRs[iid].Notes {
			if n.Author.Username == botUser && strings.HasPrefix(n.Body, "<!-- shipgate:summary -->") {
				out = append(out, n.Body)
			}
		}
	})
	return out
}

// replies returns the bodies of the bot's other notes.
func (h *harness) replies(iid int) []string {
	var out []string
	h.fake.Do(func() {
		for _, n := range h.project.MRs[iid].Notes {
			if n.Author.Username == botUser && !strings.HasPrefix(n.Body, "<!-- shipgate:summary -->") {
				out = append(out, n.Body)
			}
		}
	})
	return out
}

func strconvFormat(n int64) string { return fmt.Sprint(n) }

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
