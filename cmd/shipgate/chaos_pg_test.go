package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// privatePostgres is a PostgreSQL server of the test's own, which it may
// kill and restart without disturbing the machine's shared one (other
// packages' tests run on it at the same time).
type privatePostgres struct {
	bin, data, sock, port string
	asUser                bool // run the server as the user postgres (we are root)
}

// startPrivatePostgres initialises and starts a throw-away cluster from
// the machine's PostgreSQL binaries, or skips the test saying why.
func startPrivatePostgres(t *testing.T) (*privatePostgres, string) {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Skip("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: install the postgresql package")
	}
	base, err := os.MkdirTemp("", "shipgate-chaos-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	pg := &privatePostgres{bin: filepath.Dir(bins[len(bins)-1]), data: filepath.Join(base, "data"),
		sock: filepath.Join(base, "sock"), port: strings.TrimPrefix(freeAddr(t), "127.0.0.1:"), asUser: os.Geteuid() == 0}
	for _, dir := range []string{pg.data, pg.sock} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if pg.asUser { // initdb refuses root: the cluster belongs to postgres
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root without a postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, p := range []string{base, pg.data, pg.sock} {
			if err := os.Chown(p, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	if out, err := pg.run("initdb", "-D", pg.data, "-U", "postgres", "-A", "trust", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	if err := pg.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = pg.run("pg_ctl", "-D", pg.data, "-m", "immediate", "-w", "stop") })
	return pg, fmt.Sprintf("postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable", pg.port)
}

// run runs one of the server's programs, as postgres when we are root.
func (pg *privatePostgres) run(prog string, args ...string) ([]byte, error) {
	name, argv := filepath.Join(pg.bin, prog), args
	if pg.asUser {
		name, argv = "runuser", append([]string{"-u", "postgres", "--", name}, args...)
	}
	return exec.Command(name, argv...).CombinedOutput()
}

// start starts the server and waits until it accepts connections. fsync
// is off: the test kills the server, not the machine.
func (pg *privatePostgres) start() error {
	opts := fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", pg.port, pg.sock)
	out, err := pg.run("pg_ctl", "-D", pg.data, "-o", opts, "-l", filepath.Join(pg.data, "log"), "-w", "-t", "30", "start")
	if err != nil {
		return fmt.Errorf("starting PostgreSQL: %v\n%s", err, out)
	}
	return nil
}

// crashAndRestart kills the server as a power cut would (immediate: no
// checkpoint, every connection dropped) and starts it again after pause.
func (pg *privatePostgres) crashAndRestart(pause time.Duration) error {
	if out, err := pg.run("pg_ctl", "-D", pg.data, "-m", "immediate", "-w", "stop"); err != nil {
		return fmt.Errorf("stopping PostgreSQL: %v\n%s", err, out)
	}
	time.Sleep(pause)
	return pg.start()
}
