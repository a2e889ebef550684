// Package hostapi is the HTTP plumbing of the host API clients, written
// once for every host: conditional requests (an ETag cache), retries with
// backoff that honour Retry-After and rate-limit headers, and a meter that
// counts every call by host and route, 304s apart, into the metrics and the
// context's CallCount ("API calls per event").
package hostapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/policies"
)

// A host's HTTP client is a chain of small round trippers, each with one
// job. From the outside in:
//
//	Cache → auth (token or installation) → Retrier → Meter → base transport
//
// The cache sits outside the authentication so that its entries are kept
// per credential scope and survive token refreshes; the meter sits at the
// bottom so that it sees every try, 304s included.

// RoundTripFunc adapts a function to http.RoundTripper.
type RoundTripFunc func(*http.Request) (*http.Response, error)

func (f RoundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// CallCount counts the API calls made for one unit of work (a batch, a
// check), 304s apart: the measurement of "API calls per event".
type CallCount struct {
	Calls       atomic.Int64 // answered with anything but 304, failures included
	NotModified atomic.Int64 // answered 304 Not Modified, free on GitHub
}

type callCountKey struct{}

// WithCallCount returns a context whose API calls are counted in n.
func WithCallCount(ctx context.Context, n *CallCount) context.Context {
	return context.WithValue(ctx, callCountKey{}, n)
}

// RateState is the primary rate limit a host last reported: the lowest
// remaining count of the newest window, since answers to concurrent
// requests arrive in any order and an older, higher count must not make
// the budget look larger than it is.
type RateState struct {
	Remaining atomic.Int64 // -1 until known
	Reset     atomic.Int64 // Unix seconds

	mu sync.Mutex // orders observe's reads and writes
}

// observe records a reported limit: a newer window replaces the state,
// the same window keeps the lower count, an older one is ignored.
func (r *RateState) observe(remaining, reset int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, curReset := r.Remaining.Load(), r.Reset.Load()
	switch {
	case reset > curReset || cur < 0:
		r.Reset.Store(reset)
		r.Remaining.Store(remaining)
	case reset == curReset && remaining < cur:
		r.Remaining.Store(remaining)
	}
}

// NewRateState returns a RateState that knows no limit yet.
func NewRateState() *RateState {
	r := &RateState{}
	r.Remaining.Store(-1)
	return r
}

// Meter records every try: shipgate_api_calls_total by host, route
// template and status, the rate-limit gauge, the rate state, and the
// context's CallCount. While the try waits on the host, the batch it runs
// for gives its compute slot to another (bot.OffCPU).
type Meter struct {
	Next    http.RoundTripper
	Host    policies.Host
	Metrics *bot.Metrics
	// BasePath is the API's path prefix ("/", "/api/v3/", "/api/v4/"), cut
	// before the route is looked up.
	BasePath string
	Rate     *RateState
	// Routes are the templates of the operations the client calls
	// (SplitRoutes).
	Routes [][]string
}

func (m *Meter) RoundTrip(req *http.Request) (*http.Response, error) {
	resume := bot.OffCPU(req.Context()) // every host call passes here
	resp, err := m.Next.RoundTrip(req)
	resume()
	status := "error"
	if resp != nil {
		status = strconv.Itoa(resp.StatusCode)
		m.observeRate(resp.Header)
	}
	if n, ok := req.Context().Value(callCountKey{}).(*CallCount); ok {
		if resp != nil && resp.StatusCode == http.StatusNotModified {
			n.NotModified.Add(1)
		} else {
			n.Calls.Add(1)
		}
	}
	if m.Metrics != nil {
		m.Metrics.APICalls.WithLabelValues(string(m.Host), req.Method+" "+RouteOf(m.Routes, req.URL.EscapedPath(), m.BasePath), status).Inc()
	}
	return resp, err
}

// observeRate reads GitHub's X-RateLimit-* or GitLab's RateLimit-*
// headers.
func (m *Meter) observeRate(h http.Header) {
	prefix := "X-RateLimit-"
	if h.Get(prefix+"Remaining") == "" {
		prefix = "RateLimit-"
	}
	rem, err := strconv.ParseInt(h.Get(prefix+"Remaining"), 10, 64)
	if err != nil {
		return
	}
	resource := h.Get(prefix + "Resource")
	if resource == "" {
		resource = "core"
	}
	if m.Metrics != nil {
		m.Metrics.RateLimitRemaining.WithLabelValues(string(m.Host), resource).Set(float64(rem))
	}
	if resource == "core" && m.Rate != nil {
		reset, err := strconv.ParseInt(h.Get(prefix+"Reset"), 10, 64)
		if err != nil {
			// Without a reset time windows cannot be told apart: the
			// latest count stands, or the lowest would stand forever.
			m.Rate.Remaining.Store(rem)
			return
		}
		m.Rate.observe(rem, reset)
	}
}

// SplitRoutes splits route templates into segments, for metrics labels: a
// label per raw path would grow without bound. "{name...}" spans one or
// more segments.
func SplitRoutes(templates ...string) [][]string {
	out := make([][]string, len(templates))
	for i, t := range templates {
		out[i] = splitRoute(t)
	}
	return out
}

func splitRoute(t string) []string { return strings.Split(strings.Trim(t, "/"), "/") }

// RouteOf names the template among routes of an escaped request path, or
// "other".
func RouteOf(routes [][]string, escapedPath, basePath string) string {
	p := strings.Trim(strings.TrimPrefix(escapedPath, strings.TrimSuffix(basePath, "/")), "/")
	segs := strings.Split(p, "/")
	for _, tmpl := range routes {
		if matchRoute(tmpl, segs) {
			return "/" + strings.Join(tmpl, "/")
		}
	}
	return "other"
}

func matchRoute(tmpl, segs []string) bool {
	if len(tmpl) == 0 {
		return len(segs) == 0
	}
	if len(segs) == 0 {
		return false
	}
	t := tmpl[0]
	switch {
	case strings.HasSuffix(t, "...}"):
		for n := 1; n <= len(segs); n++ {
			if matchRoute(tmpl[1:], segs[n:]) {
				return true
			}
		}
		return false
	case strings.HasPrefix(t, "{"):
		return segs[0] != "" && matchRoute(tmpl[1:], segs[1:])
	default:
		return t == segs[0] && matchRoute(tmpl[1:], segs[1:])
	}
}

// Retrier retries a request that failed for a passing reason: a 5xx, a
// timeout or dropped connection (each for methods other than POST), a secondary rate
// limit (honouring Retry-After) or a primary one (until X-RateLimit-Reset).
// It sleeps with exponential backoff and jitter, at most tries times and
// within budget; when the next try would come later than that, it gives up
// with a *bot.RetryError saying when to try again, so that the job is
// rescheduled instead of holding a worker.
type Retrier struct {
	Next  http.RoundTripper
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
	// Tries bounds the attempts of one request; Budget the time they span.
	Tries  int
	Budget time.Duration
	// Timeout bounds one try, reading the body included.
	Timeout time.Duration
}

// maxBackoff caps the wait between two tries of one request.
const maxBackoff = 10 * time.Second

func (t *Retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	deadline := t.Now().Add(t.Budget)
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			var err error
			if r, err = rewind(req); err != nil {
				return nil, err
			}
		}
		tryCtx, cancel := context.WithTimeout(ctx, t.Timeout)
		resp, err := t.Next.RoundTrip(r.WithContext(tryCtx))
		if err == nil {
			resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
		} else {
			cancel()
		}
		if ctx.Err() != nil {
			if resp != nil {
				resp.Body.Close()
			}
			return nil, ctx.Err()
		}
		why, wait, at := t.classify(req.Method, resp, err, attempt)
		if why == "" {
			return resp, err
		}
		if resp != nil {
			drain(resp.Body)
		}
		now := t.Now()
		if at.IsZero() {
			at = now.Add(wait)
		}
		if attempt >= t.Tries || at.After(deadline) {
			return nil, &bot.RetryError{
				Err: fmt.Errorf("%s %s: %s after %d tries", req.Method, req.URL.Path, why, attempt),
				At:  at,
			}
		}
		if err := t.Sleep(ctx, at.Sub(now)); err != nil {
			return nil, err
		}
	}
}

