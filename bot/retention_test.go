package bot

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/testclock"
)

func TestRetentionSweepDropsOldBodiesAndCountsThem(t *testing.T) {
	clock := testclock.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	st, err := store.OpenWith(context.Background(), filepath.Join(t.TempDir(), "shipgate.db"), store.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for _, d := range []store.Delivery{
		{Host: "github", ID: "g1", Event: "pull_request", Payload: []byte(`{"a":1}`)},
		{Host: "github", ID: "g2", Event: "pull_request", Payload: []byte(`{"a":2}`)},
		{Host: "slack", ID: "sig:1", Event: "interaction", Payload: []byte(`payload=x`)},
	} {
		if _, err := st.Accept(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(DefaultRetention + time.Hour)
	if _, err := st.Accept(ctx, store.Delivery{Host: "github", ID: "g3", Event: "push", Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	r := &Retention{Store: st, Keep: DefaultRetention, Metrics: NewMetrics(), Logger: zerolog.New(&log), Now: clock.Now}
	if err := r.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, label string
		want        float64
	}{
		{"shipgate_retention_bodies_dropped_total", "github", 2},
		{"shipgate_retention_bodies_dropped_total", "slack", 1},
		{"shipgate_retention_runs_total", "ok", 1},
	} {
		if got := gathered(t, r.Metrics, c.name, c.label); got != c.want {
			t.Errorf("%s{%s} = %v, want %v", c.name, c.label, got, c.want)
		}
	}
	if !strings.Contains(log.String(), `"bodies_dropped":3`) {
		t.Errorf("log: %s", log.String())
	}
	if d, err := st.GetDelivery(ctx, "github", "g3"); err != nil || string(d.Payload) != `{}` {
		t.Errorf("the recent delivery = %+v, %v; want its body kept", d, err)
	}
}

type failingRetentionStore struct{}

func (failingRetentionStore) DropBodies(context.Context, time.Time) (map[string]int64, error) {
	return map[string]int64{"github": 500}, errors.New("database is locked")
}

func (failingRetentionStore) ForgetProbes(context.Context, time.Time) (int64, error) {
	panic("ForgetProbes after a failed DropBodies")
}

func TestRetentionSweepCountsAFailure(t *testing.T) {
	var log bytes.Buffer
	r := &Retention{Store: failingRetentionStore{}, Keep: time.Hour, Metrics: NewMetrics(), Logger: zerolog.New(&log)}
	if err := r.Sweep(context.Background()); err == nil {
		t.Fatal("Sweep succeeded")
	}
	if got := gathered(t, r.Metrics, "shipgate_retention_runs_total", "error"); got != 1 {
		t.Errorf("runs{error} = %v", got)
	}
	// The chunks committed before the failure are counted.
	if got := gathered(t, r.Metrics, "shipgate_retention_bodies_dropped_total", "github"); got != 500 {
		t.Errorf("dropped{github} = %v, want 500", got)
	}
	if !strings.Contains(log.String(), "database is locked") {
		t.Errorf("log: %s", log.String())
	}
}
