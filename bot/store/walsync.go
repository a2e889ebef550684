package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// On SQLite one writer commits both the deliveries a webhook's
// acknowledgement waits for and the workers' writes (claims, completions,
// records). With synchronous=FULL every commit fsyncs the WAL, and fsyncs
// of one file run one after another: an acknowledgement that arrived
// during a workers' commit waited for that commit's fsync before its own.
//
// So the writer commits the workers' batches with synchronous=NORMAL (no
// fsync) and holds their answers until the WAL has been synced after them:
// by the fsync of the next deliveries' commit (FULL) — followed by an
// fsync of the WAL of its own, which then finds nothing left to write —
// or, when no delivery comes within heldFor, by that fsync alone (at once
// when no deliveries were committed in the last flowing). A write
// is durable before its caller hears of it, as before; while deliveries
// flow, the workers' writes add no fsync to the acknowledgements' path.
//
// One difference remains, and only across a power cut: a reader may see a
// workers' write between its commit and the fsync that follows it.

const (
	// heldFor bounds how long held writes wait for a deliveries' commit.
	heldFor = 2 * time.Millisecond
	// maxHeld answers the held writes with an fsync of their own once
	// this many wait.
	maxHeld = 256
	// flowing is how recent a deliveries' commit must be for the writes to
	// wait for the next one.
	flowing = 50 * time.Millisecond
)

// heldWrites are the workers' writes committed without an fsync, waiting
// for one. Only the writer goroutine touches them.
type heldWrites struct {
	reqs  []*writeRequest
	errs  []error
	since time.Time // when the first was committed
	// accepted is when deliveries were last committed.
	accepted time.Time
}

// walSync fsyncs SQLite's WAL file.
type walSync struct {
	path string // the WAL file
	// sync is fsync, but for tests.
	sync func() error
	file *os.File
}

func newWALSync(dbPath string) *walSync {
	y := &walSync{path: dbPath + "-wal"}
	y.sync = y.fsync
	return y
}

// fsync syncs the WAL file through a descriptor of its own (fsync flushes
// the file, whichever descriptor names it). The first call also syncs the
// directory that holds the WAL's entry, as far as the file system allows.
func (y *walSync) fsync() error {
	if y.file == nil {
		f, err := os.Open(y.path)
		if err != nil {
			return fmt.Errorf("opening the WAL to sync it: %w", err)
		}
		if d, err := os.Open(filepath.Dir(y.path)); err == nil {
			_ = d.Sync() // some file systems cannot sync a directory
			d.Close()
		}
		y.file = f
	}
	if err := y.file.Sync(); err != nil {
		return fmt.Errorf("syncing the WAL: %w", err)
	}
	return nil
}

func (y *walSync) close() {
	if y.file != nil {
		y.file.Close()
		y.file = nil
	}
}

// hold keeps the answers of a workers' batch committed without an fsync.
func (s *Store) hold(h *heldWrites, reqs []*writeRequest, errs []error) {
	if len(h.reqs) == 0 {
		h.since = time.Now()
	}
	h.reqs = append(h.reqs, reqs...)
	h.errs = append(h.errs, errs...)
	if len(h.reqs) >= maxHeld || time.Since(h.accepted) > flowing {
		s.release(h)
	}
}

// release syncs the WAL and answers the held writes: each its own error,
// else the sync's.
func (s *Store) release(h *heldWrites) {
	if len(h.reqs) == 0 {
		return
	}
	err := s.wal.sync()
	for i, req := range h.reqs {
		switch {
		case h.errs[i] != nil:
			req.res <- h.errs[i]
		case err != nil:
			req.res <- fmt.Errorf("the write was committed but may not survive a power cut: %w", err)
		default:
			req.res <- nil
		}
	}
	clear(h.reqs)
	clear(h.errs)
	h.reqs, h.errs = h.reqs[:0], h.errs[:0]
}

// releaseAfter is when the held writes are released without waiting
// longer for deliveries; nil when none are held.
func (h *heldWrites) releaseAfter() <-chan time.Time {
	if len(h.reqs) == 0 {
		return nil
	}
	return time.After(max(time.Until(h.since.Add(heldFor)), 0))
}

// setSynchronous switches the writer connection's synchronous mode
// ("NORMAL" or "FULL"); its one connection keeps it.
func (s *Store) setSynchronous(ctx context.Context, mode string) error {
	if _, err := s.w.ExecContext(ctx, "PRAGMA synchronous = "+mode); err != nil {
		return fmt.Errorf("setting synchronous=%s: %w", mode, err)
	}
	return nil
}
