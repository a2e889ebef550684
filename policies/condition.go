package policies

import (
	"regexp"
	"strconv"
	"strings"
)

// LineCount is how many lines a change adds and deletes.
type LineCount struct {
	Additions, Deletions int
}

// Total is the lines added plus the lines deleted.
func (l LineCount) Total() int { return l.Additions + l.Deletions }

// LineBounds is a compiled `changed_lines`: Over is -1 and Under 0 when
// not given.
type LineBounds struct {
	Over, Under int
}

// truth is a condition's value when facts may be missing: a missing fact
// leaves it unknown, and `not` keeps it unknown (Kleene logic), so a
// condition never turns a rule off on a fact nobody read.
type truth uint8

const (
	truthNo truth = iota
	truthYes
	truthUnknown
)

// holds evaluates w for the change; why says which fact is missing when
// the answer is unknown.
func (s *evaluation) holds(w *Condition) (t truth, why string) {
	c := s.c
	// Facets that are always known come first: one that fails settles it.
	if len(w.Branches) > 0 && !matchAny(w.Branches, c.BaseBranch) {
		return truthNo, ""
	}
	if len(w.Labels) > 0 && !s.hasAnyLabel(w.Labels...) {
		return truthNo, ""
	}
	if len(w.Titles) > 0 && !matchesAnyRegexp(w.Titles, c.Title) {
		return truthNo, ""
	}
	t = truthYes
	merge := func(ft truth, fwhy string) bool {
		switch ft {
		case truthNo:
			t = truthNo
			return false
		case truthUnknown:
			if t == truthYes {
				t, why = truthUnknown, fwhy
			}
		}
		return true
	}
	if len(w.Authors) > 0 && !merge(s.authorIn(w.Authors)) {
		return truthNo, ""
	}
	if len(w.AuthorsIn) > 0 && !merge(s.authorIn(w.AuthorsIn)) {
		return truthNo, ""
	}
	if w.Lines != nil && !merge(s.linesWithin(*w.Lines)) {
		return truthNo, ""
	}
	if len(w.Paths) > 0 && !merge(s.touchesPaths(w.Paths)) {
		return truthNo, ""
	}
	if w.Not != nil {
		switch nt, nwhy := s.holds(w.Not); nt {
		case truthYes:
			return truthNo, ""
		case truthUnknown:
			merge(truthUnknown, nwhy)
		}
	}
	return t, why
}

// applies reports whether a rule's when: condition holds for the change;
// an unknown answer counts as holding (the caller keeps the rule on).
func (s *evaluation) applies(w Condition) bool {
	t, _ := s.holds(&w)
	return t != truthNo
}

// authorIn is whether the change's author is one of ps, directly or
// through a team; unknown when a team's members were not read.
func (s *evaluation) authorIn(ps []Principal) (truth, string) {
	login := s.c.Author.Login
	var unknownTeam string
	for _, p := range ps {
		switch {
		case p.Login != "":
			if sameLogin(p.Login, login) {
				return truthYes, ""
			}
		case p.Team != "":
			if !teamKnown(s.c.Teams, p.Team) {
				if unknownTeam == "" {
					unknownTeam = p.Team
				}
				continue
			}
			if s.c.Teams.IsMember(p.Team, login) {
				return truthYes, ""
			}
		}
	}
	if unknownTeam != "" {
		return truthUnknown, "the members of @" + unknownTeam + " are not known"
	}
	return truthNo, ""
}

// teamKnown reports whether teams answers for team: a TeamMap answers for
// the teams it holds, other Memberships for every team.
func teamKnown(teams Membership, team string) bool {
	switch m := teams.(type) {
	case nil:
		return false
	case TeamMap:
		if m == nil {
			return false
		}
		if _, ok := m[team]; ok {
			return true
		}
		for t := range m {
			if equalFold(t, team) {
				return true
			}
		}
		return false
	}
	return true
}

// linesWithin compares the change's added plus deleted lines with b.
func (s *evaluation) linesWithin(b LineBounds) (truth, string) {
	if why, ok := s.incomplete(NeedFiles); ok {
		return truthUnknown, "not every changed file could be read (" + why + "), so the number of changed lines is not known"
	}
	if s.c.Lines == nil {
		return truthUnknown, "the number of changed lines is not known"
	}
	n := s.c.Lines.Total()
	if (b.Over >= 0 && n <= b.Over) || (b.Under > 0 && n >= b.Under) {
		return truthNo, ""
	}
	return truthYes, ""
}

