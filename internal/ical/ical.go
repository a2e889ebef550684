// Package ical writes iCalendar (RFC 5545) calendars of timed events:
// text escaped, content lines folded at 75 octets, times in UTC (no
// VTIMEZONE to get wrong: a calendar client shows them in its own zone).
// It does no I/O beyond the writer it is given and imports nothing of
// Shipgate.
package ical

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Calendar is a VCALENDAR.
type Calendar struct {
	// ProdID identifies the product that wrote it, e.g.
	// "-//Shipgate//Shipgate calendar//EN".
	ProdID string
	// Name is shown by clients as the calendar's name (X-WR-CALNAME).
	Name   string
	Events []Event
}

// Event is a VEVENT.
type Event struct {
	// UID identifies the event across versions of the calendar; it must
	// stay the same for the same occurrence so that clients update it in
	// place rather than add a copy.
	UID string
	// Stamp is when this instance of the event was written (DTSTAMP).
	Stamp time.Time
	// Start and End bound the event; a zero End writes no DTEND.
	Start, End  time.Time
	Summary     string
	Description string
	// Categories are written as one CATEGORIES property.
	Categories []string
	// URL links to more about the event; empty: none.
	URL string
}

// ErrInvalid is returned for an event that cannot be written: no UID, no
// stamp, no start, or an end before its start.
var ErrInvalid = errors.New("ical: invalid event")

// Encode writes c to w with CRLF line endings.
func (c *Calendar) Encode(w io.Writer) error {
	for i, e := range c.Events {
		if err := e.validate(); err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
	}
	b := bufio.NewWriter(w)
	l := lineWriter{w: b}
	l.line("BEGIN", "VCALENDAR")
	l.line("VERSION", "2.0")
	l.line("PRODID", Text(c.ProdID))
	l.line("CALSCALE", "GREGORIAN")
	l.line("METHOD", "PUBLISH")
	if c.Name != "" {
		l.line("X-WR-CALNAME", Text(c.Name))
	}
	for _, e := range c.Events {
		l.line("BEGIN", "VEVENT")
		l.line("UID", Text(e.UID))
		l.line("DTSTAMP", utc(e.Stamp))
		l.line("DTSTART", utc(e.Start))
		if !e.End.IsZero() {
			l.line("DTEND", utc(e.End))
		}
		l.line("SUMMARY", Text(e.Summary))
		if e.Description != "" {
			l.line("DESCRIPTION", Text(e.Description))
		}
		if len(e.Categories) > 0 {
			cats := make([]string, len(e.Categories))
			for i, s := range e.Categories {
				cats[i] = Text(s)
			}
			l.line("CATEGORIES", strings.Join(cats, ","))
		}
		if e.URL != "" {
			l.line("URL", e.URL)
		}
		l.line("END", "VEVENT")
	}
	l.line("END", "VCALENDAR")
	if l.err != nil {
		return l.err
	}
	return b.Flush()
}

// validate checks what a client needs to place the event.
func (e Event) validate() error {
	switch {
	case e.UID == "":
		return fmt.Errorf("%w: no UID", ErrInvalid)
	case e.Stamp.IsZero():
		return fmt.Errorf("%w: %s has no stamp (DTSTAMP is required)", ErrInvalid, e.UID)
	case e.Start.IsZero():
		return fmt.Errorf("%w: %s has no start", ErrInvalid, e.UID)
	case !e.End.IsZero() && e.End.Before(e.Start):
		return fmt.Errorf("%w: %s ends before it starts", ErrInvalid, e.UID)
	case strings.ContainsAny(e.URL, "\r\n"):
		return fmt.Errorf("%w: %s has a line break in its URL", ErrInvalid, e.UID)
	}
	return nil
}

// utc formats t as a UTC DATE-TIME (form #2 of RFC 5545 3.3.5).
func utc(t time.Time) string {
	return t.UTC().Format("20060102T150405Z")
}

// Text escapes s as an RFC 5545 TEXT value: backslash, semicolon and comma
// are escaped, line breaks become \n, other control characters (which a
// content line may not hold) are dropped.
func Text(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\', ';', ',':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case '\n':
			b.WriteString(`\n`)
		default:
			if ch < 0x20 && ch != '\t' || ch == 0x7f {
				continue
			}
			b.WriteByte(ch)
		}
	}
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}

// maxLineOctets is the longest a content line may be, CRLF excluded
// (RFC 5545 3.1).
const maxLineOctets = 75

// lineWriter writes folded content lines and keeps the first error.
type lineWriter struct {
	w   *bufio.Writer
	err error
}

// line writes "NAME:value" folded: a line longer than 75 octets is split
// before a character that would cross the limit (never inside a UTF-8
// sequence), each continuation starting with one space.
func (l *lineWriter) line(name, value string) {
	if l.err != nil {
		return
	}
	s := name + ":" + value
	limit := maxLineOctets
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		l.write(s[:cut], "\r\n ")
		s = s[cut:]
		// A continuation's leading space counts toward its 75 octets.
		limit = maxLineOctets - 1
	}
	l.write(s, "\r\n")
}

func (l *lineWriter) write(a, b string) {
	if l.err != nil {
		return
	}
	if _, err := l.w.WriteString(a); err != nil {
		l.err = err
		return
	}
	_, l.err = l.w.WriteString(b)
}
