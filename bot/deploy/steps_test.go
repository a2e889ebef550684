package deploy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

func TestWebhookStep(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		want     []Outcome
	}{
		{"a 2xx answer succeeds", []int{204}, []Outcome{Done}},
		{"a 5xx answer is retried with the same key", []int{503, 502, 200}, []Outcome{Waiting, Waiting, Done}},
		{"a 4xx answer fails at once", []int{410}, []Outcome{Failed}},
		{"five 5xx answers fail", []int{500, 500, 500, 500, 500}, []Outcome{Waiting, Waiting, Waiting, Waiting, Failed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var keys []string
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mac := hmac.New(sha256.New, []byte("s3cret"))
				mac.Write(body)
				if r.URL.Path != "/hooks/staging" || r.Header.Get(SignatureHeader) != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
					t.Errorf("%s with signature %q", r.URL.Path, r.Header.Get(SignatureHeader))
				}
				mu.Lock()
				keys = append(keys, r.Header.Get("Idempotency-Key"))
				w.WriteHeader(tc.statuses[calls])
				calls++
				mu.Unlock()
			}))
			defer srv.Close()
			e := newEnv(t, monday)
			e.o.cfg.Getenv = func(name string) string {
				if name == "HOOK" {
					return "s3cret"
				}
				return ""
			}
			e.o.cfg.HTTPClient = srv.Client()
			step := &webhookStep{o: e.o, call: &policies.WebhookCall{URL: template.Must(template.New("u").Parse(srv.URL + "/hooks/{{.Environment}}")), SecretEnv: "HOOK"}}
			st := &State{ID: "d1", Repo: repo, Environment: "staging", Version: "v1.2.0", Attempt: 1, Steps: []StepState{{}}, now: monday}
			if _, err := e.st.CreateDeployment(e.ctx, store.Deployment{ID: st.ID, Host: "github", Repo: repo, Environment: "staging", Version: "v1.2.0",
				State: StatusRunning, Data: []byte("{}"), CreatedAt: monday}); err != nil {
				t.Fatal(err)
			}
			st.revision = 1
			for i, want := range tc.want {
				res, err := step.Run(e.ctx, st)
				if err != nil || res.Outcome != want {
					t.Fatalf("try %d: %v %q, %v; want outcome %v", i+1, res.Outcome, res.Message, err, want)
				}
			}
			for _, k := range keys {
				if k != keys[0] || k == "" {
					t.Fatalf("idempotency keys %q", keys)
				}
			}
		})
	}
}

// TestAnUnconfirmedDispatchIsMadeOnceMore: a dispatch that never reached
// GitHub after its step key was claimed (a crash, a dropped connection)
// leaves no run; after redispatchAfter the step dispatches once more under
// the same key, and never a third time.
func TestAnUnconfirmedDispatchIsMadeOnceMore(t *testing.T) {
	e := newEnv(t, monday)
	e.host.mu.Lock()
	e.host.failDispatches = 1
	e.host.mu.Unlock()
	if err := e.o.Release(e.ctx, "github", repo, "v1.2.0", "abc", Actor{Login: "dave"}); err != nil {
		t.Fatal(err)
	}
	// The failed try is retried at once, as the workers would after backoff.
	for range 5 {
		bs, err := e.st.Claim(e.ctx, "test", time.Minute, 16)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			perr := e.o.Process(e.ctx, b)
			for _, j := range b.Jobs {
				if perr != nil {
					err = e.st.Retry(e.ctx, b.Lease, j.ID, perr, e.clock.Now())
				} else {
					err = e.st.Complete(e.ctx, b.Lease, j.ID)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	e.wantDispatches()
	e.after(time.Minute)
	e.wantDispatches() // a run may still appear: wait
	e.after(3 * time.Minute)
	e.wantDispatches("deploy.yml@v1.2.0 environment=staging")
	if got := e.audit("deploy.dispatch"); len(got) != 1 || !strings.Contains(got[0], "again: no run followed an unconfirmed dispatch") {
		t.Fatalf("dispatch audit: %q", got)
	}
	e.after(10 * time.Minute)
	e.wantDispatches("deploy.yml@v1.2.0 environment=staging")
}

func TestTruncateKeepsWholeCharacters(t *testing.T) {
	if got := truncate("short", 140); got != "short" {
		t.Errorf("truncate(short) = %q", got)
	}
	got := truncate(strings.Repeat("é", 200), 140)
	if !utf8.ValidString(got) || utf8.RuneCountInString(got) != 140 || !strings.HasSuffix(got, "…") {
		t.Errorf("truncate = %q (%d characters), want 140 valid characters ending in …", got, utf8.RuneCountInString(got))
	}
}
