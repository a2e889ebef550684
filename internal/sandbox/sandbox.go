// Package sandbox runs in-process stand-ins of GitHub's and Slack's APIs
// (the fakes of internal/fakegithub and internal/fakeslack) and a health
// endpoint, outside any test: `shipgate demo` points the real server at
// them. It does not import package testing; its [TB] takes the fakes'
// test reports and keeps them as problems.
package sandbox

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakeslack"
)

// Options configures a [Sandbox].
type Options struct {
	// GitHubToken and SlackToken are the tokens the APIs accept.
	GitHubToken, SlackToken string
	// Conformance checks every GitHub request against GitHub's REST API
	// description (found as fakegithub.New finds it); off by default, as
	// loading it costs seconds and a user's clone does not have it.
	Conformance bool
	// Log receives the fakes' notes; nil discards them.
	Log io.Writer
}

// Sandbox is a running sandbox: GitHub, Slack and a health endpoint.
type Sandbox struct {
	GitHub *fakegithub.Server
	Slack  *fakeslack.Server
	tb     *TB
	health *httptest.Server

	mu         sync.Mutex
	healthHits int
}

// Start starts the sandbox; Close stops it.
func Start(o Options) (sb *Sandbox, err error) {
	tb := &TB{log: o.Log}
	defer func() {
		if err != nil {
			tb.runCleanups()
		}
	}()
	sb = &Sandbox{tb: tb}
	err = tb.Do(func() {
		opts := []fakegithub.Option{fakegithub.WithToken(o.GitHubToken), fakegithub.WithClock(time.Now)}
		if !o.Conformance {
			opts = append(opts, fakegithub.WithoutConformance())
		}
		sb.GitHub = fakegithub.New(tb, opts...)
		sb.Slack = fakeslack.New(tb, o.SlackToken)
	})
	if err != nil {
		return nil, err
	}
	sb.health = httptest.NewServer(http.HandlerFunc(sb.serveHealth))
	tb.Cleanup(sb.health.Close)
	return sb, nil
}

// serveHealth answers every request 200, as a healthy service does.
func (s *Sandbox) serveHealth(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.healthHits++
	s.mu.Unlock()
	fmt.Fprintln(w, "ok")
}

// HealthURL is the health endpoint's URL.
func (s *Sandbox) HealthURL() string { return s.health.URL + "/healthz" }

// HealthHits counts the requests the health endpoint answered.
func (s *Sandbox) HealthHits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.healthHits
}

// Do runs fn, which calls the fakes' set-up helpers, and returns the
// failure a helper reported with Fatalf as an error.
func (s *Sandbox) Do(fn func()) error { return s.tb.Do(fn) }

// Problems returns what the fakes reported so far: requests GitHub or
// Slack would not answer or would reject.
func (s *Sandbox) Problems() []string {
	out := s.tb.Problems()
	for _, u := range s.GitHub.Unexpected() {
		out = append(out, "fakegithub: unexpected request "+u)
	}
	return out
}

// Close stops the servers and returns the problems the fakes reported,
// including the unexpected requests they list when they stop.
func (s *Sandbox) Close() error {
	s.tb.runCleanups()
	if p := s.tb.Problems(); len(p) > 0 {
		return errors.New("the sandbox saw requests GitHub or Slack would not accept:\n  " + strings.Join(p, "\n  "))
	}
	return nil
}

// TB implements the fakes' TB outside a test: Errorf keeps a problem,
// Fatalf keeps it and stops the helper (see Do), Logf writes to the log,
// Cleanup runs at Close, last registered first.
type TB struct {
	log io.Writer

	mu       sync.Mutex
	problems []string
	cleanups []func()
}

// fatal is the panic value of Fatalf, recovered by Do.
type fatal struct{ msg string }

// Helper does nothing: there is no test output to attribute.
func (*TB) Helper() {}

// Errorf keeps a problem.
func (t *TB) Errorf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.problems = append(t.problems, fmt.Sprintf(format, args...))
}

// Fatalf keeps a problem and stops the calling helper.
func (t *TB) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	t.Errorf("%s", msg)
	panic(fatal{msg})
}

// Logf writes a note to the log, if any.
func (t *TB) Logf(format string, args ...any) {
	if t.log != nil {
		fmt.Fprintf(t.log, format+"\n", args...)
	}
}

// Cleanup registers f to run at Close.
func (t *TB) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

// Problems returns the problems kept so far.
func (t *TB) Problems() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.problems...)
}

// Do runs fn and turns a Fatalf inside it into an error; other panics
// pass through.
func (t *TB) Do(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(fatal)
			if !ok {
				panic(r)
			}
			err = errors.New(f.msg)
		}
	}()
	fn()
	return nil
}

func (t *TB) runCleanups() {
	t.mu.Lock()
	fs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}
