package store

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// reportTests run in the store suite, against both dialects.
var reportTests = []struct {
	name string
	run  func(t *testing.T, x *suite)
}{
	{"a release report is written once per version and replaced when closed again", testReleaseReports},
	{"deployments are listed by repository and time, and a PR's newest verdict read back", testDeploymentHistory},
}

func testReleaseReports(t *testing.T, x *suite) {
	if _, err := x.s.ReleaseReports(ctx, "acme/widgets", "v1.2.0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no report yet: %v", err)
	}
	r := ReleaseReport{Host: "github", Repo: "acme/widgets", Version: "v1.2.0", Status: "succeeded", Data: []byte(`{"a":1}`)}
	if err := x.s.PutReleaseReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.Status, r.Data = "rolled back", []byte(`{"a":2}`)
	if err := x.s.PutReleaseReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	other := ReleaseReport{Host: "gitlab", Repo: "acme/tools", Version: "v1.2.0", Status: "failed", Data: []byte(`{}`)}
	x.clock.Advance(time.Second)
	if err := x.s.PutReleaseReport(ctx, other); err != nil {
		t.Fatal(err)
	}
	got, err := x.s.ReleaseReports(ctx, "acme/widgets", "v1.2.0")
	if err != nil || len(got) != 1 || got[0].Status != "rolled back" || string(got[0].Data) != `{"a":2}` {
		t.Fatalf("report: %+v, %v", got, err)
	}
	if all, err := x.s.ReleaseReports(ctx, "", "v1.2.0"); err != nil || len(all) != 2 || all[1].Repo != "acme/tools" {
		t.Fatalf("every repository's: %+v, %v", all, err)
	}
	if err := x.s.PutReleaseReport(ctx, ReleaseReport{Repo: "acme/widgets"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an incomplete report: %v", err)
	}
}

