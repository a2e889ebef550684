// Package calendar lists a policy's release trains and freeze windows
// over a period, with the version the next train would cut, and writes the
// listing as text, JSON or iCalendar: `shipgate calendar` and the
// dashboard's freeze calendar share it. It does no I/O beyond the writer
// it is given and reads no clock: the period and the stamp are arguments.
package calendar

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shipgate/shipgate/internal/ical"
	"github.com/shipgate/shipgate/policies"
)

// Calendar is what happens to a repository's releases in [From, To).
type Calendar struct {
	Repo     string    `json:"repo,omitempty"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Schedule *Schedule `json:"schedule,omitempty"`
	Trains   []Train   `json:"trains"`
	Freezes  []Freeze  `json:"freezes"`
}

// Schedule describes the trains (releases).
type Schedule struct {
	Cron     string `json:"cron"`
	Timezone string `json:"timezone"`
	From     string `json:"from"`
	Branch   string `json:"branch,omitempty"`
	Tag      bool   `json:"tag"`
}

// Train is one scheduled train.
type Train struct {
	// At is the scheduled time, in the schedule's timezone.
	At time.Time `json:"at"`
	// Leaves is when it is cut (the end of the freeze that holds it);
	// absent when the freeze has no known end.
	Leaves    *time.Time `json:"leaves,omitempty"`
	Postponed bool       `json:"postponed"`
	FrozenBy  []string   `json:"frozen_by,omitempty"`
	// Version is what the train would cut if it left now (the first
	// train only, when the caller knows it): "" when unknown.
	Version string `json:"version,omitempty"`
}

// Freeze is one occurrence of a freeze window.
type Freeze struct {
	Name  string    `json:"name"`
	Start time.Time `json:"start"`
	// End is absent when the window has no known end.
	End          *time.Time `json:"end,omitempty"`
	Timezone     string     `json:"timezone"`
	Branches     []string   `json:"branches,omitempty"`
	Environments []string   `json:"environments,omitempty"`
}

// Build lists p's trains and freeze windows in [from, to). planned is the
// version the next train would cut now ("" when unknown or none).
func Build(p *policies.Policy, repo string, from, to time.Time, planned string) Calendar {
	c := Calendar{Repo: repo, From: from, To: to, Trains: []Train{}, Freezes: []Freeze{}}
	if t := p.Trains; t != nil {
		c.Schedule = &Schedule{Cron: t.Cron, Timezone: t.Location.String(), From: t.From, Tag: t.Tag}
		if t.Branch != nil {
			c.Schedule.Branch, _ = t.BranchFor("{{.Version}}")
		}
		for i, tr := range t.Occurrences(from, to, p.Freeze) {
			out := Train{At: tr.At, Postponed: tr.Postponed(), FrozenBy: tr.FrozenBy}
			if !tr.Leaves.IsZero() {
				leaves := tr.Leaves
				out.Leaves = &leaves
			}
			if i == 0 {
				out.Version = planned
			}
			c.Trains = append(c.Trains, out)
		}
	}
	for _, s := range p.Freeze.Occurrences(from, to, "") {
		f := Freeze{Name: s.Window.Name, Start: s.Start, Timezone: s.Start.Location().String(), Environments: s.Window.Environments}
		for _, g := range s.Window.Branches {
			f.Branches = append(f.Branches, g.Pattern)
		}
		if !s.End.IsZero() {
			end := s.End
			f.End = &end
		}
		c.Freezes = append(c.Freezes, f)
	}
	return c
}

// stamp formats a time for people, in its own zone.
func stamp(t time.Time) string { return t.Format("Mon 2006-01-02 15:04 MST") }

// Text writes the calendar for people.
func (c Calendar) Text(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Calendar%s from %s to %s\n\n", strings.TrimSuffix(" of "+c.Repo, " of "), stamp(c.From), stamp(c.To))
	if s := c.Schedule; s != nil {
		cuts := []string{}
		if s.Branch != "" {
			cuts = append(cuts, "branch "+s.Branch)
		}
		if s.Tag {
			cuts = append(cuts, "tag")
		}
		fmt.Fprintf(tw, "Release trains (%q, %s) cut %s from %s:\n", s.Cron, s.Timezone, strings.Join(cuts, " and "), s.From)
		for _, t := range c.Trains {
			fmt.Fprintf(tw, "  %s\t%s\n", stamp(t.At), t.describe())
		}
		if len(c.Trains) == 0 {
			fmt.Fprintln(tw, "  none in this period")
		}
	} else {
		fmt.Fprintln(tw, "Release trains: none (the policy has no releases key)")
	}
	fmt.Fprintln(tw, "\nFreeze windows:")
	for _, f := range c.Freezes {
		fmt.Fprintf(tw, "  %s\t%s → %s%s\n", f.Name, stamp(f.Start), f.end(), f.scope())
	}
	if len(c.Freezes) == 0 {
		fmt.Fprintln(tw, "  none in this period")
	}
	return tw.Flush()
}

// describe says what happens to the train.
func (t Train) describe() string {
	var parts []string
	switch {
	case t.Postponed && t.Leaves == nil:
		parts = append(parts, "postponed by "+strings.Join(t.FrozenBy, ", ")+" (no known end: does not leave)")
	case t.Postponed:
		parts = append(parts, "postponed by "+strings.Join(t.FrozenBy, ", ")+" until "+stamp(*t.Leaves))
	default:
		parts = append(parts, "leaves on time")
	}
	if t.Version != "" {
		parts = append(parts, "would cut "+t.Version+" now")
	}
	return strings.Join(parts, "; ")
}

func (f Freeze) end() string {
	if f.End == nil {
		return "(no known end)"
	}
	return stamp(*f.End)
}

func (f Freeze) scope() string {
	var s []string
	if len(f.Branches) > 0 {
		s = append(s, "branches "+strings.Join(f.Branches, ", "))
	}
	if len(f.Environments) > 0 {
		s = append(s, "environments "+strings.Join(f.Environments, ", "))
	}
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, "; ") + ")"
}

// JSON writes the calendar as indented JSON.
func (c Calendar) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// trainLength is how long a train's event lasts in a calendar client.
const trainLength = 15 * time.Minute

// ICS writes the calendar as iCalendar; now is when it is written
// (DTSTAMP). Each train and freeze occurrence keeps its UID from one
// listing to the next (repository, kind, name and start), so that a
// subscribed client updates it in place.
func (c Calendar) ICS(w io.Writer, now time.Time) error {
	cal := ical.Calendar{ProdID: "-//Shipgate//Shipgate calendar//EN", Name: strings.TrimSpace("Shipgate " + c.Repo)}
	for _, t := range c.Trains {
		e := ical.Event{UID: uid(c.Repo, "train", "", t.At), Stamp: now, Start: t.At, End: t.At.Add(trainLength),
			Summary: "Release train", Description: t.describe(), Categories: []string{"release train"}}
		if t.Version != "" {
			e.Summary += " " + t.Version
		}
		if t.Postponed {
			e.Summary += " (postponed)"
		}
		cal.Events = append(cal.Events, e)
	}
	for _, f := range c.Freezes {
		e := ical.Event{UID: uid(c.Repo, "freeze", f.Name, f.Start), Stamp: now, Start: f.Start,
			Summary: "Freeze: " + f.Name, Description: "Freeze window " + f.Name + f.scope(), Categories: []string{"freeze"}}
		if f.End != nil {
			e.End = *f.End
		} else {
			e.End, e.Description = c.To, e.Description+"; no known end"
		}
		cal.Events = append(cal.Events, e)
	}
	return cal.Encode(w)
}

// uid names an occurrence stably.
func uid(repo, kind, name string, start time.Time) string {
	parts := []string{kind}
	if name != "" {
		parts = append(parts, name)
	}
	parts = append(parts, start.UTC().Format("20060102T150405Z"))
	if repo != "" {
		parts = append(parts, repo)
	}
	return strings.Join(parts, "-") + "@shipgate"
}
