package policies

import (
	"testing"
	"time"
)

func TestFreezeNextChange(t *testing.T) {
	p := mustLoad(t, `version: 1
freeze:
  windows:
    - {name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z}
    - {name: weekend, cron: "0 16 * * FRI", duration: 64h, timezone: Europe/Berlin}
    - {name: nights, cron: "0 22 * * *", end_cron: "0 6 * * *", timezone: Europe/Berlin, branches: ["release/*"]}
`)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		name string
		base string
		at   time.Time
		want time.Time
	}{
		{"before the year-end window, a weekend starts first", "main",
			time.Date(2026, 12, 16, 12, 0, 0, 0, time.UTC), time.Date(2026, 12, 18, 16, 0, 0, 0, berlin)},
		{"one second before the fixed window it is its start", "main",
			time.Date(2026, 12, 19, 23, 59, 59, 0, time.UTC).Add(-48 * time.Hour), time.Date(2026, 12, 18, 16, 0, 0, 0, berlin)},
		// Windows overlap: the weekend starts inside the year-end window, and
		// that start is a change too (a window's own override lapses).
		{"inside the fixed window the next change is a window starting inside it", "main",
			time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC), time.Date(2026, 12, 25, 16, 0, 0, 0, berlin)},
		{"inside the fixed window after its last weekend it is its end", "main",
			time.Date(2027, 1, 3, 9, 0, 0, 0, time.UTC), time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)},
		{"inside a weekend in winter the end is Monday 08:00 CET", "main",
			time.Date(2026, 11, 7, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 9, 8, 0, 0, 0, berlin)},
		// Summer time ends on Sunday 25 October 2026: 16:00 CEST Friday plus
		// 64 hours of elapsed time is Monday 07:00 CET on the wall clock.
		{"a weekend across the end of summer time ends 64 elapsed hours later", "main",
			time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC), time.Date(2026, 10, 26, 7, 0, 0, 0, berlin)},
		// The next start after it is 16:00 local on Friday, in CET now.
		{"after that weekend the next start is 16:00 local on Friday", "main",
			time.Date(2026, 10, 26, 12, 0, 0, 0, time.UTC), time.Date(2026, 10, 30, 16, 0, 0, 0, berlin)},
		{"summer time starts: the Friday start stays at 16:00 local", "main",
			time.Date(2026, 3, 25, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 27, 16, 0, 0, 0, berlin)},
		{"a window limited to release branches counts only for them", "release/1.2",
			time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 4, 22, 0, 0, 0, berlin)},
		{"inside a night window the end is 06:00 local", "release/1.2",
			time.Date(2026, 11, 4, 23, 0, 0, 0, time.UTC), time.Date(2026, 11, 5, 6, 0, 0, 0, berlin)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Freeze.NextChange(tt.at, tt.base)
			if !got.Equal(tt.want) {
				t.Errorf("NextChange(%s) = %s, want %s", tt.at, got, tt.want.UTC())
			}
			if tt.at.After(time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)) && tt.at.Before(time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)) {
				return // overlapping windows: frozen on both sides
			}
			// At the instant returned, the freeze's state has changed.
			before := Evaluate(p, &Change{BaseBranch: tt.base}, got.Add(-time.Second))
			after := Evaluate(p, &Change{BaseBranch: tt.base}, got)
			if r1, _ := findResult(before, "freeze"); r1.Status == func() Status { r2, _ := findResult(after, "freeze"); return r2.Status }() {
				t.Errorf("the freeze is %s both just before and at %s", r1.Status, got)
			}
		})
	}
	past := mustLoad(t, "version: 1\nfreeze:\n  windows: [{name: old, start: 2020-01-01T00:00:00Z, end: 2020-01-02T00:00:00Z}]\n")
	if got := past.Freeze.NextChange(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "main"); !got.IsZero() {
		t.Errorf("a window in the past changes again at %s", got)
	}
}
