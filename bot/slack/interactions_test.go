package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/shipgate/shipgate/bot/store/drivers" // the store opens SQLite and PostgreSQL

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakeslack"
)

// decisions records Decide calls.
type decisions struct {
	mu    sync.Mutex
	calls []string
}

func (d *decisions) Decide(ctx context.Context, id string, a deploy.Actor, approve bool, reason, via, dedupe string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, fmt.Sprintf("%s %s approve=%v %s", id, a, approve, reason))
	return nil
}

func newTestSlack(t *testing.T, now time.Time) (*Slack, *decisions, *fakeslack.Server) {
	t.Helper()
	st, err := store.OpenWith(context.Background(), filepath.Join(t.TempDir(), "s.db"), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fake := fakeslack.New(t, "xoxb-t")
	d := &decisions{}
	s, err := New(Config{BotToken: "xoxb-t", SigningSecret: "secret", APIURL: fake.URL(), Store: st, Decider: d, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return s, d, fake
}

func approveBody(user, ts string) string {
	return "payload=" + url.QueryEscape(fmt.Sprintf(`{"type":"block_actions","user":{"id":%q},"actions":[{"block_id":"deploy_gate","action_id":"deploy_approve","value":"dep-1","action_ts":%q}]}`, user, ts))
}

func TestInteractionsAreVerified(t *testing.T) {
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	body := approveBody("U1", "1.1")
	stamp := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	tests := []struct {
		name       string
		ts, sig    string
		wantStatus int
		wantCalls  int
	}{
		{"a request signed with the signing secret is queued", stamp(now), Sign("secret", stamp(now), []byte(body)), 200, 1},
		{"a forged signature is refused", stamp(now), Sign("guess", stamp(now), []byte(body)), 401, 0},
		{"a request older than five minutes is refused", stamp(now.Add(-6 * time.Minute)), Sign("secret", stamp(now.Add(-6*time.Minute)), []byte(body)), 401, 0},
		{"a request from the future is refused", stamp(now.Add(6 * time.Minute)), Sign("secret", stamp(now.Add(6*time.Minute)), []byte(body)), 401, 0},
		{"a request without a signature is refused", stamp(now), "", 401, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, d, _ := newTestSlack(t, now)
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, Route, strings.NewReader(body))
			req.Header.Set("X-Slack-Request-Timestamp", tc.ts)
			req.Header.Set("X-Slack-Signature", tc.sig)
			s.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus || len(d.calls) != tc.wantCalls {
				t.Fatalf("status %d, calls %q; want %d and %d calls", rec.Code, d.calls, tc.wantStatus, tc.wantCalls)
			}
			if rec.Code == 401 && strings.TrimSpace(rec.Body.String()) != "invalid signature" {
				t.Fatalf("401 body %q", rec.Body.String())
			}
		})
	}
}

func TestAReplayedInteractionHasNoEffect(t *testing.T) {
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	s, d, _ := newTestSlack(t, now)
	body := approveBody("U1", "1.1")
	ts := strconv.FormatInt(now.Unix(), 10)
	for range 2 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, Route, strings.NewReader(body))
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", Sign("secret", ts, []byte(body)))
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
	}
	if len(d.calls) != 1 || d.calls[0] != "dep-1 slack:U1 approve=true " {
		t.Fatalf("decisions: %q", d.calls)
	}
}

func TestRejectOpensTheReasonModal(t *testing.T) {
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	s, d, fake := newTestSlack(t, now)
	rec := postPayload(s, now, `{"type":"block_actions","user":{"id":"U1"},"trigger_id":"trig-1","actions":[{"block_id":"deploy_gate","action_id":"deploy_reject","value":"dep-1","action_ts":"1.2"}]}`)
	if v := fake.Views(); rec.Code != 200 || len(v) != 1 || !strings.HasPrefix(v[0], "trig-1:") || !strings.Contains(v[0], `"private_metadata":"dep-1"`) || len(d.calls) != 0 {
		t.Fatalf("status %d, views %q, calls %q", rec.Code, v, d.calls)
	}
}

