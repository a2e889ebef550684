package store

import (
	"bytes"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A SQLite database that reached its page limit takes no more deliveries;
// the readiness probe says so, although its own tiny row still fits. The
// limit stands in for a full disk (see bot's /readyz tests for a real one)
// and works everywhere.
func TestProbeFailsOnAFullSQLiteDatabase(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "shipgate.db"), newClock())
	if err := s.Probe(ctx, "w"); err != nil {
		t.Fatalf("Probe of a fresh database: %v", err)
	}
	var pages int64
	if err := s.w.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	// The writer's one connection keeps the limit: 16 pages of room.
	if _, err := s.w.Exec(`PRAGMA max_page_count = ` + itoa(pages+16)); err != nil {
		t.Fatal(err)
	}
	err := s.Probe(ctx, "w")
	if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "page limit") {
		t.Fatalf("Probe of a database at its limit = %v, want ErrFull", err)
	}
	t.Logf("probe: %v", err)
	// The probe did not lie: a delivery of a few hundred KiB is refused.
	big := delivery("big")
	big.Payload = bytes.Repeat([]byte("x"), 256<<10)
	if _, err := s.Accept(ctx, big); err == nil || !strings.Contains(err.Error(), "full") {
		t.Errorf("Accept of 256 KiB into a full database = %v, want a full-database error", err)
	}
	if _, err := s.w.Exec(`PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	if err := s.Probe(ctx, "w"); err != nil {
		t.Errorf("Probe once there is room again: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
