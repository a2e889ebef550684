package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// benchEnv is seeded once per process and shared by the benchmarks.
var benchEnv struct {
	once   sync.Once
	e      *env
	cookie *http.Cookie
}

func seededEnv(b *testing.B) (*env, *http.Cookie) {
	benchEnv.once.Do(func() {
		e := newEnv(&onceTB{b})
		for i := range benchRepos {
			e.gh.SetPermission(benchRepo(i), "alice", "read")
			e.gh.SetFile(benchRepo(i), "main", ".shipgate.yml", "version: 1\nfreeze:\n  windows:\n    - {name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z}\n")
		}
		seedBench(b, e)
		benchEnv.e, benchEnv.cookie = e, signedInCookie(b, e)
	})
	if benchEnv.e == nil {
		b.Fatal("seeding failed")
	}
	return benchEnv.e, benchEnv.cookie
}

// onceTB keeps the shared environment's cleanups until the process ends:
// it outlives the benchmark that built it.
type onceTB struct{ *testing.B }

func (onceTB) Cleanup(func()) {}

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
func benchPage(b *testing.B, path string) {
	e, cookie := seededEnv(b)
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

func BenchmarkOverview(b *testing.B) { benchPage(b, "/") }
func BenchmarkChange(b *testing.B) {
	benchPage(b, ChangePath(policies.GitHub, benchRepo(4), 5))
}
func BenchmarkAudit(b *testing.B) { benchPage(b, "/audit") }
func BenchmarkAuditFiltered(b *testing.B) {
	benchPage(b, "/audit?repo=github:acme/service-03&actor=dev3&kind=evaluation")
}
func BenchmarkAuditExportRepo(b *testing.B) {
	benchPage(b, "/audit/export?format=csv&repo=github:acme/service-03")
}
func BenchmarkCalendar(b *testing.B)     { benchPage(b, "/calendar") }
func BenchmarkCalendarFeed(b *testing.B) { benchPage(b, "/calendar.ics") }
