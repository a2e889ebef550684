package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/shipgate/shipgate/bot/store/drivers" // the store opens SQLite and PostgreSQL

	"github.com/shipgate/shipgate/internal/testclock"
)

// testDatabaseURLEnv names the PostgreSQL server the PostgreSQL tests use;
// they are skipped when it is unset.
const testDatabaseURLEnv = "SHIPGATE_TEST_DATABASE_URL"

// backend makes fresh, empty databases of one dialect.
type backend struct {
	name string
	// newURL returns the URL of an empty database that is removed when the
	// test ends.
	newURL func(t testing.TB) string
}

var sqliteBackend = backend{
	name: DialectSQLite,
	newURL: func(t testing.TB) string {
		return filepath.Join(t.TempDir(), "shipgate.db")
	},
}

// postgresBackend isolates each test in a schema of its own, selected with
// search_path in the connection URL, and drops it at cleanup.
func postgresBackend(t testing.TB) backend {
	base := os.Getenv(testDatabaseURLEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", testDatabaseURLEnv)
	}
	return backend{
		name: DialectPostgres,
		newURL: func(t testing.TB) string {
			t.Helper()
			admin, err := sql.Open("pgx", base)
			if err != nil {
				t.Fatalf("opening %s: %v", testDatabaseURLEnv, err)
			}
			var b [6]byte
			rand.Read(b[:])
			schema := "shipgate_test_" + hex.EncodeToString(b[:])
			if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
				admin.Close()
				t.Fatalf("creating schema %s: %v", schema, err)
			}
			t.Cleanup(func() {
				if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
					t.Errorf("dropping schema %s: %v", schema, err)
				}
				admin.Close()
			})
			u, err := url.Parse(base)
			if err != nil {
				t.Fatalf("parsing %s: %v", testDatabaseURLEnv, err)
			}
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		},
	}
}

func TestSQLite(t *testing.T) {
	runStoreSuite(t, sqliteBackend)
}

func TestPostgres(t *testing.T) {
	runStoreSuite(t, postgresBackend(t))
}

func newClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
}

// openStore opens url with clock and closes it at cleanup.
func openStore(t testing.TB, url string, clock *testclock.Clock) *Store {
	t.Helper()
	opts := Options{}
	if clock != nil {
		opts.Now = clock.Now
	}
	s, err := OpenWith(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return s
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		name, url, kind, target string
		err                     error
	}{
		{name: "an empty URL is the default SQLite file", url: "", kind: DialectSQLite, target: DefaultPath},
		{name: "a bare path is SQLite", url: "/var/lib/shipgate/db.sqlite", kind: DialectSQLite, target: "/var/lib/shipgate/db.sqlite"},
		{name: "sqlite: names a path", url: "sqlite:data/shipgate.db", kind: DialectSQLite, target: "data/shipgate.db"},
		{name: "sqlite:/// names an absolute path", url: "sqlite:///tmp/x.db", kind: DialectSQLite, target: "/tmp/x.db"},
		{name: "file: names a path", url: "file:shipgate.db", kind: DialectSQLite, target: "shipgate.db"},
		{name: "postgres:// is PostgreSQL", url: "postgres://u:secret@db/x", kind: DialectPostgres, target: "postgres://u:secret@db/x"},
		{name: "postgresql:// is PostgreSQL", url: "postgresql://db/x", kind: DialectPostgres, target: "postgresql://db/x"},
		{name: "another scheme is refused", url: "mysql://u:secret@db/x", err: ErrUnsupportedURL},
		{name: "an in-memory database is refused", url: "sqlite::memory:", err: ErrUnsupportedURL},
		{name: "a path with a query is refused", url: "file:x.db?mode=ro", err: ErrUnsupportedURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, target, err := parseURL(tt.url)
			if !errors.Is(err, tt.err) {
				t.Fatalf("parseURL(%q) error = %v, want %v", tt.url, err, tt.err)
			}
			if err != nil {
				if s := err.Error(); strings.Contains(s, "secret") {
					t.Errorf("error %q leaks the password", s)
				}
				return
			}
			if kind != tt.kind || target != tt.target {
				t.Errorf("parseURL(%q) = %q, %q; want %q, %q", tt.url, kind, target, tt.kind, tt.target)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		want     time.Duration
	}{
		{0, 15 * time.Second},
		{1, 15 * time.Second},
		{2, 30 * time.Second},
		{3, time.Minute},
		{8, 30 * time.Minute},
		{60, 30 * time.Minute},
	}
	for _, tt := range tests {
		if got := Backoff(tt.attempts); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.attempts, got, tt.want)
		}
	}
}

func TestMigrationsHaveTheSameVersionsInEveryDialect(t *testing.T) {
	lite, err := loadMigrations(DialectSQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := loadMigrations(DialectPostgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].name != pg[i].name {
			t.Errorf("migration %d is %s in sqlite, %s in postgres", i+1, lite[i].name, pg[i].name)
		}
	}
}
