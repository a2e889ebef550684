package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
)

// pprofAddr is the address the profiling listener binds: an address
// without a host (":6060") means loopback, so that turning profiling on
// never exposes it to the network by accident. A host must be named to
// listen elsewhere.
func pprofAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%q is not host:port such as 127.0.0.1:6060", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// pprofHandler serves net/http/pprof's pages on their own mux, never on the
// webhook listener.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// servePprof serves the profiles on addr until ctx is done.
func servePprof(ctx context.Context, addr string, log zerolog.Logger) error {
	addr, err := pprofAddr(addr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if !ln.Addr().(*net.TCPAddr).IP.IsLoopback() {
		log.Warn().Str("addr", ln.Addr().String()).Msg("profiling listens beyond loopback: anyone who reaches it can read the process's memory profile")
	}
	log.Info().Str("addr", ln.Addr().String()).Msg("profiling (pprof) listening")
	// Profiles run for up to their seconds parameter (30 s by default).
	srv := &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 5 * time.Minute}
	// A profile being taken is cut short after a second.
	if err := bot.ServeUntilDone(ctx, srv, ln, time.Second); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
