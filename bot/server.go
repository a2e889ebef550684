package bot

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"
)

// Server serves the webhook routes, health and metrics.
type Server struct {
	// Addr is the listen address (default ":8080").
	Addr      string
	Receivers []Receiver
	// Ready reports whether the server can take work (the store is
	// reachable); /readyz answers 503 with the error otherwise.
	Ready   func(ctx context.Context) error
	Metrics *Metrics
	Logger  zerolog.Logger
	// ShutdownTimeout bounds the wait for open requests (default 10s).
	ShutdownTimeout time.Duration
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
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if s.Ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := s.Ready(ctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte("not ready: " + err.Error() + "\n"))
				return
			}
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics.Handler())
	}
	return mux
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
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	timeout := s.ShutdownTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
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
