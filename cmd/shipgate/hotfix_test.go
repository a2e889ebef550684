package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/store"
)

// hotfixDB opens a new database for the hotfix commands; the caller
// closes it before running one.
func hotfixDB(t *testing.T) (string, *store.Store) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "shipgate.db")
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return db, st
}

func TestHotfixStatus(t *testing.T) {
	ctx := context.Background()
	db, st := hotfixDB(t)
	for _, m := range []store.MergeBack{
		{Host: "github", Repo: "acme/widgets", Hotfix: 41, HotfixAuthor: "erin", Branch: "release/1.2", Target: "main"},
		{Host: "github", Repo: "acme/widgets", Hotfix: 50, HotfixAuthor: "frank", Branch: "release/1.3", Target: "main"},
		{Host: "gitlab", Repo: "acme/platform/shop", Hotfix: 7, HotfixAuthor: "erin", Branch: "release/2.0", Target: "main"},
	} {
		if _, err := st.TrackMergeBack(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.MadeMergeBack(ctx, "github", "acme/widgets", 41, "c0ffee", "lib.go"); err != nil {
		t.Fatal(err)
	}
	if err := st.OpenedMergeBack(ctx, "github", "acme/widgets", 41, 42, "https://github.com/acme/widgets/pull/42"); err != nil {
		t.Fatal(err)
	}
	if err := st.OpenedMergeBack(ctx, "gitlab", "acme/platform/shop", 7, 8, "https://gitlab.example/acme/platform/shop/-/merge_requests/8"); err != nil {
		t.Fatal(err)
	}
	if err := st.MergedBack(ctx, "github", "acme/widgets", 50, time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
		not  string
	}{
		{"pending hotfixes fail the status", []string{"--repo", "acme/widgets"}, 1, []string{"acme/widgets  #41 (@erin)  release/1.2  main  #42", "missing from main  lib.go"}, "#50"},
		{"every hotfix with --all", []string{"--all"}, 1, []string{"#41 (@erin)", "#50 (@frank)  release/1.3  main  not opened  merged 2026-11-03"}, ""},
		{"as JSON", []string{"--format", "json"}, 1, []string{`"merge_back": 42`, `"conflicts": [`}, ""},
		{"another repository has none pending", []string{"--repo", "acme/tools"}, 0, []string{"Every hotfix is merged back."}, ""},
		{"GitLab's are named as GitLab names merge requests", []string{"--repo", "acme/platform/shop"}, 1, []string{"acme/platform/shop  !7 (@erin)  release/2.0  main  !8", "missing from main"}, "#"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(append([]string{"hotfix", "status", "--database-url", db}, tc.args...), &out, &errOut)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s%s", code, tc.code, out.String(), errOut.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if tc.not != "" && strings.Contains(out.String(), tc.not) {
				t.Errorf("output has %q:\n%s", tc.not, out.String())
			}
		})
	}
}

// TestHotfixSettle: an operator settles a merge-back that can never merge,
// with a reason that the audit log keeps beside their name; without a
// reason, or for a hotfix with nothing pending, nothing changes.
func TestHotfixSettle(t *testing.T) {
	ctx := context.Background()
	db, st := hotfixDB(t)
	if _, err := st.TrackMergeBack(ctx, store.MergeBack{Host: "gitlab", Repo: "acme/platform/shop", Hotfix: 7, HotfixAuthor: "erin", Branch: "release/2.0", Target: "main"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	settle := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(append([]string{"hotfix", "settle", "--database-url", db}, args...), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := settle("7", "--host", "gitlab", "--repo", "acme/platform/shop"); code != 2 || !strings.Contains(out, "--reason is required") {
		t.Fatalf("without a reason: exit %d: %s", code, out)
	}
	if code, out := settle("!7", "--host", "gitlab", "--repo", "acme/platform/shop", "--reason", "the hotfix was empty"); code != 0 || !strings.Contains(out, "acme/platform/shop!7 is settled by cli") {
		t.Fatalf("settling: exit %d: %s", code, out)
	}
	if code, out := settle("7", "--host", "gitlab", "--repo", "acme/platform/shop", "--reason", "again"); code != 2 || !strings.Contains(out, "has no merge-back pending") {
		t.Fatalf("settling twice: exit %d: %s", code, out)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"hotfix", "status", "--database-url", db}, &out, &errOut); code != 0 {
		t.Fatalf("status after settling: exit %d: %s%s", code, out.String(), errOut.String())
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var events []store.AuditEvent
	if err := st.ExportAudit(ctx, store.AuditFilter{Kinds: []string{store.AuditMergeBack}}, func(e store.AuditEvent) error {
		events = append(events, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Subject != "!7" || events[0].Outcome != "settled" || !strings.HasPrefix(events[0].Actor, "cli") ||
		!strings.Contains(string(events[0].Detail), "the hotfix was empty") {
		t.Fatalf("audit events: %+v", events)
	}
}
