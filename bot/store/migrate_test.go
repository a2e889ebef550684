package store

import (
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The tests of migrations run as a step of their own (shipgate migrate)
// and of replicas that refuse an un-migrated schema. They run in the store
// suite, on both databases, each on a second, empty database.
var migrateTests = []struct {
	name string
	run  func(t *testing.T, x *suite)
}{
	{"pending migrations are listed, applied once, and refused by NoMigrate until then", testMigrateStep},
	{"a partly migrated database lists and applies only what it lacks", testMigratePartly},
	{"migrations run at once apply each migration once", testMigrateConcurrently},
	{"a database from a newer shipgate is refused by the migrate step", testMigrateSchemaTooNew},
}

func allMigrations(t *testing.T, dialect string) []Migration {
	t.Helper()
	ms, err := loadMigrations(dialect)
	if err != nil {
		t.Fatal(err)
	}
	var out []Migration
	for _, m := range ms {
		out = append(out, Migration{Version: m.version, Name: m.name})
	}
	return out
}

func testMigrateStep(t *testing.T, x *suite) {
	url := x.b.newURL(t)
	all := allMigrations(t, x.b.name)
	pending, err := PendingMigrations(ctx, url)
	if err != nil || !slices.Equal(pending, all) {
		t.Fatalf("PendingMigrations of an empty database = %v, %v; want %v", pending, err, all)
	}
	_, err = OpenWith(ctx, url, Options{NoMigrate: true})
	if !errors.Is(err, ErrMigrationsPending) || !strings.Contains(err.Error(), all[len(all)-1].Name) {
		t.Fatalf("OpenWith(NoMigrate) of an empty database = %v, want ErrMigrationsPending naming %s", err, all[len(all)-1].Name)
	}
	// Neither listing nor refusing applied anything.
	applied, err := Migrate(ctx, url)
	if err != nil || !slices.Equal(applied, all) {
		t.Fatalf("Migrate = %v, %v; want %v", applied, err, all)
	}
	if again, err := Migrate(ctx, url); err != nil || len(again) != 0 {
		t.Errorf("a second Migrate = %v, %v; want nothing applied", again, err)
	}
	if pending, err := PendingMigrations(ctx, url); err != nil || len(pending) != 0 {
		t.Errorf("PendingMigrations after Migrate = %v, %v; want none", pending, err)
	}
	s, err := OpenWith(ctx, url, Options{NoMigrate: true, Now: x.clock.Now})
	if err != nil {
		t.Fatalf("OpenWith(NoMigrate) of a migrated database: %v", err)
	}
	defer s.Close()
	dup, err := s.Accept(ctx, delivery("1"), job("k", "1"))
	if err != nil || dup {
		t.Errorf("Accept on the migrated database = %v, %v", dup, err)
	}
}

// atFirstVersion makes a database that has only the first migration.
func atFirstVersion(t *testing.T, x *suite) string {
	t.Helper()
	url := x.b.newURL(t)
	driver := "pgx"
	if x.b.name == DialectSQLite {
		driver = "sqlite"
	}
	db, err := sql.Open(driver, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := loadMigrations(x.b.name)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		ms[0].sql,
		`CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, '` + ms[0].name + `', 0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return url
}

func testMigratePartly(t *testing.T, x *suite) {
	url := atFirstVersion(t, x)
	rest := allMigrations(t, x.b.name)[1:]
	if pending, err := PendingMigrations(ctx, url); err != nil || !slices.Equal(pending, rest) {
		t.Fatalf("PendingMigrations = %v, %v; want %v", pending, err, rest)
	}
	if applied, err := Migrate(ctx, url); err != nil || !slices.Equal(applied, rest) {
		t.Fatalf("Migrate = %v, %v; want %v", applied, err, rest)
	}
}

func testMigrateConcurrently(t *testing.T, x *suite) {
	url := x.b.newURL(t)
	all := allMigrations(t, x.b.name)
	const n = 4
	results := make([][]Migration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = Migrate(ctx, url)
		}()
	}
	wg.Wait()
	var applied []Migration
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Migrate %d: %v", i, errs[i])
		}
		applied = append(applied, results[i]...)
	}
	slices.SortFunc(applied, func(a, b Migration) int { return a.Version - b.Version })
	if !slices.Equal(applied, all) {
		t.Errorf("migrations applied by %d concurrent Migrate calls = %v, want each of %v once", n, applied, all)
	}
}

func testMigrateSchemaTooNew(t *testing.T, x *suite) {
	if _, err := x.s.w.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := PendingMigrations(ctx, x.url); !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("PendingMigrations = %v, want ErrSchemaTooNew", err)
	}
	if _, err := Migrate(ctx, x.url); !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("Migrate = %v, want ErrSchemaTooNew", err)
	}
}
