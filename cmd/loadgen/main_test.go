package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
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
	for _, want := range []string{"sent 50 in", "statuses 202:50", "ack latency: p50", "generator's own lag"} {
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
	if err == nil || !strings.Contains(err.Error(), "3 of 3") || !strings.Contains(out.String(), "401:3") || strings.Contains(out.String(), "lag") {
		t.Errorf("err = %v, out = %s", err, out.String())
	}
}

// TestScriptKeepsEachKeysOrderAndFailsOver sends a script to two targets,
// one of them down: every delivery is acknowledged by the live one, each
// key's deliveries arrive in the script's order, and -acks lists them.
func TestScriptKeepsEachKeysOrderAndFailsOver(t *testing.T) {
	var mu sync.Mutex
	seen := map[string][]string{}
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Key string `json:"key"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		seen[body.Key] = append(seen[body.Key], r.Header.Get("X-GitHub-Delivery"))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer live.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // its address refuses connections
	dir := t.TempDir()
	var script strings.Builder
	for i := 0; i < 30; i++ {
		key := fmt.Sprint("pr-", i%3)
		fmt.Fprintf(&script, `{"key":%q,"event":"pull_request","id":"d-%d","body":{"key":%q}}`+"\n", key, i, key)
	}
	path := filepath.Join(dir, "script.jsonl")
	if err := os.WriteFile(path, []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	acks := filepath.Join(dir, "acks")
	err := run([]string{"-url", down.URL + "," + live.URL, "-secret", "s", "-script", path, "-rate", "0", "-acks", acks}, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for k := 0; k < 3; k++ {
		var want []string
		for i := k; i < 30; i += 3 {
			want = append(want, fmt.Sprint("d-", i))
		}
		if got := seen[fmt.Sprint("pr-", k)]; !slices.Equal(got, want) {
			t.Errorf("pr-%d arrived as %q, want %q", k, got, want)
		}
	}
	data, _ := os.ReadFile(acks)
	if n := len(strings.Fields(string(data))); n != 30 {
		t.Errorf("acks file lists %d deliveries, want 30", n)
	}
	if !strings.Contains(out.String(), "script: 30 acknowledged") {
		t.Errorf("report: %s", out.String())
	}
}

func TestScriptRefusesALineWithoutAnID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "script.jsonl")
	_ = os.WriteFile(path, []byte(`{"key":"a","event":"push","body":{}}`+"\n"), 0o644)
	err := run([]string{"-secret", "s", "-script", path}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "script.jsonl:1: a line needs key, event, id and body") {
		t.Errorf("err = %v", err)
	}
}
