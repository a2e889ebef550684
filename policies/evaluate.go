package policies

import (
	"slices"
	"strings"
	"time"
)

// Evaluate judges change under policy at now. It is pure and total: any
// Change (even one missing facts) yields a Verdict, and facts a rule needs
// but the adapter did not fetch make that rule pending or failing, never
// passing.
func Evaluate(p *Policy, c *Change, now time.Time) Verdict {
	s := newEvaluation(p, c, now)
	v := Verdict{Gated: s.gated(), Bump: BumpNone, Results: make([]Result, 0, len(rules)+len(p.Approvals)+len(p.Components))}
	v.ChangeRecords = s.changeRecords()
	v.ReleaseNote = s.releaseNote()
	if decl, _ := s.declaredBump(); decl != "" {
		v.Bump = decl
	}
	for _, rule := range rules {
		if rule.enabled(p) {
			v.Results = rule.eval(s, v.Results)
		}
	}
	if !v.Gated {
		ungated := "base branch " + c.BaseBranch + " is not gated by this policy (branches: " + globList(p.Branches) + ")"
		for i := range v.Results {
			v.Results[i].Status, v.Results[i].Message = Skipped, ungated
		}
	}
	v.Conclusion = conclude(v.Results)
	return v
}

// rule is one kind of requirement. The order of rules is the order of the
// results in a verdict, and so of the rows in the check summary.
type rule struct {
	key     string
	enabled func(*Policy) bool
	// eval appends the rule's results to out.
	eval func(*evaluation, []Result) []Result
}

var rules = []rule{
	// Who the change is: its change record first, as reviewers read it first.
	{"change_record", func(p *Policy) bool { return p.ChangeRecord != nil }, (*evaluation).changeRecordRule},
	// Approval rules, one result each; hotfixes swap them for hotfix.approvals.
	{"approvals", func(p *Policy) bool { return len(p.Approvals) > 0 }, (*evaluation).approvalRules},
	{"hotfix", func(p *Policy) bool { return p.Hotfix != nil }, (*evaluation).hotfixRule},
	// What the release will say and how it bumps the version.
	{"release_notes", func(p *Policy) bool { return p.ReleaseNotes != nil }, (*evaluation).releaseNotesRule},
	{"semver", func(p *Policy) bool { return p.Semver != nil }, (*evaluation).semverRule},
	{"title", func(p *Policy) bool { return p.Title != nil }, (*evaluation).titleRule},
	// Whether it may go now.
	{"checks", func(p *Policy) bool { return p.Checks != nil }, (*evaluation).checksRule},
	{"freeze", func(p *Policy) bool { return p.Freeze != nil }, (*evaluation).freezeRule},
	{"hold", func(*Policy) bool { return true }, (*evaluation).holdRule},
}

// evaluation holds what every rule reads, computed once per Evaluate.
type evaluation struct {
	p   *Policy
	c   *Change
	now time.Time
	// cmds are the authorised commands of the conversation, oldest first.
	cmds   []givenCommand
	cmdBuf [8]givenCommand
	// hotfix says whether the change is a declared hotfix, and if not why.
	hotfix hotfixStatus
	// ownerLineCache and ownerLineSet hold ownerLines() once computed,
	// in the arrays after them for most changes.
	ownerLineCache  []int32
	ownerLineSet    []ownerLine
	ownerLineBuf    [64]int32
	ownerLineSetBuf [4]ownerLine
	// teamMemos remember team membership (teamMask), in teamMemoBuf
	// for the first few teams.
	teamMemos   []teamMemo
	teamMemoBuf [4]teamMemo
	// nameArena backs the tallies' lists of logins (names).
	nameArena []string
	// approving and requesting count the positions of each stance; the
	// masks have their bits (the first 64).
	approving, requesting         int
	approvingMask, requestingMask uint64
	// authorMask has the author's position; pushMaskCache holds
	// pushMask() once computed.
	authorMask    uint64
	pushMaskCache uint64
	pushMaskDone  bool
	// scratch is reused by the approval entries that combine rules.
	scratch *scratch
	// positionCache holds positions() once computed.
	positionCache []position
	positionsDone bool
	// memo holds facts that several rules and the verdict read.
	memo struct {
		records     []string
		recordsDone bool
		note        struct {
			text string
			src  noteSource
			from string
		}
		noteDone bool
		bump     Bump
		bumpWhy  string
		bumpDone bool
	}
}

