package dashboard

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// The benchmark's store: 10,000 PRs (half open) over benchRepos
// repositories, an evaluation and an audit event each, and 1,000
// deployments (a tenth waiting on a gate), seeded through the store's
// APIs.
const (
	benchPRs         = 10000
	benchDeployments = 1000
	benchRepos       = 20
)

func benchRepo(i int) string { return fmt.Sprintf("acme/service-%02d", i%benchRepos) }

// seededEnv builds the benchmark's store on dbURL and signs alice in.
func seededEnv(b *testing.B, dbURL string) (*env, *http.Cookie) {
	e := newEnvOn(b, dbURL)
	for i := range benchRepos {
		e.gh.SetPermission(benchRepo(i), "alice", "read")
		e.gh.SetFile(benchRepo(i), "main", ".shipgate.yml", "version: 1\nfreeze:\n  windows:\n    - {name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z}\n")
	}
	seedBench(b, e)
	if strings.HasPrefix(dbURL, "postgres") {
		// As autovacuum would have by then: the planner's statistics and
		// the visibility map (index-only scans) of the seeded tables.
		db, err := sql.Open("pgx", dbURL)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("VACUUM ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	return e, signedInCookie(b, e)
}

// benchDatabases are the stores the pages are measured on: SQLite, and
// PostgreSQL in a schema of its own when SHIPGATE_TEST_DATABASE_URL is set.
func benchDatabases(b *testing.B) map[string]string {
	dbs := map[string]string{"sqlite": filepath.Join(b.TempDir(), "shipgate.db")}
	base := os.Getenv("SHIPGATE_TEST_DATABASE_URL")
	if base == "" {
		b.Log("PostgreSQL skipped: set SHIPGATE_TEST_DATABASE_URL")
		return dbs
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		b.Fatal(err)
	}
	schema := fmt.Sprintf("shipgate_dashbench_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE"); admin.Close() })
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	dbs["postgres"] = u.String()
	return dbs
}

// BenchmarkPages measures each page's server time on each store.
func BenchmarkPages(b *testing.B) {
	pages := []struct{ name, path string }{
		{"overview", "/"},
		{"change", ChangePath(policies.GitHub, benchRepo(4), 5)},
		{"audit", "/audit"},
		{"audit_filtered", "/audit?repo=github:acme/service-03&actor=dev3&kind=evaluation"},
		{"audit_export_repo_csv", "/audit/export?format=csv&repo=github:acme/service-03"},
		{"calendar", "/calendar"},
		{"calendar_feed", "/calendar.ics"},
	}
	dbs := benchDatabases(b)
	for _, db := range []string{"sqlite", "postgres"} {
		if dbs[db] == "" {
			continue
		}
		b.Run(db, func(b *testing.B) {
			e, cookie := seededEnv(b, dbs[db])
			for _, p := range pages {
				b.Run(p.name, func(b *testing.B) { benchPage(b, e, cookie, p.path) })
			}
		})
	}
}

func seedBench(b *testing.B, e *env) {
	conclusions := []policies.Conclusion{policies.Success, policies.Failure, policies.Pending}
	verdict, _ := json.Marshal(policies.Verdict{Conclusion: policies.Failure, Gated: true, Results: []policies.Result{
		{Rule: "approvals", Name: "reviewers", Status: policies.Fail, Message: "needs 1 more approval"}}})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := w; n < benchPRs; n += 16 {
				if err := seedBenchPR(e, n, conclusions[n%3], verdict); err != nil {
					errs <- err
					return
				}
			}
			for n := w; n < benchDeployments; n += 16 {
				if err := seedBenchDeployment(e, n); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

func seedBenchPR(e *env, n int, c policies.Conclusion, verdict []byte) error {
	repo, at := benchRepo(n), testNow.Add(-time.Duration(n)*time.Minute)
	state := store.PROpen
	if n%2 == 1 {
		state = store.PRClosed
	}
	if err := e.st.PutPR(e.ctx, store.PRState{Host: policies.GitHub, Repo: repo, Number: n + 1, BaseBranch: "main", HeadSHA: "abc",
		State: state, LastActivityAt: at}); err != nil {
		return err
	}
	if _, err := e.st.SaveEvaluation(e.ctx, store.Evaluation{Host: policies.GitHub, Repo: repo, Number: n + 1, HeadSHA: "abc",
		PolicyRevision: "f00d", Conclusion: string(c), Verdict: verdict, At: at}); err != nil {
		return err
	}
	_, err := e.st.AppendAudit(e.ctx, store.AuditEvent{At: at, Host: policies.GitHub, Repo: repo, Number: n + 1, Kind: store.AuditEvaluation,
		Actor: fmt.Sprintf("dev%d", n%50), Subject: "abc", Outcome: string(c)})
	return err
}

func seedBenchDeployment(e *env, n int) error {
	repo, env, version := benchRepo(n), []string{"staging", "production"}[n%2], fmt.Sprintf("v1.%d.0", n)
	status, step := deploy.StatusSucceeded, "health_check"
	if n%10 == 0 {
		status, step = deploy.StatusRunning, "approval"
	}
	st := deploy.State{ID: "github:" + repo + ":" + env + ":" + version, Host: policies.GitHub, Repo: repo, Environment: env, Version: version,
		Status: status, Steps: []deploy.StepState{{Name: step, Status: "running"}}, CreatedAt: testNow}
	data, _ := json.Marshal(st)
	_, err := e.st.CreateDeployment(e.ctx, store.Deployment{ID: st.ID, Host: policies.GitHub, Repo: repo, Environment: env, Version: version,
		State: status, Data: data})
	return err
}

// signedInCookie signs alice in and returns her session cookie.
func signedInCookie(b *testing.B, e *env) *http.Cookie {
	br := e.browser()
	if code, _ := br.signIn("alice", "/calendar"); code != http.StatusOK {
		b.Fatalf("sign-in: %d", code)
	}
	u, _ := url.Parse(e.srv.URL)
	for _, c := range br.c.Jar.Cookies(u) {
		if c.Name == "shipgate_session" {
			return c
		}
	}
	b.Fatal("no session cookie")
	return nil
}

// benchPage measures the server time of one page, roles and policies
// cached as they are after the viewer's first page.
func benchPage(b *testing.B, e *env, cookie *http.Cookie, path string) {
	h := e.d.Handler()
	serve := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := serve(); rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d\n%s", path, rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if rec := serve(); rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, rec.Code)
		}
	}
}
