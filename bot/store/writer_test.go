package store

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

func insertProbe(x int) *writeRequest {
	return &writeRequest{res: make(chan error, 1), fn: func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO writer_probe (x) VALUES ($1)`, x)
		return err
	}}
}

func countProbes(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM writer_probe`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAWorkersBatchYieldsToAWaitingDelivery: while a delivery waits to be
// taken, a batch of workers' writes commits after its first write and
// hands back the others, unrun and unanswered, for the writer to carry
// past the deliveries' commit.
func TestAWorkersBatchYieldsToAWaitingDelivery(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "shipgate.db"), newClock())
	if _, err := s.exec(ctx, `CREATE TABLE writer_probe (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	writes := []*writeRequest{insertProbe(1), insertProbe(2), insertProbe(3)}
	s.acceptsWaiting.Add(1) // as Accept does while its delivery waits
	carried := s.commitBatch(&writeBatch{writes: writes}, &heldWrites{})
	s.acceptsWaiting.Add(-1)
	if len(carried) != 2 || carried[0] != writes[1] || carried[1] != writes[2] {
		t.Fatalf("carried %d writes, want the last 2 of 3", len(carried))
	}
	if err := <-writes[0].res; err != nil {
		t.Fatalf("the write done before yielding: %v", err)
	}
	for i, w := range carried {
		select {
		case err := <-w.res:
			t.Fatalf("carried write %d was answered (%v) before it ran", i, err)
		default:
		}
	}
	if n := countProbes(t, s); n != 1 {
		t.Fatalf("%d rows committed, want the first write's only", n)
	}
	// With no delivery waiting, the batch runs to its end.
	if carried := s.commitBatch(&writeBatch{writes: carried}, &heldWrites{}); len(carried) != 0 {
		t.Fatalf("%d writes carried with no delivery waiting", len(carried))
	}
	if n := countProbes(t, s); n != 3 {
		t.Fatalf("%d rows committed, want 3", n)
	}
}

// TestNoWriteIsLostToYielding: workers' writes and deliveries racing
// through the writer, and Close after them: every write and every
// delivery is committed once and answered.
func TestNoWriteIsLostToYielding(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "shipgate.db"), newClock())
	if _, err := s.exec(ctx, `CREATE TABLE writer_probe (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 8, 100
	var wg sync.WaitGroup
	errs := make(chan error, 2*goroutines*each)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				_, err := s.exec(ctx, `INSERT INTO writer_probe (x) VALUES ($1)`, g*each+i)
				errs <- err
			}
		})
		wg.Go(func() {
			for i := range each {
				_, err := s.Accept(ctx, delivery(fmt.Sprintf("d%d-%d", g, i)), job("k", "p"))
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var deliveries int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM deliveries`).Scan(&deliveries); err != nil {
		t.Fatal(err)
	}
	if n := countProbes(t, s); n != goroutines*each || deliveries != goroutines*each {
		t.Fatalf("%d writes and %d deliveries committed, want %d of each", n, deliveries, goroutines*each)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
