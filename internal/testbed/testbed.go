// Package testbed builds whole worlds for end-to-end tests of the bot: a
// fake host (internal/fakegithub, internal/fakegitlab) that the real
// client libraries talk to, a real SQLite store, the real adapters, a
// settable clock and a worker loop that drains the queue, timers included.
// The attack catalogue (bot/attacks_test.go) runs on it.
//
// It is test support: production code must not import it.
package testbed

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	_ "github.com/shipgate/shipgate/bot/store/drivers" // the store opens SQLite and PostgreSQL

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/announce"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakeslack"
	"github.com/shipgate/shipgate/internal/testclock"
	"github.com/shipgate/shipgate/policies"
)

// Secret is the webhook secret of every world.
const Secret = "It's a Secret to Everybody"

// world is what the GitHub and GitLab worlds share: the clock, the store
// and the worker loop over the processors.
type world struct {
	t     testing.TB
	Clock *testclock.Clock
	Store *store.Store
	// Slack is the fake Slack release events are announced to; nil until
	// WithSlack.
	Slack      *fakeslack.Server
	processors map[string]bot.Processor
	seq        int
	// replica is the process that receives and drains now; restore
	// brings back the others' adapters (see Replica).
	replica int
	restore map[int]func()
}

func newWorld(t testing.TB) *world {
	t.Helper()
	clk := testclock.New(time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC))
	st, err := store.OpenWith(context.Background(), filepath.Join(t.TempDir(), "shipgate.db"), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &world{t: t, Clock: clk, Store: st}
}

// orchestrator builds the deployment orchestrator on a host's
// integrations, on the world's store and clock (no Slack).
func (w *world) orchestrator(host policies.Host, in deploy.HostIntegrations) *deploy.Orchestrator {
	o, err := deploy.New(deploy.Config{Store: w.Store, Hosts: map[policies.Host]deploy.HostIntegrations{host: in}, Now: w.Clock.Now, Logger: zerolog.Nop()})
	if err != nil {
		w.t.Fatal(err)
	}
	return o
}

// register routes the kinds of ps to them, and freeze changes to the
// host's job builder.
func (w *world) register(host policies.Host, job review.ChangeJob, ps ...bot.Processor) {
	w.processors = map[string]bot.Processor{}
	for _, p := range ps {
		for _, k := range p.Kinds() {
			w.processors[k] = p
		}
	}
	freeze := review.FreezeChanges{Store: w.Store, Acceptor: w.Store, Jobs: map[policies.Host]review.ChangeJob{host: job}}
	for _, k := range freeze.Kinds() {
		w.processors[k] = freeze
	}
	if w.Slack != nil {
		w.processors[announce.KindAnnounce] = w.announceProcessor()
	}
}

// switchReplica makes replica i current: its adapters are brought back
// with their in-memory state, or built by restart on its first use;
// snapshot captures the current replica's adapters before the switch.
func (w *world) switchReplica(i int, restart func(), snapshot func() func()) {
	if i == w.replica {
		return
	}
	if w.restore == nil {
		w.restore = map[int]func(){}
	}
	w.restore[w.replica] = snapshot()
	w.replica = i
	if r, ok := w.restore[i]; ok {
		r()
		return
	}
	restart()
}

// Drain processes every job that is due, as the workers would, until none
// is left; a failed batch fails the test.
func (w *world) Drain() {
	w.t.Helper()
	for _, err := range w.drain(false) {
		w.t.Fatal(err)
	}
}

// DrainFailing is Drain where processing may fail: a batch that fails is
// dropped, as one that used up its tries, and its error returned.
func (w *world) DrainFailing() []error {
	w.t.Helper()
	return w.drain(true)
}

func (w *world) drain(tolerate bool) []error {
	w.t.Helper()
	ctx := zerolog.Nop().WithContext(context.Background())
	var failed []error
	for range 500 {
		batches, err := w.Store.Claim(ctx, "testbed", time.Hour, 8)
		if err != nil {
			w.t.Fatal(err)
		}
		if len(batches) == 0 {
			return failed
		}
		for _, b := range batches {
			p, ok := w.processors[b.Jobs[0].Kind]
			if !ok {
				w.t.Fatalf("no processor for job kind %s", b.Jobs[0].Kind)
			}
			if err := p.Process(ctx, b); err != nil {
				err = fmt.Errorf("processing %s (permanent %v): %w", b.Key, errors.Is(err, bot.ErrPermanent), err)
				if !tolerate {
					return []error{err}
				}
				failed = append(failed, err)
			}
			if err := w.Store.Complete(ctx, b.Lease, b.IDs()...); err != nil {
				w.t.Fatal(err)
			}
		}
	}
	w.t.Fatal("the queue did not drain")
	return nil
}

// AdvanceTo moves the clock to at and drains what became due (freeze
// changes, timers).
func (w *world) AdvanceTo(at time.Time) {
	w.t.Helper()
	w.Clock.AdvanceTo(at)
	w.Drain()
}

// nextDelivery numbers deliveries.
func (w *world) nextDelivery(prefix string) string {
	w.seq++
	return prefix + "-" + strconv.Itoa(w.seq)
}
