package policies

import (
	"math/bits"
	"strconv"
	"strings"
)

// The semantics of any_of and all_of, decided here once:
//   - A member rule whose when is false is skipped: in an any_of it does
//     not satisfy it (as in policy-bot), in an all_of it is left out. An
//     entry whose members are all skipped is skipped.
//   - A member whose when, or whose facts, are not known cannot satisfy
//     the entry; when nothing else does, the entry is pending and says why.
//   - A request for changes from someone a member rule that applies would
//     count fails the entry: an objection is not routed around by another
//     alternative. One from someone a member rule that may apply (its when
//     is not known) would count keeps the entry pending.
//   - Within one way of satisfying the entry, a person counts toward one
//     member rule only: all_of [{from: [@acme/sre]}, {from: [@acme/leads]}]
//     needs two people even when one is in both teams. (Separate entries
//     of `approvals` are counted separately, as before.)
//   - When nothing holds, the message names the way closest to holding:
//     the fewest approvals still missing.

// leafEval is one plain rule inside a combination, judged on its own.
type leafEval struct {
	rule *ApprovalRule
	// skipped: its when (or a combination's around it) is false; unsure:
	// whether it applies is not known.
	skipped, unsure bool
	// why is set when the rule cannot be judged (a fact is missing).
	why   string
	tally approvalTally
}

// way is one way of satisfying a combination: the plain rules that must
// all hold, as a set of indices into its leaves (at most 64: Compile
// bounds them).
type way uint64

// each calls fn with the position in the way and the leaf index of each
// of its rules, in leaf order.
func (w way) each(fn func(pos, i int)) {
	pos := 0
	for rest := uint64(w); rest != 0; rest &= rest - 1 {
		fn(pos, bits.TrailingZeros64(rest))
		pos++
	}
}

// scratch holds what evaluating combinations reuses from one entry to the
// next: Evaluate runs on every event.
type scratch struct {
	leaves []leafEval
	m      matcher
	// wayArena backs the lists of ways of one entry (wayList), in
	// wayBuf for the common case.
	wayArena []way
	wayBuf   [16]way
	// Backing arrays for the matcher in the common case.
	peopleBuf                     [16]string
	slotOfBuf, slotRuleBuf, atBuf [16]int
	seenBuf                       [16]bool
}

// combinationResult evaluates an approval entry with any_of or all_of.
func (s *evaluation) combinationResult(key string, r *ApprovalRule) Result {
	res := Result{Rule: key, Name: r.Name}
	if s.scratch == nil {
		sc := &scratch{}
		sc.m.people, sc.m.slotOf, sc.m.slotRule, sc.m.leafAt, sc.m.seen = sc.peopleBuf[:0], sc.slotOfBuf[:0], sc.slotRuleBuf[:0], sc.atBuf[:0], sc.seenBuf[:0]
		s.scratch = sc
	}
	if s.scratch.leaves == nil { // later entries reuse it, growing it if need be
		s.scratch.leaves = make([]leafEval, 0, r.leafCount())
	}
	leaves := s.scratch.leaves[:0]
	s.scratch.wayArena = s.scratch.wayBuf[:0] // the last entry's ways are done with
	s.collectLeaves(r, truthYes, "", &leaves)
	s.scratch.leaves = leaves
	first := 0
	ways, skipped := s.scratch.waysOf(r, leaves, &first)
	if skipped {
		res.Status, res.Message = Skipped, "does not apply to this change: none of its rules applies"
		if msg, ok := notApplying(&r.When); ok {
			res.Message = msg
		}
		return res
	}
	if r, blocked := objection(res, leaves); blocked {
		return r
	}
	best, bestMissing, why := -1, 0, ""
	m := &s.scratch.m
	for wi, w := range ways {
		if reason := unusable(leaves, w); reason != "" {
			if why == "" {
				why = reason
			}
			continue
		}
		missing := m.match(leaves, w)
		if missing == 0 {
			res.Status, res.Message = Pass, m.approvedText(leaves, w)
			return res
		}
		if best < 0 || missing < bestMissing {
			best, bestMissing = wi, missing
			m.keep()
		}
	}
	res.Status = Wait
	if best < 0 {
		res.Message = why
		return res
	}
	res.Message = m.missingTextKept(leaves, ways[best])
	if len(ways) > 1 {
		res.Message += " (closest of " + strconv.Itoa(len(ways)) + " alternatives)"
	}
	return res
}

