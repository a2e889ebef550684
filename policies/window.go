package policies

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Active reports whether the window covers now and, when it does, until
// when: the first instant it no longer does, in the window's Location;
// zero when the end is unknown (an end_cron that does not fire within
// cron's five-year horizon: frozen, failing closed).
//
// Cron windows are evaluated in the window's Location (UTC when nil), so
// "0 16 * * FRI" means 16:00 local time on either side of a DST change; a
// duration is elapsed time, so a window that spans a DST change ends an
// hour earlier or later on the wall clock (use end_cron to end at a
// wall-clock time).
func (w Window) Active(now time.Time) (active bool, until time.Time) {
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	switch {
	case w.Schedule == nil:
		if w.Start.IsZero() && w.End.IsZero() {
			return false, time.Time{}
		}
		if !now.Before(w.Start) && now.Before(w.End) {
			return true, w.End.In(loc)
		}
		return false, time.Time{}
	case w.EndSchedule != nil:
		start, ok := latestActivation(w.Schedule, now)
		if !ok {
			return false, time.Time{}
		}
		end := w.EndSchedule.Next(start)
		if end.IsZero() {
			// The end never comes (within cron's 5-year horizon): fail
			// closed, frozen with no known end.
			return true, time.Time{}
		}
		if now.Before(end) {
			return true, end
		}
		return false, time.Time{}
	default:
		if w.Duration <= 0 {
			return false, time.Time{}
		}
		start := w.Schedule.Next(now.Add(-w.Duration))
		if start.IsZero() || start.After(now) {
			return false, time.Time{}
		}
		// Later starts may fall before this window ends (a duration
		// longer than the schedule's period): the freeze lasts until the
		// last of the chained windows ends.
		until = start.Add(w.Duration)
		for range maxChainedWindows {
			next := w.Schedule.Next(start)
			if next.IsZero() || next.After(until) {
				break
			}
			start, until = next, next.Add(w.Duration)
		}
		return true, until
	}
}

// maxChainedWindows bounds how many overlapping recurrences Active follows
// to find when a freeze ends; beyond it, until is a lower bound.
const maxChainedWindows = 1000

// maxLookBack bounds the search for the latest start of an end_cron
// window; cron itself looks at most five years ahead.
const maxLookBack = 6 * 366 * 24 * time.Hour

// latestActivation returns the latest activation of s at or before now.
// It looks back exponentially (1m, 2m, 4m … up to maxLookBack) for an
// interval that holds one, then bisects to the latest one: about 2·log2
// of the gap calls to Next, never a scan minute by minute.
func latestActivation(s Schedule, now time.Time) (time.Time, bool) {
	lo := time.Time{}
	for back := time.Minute; ; back *= 2 {
		back = min(back, maxLookBack)
		t := now.Add(-back)
		if n := s.Next(t); !n.IsZero() && !n.After(now) {
			lo = t
			break
		}
		if back == maxLookBack {
			break
		}
	}
	if lo.IsZero() {
		return time.Time{}, false
	}
	// Invariant: Next(lo) <= now < Next(hi).
	hi := now
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2)
		if n := s.Next(mid); !n.IsZero() && !n.After(now) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return s.Next(lo), true
}

// freezeCron parses freeze windows' cron expressions: five fields (minute
// hour day-of-month month day-of-week, names such as FRI allowed) or a
// descriptor (@yearly, @monthly, @weekly, @daily, @hourly).
var freezeCron = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// cronReference is a fixed instant to check that a schedule ever fires
// (compiling reads no clock).
var cronReference = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// cron compiles a freeze window's cron expression.
func (c *policyCompiler) cron(path, spec string) Schedule {
	const form = `write five fields (minute hour day-of-month month day-of-week), e.g. "0 16 * * FRI", or @daily, @weekly, @monthly, @yearly`
	switch {
	case strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ="):
		c.errorf(path, "%s: give the timezone in the window's timezone key, not in the cron expression", quoteValue(spec))
		return nil
	case strings.HasPrefix(spec, "@every"):
		c.errorf(path, "%s: @every is not anchored to the calendar; %s", quoteValue(spec), form)
		return nil
	}
	s, err := freezeCron.Parse(spec)
	if err != nil {
		c.errorf(path, "invalid cron expression %s: %s; %s", quoteValue(spec), cronProblem(err), form)
		return nil
	}
	if s.Next(cronReference).IsZero() {
		c.errorf(path, "cron expression %s never fires (no such date)", quoteValue(spec))
		return nil
	}
	return s
}

// cronUnknownValue matches robfig/cron's error for a field value that is
// neither a number nor a known name.
var cronUnknownValue = regexp.MustCompile(`^failed to parse int from (.*): strconv\.Atoi: .*$`)

// cronProblem rewords robfig/cron's parse errors where they show Go
// internals.
func cronProblem(err error) string {
	if m := cronUnknownValue.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Sprintf("%s is neither a number nor a name (JAN…DEC, SUN…SAT)", quoteValue(m[1]))
	}
	return err.Error()
}

