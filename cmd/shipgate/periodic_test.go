package main

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// scriptedTicker answers ClaimTick from a script: an error, not my turn,
// then my turn.
type scriptedTicker struct {
	mu      sync.Mutex
	answers []error // nil: my turn; errNotMine: another's
	asked   []string
}

var errNotMine = errors.New("another replica's turn")

func (s *scriptedTicker) ClaimTick(_ context.Context, name, worker string, every time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, name+"/"+worker+"/"+every.String())
	a := s.answers[0]
	s.answers = s.answers[1:]
	switch {
	case a == nil:
		return true, nil
	case errors.Is(a, errNotMine):
		return false, nil
	default:
		return false, a
	}
}

func TestOnePerPeriodRunsOnlyOnItsTurn(t *testing.T) {
	tk := &scriptedTicker{answers: []error{errors.New("database is locked"), errNotMine, nil}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	runs := 0
	err := onePerPeriod(ctx, tk, "retention", "replica-a", 4*time.Second, zerolog.Nop(), func(context.Context) {
		runs++
		cancel() // one run is enough to see
	})
	if err != nil || runs != 1 {
		t.Fatalf("onePerPeriod = %v after %d runs, want one run", err, runs)
	}
	if len(tk.asked) != 3 || tk.asked[2] != "retention/replica-a/4s" {
		t.Errorf("asked %v: want three asks a second apart (a quarter period), after an error and another's turn", tk.asked)
	}
}
