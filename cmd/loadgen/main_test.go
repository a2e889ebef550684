package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestLoadgenSignsDistinctDeliveriesAndReports(t *testing.T) {
	var mu sync.Mutex
	deliveries := map[string]bool{}
	prs := map[float64]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte("s3cret"))
		mac.Write(body)
		if r.Header.Get("X-Hub-Signature-256") != "sha256="+hex.EncodeToString(mac.Sum(nil)) || r.Header.Get("X-GitHub-Event") != "pull_request" {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p struct {
			Number float64 `json:"number"`
		}
		_ = json.Unmarshal(body, &p)
		mu.Lock()
		deliveries[r.Header.Get("X-GitHub-Delivery")] = true
		prs[p.Number] = true
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	var out bytes.Buffer
	if err := run([]string{"-url", srv.URL, "-secret", "s3cret", "-n", "50", "-rate", "1000", "-prs", "5"}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if len(deliveries) != 50 || len(prs) != 5 {
		t.Errorf("server saw %d distinct deliveries over %d PRs, want 50 over 5", len(deliveries), len(prs))
	}
	for _, want := range []string{"sent 50 in", "statuses 202:50", "ack latency: p50"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestLoadgenFailsWhenDeliveriesAreRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer srv.Close()
	var out bytes.Buffer
	err := run([]string{"-url", srv.URL, "-secret", "wrong", "-n", "3", "-rate", "0"}, &out)
	if err == nil || !strings.Contains(err.Error(), "3 of 3") || !strings.Contains(out.String(), "401:3") {
		t.Errorf("err = %v, out = %s", err, out.String())
	}
}