// classify says why a try should be repeated ("" when it should not), and
// either how long to wait or until when.
func (t *Retrier) classify(method string, resp *http.Response, err error, attempt int) (why string, wait time.Duration, at time.Time) {
	backoff := jitter(min(500*time.Millisecond<<(attempt-1), maxBackoff))
	if err != nil {
		// The request may have reached the host: repeat only what is safe
		// to repeat. A POST is left to the job's retry, whose publishing
		// finds what a lost answer created.
		if method == http.MethodPost {
			return "", 0, time.Time{}
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return "timeout", backoff, time.Time{}
		}
		return "transport error (" + err.Error() + ")", backoff, time.Time{}
	}
	switch code := resp.StatusCode; {
	case code == http.StatusForbidden || code == http.StatusTooManyRequests:
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			if secs, perr := strconv.Atoi(ra); perr == nil && secs >= 0 {
				return "secondary rate limit", time.Duration(secs) * time.Second, time.Time{}
			}
		}
		for _, prefix := range []string{"X-RateLimit-", "RateLimit-"} { // GitHub's, GitLab's
			if resp.Header.Get(prefix+"Remaining") == "0" {
				if reset, perr := strconv.ParseInt(resp.Header.Get(prefix+"Reset"), 10, 64); perr == nil {
					return "rate limit exhausted", 0, time.Unix(reset, 0).Add(time.Second)
				}
			}
		}
		if isSecondaryLimit(resp) {
			// GitHub asks to wait at least a minute when it gives no time.
			return "secondary rate limit", time.Minute, time.Time{}
		}
	case code >= 500 && code != http.StatusNotImplemented:
		if method == http.MethodPost {
			// A 502 or 504 may come after the host created what was asked
			// (a comment, a check run): repeating it here would create a
			// second. The answer goes to the job, whose retry reads what
			// exists before it writes, as after a lost answer.
			return "", 0, time.Time{}
		}
		return resp.Status, backoff, time.Time{}
	}
	return "", 0, time.Time{}
}

// isSecondaryLimit reads a 403's message, keeping the body readable.
func isSecondaryLimit(resp *http.Response) bool {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
	return bytes.Contains(bytes.ToLower(body), []byte("secondary rate limit"))
}

// jitter spreads d over [d/2, d), so that retries of many jobs do not
// arrive together.
func jitter(d time.Duration) time.Duration {
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// rewind returns a copy of req with a fresh body for another try.
func rewind(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return r, nil
	}
	if req.GetBody == nil {
		return nil, fmt.Errorf("%s %s: cannot repeat a request whose body cannot be read again", req.Method, req.URL.Path)
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("%s %s: rewinding the body: %w", req.Method, req.URL.Path, err)
	}
	r.Body = body
	return r, nil
}

// drain reads a little of a body that is thrown away, so that the
// connection can be reused, and closes it.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	body.Close()
}

// cancelOnClose ends a try's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// Sleep waits for d or until ctx is done, off the CPU (bot.OffCPU).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	defer bot.OffCPU(ctx)()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
