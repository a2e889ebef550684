package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestPprofAddr(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            bool
	}{
		{name: "a bare port listens on loopback", in: ":6060", want: "127.0.0.1:6060"},
		{name: "a named loopback host is kept", in: "localhost:6060", want: "localhost:6060"},
		{name: "an IPv6 loopback is kept", in: "[::1]:6060", want: "[::1]:6060"},
		{name: "a host named on purpose is kept", in: "0.0.0.0:6060", want: "0.0.0.0:6060"},
		{name: "a host without a port is refused", in: "localhost", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pprofAddr(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("pprofAddr(%q) = %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

// The profiling listener serves the profiles on its own port and stops
// with its context.
func TestServePprof(t *testing.T) {
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs lockedBuffer
	go func() { done <- servePprof(ctx, ":"+port, zerolog.New(&logs)) }()
	var body string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://127.0.0.1:" + port + "/debug/pprof/")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("profiling listener did not answer: %v", err)
		}
	}
	if !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ does not list the profiles:\n%s", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("servePprof: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("servePprof did not stop with its context")
	}
	if strings.Contains(logs.String(), "beyond loopback") || !strings.Contains(logs.String(), "127.0.0.1:"+port) {
		t.Errorf("a loopback listener is logged with its address and no warning:\n%s", logs.String())
	}
}
