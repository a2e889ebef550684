package policies

import (
	"fmt"
	"regexp"
	"strings"
)

// Limits of rule logic: they keep a policy readable and Evaluate cheap.
const (
	// maxCombinationDepth bounds how deep any_of/all_of nest (an entry
	// with any_of is depth 1, an all_of inside it depth 2…).
	maxCombinationDepth = 4
	// maxCombinationWays bounds the ways an entry can be satisfied (the
	// product of its any_of sizes, through its all_of): each is tried.
	maxCombinationWays = 32
	// maxCombinationRules bounds the plain rules inside one entry (a way
	// is a set of them, held in 64 bits).
	maxCombinationRules = 64
	// maxNotDepth bounds how deep `not` nests in one when.
	maxNotDepth = 3
)

// whenLogic compiles the facets of when that rule logic adds: authors_in,
// changed_lines, title and not.
func (c *policyCompiler) whenLogic(path string, w *When, cond *Condition) {
	for i, s := range w.AuthorsIn {
		at := pathIndex(pathKey(path, "authors_in"), i)
		p, err := ParsePrincipal(s)
		if err != nil || p.Team == "" {
			c.errorf(at, "%s is not a team; authors_in takes teams written @org/team (GitLab: @group/subgroup); list single people under authors", quoteValue(s))
			continue
		}
		cond.AuthorsIn = append(cond.AuthorsIn, p)
	}
	if l := w.ChangedLines; l != nil {
		cond.Lines = c.lineBounds(pathKey(path, "changed_lines"), l)
	}
	for i, s := range w.Title {
		at := pathIndex(pathKey(path, "title"), i)
		if s == "" {
			c.errorf(at, "empty pattern; write a regular expression such as '^revert' or '(?i)\\bhotfix\\b'")
			continue
		}
		re, err := regexp.Compile(s)
		if err != nil {
			c.errorf(at, "invalid regular expression %s: %v (RE2 syntax: no look-around or back-references)", quoteValue(s), regexpProblem(err))
			continue
		}
		cond.Titles = append(cond.Titles, re)
	}
	if w.Not == nil {
		return
	}
	at := pathKey(path, "not")
	switch {
	case strings.Count(at, ".not") > maxNotDepth:
		c.errorf(at, "not is nested more than %d deep; write the condition without double negation", maxNotDepth)
	case emptyWhen(w.Not):
		c.errorf(at, "not: {} holds for no change, so the rule would never apply; give the condition to negate, e.g. not: {labels: [trivial]}")
	default:
		inner := c.when(at, w.Not)
		cond.Not = &inner
		if len(w.Not.Paths) > 0 {
			c.warnf(pathKey(at, "paths"), "not: {paths: ...} holds only when no changed file matches: a change that adds one matching file (a doc to a code change) skips the rule; to exempt changes made only of such files, give the other paths instead")
		}
	}
}

// emptyWhen reports whether a when has no facet.
func emptyWhen(w *When) bool {
	return len(w.Branches) == 0 && len(w.Paths) == 0 && len(w.Labels) == 0 && len(w.Authors) == 0 &&
		len(w.AuthorsIn) == 0 && w.ChangedLines == nil && len(w.Title) == 0 && w.Not == nil
}

// lineBounds compiles changed_lines.
func (c *policyCompiler) lineBounds(path string, l *LinesConfig) *LineBounds {
	b := &LineBounds{Over: -1}
	ok := true
	switch {
	case l.Over == nil && l.Under == nil:
		c.errorf(path, "give over, under or both, e.g. changed_lines: {over: 500}")
		return nil
	case l.Over != nil && *l.Over < 0:
		c.errorf(pathKey(path, "over"), "%d is negative; over counts lines, from 0", *l.Over)
		ok = false
	case l.Over != nil:
		b.Over = *l.Over
	}
	if l.Under != nil {
		if *l.Under < 1 {
			c.errorf(pathKey(path, "under"), "%d holds for no change; under counts lines and must be at least 1", *l.Under)
			ok = false
		} else {
			b.Under = *l.Under
		}
	}
	if ok && b.Over >= 0 && b.Under > 0 && b.Under <= b.Over+1 {
		c.errorf(path, "over %d and under %d hold for no change: no line count is above %d and below %d", b.Over, b.Under, b.Over, b.Under)
		ok = false
	}
	if !ok {
		return nil
	}
	return b
}

