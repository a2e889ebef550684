package policies

import (
	"testing"
	"time"
)

// loadWindow compiles one freeze window written as a YAML flow mapping.
func loadWindow(t *testing.T, flow string) Window {
	t.Helper()
	p, err := Load("p.yml", []byte("version: 1\nfreeze:\n  windows:\n    - "+flow+"\n"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return p.Freeze.Windows[0]
}

// windowAt parses an RFC 3339 time.
func windowAt(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestWindowActive(t *testing.T) {
	const (
		yearEnd  = `{name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z}`
		weekend  = `{name: weekend, cron: "0 16 * * FRI", duration: 64h, timezone: Europe/Berlin}`
		gitlab   = `{name: weekend, cron: "0 18 * * FRI", end_cron: "0 8 * * MON", timezone: America/New_York}`
		december = `{name: december, cron: "0 0 1 12 *", end_cron: "0 0 5 1 *"}`
		leapDay  = `{name: leap, cron: "0 0 29 2 *", end_cron: "0 0 1 3 *"}`
	)
	tests := []struct {
		name   string
		window string
		now    string
		active bool
		until  string
	}{
		{"the year-end freeze is off the moment before it starts", yearEnd, "2026-12-19T23:59:59Z", false, ""},
		{"the year-end freeze starts at its start", yearEnd, "2026-12-20T00:00:00Z", true, "2027-01-04T00:00:00Z"},
		{"the year-end freeze holds over new year", yearEnd, "2027-01-01T12:00:00+01:00", true, "2027-01-04T00:00:00Z"},
		{"the year-end freeze is over at its end", yearEnd, "2027-01-04T00:00:00Z", false, ""},

		{"the weekend freeze is off on Friday afternoon", weekend, "2026-03-06T15:59:00+01:00", false, ""},
		{"the weekend freeze starts at 16:00 Berlin time", weekend, "2026-03-06T16:00:00+01:00", true, "2026-03-09T08:00:00+01:00"},
		{"the weekend freeze holds on Sunday", weekend, "2026-03-08T12:00:00Z", true, "2026-03-09T08:00:00+01:00"},
		{"the weekend freeze holds until Monday 08:00", weekend, "2026-03-09T07:59:59+01:00", true, "2026-03-09T08:00:00+01:00"},
		{"the weekend freeze is over on Monday 08:00", weekend, "2026-03-09T08:00:00+01:00", false, ""},
		{"the weekend freeze is off on Wednesday", weekend, "2026-03-11T12:00:00Z", false, ""},
		{"the weekend freeze starts at 16:00 local time in summer", weekend, "2026-07-03T16:00:00+02:00", true, "2026-07-06T08:00:00+02:00"},
		{"64 hours across the spring change end at 09:00 summer time", weekend, "2026-03-30T08:30:00+02:00", true, "2026-03-30T09:00:00+02:00"},
		{"64 hours across the autumn change end at 07:00 winter time", weekend, "2026-10-26T07:30:00+01:00", false, ""},
		{"the autumn weekend ends an hour early on the wall clock", weekend, "2026-10-26T06:59:00+01:00", true, "2026-10-26T07:00:00+01:00"},

		{"a GitLab freeze holds on Saturday", gitlab, "2026-03-07T12:00:00Z", true, "2026-03-09T08:00:00-04:00"},
		{"a GitLab freeze ends at the end cron's wall-clock time across DST", gitlab, "2026-03-09T07:59:00-04:00", true, "2026-03-09T08:00:00-04:00"},
		{"a GitLab freeze is over at its end", gitlab, "2026-03-09T08:00:00-04:00", false, ""},
		{"a GitLab freeze is off midweek", gitlab, "2026-03-11T12:00:00Z", false, ""},
		{"a GitLab freeze starts at the start cron", gitlab, "2026-03-13T18:00:00-04:00", true, "2026-03-16T08:00:00-04:00"},

		{"a month-long freeze found months after a start", december, "2026-12-31T23:00:00Z", true, "2027-01-05T00:00:00Z"},
		{"a month-long freeze is off in summer", december, "2026-07-01T00:00:00Z", false, ""},
		{"a freeze whose start is years back", leapDay, "2027-06-01T00:00:00Z", false, ""},
		{"a leap-day freeze holds on the leap day", leapDay, "2028-02-29T12:00:00Z", true, "2028-03-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := loadWindow(t, tt.window)
			active, until := w.Active(windowAt(t, tt.now))
			if active != tt.active {
				t.Fatalf("Active(%s) = %v, until %v; want %v", tt.now, active, until, tt.active)
			}
			if !active {
				if !until.IsZero() {
					t.Errorf("until = %v for an inactive window", until)
				}
				return
			}
			if want := windowAt(t, tt.until); !until.Equal(want) {
				t.Errorf("until = %v, want %v", until, want)
			}
			if until.Location() != w.Location {
				t.Errorf("until is in %v, want the window's %v", until.Location(), w.Location)
			}
		})
	}
}

func TestWindowActiveChainsOverlappingRecurrences(t *testing.T) {
	// Every day starts a 36-hour window before the last one ends: the
	// freeze lasts as far as Active follows the chain.
	w := loadWindow(t, `{name: always, cron: "@daily", duration: 36h}`)
	active, until := w.Active(windowAt(t, "2026-05-01T12:00:00Z"))
	want := windowAt(t, "2026-05-01T00:00:00Z").Add(maxChainedWindows*24*time.Hour + 36*time.Hour)
	if !active || !until.Equal(want) {
		t.Errorf("Active = %v, until %v; want true, until %v", active, until, want)
	}
}

func TestWindowActiveOfAZeroWindowIsFalse(t *testing.T) {
	if active, until := (Window{}).Active(time.Now()); active || !until.IsZero() {
		t.Errorf("Active = %v, %v", active, until)
	}
}

// countingSchedule counts calls to Next.
type countingSchedule struct {
	Schedule
	calls int
}

func (s *countingSchedule) Next(t time.Time) time.Time {
	s.calls++
	return s.Schedule.Next(t)
}

func TestWindowActiveFindsAnOldStartWithFewLookups(t *testing.T) {
	w := loadWindow(t, `{name: yearly, cron: "0 0 1 1 *", end_cron: "0 0 1 1 *"}`)
	start := &countingSchedule{Schedule: w.Schedule}
	w.Schedule = start
	active, until := w.Active(windowAt(t, "2026-12-31T23:59:00Z"))
	if !active || !until.Equal(windowAt(t, "2027-01-01T00:00:00Z")) {
		t.Errorf("Active = %v, until %v", active, until)
	}
	// A year back is 2^19 minutes: 20 doublings, then a bisection to the
	// second (~25 steps).
	if start.calls > 60 {
		t.Errorf("%d calls to Next, want a look-back in logarithmic steps", start.calls)
	}
}
