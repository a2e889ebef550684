package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/store"
)

// auditFixture makes a database with 5 audit events in 2025 and 3 in 2026,
// and returns its path.
func auditFixture(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "shipgate.db")
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	base := time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 8; i++ {
		e := store.AuditEvent{At: base.Add(time.Duration(i) * 24 * time.Hour), Host: "github", Repo: "acme/widgets", Number: i,
			Kind: "command", Actor: "bob", Subject: "/hold", Outcome: "accepted", Detail: []byte(`{"i":` + string(rune('0'+i)) + `}`)}
		if i == 1 {
			e.Detail = []byte("not json, kept as text")
		}
		if _, err := st.AppendAudit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// exported returns the audit events left in db, as exported JSON objects.
func exported(t *testing.T, db string) []map[string]any {
	t.Helper()
	code, out, errOut := shipgate("audit", "export", "--database-url", db)
	if code != 0 {
		t.Fatalf("audit export: exit %d: %s", code, errOut)
	}
	return jsonLines(t, strings.NewReader(out))
}

func jsonLines(t *testing.T, r io.Reader) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestAuditArchiveAndPrune(t *testing.T) {
	tests := []struct {
		name, file, format string
		read               func(t *testing.T, path string) (ids []float64, text string)
	}{
		{"gzip-compressed JSON lines", "audit-2025.jsonl.gz", "json", func(t *testing.T, path string) ([]float64, string) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			gz, err := gzip.NewReader(f)
			if err != nil {
				t.Fatalf("the archive is not gzip: %v", err)
			}
			var ids []float64
			var text string
			for _, e := range jsonLines(t, gz) {
				ids = append(ids, e["id"].(float64))
				if s, ok := e["detail_text"].(string); ok {
					text = s
				}
			}
			return ids, text
		}},
		{"plain CSV", "audit-2025.csv", "csv", func(t *testing.T, path string) ([]float64, string) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := csv.NewReader(f).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			var ids []float64
			for _, r := range rows[1:] {
				id, err := strconv.ParseFloat(r[0], 64)
				if err != nil {
					t.Fatalf("row %q: %v", r, err)
				}
				ids = append(ids, id)
			}
			return ids, rows[2][10]
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := auditFixture(t)
			archive := filepath.Join(t.TempDir(), tt.file)
			code, out, errOut := shipgate("audit", "export", "--database-url", db, "--format", tt.format, "--archive", archive, "--prune-before", "2026-01-03")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if !strings.Contains(out, "archived 5 audit events before 2026-01-03T00:00:00Z to "+archive+" (sha256 ") || !strings.Contains(out, "pruned 5 audit events from the database\n") {
				t.Errorf("output:\n%s", out)
			}
			ids, text := tt.read(t, archive)
			if len(ids) != 5 || ids[0] != 1 || ids[4] != 5 {
				t.Errorf("the archive holds events %v, want 1-5", ids)
			}
			if text != "not json, kept as text" {
				t.Errorf("a detail that is not JSON was archived as %q", text)
			}
			left := exported(t, db)
			if len(left) != 4 || left[0]["id"] != float64(6) || left[3]["kind"] != store.AuditPrune {
				t.Fatalf("events left: %v; want 6, 7, 8 and the prune's record", left)
			}
			detail := left[3]["detail"].(map[string]any)
			if detail["archived"] != float64(5) || detail["pruned"] != float64(5) || detail["archive"] != archive || len(detail["sha256"].(string)) != 64 {
				t.Errorf("the prune's record: %v", detail)
			}
			// Again: the archive exists and is never overwritten.
			code, _, errOut = shipgate("audit", "export", "--database-url", db, "--format", tt.format, "--archive", archive, "--prune-before", "2026-01-10")
			if code != exitUsage || !strings.Contains(errOut, "never overwritten") {
				t.Errorf("archiving over an archive: exit %d, %s", code, errOut)
			}
			if n := len(exported(t, db)); n != 4 {
				t.Errorf("%d events left after a refused archive, want 4", n)
			}
		})
	}
}

func TestAuditArchiveRefusals(t *testing.T) {
	db := auditFixture(t)
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"an archive that cannot be created prunes nothing", []string{"--archive", filepath.Join(notADir, "a.jsonl"), "--prune-before", "2027-01-01"}, "creating the archive"},
		{"--archive needs --prune-before", []string{"--archive", filepath.Join(t.TempDir(), "a.jsonl")}, "go together"},
		{"--prune-before needs --archive", []string{"--prune-before", "2027-01-01"}, "go together"},
		{"filters do not apply to an archive", []string{"--archive", filepath.Join(t.TempDir(), "a.jsonl"), "--prune-before", "2027-01-01", "--kind", "command"}, "--kind"},
		{"a bad date is explained", []string{"--archive", filepath.Join(t.TempDir(), "a.jsonl"), "--prune-before", "last year"}, "--prune-before \"last year\""},
	} {
		code, _, errOut := shipgate(append([]string{"audit", "export", "--database-url", db}, tt.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: exit %d, %s; want %d and %q", tt.name, code, errOut, exitUsage, tt.want)
		}
	}
	if n := len(exported(t, db)); n != 8 {
		t.Errorf("%d events left after refused archives, want all 8", n)
	}
	code, out, _ := shipgate("audit", "export", "--database-url", db, "--archive", filepath.Join(t.TempDir(), "a.jsonl"), "--prune-before", "2020-01-01")
	if code != 0 || !strings.Contains(out, "nothing archived or pruned") {
		t.Errorf("an archive of nothing: exit %d, %q", code, out)
	}
}

// A disk that fills up while the archive is written: the half-written
// archive is removed and nothing is pruned.
func TestAuditArchiveOnAFullDiskPrunesNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("full-disk test skipped: mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("full-disk test skipped: cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	db := auditFixture(t)
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 400; i++ { // ~200 KiB of events, more than the disk holds
		if _, err := st.AppendAudit(context.Background(), store.AuditEvent{At: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Kind: "command",
			Actor: "bob", Detail: []byte(`{"padding":"` + strings.Repeat("x", 500) + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	archive := filepath.Join(dir, "audit.jsonl")
	code, _, errOut := shipgate("audit", "export", "--database-url", db, "--archive", archive, "--prune-before", "2027-01-01")
	if code == 0 || !strings.Contains(errOut, "no space left on device") || !strings.Contains(errOut, "nothing was pruned") {
		t.Errorf("archiving to a full disk: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(archive); !os.IsNotExist(err) {
		t.Errorf("the partial archive was left behind: %v", err)
	}
	if n := len(exported(t, db)); n != 408 {
		t.Errorf("%d events left, want all 408", n)
	}
}