// objection fails res when someone a member rule that applies would
// count requests changes, and keeps it pending when that rule may apply
// or the requester may be in a team whose members were not read: another
// alternative does not route around an objection.
func objection(res Result, leaves []leafEval) (Result, bool) {
	var unsure *leafEval
	var maybe *leafEval
	for i := range leaves {
		switch l := &leaves[i]; {
		case l.skipped:
		case len(l.tally.blockers) == 0:
			if l.tally.maybeBlocker != "" && maybe == nil {
				maybe = l
			}
		case !l.unsure:
			res.Status = Fail
			res.Message = "changes requested by " + mentions(l.tally.blockers) + ": address the review, then ask for a re-review (or have the review dismissed)"
			return res, true
		case unsure == nil:
			unsure = l
		}
	}
	if unsure == nil {
		if maybe == nil {
			return res, false
		}
		res.Status, res.Message = Wait, maybe.tally.maybeText()
		return res, true
	}
	res.Status = Wait
	res.Message = "changes requested by " + mentions(unsure.tally.blockers) + ", and " + unsure.why + ": address the review, then ask for a re-review (or have the review dismissed)"
	return res, true
}

// collectLeaves judges every plain rule inside r, with the truth of the
// conditions around it (a combination's when holds for all its members).
func (s *evaluation) collectLeaves(r *ApprovalRule, outer truth, outerWhy string, out *[]leafEval) {
	t, why := outer, outerWhy
	if t != truthNo {
		switch rt, rwhy := s.holds(&r.When); rt {
		case truthNo:
			t = truthNo
		case truthUnknown:
			if t == truthYes {
				t, why = truthUnknown, unknownApplies(rwhy, &r.When)
			}
		}
	}
	if r.IsCombination() {
		for i := range r.Members() {
			s.collectLeaves(&r.Members()[i], t, why, out)
		}
		return
	}
	l := leafEval{rule: r, skipped: t == truthNo}
	switch {
	case l.skipped:
	case t == truthUnknown:
		// The rule may apply: its objections hold the entry (objection).
		l.why, l.unsure, l.tally = why, true, s.tally(r)
	case r.CodeOwners && s.c.Files == nil:
		l.why = "the changed files are not known yet, so code owners cannot be checked"
	default:
		l.tally = s.tally(r)
		if w, ok := s.unknownFacts(r, len(l.tally.approvers) > 0); ok {
			l.why = w
		}
		// A request for changes counts even when another fact is missing.
	}
	*out = append(*out, l)
}

// waysOf lists the ways r can be satisfied, as sets of indices into
// leaves (which collectLeaves filled in the same depth-first order);
// skipped reports an r that does not apply. next is the index of r's
// first leaf, advanced past r's leaves.
func (sc *scratch) waysOf(r *ApprovalRule, leaves []leafEval, next *int) (ways []way, skipped bool) {
	if !r.IsCombination() {
		i := *next
		*next++
		if leaves[i].skipped {
			return nil, true
		}
		// A list of one, without room to grow: a caller that appends copies.
		return append(sc.wayList(1), 1<<i), false
	}
	if r.AnyOf != nil {
		return sc.anyWays(r, leaves, next)
	}
	applied := false
	for i := range r.Members() {
		sub, sk := sc.waysOf(&r.Members()[i], leaves, next)
		if sk {
			continue
		}
		if !applied {
			ways = sub
		} else {
			ways = sc.crossWays(ways, sub)
		}
		applied = true
	}
	return ways, !applied
}

// anyWays is waysOf for an any_of: the ways of each member that applies.
func (sc *scratch) anyWays(r *ApprovalRule, leaves []leafEval, next *int) (ways []way, skipped bool) {
	var subsBuf [8][]way
	subs, n := subsBuf[:0], 0
	for i := range r.Members() {
		if sub, sk := sc.waysOf(&r.Members()[i], leaves, next); !sk {
			subs, n = append(subs, sub), n+len(sub)
		}
	}
	if len(subs) == 1 {
		return subs[0], false
	}
	ways = sc.wayList(n)
	for _, sub := range subs {
		ways = append(ways, sub...)
	}
	return ways, len(subs) == 0
}

// crossWays combines every way of a with every way of b.
func (sc *scratch) crossWays(a, b []way) []way {
	out := sc.wayList(len(a) * len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x|y)
		}
	}
	return out
}

// wayList returns an empty list with room for n ways, from wayArena
// while it has room.
func (sc *scratch) wayList(n int) []way {
	k := len(sc.wayArena)
	if cap(sc.wayArena)-k < n {
		return make([]way, 0, n)
	}
	sc.wayArena = sc.wayArena[:k+n]
	return sc.wayArena[k : k : k+n]
}

// unusable says why a way cannot be judged, "" when it can.
func unusable(leaves []leafEval, w way) string {
	why := ""
	w.each(func(_, i int) {
		if why == "" {
			why = leaves[i].why
		}
	})
	return why
}

// matcher assigns approvers to the rules of a way so that each person
// counts toward one rule: a bipartite matching of people to the rules'
// required slots, found with augmenting paths (Kuhn's algorithm; ways
// are short and approvers few).
type matcher struct {
	people []string
	// slotOf[p] is the slot person p fills, -1 for none; slotRule[k] the
	// position in the way of slot k's rule.
	slotOf   []int
	slotRule []int
	// leafAt[pos] is the leaf index of the way's rule at position pos.
	leafAt []int
	seen   []bool
	// kept is the assignment of the closest way so far, for its message.
	keptPeople []string
	keptSlotOf []int
	keptRule   []int
}

