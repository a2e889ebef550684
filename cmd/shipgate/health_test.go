package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealth(t *testing.T) {
	ready := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || r.Method != http.MethodGet {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
		}
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("read-only\n"))
			return
		}
		w.Write([]byte("ready\n"))
	}))
	defer srv.Close()

	code, out, errOut := runCLI("health", "--url", srv.URL+"/readyz")
	if code != exitOK || out != "200 OK ready\n" {
		t.Errorf("ready: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	ready = false
	code, _, errOut = runCLI("health", "--url", srv.URL+"/readyz")
	if code != exitUnsatisfied || !strings.Contains(errOut, "answered 503 Service Unavailable read-only") {
		t.Errorf("not ready: exit %d, stderr %q", code, errOut)
	}
	srv.Close()
	code, _, errOut = runCLI("health", "--url", srv.URL+"/readyz", "--timeout", "1s")
	if code != exitUnsatisfied || !strings.Contains(errOut, "no answer") {
		t.Errorf("no server: exit %d, stderr %q", code, errOut)
	}
}

func TestDefaultHealthURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/readyz",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/readyz",
		"[::]:9000":      "http://127.0.0.1:9000/readyz",
		"10.1.2.3:8080":  "http://10.1.2.3:8080/readyz",
		"[::1]:8081":     "http://[::1]:8081/readyz",
		"not an address": "http://127.0.0.1:8080/readyz",
	} {
		if got := defaultHealthURL(addr); got != want {
			t.Errorf("defaultHealthURL(%q) = %q, want %q", addr, got, want)
		}
	}
}
