package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/store"
)

func TestAuditExport(t *testing.T) {
	db := filepath.Join(t.TempDir(), "shipgate.db")
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i, e := range []store.AuditEvent{
		{At: base, Host: "github", Repo: "acme/widgets", Number: 42, Kind: "evaluation", Actor: "shipgate", Subject: "abc123", Outcome: "failure", Detail: []byte(`{"rules":3}`)},
		{At: base.Add(time.Hour), Host: "github", Repo: "acme/widgets", Number: 42, Kind: "command", Actor: "bob", Subject: "/hold", Outcome: "accepted"},
		{At: base.Add(48 * time.Hour), Host: "github", Repo: "acme/other", Number: 7, Kind: "command", Actor: "eve, \"the\" tester", Subject: "/approve", Outcome: "refused"},
	} {
		if _, err := st.AppendAudit(context.Background(), e); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	st.Close()

	tests := []struct {
		name  string
		args  []string
		lines int
		check func(t *testing.T, out string)
	}{
		{name: "everything as JSON lines, oldest first", args: nil, lines: 3, check: func(t *testing.T, out string) {
			var first map[string]any
			if err := json.Unmarshal([]byte(strings.Split(out, "\n")[0]), &first); err != nil {
				t.Fatal(err)
			}
			if first["kind"] != "evaluation" || first["detail"].(map[string]any)["rules"] != float64(3) {
				t.Errorf("first = %v", first)
			}
		}},
		{name: "one repository", args: []string{"--repo", "acme/other"}, lines: 1},
		{name: "since a date", args: []string{"--since", "2026-11-02"}, lines: 1},
		{name: "by kind", args: []string{"--kind", "command"}, lines: 2},
		{name: "CSV with a header that a spreadsheet reads, quoting included", args: []string{"--format", "csv"}, lines: 4, check: func(t *testing.T, out string) {
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 4 || rows[0][0] != "id" || rows[3][6] != `eve, "the" tester` {
				t.Errorf("rows = %q", rows)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"audit", "export", "--database-url", db}, tt.args...), &stdout, &stderr)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if n := strings.Count(stdout.String(), "\n"); n != tt.lines {
				t.Errorf("%d lines, want %d:\n%s", n, tt.lines, stdout.String())
			}
			if tt.check != nil {
				tt.check(t, stdout.String())
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"audit", "export", "--database-url", filepath.Join(t.TempDir(), "none.db")}, &stdout, &stderr); code != exitUsage ||
		!strings.Contains(stderr.String(), "no database at") {
		t.Errorf("missing database: exit %d, %s", code, stderr.String())
	}
}
