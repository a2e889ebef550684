package policies

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// activeWindow is a freeze window in force on the change's base now.
type activeWindow struct {
	w     *Window
	until time.Time
}

// activeWindows appends to out the windows that freeze the change's base
// at t.
func (s *evaluation) activeWindows(out []activeWindow, t time.Time) []activeWindow {
	for i := range s.p.Freeze.Windows {
		w := &s.p.Freeze.Windows[i]
		if !w.AppliesToBranch(s.c.BaseBranch) {
			continue
		}
		if on, until := w.Active(t); on {
			out = append(out, activeWindow{w: w, until: until})
		}
	}
	return out
}

// freezeRule fails while a window freezes the base, unless the window's
// override holds: `/override-freeze REASON` from enough people of
// freeze.override.from, given while this very occurrence of the window was
// active (an override lasts until the window ends; an approving review is
// no override, nor is a command given before the window started).
func (s *evaluation) freezeRule(out []Result) []Result {
	f := s.p.Freeze
	res := Result{Rule: "freeze", Name: "freeze", Status: Pass, Message: "no freeze window is active"}
	var buf [4]activeWindow
	active := s.activeWindows(buf[:0], s.now)
	if len(active) == 0 {
		return append(out, res)
	}
	var frozen, overridden strings.Builder
	for _, a := range active {
		if f.Override != nil {
			if by := s.overrides(a); len(by) >= f.Override.Approvals {
				writeWindow(&overridden, a)
				overridden.WriteString(" (overridden by " + strings.Join(by, ", ") + ")")
				continue
			}
		}
		writeWindow(&frozen, a)
	}
	if frozen.Len() == 0 {
		res.Message = "frozen: " + overridden.String()
		return append(out, res)
	}
	res.Status = Fail
	if f.Override == nil {
		res.Message = "frozen: " + frozen.String() + "; this freeze has no override: wait until it ends"
		return append(out, res)
	}
	frozen.WriteString("; to ship anyway, ")
	frozen.WriteString(strconv.Itoa(f.Override.Approvals))
	frozen.WriteString(" of ")
	writePrincipals(&frozen, f.Override.From)
	frozen.WriteString(" comment `/override-freeze REASON` while the window is active")
	res.Message = "frozen: " + frozen.String()
	return append(out, res)
}

// writeWindow writes `"name" until Mon 2026-01-04 00:00 UTC`, joining
// windows with " and ".
func writeWindow(b *strings.Builder, a activeWindow) {
	if b.Len() > 0 {
		b.WriteString(" and ")
	}
	var buf [64]byte // room for most names and the time: no allocation
	b.Write(strconv.AppendQuote(buf[:0], a.w.Name))
	b.WriteString(" until ")
	b.Write(a.w.AppendEnd(buf[:0], a.until))
}

// AppendEnd appends to dst the end of an occurrence of the window that
// ends at until, as messages say it: "Mon 2026-01-04 00:00 CET" in the
// window's timezone, or that no end is known (a zero until).
func (w *Window) AppendEnd(dst []byte, until time.Time) []byte {
	if until.IsZero() {
		return append(dst, "an end its end_cron never reaches"...)
	}
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	return until.In(loc).AppendFormat(dst, "Mon 2006-01-02 15:04 MST")
}

// overrides returns who overrode this occurrence of a window, once each,
// as `@login ("reason")`.
func (s *evaluation) overrides(a activeWindow) []string {
	var out, seen []string
	for _, cmd := range s.cmds {
		login := cmd.in.Author.Login
		if cmd.Name != "override-freeze" || strings.TrimSpace(cmd.Args) == "" || containsFold(seen, login) || !s.mayOverride(login) {
			continue
		}
		// The command counts for the occurrence that was active when it
		// was given, and for no other.
		on, until := a.w.Active(cmd.in.CreatedAt)
		if !on || !until.Equal(a.until) {
			continue
		}
		seen = append(seen, login)
		out = append(out, fmt.Sprintf("@%s (%q)", login, cmd.Args))
	}
	return out
}

// mayOverride reports whether login is in freeze.override.from: a login,
// a team member, or the GitHub login notify.slack.users maps to a Slack
// user listed there.
func (s *evaluation) mayOverride(login string) bool {
	from := s.p.Freeze.Override.From
	if includesAny(from, login, s.c.Teams) {
		return true
	}
	for l, id := range s.p.Notify.SlackUsers {
		if !sameLogin(l, login) { // not EqualFold: the Kelvin sign is no k
			continue
		}
		for _, p := range from {
			if p.SlackUser == id {
				return true
			}
		}
	}
	return false
}

// NextChange returns the first instant after t at which a window of the
// rule starts or ends (for a change into base), zero when none ever will:
// the bot evaluates the open changes again at that instant, so a verdict
// follows the freeze without an event on the change.
func (f *FreezeRule) NextChange(t time.Time, base string) time.Time {
	var next time.Time
	for _, w := range f.Windows {
		if len(w.Branches) > 0 && !matchAny(w.Branches, base) {
			continue
		}
		if c := w.nextChange(t); !c.IsZero() && (next.IsZero() || c.Before(next)) {
			next = c
		}
	}
	return next
}

// nextChange is the first instant after t at which the window starts or
// ends.
func (w Window) nextChange(t time.Time) time.Time {
	if w.Schedule == nil {
		for _, c := range []time.Time{w.Start, w.End} {
			if c.After(t) {
				return c
			}
		}
		return time.Time{}
	}
	if on, until := w.Active(t); on {
		return until
	}
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	return w.Schedule.Next(t.In(loc))
}
