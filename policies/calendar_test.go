package policies

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// berlin is Europe/Berlin; 2026-10-25 03:00 CEST falls back to 02:00 CET,
// 2027-03-28 02:00 CET springs to 03:00 CEST.
var berlin = mustLocation("Europe/Berlin")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// spanLines renders spans as "name start → end" in the window's zone.
func spanLines(spans []FreezeSpan) []string {
	var out []string
	for _, s := range spans {
		end := "(no end)"
		if !s.End.IsZero() {
			end = s.End.Format("2006-01-02 15:04 MST")
		}
		out = append(out, s.Window.Name+" "+s.Start.Format("2006-01-02 15:04 MST")+" → "+end)
	}
	return out
}

func calendarPolicy(t *testing.T, src string) *Policy {
	t.Helper()
	return loadPolicyOK(t, "version: 1\n"+src)
}

func TestFreezeOccurrencesCoverEveryWindowForm(t *testing.T) {
	p := calendarPolicy(t, `freeze:
  windows:
    - {name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z}
    - {name: weekend, cron: "0 16 * * FRI", duration: 64h, timezone: Europe/Berlin}
    - {name: gitlab, cron: "0 18 * * WED", end_cron: "0 6 * * THU", timezone: Europe/Berlin}
`)
	from := time.Date(2026, 12, 16, 0, 0, 0, 0, time.UTC)
	got := spanLines(p.Freeze.Occurrences(from, from.AddDate(0, 0, 7), ""))
	want := []string{
		"gitlab 2026-12-16 18:00 CET → 2026-12-17 06:00 CET",
		"weekend 2026-12-18 16:00 CET → 2026-12-21 08:00 CET",
		"year-end 2026-12-20 00:00 UTC → 2027-01-04 00:00 UTC",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFreezeOccurrencesFollowDSTInBerlin(t *testing.T) {
	p := calendarPolicy(t, `freeze:
  windows:
    - {name: weekend, cron: "0 16 * * FRI", duration: 64h, timezone: Europe/Berlin}
    - {name: wall, cron: "0 16 * * FRI", end_cron: "0 8 * * MON", timezone: Europe/Berlin}
`)
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"autumn: a duration is elapsed time, an end_cron is wall-clock time",
			time.Date(2026, 10, 22, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 27, 0, 0, 0, 0, time.UTC),
			[]string{
				"wall 2026-10-23 16:00 CEST → 2026-10-26 08:00 CET",
				"weekend 2026-10-23 16:00 CEST → 2026-10-26 07:00 CET",
			}},
		{"spring: the hour lost moves a duration's end later on the wall clock",
			time.Date(2027, 3, 25, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 30, 0, 0, 0, 0, time.UTC),
			[]string{
				"wall 2027-03-26 16:00 CET → 2027-03-29 08:00 CEST",
				"weekend 2027-03-26 16:00 CET → 2027-03-29 09:00 CEST",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := spanLines(p.Freeze.Occurrences(tt.from, tt.to, ""))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			// The spans agree with Active, which gates changes.
			for _, s := range p.Freeze.Occurrences(tt.from, tt.to, "") {
				for _, at := range []time.Time{s.Start, s.End.Add(-time.Minute)} {
					if on, until := s.Window.Active(at); !on || !until.Equal(s.End) {
						t.Errorf("%s at %s: Active = %v until %s, span ends %s", s.Window.Name, at, on, until, s.End)
					}
				}
				if on, _ := s.Window.Active(s.End); on {
					t.Errorf("%s still active at its span's end %s", s.Window.Name, s.End)
				}
			}
		})
	}
}

