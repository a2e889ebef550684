package store

import (
	"errors"
	"testing"
	"time"
)

var onceTests = []struct {
	name string
	run  func(t *testing.T, x *suite)
}{
	{"once-only work is claimed by one holder, done once, and retaken after its holder died", testOnce},
}

func testOnce(t *testing.T, x *suite) {
	s := x.s
	claim := func(key, holder string, want bool) {
		t.Helper()
		if got, err := s.ClaimOnce(ctx, key, holder, time.Minute); err != nil || got != want {
			t.Fatalf("ClaimOnce(%s, %s) = %v, %v; want %v", key, holder, got, err, want)
		}
	}
	claim("k", "a", true)
	claim("k", "b", false) // a's lease runs
	claim("k", "a", true)  // a retrying its own claim
	if err := s.FinishOnce(ctx, "k", "b", "x"); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("FinishOnce by a non-holder: %v, want ErrNotHeld", err)
	}
	if err := s.FinishOnce(ctx, "k", "a", "ts-1"); err != nil {
		t.Fatal(err)
	}
	x.clock.Advance(time.Hour)
	claim("k", "b", false) // done: never again, however late
	claim("k", "a", false)
	if note, done, err := s.OnceDone(ctx, "k"); err != nil || !done || note != "ts-1" {
		t.Fatalf("OnceDone = %q, %v, %v", note, done, err)
	}

	// A holder that dies holding the claim: another takes it after the lease.
	claim("j", "a", true)
	x.clock.Advance(59 * time.Second)
	claim("j", "b", false)
	x.clock.Advance(time.Second)
	claim("j", "b", true)
	if err := s.FinishOnce(ctx, "j", "a", ""); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("the dead holder finishes: %v, want ErrNotHeld", err)
	}

	// A released claim is free at once.
	claim("r", "a", true)
	if err := s.ReleaseOnce(ctx, "r", "a"); err != nil {
		t.Fatal(err)
	}
	claim("r", "b", true)
	if _, done, err := s.OnceDone(ctx, "r"); err != nil || done {
		t.Fatalf("a claimed key is done: %v, %v", done, err)
	}
	for _, note := range []string{"first", "second"} {
		if got, err := s.DecideOnce(ctx, "d", note); err != nil || got != "first" {
			t.Fatalf("DecideOnce(%q) = %q, %v; want the first decision", note, got, err)
		}
	}
	if _, err := s.ClaimOnce(ctx, "", "a", time.Minute); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an empty key: %v", err)
	}
}