func TestSlackGroups(t *testing.T) {
	s, _, fake := newTestSlack(t, time.Now())
	fake.SetGroup("S1", "U1")
	for user, want := range map[string]bool{"U1": true, "U2": false} {
		if in, err := s.InSlackGroup(context.Background(), "S1", user); err != nil || in != want {
			t.Fatalf("InSlackGroup(S1, %s) = %v, %v", user, in, err)
		}
	}
}

// TestOverrideAsksWhyThenDecides: the Override button of a freeze opens the
// reason modal; its submission approves with the reason.
func TestOverrideAsksWhyThenDecides(t *testing.T) {
	now := time.Date(2026, 12, 22, 10, 0, 0, 0, time.UTC)
	s, d, fake := newTestSlack(t, now)
	post := func(payload string) int { return postPayload(s, now, payload).Code }
	if code := post(`{"type":"block_actions","user":{"id":"U1"},"trigger_id":"trig-9","actions":[{"block_id":"deploy_gate","action_id":"deploy_override","value":"dep-1","action_ts":"1.3"}]}`); code != 200 {
		t.Fatalf("click: %d", code)
	}
	if v := fake.Views(); len(v) != 1 || !strings.Contains(v[0], `"callback_id":"deploy_override_reason"`) || len(d.calls) != 0 {
		t.Fatalf("views %q, calls %q: want the reason modal and no decision yet", v, d.calls)
	}
	submit := `{"type":"view_submission","user":{"id":"U1"},"view":{"id":"V1","callback_id":"deploy_override_reason","private_metadata":"dep-1",` +
		`"state":{"values":{"reason":{"reason":{"type":"plain_text_input","value":"hotfix for INC-7"}}}}}}`
	if code := post(submit); code != 200 {
		t.Fatalf("submit: %d", code)
	}
	if len(d.calls) != 1 || !strings.HasSuffix(d.calls[0], "approve=true hotfix for INC-7") {
		t.Errorf("calls %q: want the override approved with its reason", d.calls)
	}
}

// postPayload sends an interaction payload signed at now.
func postPayload(s *Slack, now time.Time, payload string) *httptest.ResponseRecorder {
	body := "payload=" + url.QueryEscape(payload)
	ts := strconv.FormatInt(now.Unix(), 10)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, Route, strings.NewReader(body))
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", Sign("secret", ts, []byte(body)))
	s.ServeHTTP(rec, req)
	return rec
}

// flakyDecider fails its first Decide, as a store that is briefly down.
type flakyDecider struct {
	decisions
	failed bool
}

func (f *flakyDecider) Decide(ctx context.Context, id string, a deploy.Actor, approve bool, reason, via, dedupe string) error {
	if !f.failed {
		f.failed = true
		return errors.New("database is locked")
	}
	return f.decisions.Decide(ctx, id, a, approve, reason, via, dedupe)
}

// TestAFailedClickIsDoneOnSlacksRetry: a click whose decision could not be
// queued is answered 503 and forgotten, so Slack's retry of the same
// request is done rather than refused as a replay.
func TestAFailedClickIsDoneOnSlacksRetry(t *testing.T) {
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	s, _, _ := newTestSlack(t, now)
	flaky := &flakyDecider{}
	s.SetDecider(flaky)
	body := `{"type":"block_actions","user":{"id":"U1"},"actions":[{"block_id":"deploy_gate","action_id":"deploy_approve","value":"dep-1","action_ts":"1.1"}]}`
	if rec := postPayload(s, now, body); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("first try: %d, want 503", rec.Code)
	}
	if rec := postPayload(s, now, body); rec.Code != http.StatusOK {
		t.Fatalf("Slack's retry: %d, want 200", rec.Code)
	}
	if len(flaky.calls) != 1 || flaky.calls[0] != "dep-1 slack:U1 approve=true " {
		t.Fatalf("decisions: %q, want the click decided once", flaky.calls)
	}
	if rec := postPayload(s, now, body); rec.Code != http.StatusOK || len(flaky.calls) != 1 {
		t.Fatalf("a replay after success: %d, decisions %q", rec.Code, flaky.calls)
	}
}
