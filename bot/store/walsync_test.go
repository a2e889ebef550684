package store

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countSyncs counts the WAL's fsyncs from now on.
func countSyncs(s *Store) *atomic.Int32 {
	var n atomic.Int32
	s.wal.sync = func() error {
		n.Add(1)
		return s.wal.fsync()
	}
	return &n
}

// TestWorkersWritesWaitForTheDeliveriesFsync: on SQLite a workers' batch
// commits without an fsync and is not answered until one follows it; the
// next deliveries' commit, at synchronous=FULL, answers it after their
// acknowledgement, with one more fsync that finds nothing left to write.
func TestWorkersWritesWaitForTheDeliveriesFsync(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "shipgate.db"), newClock())
	if _, err := s.exec(ctx, `CREATE TABLE walsync_probe (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	syncs := countSyncs(s)
	held := heldWrites{accepted: time.Now()} // deliveries are flowing
	w := &writeRequest{res: make(chan error, 1), fn: func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO walsync_probe (x) VALUES (1)`)
		return err
	}}
	s.commitBatch(&writeBatch{writes: []*writeRequest{w}}, &held)
	select {
	case err := <-w.res:
		t.Fatalf("the workers' write was answered before any fsync (%v)", err)
	default:
	}
	var mode int
	if err := s.w.QueryRow(`PRAGMA synchronous`).Scan(&mode); err != nil || mode != 2 {
		t.Fatalf("the writer's synchronous after the workers' commit = %d (%v), want 2 (FULL)", mode, err)
	}
	if n := syncs.Load(); n != 0 {
		t.Fatalf("%d fsyncs of the WAL for a held write, want none yet", n)
	}
	a := &acceptRequest{d: delivery("d1"), res: make(chan acceptResult, 1)}
	s.commitBatch(&writeBatch{accepts: []*acceptRequest{a}}, &held)
	if res := <-a.res; res.err != nil {
		t.Fatal(res.err)
	}
	select {
	case err := <-w.res:
		if err != nil {
			t.Fatalf("the held write: %v", err)
		}
	default:
		t.Fatal("the deliveries' commit did not release the write held before it")
	}
	if n := syncs.Load(); n != 1 {
		t.Errorf("%d explicit fsyncs after the deliveries' commit, want 1", n)
	}
}

// TestAHeldWriteIsReleasedWithoutDeliveries: with no deliveries flowing,
// the writer syncs the WAL itself and answers at once.
func TestAHeldWriteIsReleasedWithoutDeliveries(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "shipgate.db"), newClock())
	syncs := countSyncs(s)
	start := time.Now()
	if _, err := s.exec(ctx, `CREATE TABLE walsync_probe (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if n := syncs.Load(); n != 1 {
		t.Errorf("%d fsyncs before the answer, want 1", n)
	}
	t.Logf("answered after %s", time.Since(start))
}

// TestAFailedFsyncIsTheWritersError: a workers' write whose WAL could not
// be synced is not reported as done.
func TestAFailedFsyncIsTheWritersError(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "shipgate.db"), newClock())
	s.wal.sync = func() error { return errors.New("input/output error") }
	_, err := s.exec(ctx, `CREATE TABLE walsync_probe (x INTEGER)`)
	if err == nil || !strings.Contains(err.Error(), "may not survive a power cut") || !strings.Contains(err.Error(), "input/output error") {
		t.Fatalf("a write whose fsync failed: %v", err)
	}
	// A write's own error comes first.
	s.wal.sync = s.wal.fsync
	if _, err := s.exec(ctx, `INSERT INTO no_such_table (x) VALUES (1)`); err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Fatalf("a failing write: %v", err)
	}
}