// freeze compiles `freeze`. slackUsers (login → Slack user) tells which
// override approvers are the same person.
func (c *policyCompiler) freeze(f *FreezeConfig, slackUsers map[string]string) *FreezeRule {
	if f == nil {
		return nil
	}
	r := &FreezeRule{}
	if len(f.Windows) == 0 {
		c.errorf("freeze.windows", `missing; add at least one window, e.g. {name: weekend, cron: "0 16 * * FRI", duration: 64h}`)
	}
	names := map[string]string{}
	for i, wc := range f.Windows {
		path := pathIndex("freeze.windows", i)
		switch prev, dup := names[wc.Name]; {
		case wc.Name == "":
			c.errorf(pathKey(path, "name"), "missing; every window needs a name, shown when it freezes a change")
		case dup:
			c.errorf(pathKey(path, "name"), "duplicate window name %s (also %s)", quoteValue(wc.Name), prev)
		default:
			names[wc.Name] = path
		}
		if w, ok := c.window(path, wc); ok {
			r.Windows = append(r.Windows, w)
		}
	}
	if o := f.Override; o != nil {
		ov := &Override{Approvals: o.Approvals, From: c.principals("freeze.override.from", o.From, true)}
		switch {
		case o.Approvals == 0 && !c.given("freeze.override.approvals"):
			c.errorf("freeze.override.approvals", "missing; say how many approvals an override needs (1 to %d)", maxRequired)
		case o.Approvals < 1 || o.Approvals > maxRequired:
			c.errorf("freeze.override.approvals", "%d is out of range; allowed: 1 to %d", o.Approvals, maxRequired)
		default:
			c.checkEnough("freeze.override.approvals", o.Approvals, ov.From, slackUsers)
		}
		if len(o.From) == 0 {
			c.errorf("freeze.override.from", "missing; list who may override a freeze: logins, @org/team, slack:U… or slack:S…")
		}
		r.Override = ov
	}
	return r
}

// window compiles one freeze window in one of its three forms.
func (c *policyCompiler) window(path string, wc WindowConfig) (Window, bool) {
	w := Window{Name: wc.Name, Location: time.UTC, Branches: c.globs(pathKey(path, "branches"), wc.Branches), Environments: wc.Environments}
	before := len(c.errs)
	fixed := wc.Start != "" || wc.End != ""
	recurring := wc.Cron != "" || wc.Duration != "" || wc.EndCron != ""
	switch {
	case fixed && recurring:
		c.errorf(path, "mixes a fixed window (start, end) with a recurring one (cron with duration or end_cron); keep one form")
	case fixed:
		w.Start = c.timestamp(pathKey(path, "start"), wc.Start)
		w.End = c.timestamp(pathKey(path, "end"), wc.End)
		if !w.Start.IsZero() && !w.End.IsZero() && !w.End.After(w.Start) {
			c.errorf(pathKey(path, "end"), "%s is not after start %s", wc.End, wc.Start)
		}
		if wc.Timezone != "" {
			c.errorf(pathKey(path, "timezone"), "has no effect on a fixed window; give start and end with their UTC offset, e.g. 2026-12-20T00:00:00+01:00")
		}
	case recurring:
		if wc.Cron == "" {
			c.errorf(pathKey(path, "cron"), "missing; duration and end_cron need a cron expression for the start")
		} else {
			w.Schedule = c.cron(pathKey(path, "cron"), wc.Cron)
		}
		switch {
		case wc.Duration != "" && wc.EndCron != "":
			c.errorf(pathKey(path, "end_cron"), "give either duration or end_cron, not both")
		case wc.Duration != "":
			w.Duration = c.duration(pathKey(path, "duration"), wc.Duration, 0)
		case wc.EndCron != "":
			w.EndSchedule = c.cron(pathKey(path, "end_cron"), wc.EndCron)
		case !c.badUnder(path):
			c.errorf(path, "a cron window needs duration (e.g. 64h) or end_cron (e.g. \"0 8 * * MON\")")
		}
		if wc.Timezone != "" {
			loc, err := time.LoadLocation(wc.Timezone)
			if err != nil || wc.Timezone == "Local" {
				c.errorf(pathKey(path, "timezone"), "unknown timezone %s; use an IANA name such as Europe/Berlin, America/New_York or UTC", quoteValue(wc.Timezone))
			} else {
				w.Location = loc
			}
		}
	case !c.badUnder(path):
		c.errorf(path, "empty window; give start and end, or cron with duration or end_cron")
	}
	return w, len(c.errs) == before
}

// timestamp parses an RFC 3339 date-time.
func (c *policyCompiler) timestamp(path, s string) time.Time {
	if s == "" {
		c.errorf(path, "missing; a fixed window needs both start and end")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		c.errorf(path, "%s is not an RFC 3339 date-time; write e.g. 2026-12-20T00:00:00Z or 2026-12-20T00:00:00+01:00", quoteValue(s))
		return time.Time{}
	}
	return t
}

// windowEnvironments checks that the environments freeze windows name are
// deployment environments of the policy.
func (c *policyCompiler) windowEnvironments(windows []WindowConfig, envs []Environment) {
	var names []string
	for _, e := range envs {
		names = append(names, e.Name)
	}
	for i, wc := range windows {
		for j, name := range wc.Environments {
			at := pathIndex(pathKey(pathIndex("freeze.windows", i), "environments"), j)
			switch {
			case !envName.MatchString(name):
				c.errorf(at, "%s is not an environment name; use the name of one of deploy.environments", quoteValue(name))
			case len(names) == 0:
				c.errorf(at, "names the environment %s, but the policy has no deploy.environments", quoteValue(name))
			case !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, name) }):
				msg := fmt.Sprintf("unknown environment %s", quoteValue(name))
				if s := closestName(name, names); s != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", quoteValue(s))
				}
				c.errorf(at, "%s; environments: %s", msg, strings.Join(names, ", "))
			}
		}
	}
}

// AppliesToBranch reports whether the window freezes changes into the
// branch base (every branch when the window names none).
func (w Window) AppliesToBranch(base string) bool {
	return len(w.Branches) == 0 || matchAny(w.Branches, base)
}

// AppliesTo reports whether the window freezes the deployment environment
// env (every environment when the window names none).
func (w Window) AppliesTo(env string) bool {
	if len(w.Environments) == 0 {
		return true
	}
	for _, e := range w.Environments {
		if strings.EqualFold(e, env) {
			return true
		}
	}
	return false
}