// match assigns the approvers of w's rules and returns how many
// approvals are still missing, plus the files without a code owner's
// approval.
func (m *matcher) match(leaves []leafEval, w way) int {
	m.people, m.slotOf, m.slotRule, m.leafAt = m.people[:0], m.slotOf[:0], m.slotRule[:0], m.leafAt[:0]
	missing := 0
	w.each(func(pos, i int) {
		m.leafAt = append(m.leafAt, i)
		l := &leaves[i]
		for _, a := range l.tally.approvers {
			if indexLogin(m.people, a) < 0 {
				m.people = append(m.people, a)
				m.slotOf = append(m.slotOf, -1)
			}
		}
		// Slots beyond the rule's approvers can never be filled.
		filled := min(l.rule.Required, len(l.tally.approvers))
		missing += l.rule.Required - filled + l.tally.uncovered + l.tally.moreUncovered
		for range filled {
			m.slotRule = append(m.slotRule, pos)
		}
	})
	for k := range m.slotRule {
		m.seen = m.seen[:0]
		for range m.people {
			m.seen = append(m.seen, false)
		}
		if !m.augment(leaves, k) {
			missing++
		}
	}
	return missing
}

// augment finds a person for slot k, moving others along if needed.
func (m *matcher) augment(leaves []leafEval, k int) bool {
	for _, a := range leaves[m.leafAt[m.slotRule[k]]].tally.approvers {
		p := indexLogin(m.people, a)
		if m.seen[p] {
			continue
		}
		m.seen[p] = true
		if m.slotOf[p] < 0 || m.augment(leaves, m.slotOf[p]) {
			m.slotOf[p] = k
			return true
		}
	}
	return false
}

// keep saves the current assignment as the closest way's.
func (m *matcher) keep() {
	m.keptPeople = append(m.keptPeople[:0], m.people...)
	m.keptSlotOf = append(m.keptSlotOf[:0], m.slotOf...)
	m.keptRule = append(m.keptRule[:0], m.slotRule...)
}

// assigned returns the people assigned to the rule at position pos.
func assigned(people []string, slotOf, slotRule []int, pos int) []string {
	var out []string
	eachAssigned(people, slotOf, slotRule, pos, func(p string) { out = append(out, p) })
	return out
}

// eachAssigned calls fn with each person assigned to the rule at
// position pos.
func eachAssigned(people []string, slotOf, slotRule []int, pos int, fn func(string)) {
	for p, k := range slotOf {
		if k >= 0 && slotRule[k] == pos {
			fn(people[p])
		}
	}
}

// approvedText describes a way that holds: who approved for each rule.
// It is built in one buffer: a passing entry's message, on every event.
func (m *matcher) approvedText(leaves []leafEval, w way) string {
	var b strings.Builder
	b.Grow(128)
	w.each(func(pos, i int) {
		if pos > 0 {
			b.WriteString("; ")
		}
		if r := leaves[i].rule; r.named {
			b.WriteString(r.Name)
			b.WriteString(": ")
		}
		n := 0
		eachAssigned(m.people, m.slotOf, m.slotRule, pos, func(p string) {
			if n == 0 {
				b.WriteString("approved by @")
			} else {
				b.WriteString(", @")
			}
			b.WriteString(p)
			n++
		})
		if n == 0 {
			b.WriteString("no approval required")
		}
	})
	return b.String()
}

// missingTextKept says what the closest way still needs, rule by rule,
// naming approvers who count toward another rule of it.
func (m *matcher) missingTextKept(leaves []leafEval, w way) string {
	var parts []string
	w.each(func(pos, i int) {
		l := &leaves[i]
		t := l.tally
		t.approvers = assigned(m.keptPeople, m.keptSlotOf, m.keptRule, pos)
		text := missingText(l.rule, &t)
		if text == "" {
			return
		}
		var elsewhere []string
		for _, a := range l.tally.approvers {
			if indexLogin(t.approvers, a) < 0 {
				elsewhere = append(elsewhere, a)
			}
		}
		if len(elsewhere) > 0 {
			text += "; " + mentions(elsewhere) + " already " + plural(len(elsewhere), "counts", "count") + " toward another rule here, and a person counts once"
		}
		parts = append(parts, ruleLabel(l.rule)+text)
	})
	return strings.Join(parts, "; and ")
}

// ruleLabel names a member rule in messages when the policy named it.
func ruleLabel(r *ApprovalRule) string {
	if r.named {
		return r.Name + ": "
	}
	return ""
}

// indexLogin is the index of login in logins, -1 when absent.
func indexLogin(logins []string, login string) int {
	for i, l := range logins {
		if sameLogin(l, login) {
			return i
		}
	}
	return -1
}
