package gate

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// acceptLog is a bot.Acceptor that keeps each delivery ID once, as the
// store does.
type acceptLog struct {
	mu   sync.Mutex
	seen map[string]store.Job
}

func (a *acceptLog) Accept(_ context.Context, d store.Delivery, jobs ...store.Job) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, dup := a.seen[d.ID]; dup {
		return true, nil
	}
	a.seen[d.ID] = jobs[0]
	return false, nil
}

func TestSchedulingATrainAgainInsideItsAnnounceWindowQueuesOneAnnouncement(t *testing.T) {
	p, err := policies.Load(".shipgate.yml", []byte(`version: 1
releases:
  schedule: {cron: "0 10 * * TUE", timezone: UTC}
  tag: true
  announce: 24h
`))
	if err != nil {
		t.Fatal(err)
	}
	a := &acceptLog{seen: map[string]store.Job{}}
	// Tuesday 2026-12-08 10:00 UTC leaves; its plan is due Monday 10:00.
	// Three evaluations into the main line after that, minutes apart.
	monday := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		now := monday.Add(time.Duration(i) * 7 * time.Minute)
		if err := ScheduleTrain(context.Background(), a, policies.GitHub, "acme/shop", 0, p, now); err != nil {
			t.Fatal(err)
		}
	}
	var announces, cuts int
	for id, j := range a.seen {
		switch {
		case j.RunAt.Equal(time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)):
			cuts++
		case j.RunAt.Equal(monday):
			announces++
		default:
			t.Errorf("unexpected job %s due %s", id, j.RunAt)
		}
	}
	if announces != 1 || cuts != 1 {
		t.Errorf("queued %d announcement and %d cut jobs, want 1 and 1: %v", announces, cuts, a.seen)
	}
}

func TestTrainsOneFreezeHeldLeaveAsTheLastOfThem(t *testing.T) {
	p, err := policies.Load(".shipgate.yml", []byte(`version: 1
releases:
  schedule: {cron: "0 10 * * TUE", timezone: UTC}
  tag: true
freeze:
  windows:
    - {name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z}
`))
	if err != nil {
		t.Fatal(err)
	}
	ends := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
	dec22, dec29 := time.Date(2026, 12, 22, 10, 0, 0, 0, time.UTC), time.Date(2026, 12, 29, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name      string
		train     time.Time
		now, want time.Time
	}{
		{"the first held train gives way to the last", dec22, ends, dec29},
		{"the last held train cuts", dec29, ends, time.Time{}},
		{"a day later too", dec22, ends.Add(24 * time.Hour), dec29},
		{"a train no freeze held cuts", time.Date(2027, 1, 5, 10, 0, 0, 0, time.UTC), time.Date(2027, 1, 12, 10, 0, 0, 0, time.UTC), time.Time{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr := p.Trains.Train(tt.train, p.Freeze)
			if got := mergedInto(p, tr, tt.now); !got.Equal(tt.want) {
				t.Errorf("mergedInto = %s, want %s", got, tt.want)
			}
		})
	}
}