// givenCommand is an authorised command and the comment that gave it
// (who and when).
type givenCommand struct {
	Command
	in *Comment
}

func newEvaluation(p *Policy, c *Change, now time.Time) *evaluation {
	s := &evaluation{p: p, c: c, now: now}
	comments := c.Comments
	if !inTimeOrder(comments, func(c *Comment) time.Time { return c.CreatedAt }) { // hosts list them in order; a copy only when not
		byTime := func(a, b Comment) int { return a.CreatedAt.Compare(b.CreatedAt) }
		comments = slices.Clone(comments)
		slices.SortStableFunc(comments, byTime)
	}
	// Most comments hold no command: cmds grows only for those that do,
	// from the evaluation's own array.
	s.cmds = s.cmdBuf[:0]
	for i := range comments {
		cm := &comments[i]
		if cm.Author.Bot {
			continue
		}
		give := func(cmd Command) {
			if ok, _ := p.Authorize(cmd, cm.Author, c); ok {
				s.cmds = append(s.cmds, givenCommand{Command: cmd, in: cm})
			}
		}
		switch {
		case cm.Commands != nil:
			// As written when the comment was created.
			for _, cmd := range cm.Commands {
				give(cmd)
			}
		case cm.Edited:
			// The text is not what its author wrote: it counts for nothing.
		default:
			eachCommand(cm.Body, give)
		}
	}
	s.hotfix = s.declaredHotfix()
	return s
}

// inTimeOrder reports whether xs are oldest first by at: what
// slices.IsSortedFunc says, without copying two elements per comparison.
func inTimeOrder[T any](xs []T, at func(*T) time.Time) bool {
	for i := 1; i < len(xs); i++ {
		if at(&xs[i]).Before(at(&xs[i-1])) {
			return false
		}
	}
	return true
}

// gated reports whether the base branch is gated.
func (s *evaluation) gated() bool {
	return len(s.p.Branches) == 0 || matchAny(s.p.Branches, s.c.BaseBranch)
}

func (s *evaluation) hasAnyLabel(labels ...string) bool {
	for _, want := range labels {
		if want == "" {
			continue
		}
		for _, l := range s.c.Labels {
			if strings.EqualFold(l, want) {
				return true
			}
		}
	}
	return false
}

// lastCommand returns the latest authorised command among names.
func (s *evaluation) lastCommand(names ...string) (givenCommand, bool) {
	for i := len(s.cmds) - 1; i >= 0; i-- {
		for _, n := range names {
			if s.cmds[i].Name == n {
				return s.cmds[i], true
			}
		}
	}
	return givenCommand{}, false
}

func globList(gs []Glob) string {
	if len(gs) == 1 {
		return gs[0].Pattern // the common case: no copy
	}
	var b strings.Builder
	writeGlobs(&b, gs)
	return b.String()
}

// writeGlobs writes the patterns of gs, separated by ", ".
func writeGlobs(b *strings.Builder, gs []Glob) {
	for i := range gs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(gs[i].Pattern)
	}
}

func principalList(ps []Principal) string {
	if len(ps) == 1 {
		return ps[0].String()
	}
	var b strings.Builder
	writePrincipalList(&b, ps)
	return b.String()
}

// writePrincipalList writes principals as written in the policy,
// separated by ", ".
func writePrincipalList(b *strings.Builder, ps []Principal) {
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.String())
	}
}
