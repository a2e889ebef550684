package deploy

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/store"
)

// crashingStore fails the first save once crashAfter holds, as a process
// SIGKILLed after some outside effect and before its next save leaves
// things.
type crashingStore struct {
	*store.Store
	crashAfter func() bool
	mu         sync.Mutex
	crashed    bool
}

func (s *crashingStore) UpdateDeployment(ctx context.Context, d store.Deployment) (int64, error) {
	s.mu.Lock()
	crash := !s.crashed && s.crashAfter()
	s.crashed = s.crashed || crash
	s.mu.Unlock()
	if crash {
		return 0, errors.New("killed before the save")
	}
	return s.Store.UpdateDeployment(ctx, d)
}

// TestACrashBeforeTheNextSaveRepeatsNothing: the process dies after an
// outside effect (a dispatch; a health check) and before it saved; the
// next one posts no deployment status twice, dispatches nothing again,
// and carries on.
func TestACrashBeforeTheNextSaveRepeatsNothing(t *testing.T) {
	tests := []struct {
		name       string
		healthOnly bool
		crashAfter func(e *env) bool
	}{
		{"between a dispatch and the next save", false, func(e *env) bool {
			_, d, _ := e.host.snapshot()
			return len(d) > 0
		}},
		{"between a health check and the next save", true, func(e *env) bool {
			e.hmu.Lock()
			defer e.hmu.Unlock()
			return e.healthHits > 0
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, monday)
			if tc.healthOnly {
				e.policy.Deploy[0].Steps = e.policy.Deploy[0].Steps[1:] // health check, soak
			}
			cfg := e.o.cfg
			cfg.Store = &crashingStore{Store: e.st, crashAfter: func() bool { return tc.crashAfter(e) }}
			e.o = &Orchestrator{cfg: cfg, links: &linkCache{}}
			if err := e.o.Release(e.ctx, "github", repo, "v1.2.0", "abc", Actor{Login: "dave"}); err != nil {
				t.Fatal(err)
			}
			bs, err := e.st.Claim(e.ctx, "test", time.Minute, 16)
			if err != nil || len(bs) != 1 {
				t.Fatalf("claim: %v %d", err, len(bs))
			}
			if err := e.o.Process(e.ctx, bs[0]); err == nil {
				t.Fatal("the job survived the crash")
			}
			e.restart() // the job's lease runs out; a new process takes it up
			e.after(2 * time.Minute)
			if !tc.healthOnly {
				e.wantDispatches("deploy.yml@v1.2.0 environment=staging")
				e.runCompleted("success")
			}
			e.after(15 * time.Minute)
			e.wantStatuses("staging@v1.2.0:queued", "staging@v1.2.0:in_progress", "staging@v1.2.0:success", "production@v1.2.0:queued")
		})
	}
}
