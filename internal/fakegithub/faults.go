package fakegithub

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"time"
)

// FaultKind is a way for the fake to fail a request.
type FaultKind int

// The faults the fake can inject.
const (
	// BadGateway answers 502 with GitHub's "Server Error" body.
	BadGateway FaultKind = iota + 1
	// Hang holds the request until the client gives up (its context or
	// timeout), the server closes, or [Fault.HangFor] passes; then the
	// connection is dropped without an answer, as a dead proxy does.
	Hang
	// SecondaryRateLimit answers 403 with Retry-After and GitHub's
	// secondary-rate-limit message (go-github's AbuseRateLimitError).
	SecondaryRateLimit
	// PrimaryRateLimit answers 403 with X-RateLimit-Remaining: 0 and a reset
	// time (go-github's RateLimitError).
	PrimaryRateLimit
	// LostAnswer does what was asked, then answers 502, as a proxy does
	// when the answer of a request GitHub carried out is lost.
	LostAnswer
)

// String names the fault kind.
func (k FaultKind) String() string {
	switch k {
	case BadGateway:
		return "502"
	case Hang:
		return "hang"
	case SecondaryRateLimit:
		return "secondary rate limit"
	case PrimaryRateLimit:
		return "primary rate limit"
	case LostAnswer:
		return "502 after the work"
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault says which requests fail, and how.
type Fault struct {
	Kind FaultKind
	// Route restricts the fault to one route, named as in [Server.Routes]
	// ("GET /repos/{owner}/{repo}/pulls/{pull_number}"); empty means every
	// route.
	Route string
	// Share is the fraction of matching requests that fail, in (0, 1];
	// 0 means all of them. Which ones is decided from the seed and the
	// request itself (method, path, query, body and how many identical
	// requests came before), so it does not depend on how concurrent
	// requests interleave.
	Share float64
	// Times, when positive, stops the fault after that many failures.
	Times int
	// RetryAfter is the Retry-After of a secondary rate limit; default 1s
	// (GitHub often says 60; go-github then refuses to send anything
	// before that time has passed on the real clock).
	RetryAfter time.Duration
	// ResetAfter places the reset of a primary rate limit after the
	// fake's clock; default one hour.
	ResetAfter time.Duration
	// HangFor bounds a hang; zero hangs until the client gives up or the
	// server closes.
	HangFor time.Duration
}

type faultRule struct {
	Fault
	id    int
	fired int
}

// InjectFault adds a fault, checked before any earlier ones still active,
// and returns a function that removes it. A Route the fake does not serve
// fails the test at once.
func (s *Server) InjectFault(f Fault) (remove func()) {
	s.t.Helper()
	if f.Route != "" && s.names[f.Route] == nil {
		s.t.Fatalf("fakegithub: InjectFault: no route %q; see Server.Routes", f.Route)
	}
	if f.Kind < BadGateway || f.Kind > LostAnswer {
		s.t.Fatalf("fakegithub: InjectFault: unknown fault kind %v", f.Kind)
	}
	if f.Share < 0 || f.Share > 1 {
		s.t.Fatalf("fakegithub: InjectFault: share %v is not in (0, 1]", f.Share)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rule := &faultRule{Fault: f, id: len(s.faults) + 1}
	for _, r := range s.faults {
		rule.id = max(rule.id, r.id+1)
	}
	s.faults = append([]*faultRule{rule}, s.faults...)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, r := range s.faults {
			if r == rule {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
				return
			}
		}
	}
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// pickFault returns the fault that answers the request, if any.
func (s *Server) pickFault(rt *route, rec *Request) *faultRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return nil
	}
	sig := rec.Method + " " + rec.Path + "?" + rec.Query + "\n" + string(rec.Body)
	occurrence := s.seen[sig]
	s.seen[sig]++
	for _, f := range s.faults {
		if f.Route != "" && f.Route != rt.name() {
			continue
		}
		if f.Times > 0 && f.fired >= f.Times {
			continue
		}
		if f.Share > 0 && f.Share < 1 && s.draw(f.id, sig, occurrence) >= f.Share {
			continue
		}
		f.fired++
		return f
	}
	return nil
}

// draw maps (seed, fault, request, occurrence) to [0, 1).
func (s *Server) draw(fault int, sig string, occurrence int) float64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], s.seed)
	h.Write(b[:])
	binary.LittleEndian.PutUint64(b[:], uint64(fault))
	h.Write(b[:])
	binary.LittleEndian.PutUint64(b[:], uint64(occurrence))
	h.Write(b[:])
	h.Write([]byte(sig))
	// fnv's low bits mix poorly; finish with splitmix64.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / math.Exp2(53)
}

func (s *Server) hang(r *http.Request, f *faultRule) {
	var timeout <-chan time.Time
	if f.HangFor > 0 {
		t := time.NewTimer(f.HangFor)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-r.Context().Done():
	case <-s.closing:
	case <-timeout:
	}
}

func (s *Server) answerFault(c *call, f *faultRule) {
	switch f.Kind {
	case BadGateway, LostAnswer:
		c.json(http.StatusBadGateway, map[string]string{"message": "Server Error"})
	case SecondaryRateLimit:
		retry := f.RetryAfter
		if retry <= 0 {
			retry = time.Second
		}
		c.header.Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
		c.json(http.StatusForbidden, map[string]string{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
			"documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		})
	case PrimaryRateLimit:
		reset := f.ResetAfter
		if reset <= 0 {
			reset = time.Hour
		}
		c.header.Set("X-RateLimit-Reset", strconv.FormatInt(s.clock().Add(reset).Unix(), 10))
		c.header.Set("X-RateLimit-Remaining", "0")
		c.json(http.StatusForbidden, primaryLimitBody())
	}
}

func primaryLimitBody() map[string]string {
	return map[string]string{
		"message":           "API rate limit exceeded for installation. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
		"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits",
	}
}

// rateWindow is the primary rate limit: limit calls per hour window.
type rateWindow struct {
	limit int
	used  int
	reset time.Time
}

// roll starts a new window when the clock has passed the reset.
func (w *rateWindow) roll(now time.Time) {
	if w.reset.IsZero() || !now.Before(w.reset) {
		w.used = 0
		w.reset = now.Truncate(time.Hour).Add(time.Hour)
		if !w.reset.After(now) {
			w.reset = now.Add(time.Hour)
		}
	}
}

// headers charges one call when charge is set and writes the
// X-RateLimit-* headers; headers a fault already set are kept.
func (w *rateWindow) headers(h http.Header, now time.Time, charge bool) {
	w.roll(now)
	if charge && w.used < w.limit {
		w.used++
	}
	set := func(k, v string) {
		if h.Get(k) == "" {
			h.Set(k, v)
		}
	}
	set("X-RateLimit-Limit", strconv.Itoa(w.limit))
	set("X-RateLimit-Remaining", strconv.Itoa(max(0, w.limit-w.used)))
	set("X-RateLimit-Reset", strconv.FormatInt(w.reset.Unix(), 10))
	set("X-RateLimit-Used", strconv.Itoa(w.used))
	set("X-RateLimit-Resource", "core")
}

// rateExhausted answers 403 with Remaining 0 when the window is used up.
func (s *Server) rateExhausted(c *call) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate.roll(s.clock())
	if s.rate.used < s.rate.limit {
		return false
	}
	c.json(http.StatusForbidden, primaryLimitBody())
	return true
}