func TestFreezeOccurrencesShowAFreezeInProgressFromItsStart(t *testing.T) {
	// Starts every day at 18:00 for 36h: the recurrences chain into one
	// freeze, shown from the first start even when listed from its middle.
	p := calendarPolicy(t, `freeze:
  windows:
    - {name: chained, cron: "0 18 * * MON,TUE", duration: 36h}
`)
	from := time.Date(2026, 12, 9, 0, 0, 0, 0, time.UTC) // Wednesday
	got := spanLines(p.Freeze.Occurrences(from, from.AddDate(0, 0, 2), ""))
	want := []string{"chained 2026-12-07 18:00 UTC → 2026-12-10 06:00 UTC"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestFreezeOccurrencesKeepToTheBranch(t *testing.T) {
	p := calendarPolicy(t, `freeze:
  windows:
    - {name: lines, start: 2026-12-20T00:00:00Z, end: 2026-12-21T00:00:00Z, branches: ["release/*"]}
    - {name: all, start: 2026-12-22T00:00:00Z, end: 2026-12-23T00:00:00Z}
`)
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if got := spanLines(p.Freeze.Occurrences(from, from.AddDate(0, 1, 0), "main")); len(got) != 1 || !strings.HasPrefix(got[0], "all ") {
		t.Errorf("main: %q", got)
	}
	if got := p.Freeze.Occurrences(from, from.AddDate(0, 1, 0), ""); len(got) != 2 {
		t.Errorf("every branch: %q", spanLines(got))
	}
}

// neverSchedule never fires: an end_cron whose end never comes.
type neverSchedule struct{}

func (neverSchedule) Next(time.Time) time.Time { return time.Time{} }

func TestTrainsLeaveAtTheirTimeOrWhenTheFreezeEnds(t *testing.T) {
	p := calendarPolicy(t, `releases:
  schedule: {cron: "0 10 * * TUE", timezone: Europe/Berlin}
  branch: "release/{{.Version}}"
freeze:
  windows:
    - {name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z}
    - {name: new-year, start: 2027-01-04T00:00:00Z, end: 2027-01-06T12:00:00Z}
    - {name: lines-only, start: 2026-12-14T00:00:00Z, end: 2026-12-16T00:00:00Z, branches: ["release/*"]}
`)
	from := time.Date(2026, 12, 15, 9, 0, 0, 0, time.UTC) // Tue 10:00 CET: exactly a train
	var got []string
	for _, tr := range p.Trains.Occurrences(from, time.Date(2027, 1, 13, 0, 0, 0, 0, time.UTC), p.Freeze) {
		line := tr.At.Format("2006-01-02 15:04 MST")
		if tr.Postponed() {
			line += " postponed by " + strings.Join(tr.FrozenBy, ", ") + " to " + tr.Leaves.Format("2006-01-02 15:04 MST")
		}
		got = append(got, line)
	}
	want := []string{
		"2026-12-15 10:00 CET", // a window on release/* does not hold the main line
		"2026-12-22 10:00 CET postponed by year-end, new-year to 2027-01-06 13:00 CET",
		"2026-12-29 10:00 CET postponed by year-end, new-year to 2027-01-06 13:00 CET",
		"2027-01-05 10:00 CET postponed by new-year to 2027-01-06 13:00 CET",
		"2027-01-12 10:00 CET",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestTrainsKeepTheirWallClockTimeAcrossDST(t *testing.T) {
	p := calendarPolicy(t, "releases: {schedule: {cron: \"0 10 * * TUE\", timezone: Europe/Berlin}, tag: true}\n")
	trains := p.Trains.Occurrences(time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 28, 0, 0, 0, 0, time.UTC), nil)
	if len(trains) != 2 {
		t.Fatalf("trains: %v", trains)
	}
	if a, b := trains[0].At.UTC().Hour(), trains[1].At.UTC().Hour(); a != 8 || b != 9 {
		t.Errorf("UTC hours %d and %d, want 8 (CEST) and 9 (CET)", a, b)
	}
	// [from, to): a train at to is not listed.
	if got := p.Trains.Occurrences(trains[0].At.Add(-time.Hour), trains[0].At, nil); len(got) != 0 {
		t.Errorf("a train at the end of the range is listed: %v", got)
	}
}

func TestATrainInAFreezeWithNoKnownEndNeverLeaves(t *testing.T) {
	daily, err := freezeCron.Parse("0 10 * * *")
	if err != nil {
		t.Fatal(err)
	}
	f := &FreezeRule{Windows: []Window{{Name: "open", Schedule: daily, EndSchedule: neverSchedule{}}}}
	trains := &Trains{Schedule: daily, Location: time.UTC, From: "main"}
	tr := trains.Train(time.Date(2026, 12, 15, 10, 0, 0, 0, time.UTC), f)
	if !tr.Postponed() || !tr.Leaves.IsZero() {
		t.Errorf("train = %+v, want postponed with no departure", tr)
	}
	spans := f.Occurrences(time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), "")
	if got := spanLines(spans); !slices.Equal(got, []string{"open 2026-12-14 10:00 UTC → (no end)"}) {
		t.Errorf("spans: %q", got)
	}
}
