package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/report"
	"github.com/shipgate/shipgate/bot/store"
)

// reportDB writes a database with v1.2.0's report in two repositories and
// a week of production deployments of acme/widgets.
func reportDB(t *testing.T) string {
	db := filepath.Join(t.TempDir(), "shipgate.db")
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	for _, repo := range []string{"acme/widgets", "acme/tools"} {
		r := report.Report{Host: "github", Repo: repo, Version: "v1.2.0", Previous: "v1.1.0", Status: report.StatusSucceeded, ClosedAt: day(3, 12),
			Environment: "production", FirstCommitAt: day(1, 12), LiveAt: day(3, 12), LeadTime: report.Duration(48 * time.Hour)}
		data, _ := json.Marshal(r)
		if err := st.PutReleaseReport(ctx, store.ReleaseReport{Host: "github", Repo: repo, Version: "v1.2.0", Status: r.Status, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	for i, d := range []deploy.State{
		{Version: "v1.2.0", Status: deploy.StatusSucceeded, CreatedAt: day(3, 11), EndedAt: day(3, 12)},
		{Version: "v1.3.0", Status: deploy.StatusFailed, CreatedAt: day(5, 11), EndedAt: day(5, 12)},
		{Version: "v1.3.1", Status: deploy.StatusSucceeded, CreatedAt: day(5, 14), EndedAt: day(5, 15)},
	} {
		d.ID, d.Kind, d.Host, d.Repo, d.Environment = "d"+string(rune('0'+i)), deploy.KindDeploy, "github", "acme/widgets", "production"
		data, _ := json.Marshal(d)
		if _, err := st.CreateDeployment(ctx, store.Deployment{ID: d.ID, Host: d.Host, Repo: d.Repo, Environment: d.Environment, Version: d.Version,
			State: d.Status, Data: data, CreatedAt: d.CreatedAt}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func TestReportCommand(t *testing.T) {
	db := reportDB(t)
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"a report as Markdown", []string{"report", "v1.2.0", "--repo", "acme/widgets"}, 0,
			[]string{"## Release report: v1.2.0", "**acme/widgets v1.2.0** succeeded on production", "| Lead time | 2d |"}},
		{"a report as JSON", []string{"report", "v1.2.0", "--repo", "acme/tools", "--format", "json"}, 0,
			[]string{`"repo": "acme/tools"`, `"lead_time": "48h0m0s"`}},
		{"a version of two repositories needs --repo", []string{"report", "v1.2.0"}, 2,
			[]string{"v1.2.0 was released in 2 repositories (acme/widgets, acme/tools): choose one with --repo"}},
		{"a version without a report", []string{"report", "v9.9.9", "--repo", "acme/widgets"}, 2, []string{"no report of v9.9.9 of acme/widgets"}},
		{"neither a version nor --metrics", []string{"report"}, 2, []string{"give the VERSION"}},
		{"the metrics since a date", []string{"report", "--metrics", "--since", "2026-11-01"}, 0,
			[]string{"acme/widgets  production", "2            ", "33% (1 of 3)", "2d (1)", "3h (1)"}},
		{"the metrics as JSON", []string{"report", "--metrics", "--since", "2026-11-01", "--format", "json"}, 0,
			[]string{`"change_failure_rate": 0.3333333333333333`, `"time_to_restore_median": "3h0m0s"`, `"lead_time_median": "48h0m0s"`}},
		{"a bad period", []string{"report", "--metrics", "--since", "last week"}, 2, []string{`--since "last week": want a duration back from now`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(append(tc.args, "--database-url", db), &out, &errOut)
			text := out.String() + errOut.String()
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, text)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
		})
	}
}