// touchesPaths is whether a changed file (or a renamed file's old path)
// matches one of paths; unknown when the files were not all read.
func (s *evaluation) touchesPaths(paths []Glob) (truth, string) {
	for _, f := range s.c.Files {
		if matchAny(paths, f.Path) || (f.PreviousPath != "" && matchAny(paths, f.PreviousPath)) {
			return truthYes, ""
		}
	}
	if why, ok := s.incomplete(NeedFiles); ok {
		return truthUnknown, "not every changed file could be read (" + why + ")"
	}
	if s.c.Files == nil {
		return truthUnknown, "the changed files are not known yet"
	}
	return truthNo, ""
}

// matchesAnyRegexp reports whether one of res matches s.
func matchesAnyRegexp(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// skippedUnless returns a skipped result when the condition does not hold,
// and a pending one when a fact it needs is missing.
func (s *evaluation) skippedUnless(w Condition, key, name string) (Result, bool) {
	switch t, why := s.holds(&w); t {
	case truthYes:
		return Result{}, false
	case truthUnknown:
		return Result{Rule: key, Name: name, Status: Wait, Message: unknownApplies(why, &w)}, true
	}
	msg, ok := notApplying(&w)
	if !ok {
		msg = "does not apply to this change (always)"
	}
	return Result{Rule: key, Name: name, Status: Skipped, Message: msg}, true
}

// notApplying says that a rule does not apply, naming its condition w;
// false when w has no facet. It is built in one buffer: skipped rules
// have this message on every event.
func notApplying(w *Condition) (string, bool) {
	var b strings.Builder
	b.Grow(96)
	b.WriteString("does not apply to this change (when ")
	if !w.writeFacets(&b) {
		return "", false
	}
	b.WriteByte(')')
	return b.String(), true
}

// unknownApplies says that whether a rule applies is not known, and why.
func unknownApplies(why string, w *Condition) string {
	return why + ", so whether this rule applies (" + w.String() + ") is not known"
}

// String describes a condition for messages, e.g. "when paths db/**".
// It is built in one buffer: a skipped rule's message holds it, on every
// event.
func (w Condition) String() string {
	var b strings.Builder
	b.Grow(64)
	b.WriteString("when ")
	if !w.writeFacets(&b) {
		return "always"
	}
	return b.String()
}

// writeFacets writes a description of each facet of w, separated by
// "; ", and reports whether there was any.
func (w *Condition) writeFacets(b *strings.Builder) bool {
	start := b.Len()
	facet := func(name string) {
		if b.Len() > start {
			b.WriteString("; ")
		}
		b.WriteString(name)
	}
	if len(w.Branches) > 0 {
		facet("branches ")
		writeGlobs(b, w.Branches)
	}
	if len(w.Paths) > 0 {
		facet("paths ")
		writeGlobs(b, w.Paths)
	}
	if len(w.Labels) > 0 {
		facet("labels ")
		for i, l := range w.Labels {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(l)
		}
	}
	if len(w.Authors) > 0 {
		facet("authors ")
		writePrincipalList(b, w.Authors)
	}
	if len(w.AuthorsIn) > 0 {
		facet("authors in ")
		writePrincipalList(b, w.AuthorsIn)
	}
	if l := w.Lines; l != nil {
		facet("changed lines ")
		if l.Over >= 0 {
			b.WriteString("over ")
			b.WriteString(strconv.Itoa(l.Over))
		}
		if l.Under > 0 {
			if l.Over >= 0 {
				b.WriteString(" and ")
			}
			b.WriteString("under ")
			b.WriteString(strconv.Itoa(l.Under))
		}
	}
	if len(w.Titles) > 0 {
		facet("title matches ")
		for i, re := range w.Titles {
			if i > 0 {
				b.WriteString(" or ")
			}
			b.WriteByte('`')
			b.WriteString(re.String())
			b.WriteByte('`')
		}
	}
	if w.Not != nil {
		facet("not (")
		w.Not.writeFacets(b)
		b.WriteByte(')')
	}
	return b.Len() > start
}

// conditions yields w and the conditions nested in it (its not:).
func (w *Condition) each(fn func(*Condition)) {
	for c := w; c != nil; c = c.Not {
		fn(c)
	}
}
