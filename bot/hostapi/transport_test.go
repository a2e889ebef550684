package hostapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/internal/testclock"
	"github.com/shipgate/shipgate/policies"
)

func TestRouteOf(t *testing.T) {
	tests := []struct{ path, base, want string }{
		{"/api/v3/repos/acme/shop/pulls/42/reviews", "/api/v3/", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"},
		{"/repos/acme/shop/pulls/42", "/", "/repos/{owner}/{repo}/pulls/{pull_number}"},
		{"/repos/acme/shop/commits/feature/x/check-runs", "/", "/repos/{owner}/{repo}/commits/{ref...}/check-runs"},
		{"/repos/acme/shop/contents/.github/CODEOWNERS", "/", "/repos/{owner}/{repo}/contents/{path...}"},
		{"/repos/acme/shop/issues/1/labels/do-not-merge%2Fhold", "/", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"},
		{"/app/installations/7/access_tokens", "/", "/app/installations/{installation_id}/access_tokens"},
		{"/repos/acme/shop/secret/thing", "/", "other"},
	}
	routes := SplitRoutes("/repos/{owner}/{repo}/pulls/{pull_number}/reviews", "/repos/{owner}/{repo}/pulls/{pull_number}",
		"/repos/{owner}/{repo}/commits/{ref...}/check-runs", "/repos/{owner}/{repo}/contents/{path...}",
		"/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", "/app/installations/{installation_id}/access_tokens")
	for _, tt := range tests {
		if got := RouteOf(routes, tt.path, tt.base); got != tt.want {
			t.Errorf("RouteOf(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// scripted answers requests with the next of a list of handlers.
type scripted struct {
	steps []http.HandlerFunc
	n     atomic.Int64
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int(s.n.Add(1)) - 1
	if i >= len(s.steps) {
		i = len(s.steps) - 1
	}
	s.steps[i](w, r)
}

func status(code int, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"message":"`+http.StatusText(code)+`"}`)
	}
}

func TestRetrier(t *testing.T) {
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	reset := start.Add(20 * time.Minute)
	ok := status(200)
	hang := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that the server notices the client leave
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	tests := []struct {
		name      string
		method    string
		steps     []http.HandlerFunc
		wantCalls int64
		wantCode  int       // 0: want an error
		wantAt    time.Time // of the RetryError
		wantSlept time.Duration
	}{
		{"a 502 is retried", "GET", []http.HandlerFunc{status(502), status(502), ok}, 3, 200, time.Time{}, 0},
		{"Retry-After is honoured", "GET", []http.HandlerFunc{status(403, "Retry-After", "7"), ok}, 2, 200, time.Time{}, 7 * time.Second},
		{"a secondary limit without Retry-After waits a minute, at the end of the budget", "POST",
			[]http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(403)
				_, _ = io.WriteString(w, `{"message":"You have exceeded a secondary rate limit."}`)
			}}, 2, 0, start.Add(2 * time.Minute), time.Minute},
		{"an exhausted rate limit gives up until the reset", "GET",
			[]http.HandlerFunc{status(403, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))},
			1, 0, reset.Add(time.Second), 0},
		{"a long Retry-After gives up at once", "GET", []http.HandlerFunc{status(429, "Retry-After", "120")}, 1, 0, start.Add(2 * time.Minute), 0},
		{"tries are bounded", "GET", []http.HandlerFunc{status(503)}, 4, 0, time.Time{}, 0},
		{"a 404 is an answer", "GET", []http.HandlerFunc{status(404)}, 1, 404, time.Time{}, 0},
		{"a plain 403 is an answer", "GET", []http.HandlerFunc{status(403)}, 1, 403, time.Time{}, 0},
		{"a timeout is retried for a GET", "GET", []http.HandlerFunc{hang, ok}, 2, 200, time.Time{}, 0},
		{"a timeout is not retried for a POST", "POST", []http.HandlerFunc{hang, ok}, 1, 0, time.Time{}, 0},
		{"a 502 is not repeated for a POST: it may have created what it asked for", "POST", []http.HandlerFunc{status(502), ok}, 1, 502, time.Time{}, 0},
		{"a POST with a body is repeated whole", "POST", []http.HandlerFunc{status(429, "Retry-After", "1"), func(w http.ResponseWriter, r *http.Request) {
			if b, _ := io.ReadAll(r.Body); string(b) != `{"a":1}` {
				w.WriteHeader(400)
				return
			}
			w.WriteHeader(201)
		}}, 2, 201, time.Time{}, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := &scripted{steps: tt.steps}
			srv := httptest.NewServer(script)
			defer srv.Close()
			clk := testclock.New(start)
			var slept time.Duration
			rt := &Retrier{
				Next: srv.Client().Transport, Now: clk.Now, Tries: 4, Budget: 60 * time.Second, Timeout: 100 * time.Millisecond,
				Sleep: func(_ context.Context, d time.Duration) error { slept += d; clk.Advance(d); return nil },
			}
			req, _ := http.NewRequest(tt.method, srv.URL+"/repos/a/b/pulls", strings.NewReader(`{"a":1}`))
			resp, err := rt.RoundTrip(req)
			if resp != nil {
				resp.Body.Close()
			}
			switch {
			case tt.wantCode != 0 && (err != nil || resp.StatusCode != tt.wantCode):
				t.Fatalf("got %v, %v; want %d", resp, err, tt.wantCode)
			case tt.wantCode == 0 && err == nil:
				t.Fatalf("got %d, want an error", resp.StatusCode)
			}
			var re *bot.RetryError
			if !tt.wantAt.IsZero() && (!errors.As(err, &re) || !re.At.Equal(tt.wantAt)) {
				t.Errorf("error %v, want a RetryError at %s", err, tt.wantAt)
			}
			if got := script.n.Load(); got != tt.wantCalls {
				t.Errorf("%d tries, want %d", got, tt.wantCalls)
			}
			if tt.wantSlept != 0 && slept != tt.wantSlept {
				t.Errorf("slept %s, want %s", slept, tt.wantSlept)
			}
		})
	}
}

func TestETagCache(t *testing.T) {
	var calls, conditional atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(int(5000-calls.Load())))
		if r.Header.Get("If-None-Match") == `"v1"` {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		_, _ = io.WriteString(w, "policy body")
	}))
	defer srv.Close()
	cache := NewCache(10, 1<<20)
	rt := cache.Transport("installation-1", srv.Client().Transport)
	other := cache.Transport("installation-2", srv.Client().Transport)
	get := func(rt http.RoundTripper) (string, string) {
		req, _ := http.NewRequest("GET", srv.URL+"/repos/a/b/contents/.shipgate.yml?ref=main", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp.Header.Get("X-RateLimit-Remaining")
	}
	if body, _ := get(rt); body != "policy body" {
		t.Fatalf("first read %q", body)
	}
	body, remaining := get(rt)
	if body != "policy body" || conditional.Load() != 1 {
		t.Errorf("second read %q with %d conditional requests, want the cached body after a 304", body, conditional.Load())
	}
	if remaining != "4998" {
		t.Errorf("rate limit %s, want the 304's fresh one", remaining)
	}
	if get(other); conditional.Load() != 1 {
		t.Error("another installation's read was answered from this one's cache")
	}
}

func TestMeterCountsRoutesAndRateLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "4321")
		w.Header().Set("X-RateLimit-Resource", "core")
		if r.Header.Get("If-None-Match") != "" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.WriteHeader(200)
	}))
	defer srv.Close()
	m := bot.NewMetrics()
	rate := NewRateState()
	rt := &Meter{Next: srv.Client().Transport, Host: policies.GitHub, Metrics: m, BasePath: "/api/v3/", Rate: rate, Routes: SplitRoutes("/repos/{owner}/{repo}/pulls/{pull_number}")}
	var n CallCount
	ctx := WithCallCount(context.Background(), &n)
	for _, inm := range []string{"", `"x"`} {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v3/repos/a/b/pulls/9", nil)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	route := "GET /repos/{owner}/{repo}/pulls/{pull_number}"
	if got := metricValue(t, m, "shipgate_api_calls_total", "github", route, "200"); got != 1 {
		t.Errorf("%s 200 counted %v times", route, got)
	}
	if got := metricValue(t, m, "shipgate_api_calls_total", "github", route, "304"); got != 1 {
		t.Errorf("%s 304 counted %v times", route, got)
	}
	if got := metricValue(t, m, "shipgate_rate_limit_remaining", "github", "core"); got != 4321 {
		t.Errorf("rate limit gauge %v", got)
	}
	if n.Calls.Load() != 1 || n.NotModified.Load() != 1 || rate.Remaining.Load() != 4321 {
		t.Errorf("counted %d calls and %d 304s, remaining %d", n.Calls.Load(), n.NotModified.Load(), rate.Remaining.Load())
	}
}

// metricValue reads a counter or gauge with the given label values.
func metricValue(t *testing.T, m *bot.Metrics, name string, labels ...string) float64 {
	t.Helper()
	v, err := m.Value(name, labels...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestRateStateKeepsTheLowestCountOfTheNewestWindow: answers to
// concurrent requests arrive out of order; an older, higher count must
// not raise the budget, and a new window starts afresh.
func TestRateStateKeepsTheLowestCountOfTheNewestWindow(t *testing.T) {
	r := NewRateState()
	for _, o := range []struct{ rem, reset, wantRem, wantReset int64 }{
		{100, 1000, 100, 1000},
		{98, 1000, 98, 1000},
		{99, 1000, 98, 1000},     // an earlier request's answer, arriving late
		{5000, 900, 98, 1000},    // the window before
		{4999, 4600, 4999, 4600}, // the window reset
	} {
		r.observe(o.rem, o.reset)
		if got, reset := r.Remaining.Load(), r.Reset.Load(); got != o.wantRem || reset != o.wantReset {
			t.Errorf("after (%d, %d): remaining %d reset %d, want %d %d", o.rem, o.reset, got, reset, o.wantRem, o.wantReset)
		}
	}
}
