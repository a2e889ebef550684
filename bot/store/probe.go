package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
)

// minFreeBytes is the room a SQLite database must have left, on its file
// system and under its page limit, to be ready: enough for some deliveries
// (GitHub's bodies reach 25 MiB, most are a few KiB). Below it, writes may
// still succeed for a while (WAL pages are reused), then every delivery
// fails: the probe says so before the deliveries do.
const minFreeBytes = 1 << 20

// ErrFull is returned by Probe when the database has no room left for
// deliveries.
var ErrFull = errors.New("database is full")

// Probe proves that the database takes writes now, for /readyz: in a
// transaction of its own it upserts worker's row in the probes table, so
// a read-only database, a full disk, a lost primary or a stuck writer all
// fail it (a SELECT 1 passes them all). On SQLite it also checks that the
// database's file system and page limit leave minFreeBytes, and fails with
// ErrFull otherwise. ctx bounds the whole probe: call it with a short
// timeout. The error describes the cause for the server's log; it may
// carry database details and must not be shown to callers.
func (s *Store) Probe(ctx context.Context, worker string) error {
	if err := s.closed(); err != nil {
		return err
	}
	if worker == "" {
		return fmt.Errorf("probing the database: %w: a worker name is required", ErrInvalid)
	}
	// Not through the group commit: the probe must not wait behind, or
	// share the fate of, other writes, and must give up at ctx's deadline.
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("probing the %s database: beginning a write: %w", s.dialect.name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO probes (name, at) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET at = excluded.at`, worker, micros(s.now())); err != nil {
		return fmt.Errorf("probing the %s database: writing: %w", s.dialect.name, err)
	}
	if s.dialect.name == DialectSQLite {
		if err := s.sqliteRoom(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("probing the %s database: committing: %w", s.dialect.name, err)
	}
	return nil
}

// sqliteRoom fails with ErrFull when the database cannot grow by
// minFreeBytes: its page limit (PRAGMA max_page_count, free pages
// included) or its file system's free space. It reads the pragmas on tx's
// connection: the page limit is a connection's setting.
func (s *Store) sqliteRoom(ctx context.Context, tx *sql.Tx) error {
	var pageSize, pages, freePages, maxPages int64
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"page_size", &pageSize}, {"page_count", &pages}, {"freelist_count", &freePages}, {"max_page_count", &maxPages}} {
		if err := tx.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(p.dst); err != nil {
			return fmt.Errorf("probing the sqlite database: reading %s: %w", p.name, err)
		}
	}
	if left := (maxPages - pages + freePages) * pageSize; left < minFreeBytes {
		return fmt.Errorf("%w: %d KiB left under its page limit (max_page_count %d)", ErrFull, left>>10, maxPages)
	}
	free, ok, err := freeBytes(filepath.Dir(s.path))
	if err != nil {
		return fmt.Errorf("probing the sqlite database: free space of %s: %w", filepath.Dir(s.path), err)
	}
	if ok && free < minFreeBytes {
		return fmt.Errorf("%w: %d KiB free on the file system of %s", ErrFull, free>>10, s.path)
	}
	return nil
}