// combination compiles an approval entry with any_of or all_of at depth
// (1 for a top-level entry).
func (c *policyCompiler) combination(path string, a ApprovalConfig, name string, depth int) ApprovalRule {
	r := ApprovalRule{Name: name, named: a.Name != "", When: c.when(pathKey(path, "when"), a.When)}
	c.onlyOnMembers(path, a)
	key, members := "any_of", a.AnyOf
	if a.AnyOf == nil {
		key, members = "all_of", a.AllOf
	} else if a.AllOf != nil {
		c.errorf(pathKey(path, "all_of"), "give any_of or all_of, not both; nest one inside the other, e.g. any_of: [{all_of: [...]}, {...}]")
	}
	at := pathKey(path, key)
	if len(members) == 0 {
		c.errorf(at, "empty %s; list the approval rules it combines, e.g. %s: [{from: [\"@acme/sre\"]}, {required: 2}]", key, key)
	}
	if depth > maxCombinationDepth {
		c.errorf(at, "any_of and all_of nest more than %d deep; flatten the rules", maxCombinationDepth)
		return r
	}
	names := map[string]string{}
	out := make([]ApprovalRule, 0, len(members))
	for i, m := range members {
		mp := pathIndex(at, i)
		mname := m.Name
		if mname == "" {
			mname = mp
		} else if prev, dup := names[strings.ToLower(mname)]; dup {
			c.errorf(pathKey(mp, "name"), "duplicate rule name %s (also %s); names must differ", quoteValue(mname), prev)
		} else {
			names[strings.ToLower(mname)] = mp
		}
		if m.AnyOf != nil || m.AllOf != nil {
			out = append(out, c.combination(mp, m, mname, depth+1))
		} else {
			out = append(out, c.approval(mp, m, mname))
		}
	}
	if key == "any_of" {
		r.AnyOf = out
	} else {
		r.AllOf = out
	}
	if depth == 1 {
		if n := r.leafCount(); n > maxCombinationRules {
			c.errorf(at, "%s combines %d rules; at most %d are allowed: split it into separate entries", quoteValue(name), n, maxCombinationRules)
		}
		if n := r.ways(); n > maxCombinationWays {
			c.errorf(at, "%s can be satisfied in %d ways (the product of its any_of sizes); at most %d are allowed: split it into separate entries", quoteValue(name), n, maxCombinationWays)
		}
	}
	return r
}

// onlyOnMembers reports the counting keys of a combination: they belong on
// its member rules.
func (c *policyCompiler) onlyOnMembers(path string, a ApprovalConfig) {
	given := []struct {
		key string
		set bool
	}{
		{"required", a.Required != nil}, {"from", a.From != nil}, {"codeowners", a.CodeOwners},
		{"allow_author", a.AllowAuthor}, {"allow_contributor", a.AllowContributor}, {"dismiss_stale", a.DismissStale != nil},
	}
	for _, g := range given {
		if g.set {
			c.errorf(pathKey(path, g.key), "%s belongs on the rules inside any_of/all_of: an entry that combines rules has only name, when and the rules", g.key)
		}
	}
}

// ways counts the ways r can be satisfied: 1 for a plain rule, the sum
// over an any_of, the product over an all_of (capped to stay small).
func (r *ApprovalRule) ways() int {
	switch {
	case r.AnyOf != nil:
		n := 0
		for i := range r.AnyOf {
			n += r.AnyOf[i].ways()
		}
		return min(n, 1<<20)
	case r.AllOf != nil:
		n := 1
		for i := range r.AllOf {
			n *= r.AllOf[i].ways()
			if n > 1<<20 {
				return 1 << 20
			}
		}
		return n
	}
	return 1
}

// leafCount is the number of plain rules in r.
func (r *ApprovalRule) leafCount() int {
	if !r.IsCombination() {
		return 1
	}
	n := 0
	for i := range r.Members() {
		n += r.Members()[i].leafCount()
	}
	return n
}

// IsCombination reports whether r combines member rules (any_of/all_of).
func (r *ApprovalRule) IsCombination() bool { return r.AnyOf != nil || r.AllOf != nil }

// Members returns the member rules of a combination, nil for a plain rule.
func (r *ApprovalRule) Members() []ApprovalRule {
	if r.AnyOf != nil {
		return r.AnyOf
	}
	return r.AllOf
}

// Walk calls fn for r and every rule inside it, depth first: callers that
// read what rules count (facts to fetch, teams, who may approve) see every
// plain rule, and every condition.
func (r *ApprovalRule) Walk(fn func(*ApprovalRule)) {
	fn(r)
	for i := range r.AnyOf {
		r.AnyOf[i].Walk(fn)
	}
	for i := range r.AllOf {
		r.AllOf[i].Walk(fn)
	}
}

// Describe says what r counts, in one line: "2 from @acme/sre" or
// "any_of (1 from @acme/sre, 2)".
func (r *ApprovalRule) Describe() string {
	if r.IsCombination() {
		key := "all_of"
		if r.AnyOf != nil {
			key = "any_of"
		}
		parts := make([]string, 0, len(r.Members()))
		for _, m := range r.Members() {
			parts = append(parts, m.Describe())
		}
		return key + " (" + strings.Join(parts, ", ") + ")"
	}
	if len(r.From) > 0 {
		return fmt.Sprintf("%d from %s", r.Required, principalList(r.From))
	}
	return fmt.Sprint(r.Required)
}
