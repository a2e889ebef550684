package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/store"
)

// A replica started with SHIPGATE_MIGRATE=off refuses an un-migrated
// database and names shipgate migrate; migrate --check lists what is
// pending without applying it; migrate applies it once; then the replica
// starts and shipgate health says it is ready.
func TestMigrateThenServeWithMigrateOffOnSQLite(t *testing.T) {
	g := newE2EGitHub(t, 0)
	// An empty file is an empty SQLite database.
	if err := os.WriteFile(g.db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	testMigrateThenServe(t, g, g.db)
}

func TestMigrateThenServeWithMigrateOffOnPostgres(t *testing.T) {
	dbURL := newPostgresDatabase(t)
	g := newE2EGitHub(t, 0, "SHIPGATE_DATABASE_URL="+dbURL)
	testMigrateThenServe(t, g, dbURL)
}

func testMigrateThenServe(t *testing.T, g *e2eGitHub, dbURL string) {
	all, err := store.PendingMigrations(context.Background(), dbURL)
	if err != nil || len(all) == 0 {
		t.Fatalf("PendingMigrations of an empty database = %v, %v", all, err)
	}
	var pendingLines, appliedLines []string
	for _, m := range all {
		pendingLines = append(pendingLines, "pending "+m.Name)
		appliedLines = append(appliedLines, "applied "+m.Name)
	}

	code, out, errOut := runCLI("migrate", "--check", "--database-url", dbURL)
	if code != exitUnsatisfied || out != strings.Join(pendingLines, "\n")+"\n" || !strings.Contains(errOut, "run shipgate migrate") {
		t.Fatalf("migrate --check on an empty database: exit %d, stdout %q, stderr %q; want exit 1 listing %v", code, out, errOut, pendingLines)
	}

	refused := serveOnce(t, append(g.env, "SHIPGATE_MIGRATE=off"))
	for _, want := range []string{"pending migrations", all[len(all)-1].Name, "run shipgate migrate"} {
		if !strings.Contains(refused, want) {
			t.Errorf("serve with SHIPGATE_MIGRATE=off on an un-migrated database says %q, want it to mention %q", refused, want)
		}
	}

	code, out, errOut = runCLI("migrate", "--database-url", dbURL)
	if code != exitOK || out != strings.Join(appliedLines, "\n")+"\n" {
		t.Fatalf("migrate: exit %d, stdout %q, stderr %q; want %v", code, out, errOut, appliedLines)
	}
	for _, args := range [][]string{{"migrate"}, {"migrate", "--check"}} {
		code, out, errOut = runCLI(append(args, "--database-url", dbURL)...)
		if code != exitOK || out != "up to date\n" {
			t.Errorf("%v after migrating: exit %d, stdout %q, stderr %q; want up to date", args, code, out, errOut)
		}
	}

	p := startServe(t, append(g.env, "SHIPGATE_MIGRATE=off"))
	code, out, errOut = runCLI("health", "--url", "http://"+p.addr+"/readyz")
	if code != exitOK || !strings.HasPrefix(out, "200 OK") {
		t.Errorf("health of a ready replica: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// serveOnce runs `shipgate serve` as a child that is expected to refuse to
// start (exit 2), and returns what it printed.
func serveOnce(t *testing.T, env []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestServeHelperProcess$")
	cmd.Env = append(append(os.Environ(), "SHIPGATE_E2E_SERVE=1", "SHIPGATE_ADDR="+freeAddr(t)), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitUsage {
		t.Fatalf("serve: %v, want exit %d; output:\n%s", err, exitUsage, out)
	}
	return string(out)
}

// newPostgresDatabase creates an empty database of its own on the server
// of SHIPGATE_TEST_DATABASE_URL and drops it when the test ends.
func newPostgresDatabase(t *testing.T) string {
	t.Helper()
	base := os.Getenv("SHIPGATE_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("PostgreSQL tests skipped: set SHIPGATE_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "shipgate_migrate_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("dropping database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func TestMigrateCheckRefusesAMissingSQLiteFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "typo.db")
	code, _, errOut := runCLI("migrate", "--check", "--database-url", missing)
	if code != exitUsage || !strings.Contains(errOut, "no database at") {
		t.Errorf("migrate --check of a missing file: exit %d, stderr %q; want 2, no database", code, errOut)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("migrate --check created %s: %v", missing, err)
	}
}

func TestServeConfigRefusesAnUnknownMigrateMode(t *testing.T) {
	t.Setenv("SHIPGATE_GITHUB_TOKEN", "t")
	t.Setenv("SHIPGATE_GITHUB_WEBHOOK_SECRET", "s")
	t.Setenv("SHIPGATE_MIGRATE", "never")
	code, _, errOut := runCLI("serve")
	if code != exitUsage || !strings.Contains(errOut, `SHIPGATE_MIGRATE "never": allowed values: auto, off`) {
		t.Errorf("serve with SHIPGATE_MIGRATE=never: exit %d, stderr %q", code, errOut)
	}
}
