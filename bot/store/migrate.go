package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations live in migrations/<dialect>/NNNN_name.sql. Both dialects carry
// the same versions; a version, once released, is never edited: add a new
// file instead.
//
//go:embed migrations
var migrationFiles embed.FS

// migration is one versioned schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the migrations of a dialect in version order.
func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s migrations: %w", dialect, err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		prefix, _, _ := strings.Cut(name, "_")
		v, err := strconv.Atoi(prefix)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s/%s: name must start with a positive version number", dir, name)
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("reading migration %s/%s: %w", dir, name, err)
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(name, ".sql"), sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("%s migrations: expected version %d, found %s", dialect, i+1, m.name)
		}
	}
	return ms, nil
}

// Migration names one schema change as schema_migrations records it.
type Migration struct {
	Version int    // 1, 2, …: the order in which migrations apply
	Name    string // the file name without .sql, e.g. "0006_replicas"
}

// ErrMigrationsPending is returned by OpenWith with Options.NoMigrate when
// the schema lacks migrations this build needs: they must be applied
// first (Migrate), by a separate step that runs once.
var ErrMigrationsPending = errors.New("the database schema has pending migrations")

// Migrate brings the schema of the database at url up to date and returns
// the migrations it applied, in order (none when it was up to date). It
// takes the same lock as OpenWith, so it may run beside replicas that are
// starting: one migrates, the others find nothing left to do.
func Migrate(ctx context.Context, url string) ([]Migration, error) {
	return migrateURL(ctx, url, true)
}

// PendingMigrations returns the migrations Migrate would apply to the
// database at url, without applying any. ErrSchemaTooNew tells that the
// database was migrated by a newer build.
func PendingMigrations(ctx context.Context, url string) ([]Migration, error) {
	return migrateURL(ctx, url, false)
}

func migrateURL(ctx context.Context, url string, apply bool) ([]Migration, error) {
	s, err := openDBs(ctx, url, Options{})
	if err != nil {
		return nil, err
	}
	defer s.closeDBs()
	return migrate(ctx, s.w, s.dialect, s.now(), apply)
}

// pendingError is ErrMigrationsPending naming the migrations.
func pendingError(pending []Migration) error {
	names := make([]string, len(pending))
	for i, m := range pending {
		names[i] = m.Name
	}
	return fmt.Errorf("%w: %s", ErrMigrationsPending, strings.Join(names, ", "))
}

// migrate returns the migrations the schema lacks and, when apply is set,
// applies them in one transaction, so a failed migration leaves the schema
// as it was. Without apply the transaction (which may have created an
// empty schema_migrations) is rolled back.
func migrate(ctx context.Context, db *sql.DB, d dialect, now time.Time, apply bool) ([]Migration, error) {
	ms, err := loadMigrations(d.name)
	if err != nil {
		return nil, err
	}
	// A schema already up to date needs no write: a replica starts on a
	// database that refuses writes (read-only, full) and says so on
	// /readyz, instead of failing to start.
	var current int
	if db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current) == nil && current == len(ms) {
		return nil, nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("beginning schema migration: %w", err)
	}
	defer tx.Rollback()
	if d.lockMigrations != "" {
		if _, err := tx.ExecContext(ctx, d.lockMigrations); err != nil {
			return nil, fmt.Errorf("locking schema migrations: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    BIGINT NOT NULL PRIMARY KEY,
    name       TEXT   NOT NULL,
    applied_at BIGINT NOT NULL
)`); err != nil {
		return nil, fmt.Errorf("creating schema_migrations: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return nil, fmt.Errorf("reading schema version: %w", err)
	}
	latest := len(ms)
	if current > latest {
		return nil, fmt.Errorf("%w: the database is at schema version %d, this build knows up to %d; upgrade shipgate", ErrSchemaTooNew, current, latest)
	}
	var pending []Migration
	for _, m := range ms[current:] {
		pending = append(pending, Migration{Version: m.version, Name: m.name})
		if !apply {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return nil, fmt.Errorf("applying migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, m.name, micros(now)); err != nil {
			return nil, fmt.Errorf("recording migration %s: %w", m.name, err)
		}
	}
	if !apply {
		return pending, nil
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("committing schema migration: %w", err)
	}
	return pending, nil
}
