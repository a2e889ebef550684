package dashboard

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/ical"
)

// calendarHorizon is how far ahead the calendar and its feed look.
const calendarHorizon = 6 * 7 * 24 * time.Hour

// calendarEntry is a freeze window occurrence or a release train.
type calendarEntry struct {
	RepoRef
	// Kind is "freeze" or "train".
	Kind string
	Name string
	// Start and End bound a freeze (a zero End never comes); a train is
	// scheduled at Start and leaves at End (zero: held by a freeze without
	// end).
	Start, End time.Time
	FrozenBy   []string
}

// Active tells whether a freeze is in force at now.
func (c calendarEntry) Active(now time.Time) bool {
	return c.Kind == "freeze" && !c.Start.After(now) && (c.End.IsZero() || c.End.After(now))
}

type calendarData struct {
	Entries  []calendarEntry
	Problems []string
	From, To time.Time
	FeedURL  string
}

// calendarEntries lists the freezes and trains of the repositories the
// viewer can read in [from, to), by start.
func (d *Dashboard) calendarEntries(ctx context.Context, from, to time.Time) ([]calendarEntry, []string, error) {
	repos, err := d.readableRepos(ctx)
	if err != nil {
		return nil, nil, err
	}
	var out []calendarEntry
	var problems []string
	for _, rp := range d.policiesOf(ctx, repos) {
		if rp.Err != nil {
			problems = append(problems, rp.Repo+": "+policyProblem(rp.Err))
			continue
		}
		if rp.Policy == nil {
			continue
		}
		if f := rp.Policy.Freeze; f != nil {
			for _, s := range f.Occurrences(from, to, "") {
				out = append(out, calendarEntry{RepoRef: rp.RepoRef, Kind: "freeze", Name: s.Window.Name, Start: s.Start, End: s.End})
			}
		}
		for _, t := range rp.Policy.Trains.Occurrences(from, to, rp.Policy.Freeze) {
			out = append(out, calendarEntry{RepoRef: rp.RepoRef, Kind: "train", Name: "release train", Start: t.At, End: t.Leaves, FrozenBy: t.FrozenBy})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, problems, nil
}

// calendarPage shows the next weeks' freezes and trains, and the
// viewer's feed URL to subscribe to.
func (d *Dashboard) calendarPage(w http.ResponseWriter, r *http.Request) {
	from := d.now()
	data := calendarData{From: from, To: from.Add(calendarHorizon)}
	var err error
	if data.Entries, data.Problems, err = d.calendarEntries(r.Context(), data.From, data.To); err != nil {
		d.storeError(w, r, err)
		return
	}
	v, _ := ViewerFrom(r.Context())
	if tok, err := d.feedToken(v); err == nil {
		data.FeedURL = d.link("/calendar.ics?feed=" + tok)
	}
	d.render(w, r, "calendar.html", data)
}

// calendarFeed answers the iCalendar feed of the viewer: the session's,
// or the one a feed token in the URL names (calendar clients send no
// cookie).
func (d *Dashboard) calendarFeed(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if _, ok := ViewerFrom(ctx); !ok {
		v, err := d.feedViewer(r.URL.Query().Get("feed"))
		if err != nil {
			d.log.Info().Str("reason", err.Error()).Msg("dashboard: calendar feed refused")
			http.Error(w, "This calendar link is invalid or expired: copy a new one from the dashboard's Freeze calendar page.", http.StatusUnauthorized)
			return
		}
		ctx = withViewer(ctx, v)
	}
	from := d.now().Add(-7 * 24 * time.Hour)
	entries, _, err := d.calendarEntries(ctx, from, d.now().Add(calendarHorizon))
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	cal := ical.Calendar{ProdID: "-//Shipgate//Shipgate dashboard//EN", Name: "Shipgate freezes and release trains"}
	for _, e := range entries {
		cal.Events = append(cal.Events, d.icalEvent(e))
	}
	var buf bytes.Buffer
	if err := cal.Encode(&buf); err != nil {
		d.log.Error().Err(err).Msg("dashboard: writing the calendar")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// icalEvent is the feed's event of an entry, with a UID that stays the
// same for the same occurrence.
func (d *Dashboard) icalEvent(e calendarEntry) ical.Event {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%s|%s|%d", e.Host, e.Repo, e.Kind, e.Name, e.Start.Unix())))
	ev := ical.Event{UID: hex.EncodeToString(sum[:16]) + "@shipgate", Stamp: d.now(), Start: e.Start, URL: d.link("/calendar"),
		Categories: []string{e.Kind}}
	switch e.Kind {
	case "freeze":
		ev.Summary = "Freeze: " + e.Name + " (" + e.Repo + ")"
		ev.End = e.End
		ev.Description = "Changes into gated branches of " + e.Repo + " wait until the window ends, unless a freeze override is given."
	default:
		ev.Summary = "Release train (" + e.Repo + ")"
		ev.End = e.Start
		if len(e.FrozenBy) > 0 {
			ev.Description = "Postponed by " + strings.Join(e.FrozenBy, ", ")
			if !e.End.IsZero() {
				ev.Description += "; leaves " + e.End.UTC().Format(time.RFC3339)
			}
		}
	}
	return ev
}
