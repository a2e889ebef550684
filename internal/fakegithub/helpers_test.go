package fakegithub

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

// recorder is a testing.TB that collects errors and cleanups instead of
// failing, to test that the fake fails tests when it should.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	errors   []string
	logs     []string
	cleanups []func()
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }

func (r *recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

// Fatalf records the error and ends the goroutine, as FailNow does; call
// what may reach it through expectFatal.
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// expectFatal runs f on its own goroutine, so that a Fatalf ends only f.
func (r *recorder) expectFatal(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func (r *recorder) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

// finish runs the cleanups, last first, as the test's end would.
func (r *recorder) finish() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func (r *recorder) Errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errors)
}

// newRecorded starts a fake whose failures land in the returned recorder.
func newRecorded(t *testing.T, opts ...Option) (*Server, *recorder) {
	t.Helper()
	rec := &recorder{TB: t}
	s := New(rec, opts...)
	t.Cleanup(rec.finish)
	return s, rec
}

// requireDescription skips a test that needs GitHub's API description when
// it is absent (a fresh clone); CI sets SHIPGATE_REQUIRE_FIXTURES.
func requireDescription(t testing.TB) *apiDescription {
	t.Helper()
	api, err := loadDescription()
	if err != nil {
		t.Fatal(err)
	}
	if api == nil {
		t.Skip("GitHub's API description is absent: set SHIPGATE_FIXTURES or put shared/fixtures beside the clone")
	}
	return api
}

func ctx(t *testing.T) context.Context { return t.Context() }

// result holds what a go-github call returned: got(gh.X(…)).must(t).
type result[T any] struct {
	v   T
	err error
}

func got[T any](v T, _ *github.Response, err error) result[T] { return result[T]{v, err} }

// must fails the test on an error and returns the value.
func (r result[T]) must(t testing.TB) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

func equal[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s = %s, want %s", what, g, w)
	}
}

// appJWT signs an App JWT as ghinstallation does.
func appJWT(t testing.TB, key *rsa.PrivateKey, appID int64, now time.Time) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	unsigned := enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." +
		enc(map[string]any{"iss": fmt.Sprint(appID), "iat": now.Add(-30 * time.Second).Unix(), "exp": now.Add(10 * time.Minute).Unix()})
	sum := sha256.Sum256([]byte(unsigned))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return unsigned + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// waitFor polls cond for up to five seconds.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func contains(list []string, substr string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, substr) })
}
