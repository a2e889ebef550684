package bot

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Server serves the webhook routes, health and metrics.
type Server struct {
	// Addr is the listen address (default ":8080").
	Addr      string
	Receivers []Receiver
	// Ready reports whether the server can take work: the store takes
	// writes (store.Probe). /readyz answers 503 "not ready" otherwise; the
	// error goes to the log, never to the caller.
	Ready   func(ctx context.Context) error
	Metrics *Metrics
	// Dashboard, when set, serves every other path (the web dashboard at
	// the root); the routes above keep theirs.
	Dashboard http.Handler
	Logger    zerolog.Logger
	// ShutdownTimeout bounds the wait for open requests (default 10s).
	ShutdownTimeout time.Duration
	// Now is the clock that spaces out the not-ready log lines (nil:
	// time.Now).
	Now func() time.Time

	readiness readiness
}

// readyTimeout bounds one readiness probe.
const readyTimeout = 2 * time.Second

// notReadyLogEvery spaces out the log lines of a failing readiness probe:
// a load balancer probing every second must not flood the log.
const notReadyLogEvery = 10 * time.Second

// readiness is what /readyz remembers between probes, for its log.
type readiness struct {
	mu sync.Mutex
	// failing is set while probes fail; logged is when one was last logged.
	failing bool
	logged  time.Time
	// missed counts the failures since the last line logged.
	missed int
	// passed is when the last probe succeeded; zero after a failure.
	passed time.Time
}

// Handler returns the server's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, r := range s.Receivers {
		mux.Handle("POST "+r.Route(), s.recoverPanics(r))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics.Handler())
	}
	if s.Dashboard != nil {
		mux.Handle("/", s.Dashboard)
	}
	return mux
}

// readyz answers "ready" when the store takes writes now, and 503 "not
// ready" otherwise: a status word only, since anyone may ask and the
// store's errors name its internals. The cause goes to the log.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.recentlyReady() {
		_, _ = w.Write([]byte("ready\n"))
		return
	}
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			s.notReady(err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready\n"))
			return
		}
	}
	s.ready()
	_, _ = w.Write([]byte("ready\n"))
}

// readyFor is how long a successful probe stands for the next ones:
// /readyz is open to anyone, and each probe is a database write.
const readyFor = time.Second

// recentlyReady reports whether a probe succeeded within readyFor. A
// failure is never reused: a replica comes back as soon as a probe passes.
func (s *Server) recentlyReady() bool {
	rd := &s.readiness
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return !rd.passed.IsZero() && s.now().Sub(rd.passed) < readyFor
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// notReady counts a failed probe and logs it, at most once per
// notReadyLogEvery while probes keep failing.
func (s *Server) notReady(err error) {
	if s.Metrics != nil {
		s.Metrics.ReadinessFailures.Inc()
	}
	t := s.now()
	rd := &s.readiness
	rd.mu.Lock()
	defer rd.mu.Unlock()
	rd.passed = time.Time{}
	rd.missed++
	if rd.failing && t.Sub(rd.logged) < notReadyLogEvery {
		return
	}
	s.Logger.Error().Err(err).Int("failures", rd.missed).Msg("not ready: the store does not take writes")
	rd.failing, rd.logged, rd.missed = true, t, 0
}

// ready logs the first success after failures.
func (s *Server) ready() {
	t := s.now()
	rd := &s.readiness
	rd.mu.Lock()
	defer rd.mu.Unlock()
	rd.passed = t
	if rd.failing {
		s.Logger.Info().Int("failures", rd.missed).Msg("ready again: the store takes writes")
		rd.failing, rd.missed = false, 0
	}
}

// recoverPanics answers 500 instead of dropping the connection; a receiver
// that panics has not acknowledged, so the host will redeliver.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				s.Logger.Error().Interface("panic", v).Str("path", r.URL.Path).Msg("webhook handler panicked")
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Run listens on Addr until ctx is done, then stops accepting and waits
// for open requests up to ShutdownTimeout. ready, when not nil, receives
// the bound address once listening (useful with ":0").
func (s *Server) Run(ctx context.Context, ready chan<- net.Addr) error {
	addr := s.Addr
	if addr == "" {
		addr = ":8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return s.Logger.WithContext(context.Background()) },
	}
	if ready != nil {
		ready <- ln.Addr()
	}
	s.Logger.Info().Str("addr", ln.Addr().String()).Msg("listening")
	timeout := s.ShutdownTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return ServeUntilDone(ctx, srv, ln, timeout)
}

// ServeUntilDone serves srv on ln until ctx is done, then shuts it down,
// waiting up to timeout for open requests; an error of the shutdown (a
// request still running at the timeout) is returned.
func ServeUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
