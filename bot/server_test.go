package bot

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

type panicky struct{}

func (panicky) Route() string                                { return "/webhooks/test" }
func (panicky) ServeHTTP(http.ResponseWriter, *http.Request) { panic("bad receiver") }

func TestServerRoutes(t *testing.T) {
	ready := errors.New("store unreachable")
	s := &Server{Receivers: []Receiver{panicky{}}, Metrics: NewMetrics(), Logger: zerolog.Nop(),
		Ready: func(context.Context) error { return ready }}
	h := s.Handler()
	tests := []struct {
		name, method, path string
		status             int
		body               string
	}{
		{"healthz answers ok", "GET", "/healthz", 200, "ok"},
		{"readyz says not ready, and no more", "GET", "/readyz", 503, "not ready\n"},
		{"metrics are exposed", "GET", "/metrics", 200, "shipgate_webhook_deliveries_total"},
		{"a panicking receiver answers 500 so the host redelivers", "POST", "/webhooks/test", 500, "internal error"},
		{"webhooks take POST only", "GET", "/webhooks/test", 405, ""},
		{"unknown paths are 404", "GET", "/nope", 404, ""},
	}
	s.Metrics.Deliveries.WithLabelValues("github", "ping", "accepted").Inc()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("%s %s = %d %q, want %d containing %q", tt.method, tt.path, rec.Code, rec.Body.String(), tt.status, tt.body)
			}
			if strings.Contains(rec.Body.String(), "store unreachable") {
				t.Errorf("%s %s echoes the internal error: %q", tt.method, tt.path, rec.Body.String())
			}
		})
	}
	ready = nil
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 {
		t.Errorf("readyz = %d once the store is reachable", rec.Code)
	}
}

func TestServerShutsDownGracefully(t *testing.T) {
	s := &Server{Addr: "127.0.0.1:0", Logger: zerolog.Nop()}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, addrs) }()
	addr := <-addrs
	resp, err := http.Get("http://" + addr.String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok\n" {
		t.Errorf("healthz = %q", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop")
	}
	if _, err := http.Get("http://" + addr.String() + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}
