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