func testDeploymentHistory(t *testing.T, x *suite) {
	for i, d := range []Deployment{
		{ID: "a", Host: "github", Repo: "acme/widgets", Environment: "staging", Version: "v1", State: "succeeded"},
		{ID: "b", Host: "github", Repo: "acme/tools", Environment: "staging", Version: "v1", State: "failed"},
		{ID: "c", Host: "github", Repo: "acme/widgets", Environment: "production", Version: "v1", State: "running"},
	} {
		d.CreatedAt = x.clock.Now().Add(time.Duration(i) * time.Hour)
		if _, err := x.s.CreateDeployment(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := x.s.DeploymentHistory(ctx, HistoryFilter{Host: "github", Repo: "acme/widgets"})
	if err != nil || len(got) != 2 || got[0].ID != "a" || got[1].ID != "c" {
		t.Fatalf("widgets: %+v, %v", got, err)
	}
	if got, err := x.s.DeploymentHistory(ctx, HistoryFilter{Since: x.clock.Now().Add(time.Hour)}); err != nil || len(got) != 2 || got[0].ID != "b" {
		t.Fatalf("since an hour: %+v, %v", got, err)
	}
	if _, err := x.s.LatestVerdict(ctx, "github", "acme/widgets", 7); !errors.Is(err, ErrNotFound) {
		t.Fatalf("never evaluated: %v", err)
	}
	for _, v := range []string{`{"n":1}`, `{"n":2}`} {
		if _, err := x.s.SaveEvaluation(ctx, Evaluation{Host: "github", Repo: "acme/widgets", Number: 7, HeadSHA: "abc", Conclusion: "success", Verdict: []byte(v)}); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := x.s.LatestVerdict(ctx, "github", "acme/widgets", 7); err != nil || string(v) != `{"n":2}` {
		t.Fatalf("newest verdict: %s, %v", v, err)
	}
	if _, err := x.s.SaveEvaluation(ctx, Evaluation{Host: "github", Repo: "acme/widgets", Number: 7, HeadSHA: "def", Conclusion: "failure", Verdict: []byte(`{"n":3}`)}); err != nil {
		t.Fatal(err)
	}
	if v, err := x.s.VerdictAt(ctx, "github", "acme/widgets", 7, "abc"); err != nil || string(v) != `{"n":2}` {
		t.Fatalf("newest verdict at abc: %s, %v", v, err)
	}
	for _, sha := range []string{"", "0123"} {
		if v, err := x.s.VerdictAt(ctx, "github", "acme/widgets", 7, sha); !errors.Is(err, ErrNotFound) {
			t.Fatalf("verdict at head %q: %s, %v; want none", sha, v, err)
		}
	}
}

func init() {
	reportTests = append(reportTests, struct {
		name string
		run  func(t *testing.T, x *suite)
	}{"a merge-back is tracked once per hotfix, found by its PR, and pending until merged", testMergeBacks},
		struct {
			name string
			run  func(t *testing.T, x *suite)
		}{"a merge-back settled by hand is merged and audited, once", testSettleMergeBack})
}

func testSettleMergeBack(t *testing.T, x *suite) {
	m := MergeBack{Host: "gitlab", Repo: "acme/shop", Hotfix: 7, HotfixAuthor: "erin", Branch: "release/2.0", Target: "main"}
	if _, err := x.s.TrackMergeBack(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := x.s.SettleMergeBack(ctx, "gitlab", "acme/shop", 7, "cli:ops", " "); !errors.Is(err, ErrInvalid) {
		t.Fatalf("without a reason: %v", err)
	}
	if err := x.s.SettleMergeBack(ctx, "gitlab", "acme/shop", 7, "cli:ops", "empty cherry-pick"); err != nil {
		t.Fatal(err)
	}
	if err := x.s.SettleMergeBack(ctx, "gitlab", "acme/shop", 7, "cli:ops", "again"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("settled twice: %v", err)
	}
	if p, err := x.s.MergeBacks(ctx, "gitlab", "acme/shop", true); err != nil || len(p) != 0 {
		t.Fatalf("pending after settling: %+v, %v", p, err)
	}
	var events []AuditEvent
	if err := x.s.ExportAudit(ctx, AuditFilter{Kinds: []string{AuditMergeBack}}, func(e AuditEvent) error {
		events = append(events, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Actor != "cli:ops" || events[0].Number != 7 || !strings.Contains(string(events[0].Detail), "empty cherry-pick") {
		t.Fatalf("audit: %+v", events)
	}
}

func testMergeBacks(t *testing.T, x *suite) {
	m := MergeBack{Host: "github", Repo: "acme/widgets", Hotfix: 41, HotfixSHA: "abc", HotfixAuthor: "erin", Branch: "release/1.2", Target: "main"}
	for i, want := range []bool{true, false} {
		if created, err := x.s.TrackMergeBack(ctx, m); err != nil || created != want {
			t.Fatalf("track %d: %v, %v", i, created, err)
		}
	}
	if _, err := x.s.MergeBackOf(ctx, "github", "acme/widgets", 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a merge-back not opened yet has no PR: %v", err)
	}
	if err := x.s.MadeMergeBack(ctx, "github", "acme/widgets", 41, "c0ffee", "a.go"); err != nil {
		t.Fatal(err)
	}
	if err := x.s.OpenedMergeBack(ctx, "github", "acme/widgets", 41, 42, "https://x/42"); err != nil {
		t.Fatal(err)
	}
	got, err := x.s.MergeBackOf(ctx, "github", "acme/widgets", 42)
	if err != nil || got.Hotfix != 41 || got.Conflicts != "a.go" || got.State != MergeBackOpen || !got.MergedAt.IsZero() {
		t.Fatalf("by its PR: %+v, %v", got, err)
	}
	if p, err := x.s.MergeBacks(ctx, "github", "acme/widgets", true); err != nil || len(p) != 1 {
		t.Fatalf("pending: %+v, %v", p, err)
	}
	if err := x.s.MergedBack(ctx, "github", "acme/widgets", 41, x.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if p, err := x.s.MergeBacks(ctx, "github", "acme/widgets", true); err != nil || len(p) != 0 {
		t.Fatalf("pending after the merge: %+v, %v", p, err)
	}
	if all, err := x.s.MergeBacks(ctx, "", "", false); err != nil || len(all) != 1 || all[0].State != MergeBackMerged || all[0].MergedAt.IsZero() {
		t.Fatalf("all: %+v, %v", all, err)
	}
}
