package bot

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/testclock"
)

// readyzOf probes s's /readyz once and returns the status and body.
func readyzOf(s *Server) (int, string) {
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	return rec.Code, rec.Body.String()
}

// probedServer is a server whose readiness is st's write probe, logging
// to log.
func probedServer(st *store.Store, log *bytes.Buffer) *Server {
	return &Server{Metrics: NewMetrics(), Logger: zerolog.New(log),
		Ready: func(ctx context.Context) error { return st.Probe(ctx, "test-worker") }}
}

// wantNotReady checks that /readyz says "not ready" and nothing else,
// while the log has the cause (containing cause) and the metric counts it.
func wantNotReady(t *testing.T, s *Server, log *bytes.Buffer, cause string) {
	t.Helper()
	code, body := readyzOf(s)
	if code != 503 || body != "not ready\n" {
		t.Errorf("/readyz = %d %q, want 503 \"not ready\\n\" and no detail", code, body)
	}
	if !strings.Contains(log.String(), cause) {
		t.Errorf("the log does not say why (%q):\n%s", cause, log.String())
	}
	if n := gathered(t, s.Metrics, "shipgate_readiness_failures_total"); n != 1 {
		t.Errorf("shipgate_readiness_failures_total = %v, want 1", n)
	}
	t.Logf("log: %s", strings.TrimSpace(log.String()))
}

func TestReadyzNotReadyOnAReadOnlyPostgres(t *testing.T) {
	base := os.Getenv("SHIPGATE_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("PostgreSQL test skipped: set SHIPGATE_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	const db = "shipgate_readonly_test"
	_, _ = admin.Exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)") // a crashed earlier run's
	if _, err := admin.Exec("CREATE DATABASE " + db); err != nil {
		t.Fatalf("creating database %s: %v", db, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"); err != nil {
			t.Errorf("dropping database %s: %v", db, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	writable, err := store.Open(context.Background(), u.String()) // migrates it
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if code, body := readyzOf(probedServer(writable, &log)); code != 200 || body != "ready\n" {
		t.Fatalf("/readyz on a writable database = %d %q", code, body)
	}
	writable.Close()

	if _, err := admin.Exec("ALTER DATABASE " + db + " SET default_transaction_read_only = on"); err != nil {
		t.Fatal(err)
	}
	// New connections take the setting; a store opens on a read-only
	// database (its schema is current) and reads.
	st, err := store.Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("opening a read-only database: %v", err)
	}
	defer st.Close()
	if err := st.Ping(context.Background()); err != nil {
		t.Fatalf("Ping = %v: the database answers reads", err)
	}
	log.Reset()
	s := probedServer(st, &log)
	wantNotReady(t, s, &log, "read-only transaction")
}

func TestReadyzNotReadyOnAFullSQLiteDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("full-disk test skipped: mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("full-disk test skipped: cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("unmounting %s: %v: %s", dir, err, out)
		}
	})
	st, err := store.Open(context.Background(), filepath.Join(dir, "shipgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var log bytes.Buffer
	s := probedServer(st, &log)
	if code, body := readyzOf(s); code != 200 || body != "ready\n" {
		t.Fatalf("/readyz with room = %d %q; log: %s", code, body, log.String())
	}
	fillDisk(t, filepath.Join(dir, "filler"))
	s.Now = func() time.Time { return time.Now().Add(readyFor) } // past the success's second
	wantNotReady(t, s, &log, "full")                             // SQLite's "database or disk is full", or the probe's "database is full"

	// Not a false alarm: a delivery is refused too.
	_, err = st.Accept(context.Background(), store.Delivery{Host: "github", ID: "d", Event: "push", Payload: bytes.Repeat([]byte("x"), 64<<10)})
	if err == nil {
		t.Error("Accept on a full disk succeeded")
	}
	t.Logf("Accept on a full disk: %v", err)
}

// fillDisk writes path until its file system is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 64<<10)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	// Whatever is left is less than a block: fill it byte by byte.
	for {
		if _, err := f.Write(block[:512]); err != nil {
			break
		}
	}
}

func TestReadyzLogsAFailingStoreOncePerTenSeconds(t *testing.T) {
	clock := testclock.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	var log bytes.Buffer
	fail := errors.New("disk I/O error: /var/lib/shipgate/shipgate.db")
	s := &Server{Metrics: NewMetrics(), Logger: zerolog.New(&log), Now: clock.Now,
		Ready: func(context.Context) error { return fail }}
	lines := func() int { return strings.Count(log.String(), "\n") }
	for i := 0; i < 9; i++ { // a load balancer probing every second
		if code, body := readyzOf(s); code != 503 || strings.Contains(body, "disk") {
			t.Fatalf("/readyz = %d %q", code, body)
		}
		clock.Advance(time.Second)
	}
	if lines() != 1 || !strings.Contains(log.String(), "disk I/O error") {
		t.Fatalf("9 failures in 9 s logged %d lines, want 1 with the cause:\n%s", lines(), log.String())
	}
	clock.Advance(2 * time.Second)
	readyzOf(s)
	if lines() != 2 || !strings.Contains(log.String(), `"failures":9`) {
		t.Errorf("after 11 s, logged %d lines, want a second one counting the 9 failures since the first:\n%s", lines(), log.String())
	}
	if n := gathered(t, s.Metrics, "shipgate_readiness_failures_total"); n != 10 {
		t.Errorf("shipgate_readiness_failures_total = %v, want 10", n)
	}
	fail = nil
	if code, body := readyzOf(s); code != 200 || body != "ready\n" {
		t.Errorf("/readyz once the store recovers = %d %q", code, body)
	}
	if !strings.Contains(log.String(), "ready again") {
		t.Errorf("the recovery is not logged:\n%s", log.String())
	}
}

// gathered reads a counter of m by name and label values, 0 if none.
func gathered(t *testing.T, m *Metrics, name string, labels ...string) float64 {
	t.Helper()
	v, err := m.Value(name, labels...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestReadyzReusesASuccessForASecond: anyone may ask /readyz, and each
// probe writes to the database; a success stands for a second, a failure
// never does.
func TestReadyzReusesASuccessForASecond(t *testing.T) {
	clock := testclock.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	probes := 0
	var fail error
	s := &Server{Metrics: NewMetrics(), Logger: zerolog.Nop(), Now: clock.Now,
		Ready: func(context.Context) error { probes++; return fail }}
	for i := 0; i < 5; i++ {
		if code, _ := readyzOf(s); code != 200 {
			t.Fatalf("/readyz = %d", code)
		}
	}
	if probes != 1 {
		t.Errorf("5 asks within a second probed %d times, want 1", probes)
	}
	clock.Advance(time.Second)
	fail = errors.New("read-only")
	if code, _ := readyzOf(s); code != 503 || probes != 2 {
		t.Errorf("a second later: /readyz = %d after %d probes, want 503 after 2", code, probes)
	}
	readyzOf(s)
	if probes != 3 {
		t.Errorf("a failure was reused: %d probes, want 3", probes)
	}
}
