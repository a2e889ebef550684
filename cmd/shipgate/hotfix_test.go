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

func TestHotfixStatus(t *testing.T) {
	db := filepath.Join(t.TempDir(), "shipgate.db")
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []store.MergeBack{
		{Host: "github", Repo: "acme/widgets", Hotfix: 41, HotfixAuthor: "erin", Branch: "release/1.2", Target: "main"},
		{Host: "github", Repo: "acme/widgets", Hotfix: 50, HotfixAuthor: "frank", Branch: "release/1.3", Target: "main"},
		{Host: "gitlab", Repo: "acme/platform/shop", Hotfix: 7, HotfixAuthor: "erin", Branch: "release/2.0", Target: "main"},
	} {
		if _, err := st.TrackMergeBack(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.OpenedMergeBack(ctx, "github", "acme/widgets", 41, 42, "https://github.com/acme/widgets/pull/42", "lib.go", "c0ffee"); err != nil {
		t.Fatal(err)
	}
	if err := st.OpenedMergeBack(ctx, "gitlab", "acme/platform/shop", 7, 8, "https://gitlab.example/acme/platform/shop/-/merge_requests/8", "", ""); err != nil {
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
