package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// testListDeployments runs in the store suite, on SQLite and PostgreSQL.
func testListDeployments(t *testing.T, x *suite) {
	ctx := context.Background()
	add := func(repo, env, version, state string) {
		t.Helper()
		x.clock.Advance(time.Second)
		id := fmt.Sprintf("github:%s:%s:%s", repo, env, version)
		if _, err := x.s.CreateDeployment(ctx, Deployment{ID: id, Host: "github", Repo: repo, Environment: env, Version: version, State: state, Data: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	add("acme/widgets", "staging", "v1.2.0", "succeeded")
	add("acme/widgets", "production", "v1.2.0", "running")
	add("acme/secret", "production", "v1.2.0", "running")
	add("acme/widgets", "staging", "v1.3.0", "running")
	if _, err := x.s.CreateDeployment(ctx, Deployment{ID: "gitlab:acme/widgets:staging:v1.2.0", Host: "gitlab", Repo: "acme/widgets", Environment: "staging", Version: "v1.2.0", State: "running", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	ids := func(f DeploymentFilter) []string {
		t.Helper()
		ds, err := x.s.ListDeployments(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range ds {
			out = append(out, d.Environment+"@"+d.Version)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		f    DeploymentFilter
		want []string
	}{
		{"no repositories select nothing", DeploymentFilter{Host: "github"}, nil},
		{"running of one repository, newest first", DeploymentFilter{Host: "github", Repos: []string{"acme/widgets"}, States: []string{"running"}},
			[]string{"staging@v1.3.0", "production@v1.2.0"}},
		{"a version's deployments", DeploymentFilter{Host: "github", Repos: []string{"acme/widgets"}, Version: "v1.2.0"},
			[]string{"production@v1.2.0", "staging@v1.2.0"}},
		{"the limit", DeploymentFilter{Host: "github", Repos: []string{"acme/widgets", "acme/secret"}, Limit: 2},
			[]string{"staging@v1.3.0", "production@v1.2.0"}},
	} {
		if got := ids(tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}

	// DeploymentsIn, the dashboard's lists across hosts, shares the query.
	in := func(repos []RepoKey, states []string, limit int) []string {
		t.Helper()
		ds, err := x.s.DeploymentsIn(ctx, repos, states, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range ds {
			out = append(out, string(d.Host)+":"+d.Environment+"@"+d.Version)
		}
		return out
	}
	both := []RepoKey{{Host: "github", Repo: "acme/widgets"}, {Host: "gitlab", Repo: "acme/widgets"}}
	if got := in(nil, nil, 10); got != nil {
		t.Errorf("DeploymentsIn of no repository: %q, want nothing", got)
	}
	if got, want := in(both, []string{"running"}, 10), []string{"gitlab:staging@v1.2.0", "github:staging@v1.3.0", "github:production@v1.2.0"}; !slices.Equal(got, want) {
		t.Errorf("DeploymentsIn running: %q, want %q", got, want)
	}
	if got, want := in(both[:1], nil, 2), []string{"github:staging@v1.3.0", "github:production@v1.2.0"}; !slices.Equal(got, want) {
		t.Errorf("DeploymentsIn with a limit: %q, want %q", got, want)
	}

	for i, subj := range []string{"production@v1.2.0: approval", "production@v1.2.0: approval", "production@v1.20: x", "production@v1%2.0: y"} {
		if _, err := x.s.AppendAudit(ctx, AuditEvent{Host: "github", Repo: "acme/widgets", Kind: "deploy.decision", Actor: "alice", Subject: subj, Outcome: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := x.s.AppendAudit(ctx, AuditEvent{Host: "github", Repo: "acme/widgets", Kind: AuditRelease, Subject: "v1.2.0", Outcome: "valid"}); err != nil {
		t.Fatal(err)
	}
	evs, err := x.s.AuditAbout(ctx, SubjectAudit{Host: "github", Repo: "acme/widgets", Subject: "production@v1.2.0: ", Prefix: true})
	if err != nil || len(evs) != 2 || evs[0].Outcome != "1" {
		t.Fatalf("AuditAbout a deployment = %+v, %v", evs, err)
	}
	// % is a character like any other, not a wildcard.
	if evs, err := x.s.AuditAbout(ctx, SubjectAudit{Host: "github", Repo: "acme/widgets", Subject: "production@v1%", Prefix: true}); err != nil || len(evs) != 1 {
		t.Fatalf("AuditAbout with a %% = %+v, %v", evs, err)
	}
	if e, err := x.s.LatestAudit(ctx, "github", "acme/widgets", AuditRelease, "v1.2.0"); err != nil || e.Outcome != "valid" {
		t.Fatalf("LatestAudit = %+v, %v", e, err)
	}
	if _, err := x.s.LatestAudit(ctx, "gitlab", "acme/widgets", AuditRelease, "v1.2.0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LatestAudit of another host: %v, want ErrNotFound", err)
	}
}

// testReleaseQueries runs in the store suite, on SQLite and PostgreSQL.
func testReleaseQueries(t *testing.T, x *suite) {
	ctx := context.Background()
	for i, c := range []string{"failure", "success", "pending"} {
		n := 1 + i/2 // #1 twice, then #2
		if _, err := x.s.SaveEvaluation(ctx, Evaluation{Host: "github", Repo: "acme/a", Number: n, HeadSHA: c, Conclusion: c, Verdict: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := x.s.LatestEvaluations(ctx, "github", "acme/a", []int{1, 2, 3})
	if err != nil || len(got) != 2 || got[1].Conclusion != "success" || got[2].Conclusion != "pending" {
		t.Fatalf("LatestEvaluations = %+v, %v", got, err)
	}
}
