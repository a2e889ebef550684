package policies

import (
	"slices"
	"strings"
	"time"
)

// Calendar limits: a listing stops after this many entries, and a window
// whose starts overlap is followed at most this many starts, so that a
// schedule firing every minute cannot make a listing unbounded.
const (
	maxCalendarEntries = 5000
	maxCalendarStarts  = 100_000
)

// FreezeSpan is one occurrence of a freeze window: [Start, End), in the
// window's timezone. Overlapping recurrences of one window are one span,
// as they are one freeze for Active. A zero End is an end that never
// comes (an end_cron that does not fire): frozen from Start on.
type FreezeSpan struct {
	Window     *Window
	Start, End time.Time
}

// Occurrences returns the spans of the window that overlap [from, to),
// in order.
func (w *Window) Occurrences(from, to time.Time) []FreezeSpan {
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	from, to = from.In(loc), to.In(loc)
	if w.Schedule == nil {
		if w.Start.IsZero() || !w.Start.Before(to) || !w.End.After(from) {
			return nil
		}
		return []FreezeSpan{{Window: w, Start: w.Start.In(loc), End: w.End.In(loc)}}
	}
	if w.EndSchedule == nil && w.Duration <= 0 {
		return nil
	}
	var out []FreezeSpan
	start := w.firstStart(from)
	for n := 0; !start.IsZero() && start.Before(to) && n < maxCalendarStarts && len(out) < maxCalendarEntries; n++ {
		end := w.endOf(start)
		if end.IsZero() || end.After(from) {
			out = appendSpan(out, FreezeSpan{Window: w, Start: start, End: end})
		}
		if end.IsZero() {
			break
		}
		start = w.Schedule.Next(start)
	}
	return out
}

// endOf is the end of the recurrence that starts at start; zero when it
// never comes.
func (w *Window) endOf(start time.Time) time.Time {
	if w.EndSchedule != nil {
		return w.EndSchedule.Next(start)
	}
	return start.Add(w.Duration)
}

// firstStart is the start of the first recurrence still in force at or
// after from, walked back over earlier starts chained to it, so that a
// freeze in progress shows when it really began.
func (w *Window) firstStart(from time.Time) time.Time {
	start, ok := latestActivation(w.Schedule, from)
	if !ok || !w.coversFrom(start, from) {
		return w.Schedule.Next(from)
	}
	if w.endOf(start).IsZero() {
		// No end: frozen since any start; the latest one will do.
		return start
	}
	for range maxChainedWindows {
		prev, ok := latestActivation(w.Schedule, start.Add(-time.Second))
		if !ok || !w.coversFrom(prev, start) {
			break
		}
		start = prev
	}
	return start
}

// coversFrom reports whether the recurrence starting at start is still in
// force at t (or has no end).
func (w *Window) coversFrom(start, t time.Time) bool {
	end := w.endOf(start)
	return end.IsZero() || end.After(t)
}

// appendSpan appends s, merged into the last span when they overlap or
// touch.
func appendSpan(out []FreezeSpan, s FreezeSpan) []FreezeSpan {
	if n := len(out); n > 0 {
		last := &out[n-1]
		if last.End.IsZero() {
			return out
		}
		if !s.Start.After(last.End) {
			if s.End.IsZero() || s.End.After(last.End) {
				last.End = s.End
			}
			return out
		}
	}
	return append(out, s)
}

// Occurrences returns every window's spans that overlap [from, to) for
// changes into base ("" for every window), ordered by start, then name.
func (f *FreezeRule) Occurrences(from, to time.Time, base string) []FreezeSpan {
	if f == nil {
		return nil
	}
	var out []FreezeSpan
	for i := range f.Windows {
		w := &f.Windows[i]
		if base != "" && len(w.Branches) > 0 && !matchAny(w.Branches, base) {
			continue
		}
		out = append(out, w.Occurrences(from, to)...)
	}
	slices.SortStableFunc(out, func(a, b FreezeSpan) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Window.Name, b.Window.Name)
	})
	return out
}

// Train is one scheduled release train.
type Train struct {
	// At is the scheduled time, in the schedule's timezone.
	At time.Time
	// Leaves is when the train is cut: At, or the end of the freeze it
	// falls in. Zero when that freeze has no known end.
	Leaves time.Time
	// FrozenBy names the windows that postpone the train; empty when it
	// leaves on time.
	FrozenBy []string
}

// Postponed reports whether a freeze holds the train past its time.
func (t Train) Postponed() bool { return len(t.FrozenBy) > 0 }

// Occurrences returns the trains scheduled in [from, to), each with when
// it leaves under the freeze windows of f that apply to the main line.
func (t *Trains) Occurrences(from, to time.Time, f *FreezeRule) []Train {
	if t == nil || t.Schedule == nil {
		return nil
	}
	var out []Train
	// Next is strictly after its argument; a nanosecond back lets a train
	// at exactly from count (cron works in whole seconds).
	for at := t.Next(from.Add(-time.Nanosecond)); !at.IsZero() && at.Before(to) && len(out) < maxCalendarEntries; at = t.Next(at) {
		out = append(out, t.Train(at, f))
	}
	return out
}

// Next returns the first scheduled time strictly after after, in the
// schedule's timezone; zero when there is none.
func (t *Trains) Next(after time.Time) time.Time {
	loc := t.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.Schedule.Next(after.In(loc))
}

// Train returns the train scheduled at at: when it leaves under the
// freeze windows of f that apply to the main line (a freeze that ends
// into another one postpones it to the last end).
func (t *Trains) Train(at time.Time, f *FreezeRule) Train {
	tr := Train{At: at, Leaves: at}
	if f == nil {
		return tr
	}
	for range maxChainedWindows {
		var until time.Time
		frozen := false
		for i := range f.Windows {
			w := &f.Windows[i]
			if len(w.Branches) > 0 && !matchAny(w.Branches, t.From) {
				continue
			}
			on, end := w.Active(tr.Leaves)
			if !on {
				continue
			}
			frozen = true
			if !slices.Contains(tr.FrozenBy, w.Name) {
				tr.FrozenBy = append(tr.FrozenBy, w.Name)
			}
			if end.IsZero() {
				// Fail closed: no known end, no departure.
				tr.Leaves = time.Time{}
				return tr
			}
			if end.After(until) {
				until = end
			}
		}
		if !frozen {
			return tr
		}
		tr.Leaves = until.In(at.Location())
	}
	return tr
}
