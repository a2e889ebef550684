package policies

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// stance is where one person stands on the change after their latest
// review or command.
type stance int

const (
	noStance stance = iota
	approving
	requestingChanges
)

// position is one person's latest stance.
type position struct {
	login  string
	stance stance
	// stale is set for an approval whose content changed since it was
	// given: it says which head was approved and which push changed it.
	stale *staleness
	// contributor: the person authored or committed a commit of the change.
	contributor bool
}

// positions merges reviews and approval commands into each person's latest
// stance. A later CHANGES_REQUESTED or DISMISSED review cancels an approval,
// and so does `/approve cancel`; COMMENTED reviews change nothing.
func (s *evaluation) positions() []position {
	if s.positionsDone {
		return s.positionCache
	}
	s.positionsDone = true
	s.positionCache = s.computePositions()
	for i := range s.positionCache {
		s.positionCache[i].contributor = s.contributed(s.positionCache[i].login)
	}
	return s.positionCache
}

func (s *evaluation) computePositions() []position {
	// Reviews come from the host in time order (sorted here only if not);
	// commands are in time order already. Applying both in one merged pass
	// leaves each person's latest stance.
	reviews := s.c.Reviews
	byTime := func(a, b Review) int { return a.SubmittedAt.Compare(b.SubmittedAt) }
	if !slices.IsSortedFunc(reviews, byTime) {
		reviews = slices.Clone(reviews)
		slices.SortStableFunc(reviews, byTime)
	}
	out := make([]position, 0, 16)
	apply := func(login string, st stance, stale *staleness) {
		for i := range out {
			if sameLogin(out[i].login, login) {
				out[i].stance, out[i].stale = st, stale
				return
			}
		}
		out = append(out, position{login: login, stance: st, stale: stale})
	}
	applyReview := func(r Review) {
		if r.Author.Bot || r.Author.Login == "" {
			return
		}
		switch r.State {
		case ReviewApproved:
			if r.CommitSHA != "" {
				apply(r.Author.Login, approving, s.staleSince(r.CommitSHA))
			} else {
				apply(r.Author.Login, approving, s.staleAt(r.SubmittedAt)) // GitLab: no SHA, a time
			}
		case ReviewChangesRequested:
			apply(r.Author.Login, requestingChanges, nil)
		case ReviewDismissed:
			apply(r.Author.Login, noStance, nil)
		}
	}
	for _, cmd := range s.cmds {
		if cmd.Name != "approve" && cmd.Name != "lgtm" {
			continue
		}
		for len(reviews) > 0 && !reviews[0].SubmittedAt.After(cmd.in.CreatedAt) {
			applyReview(reviews[0])
			reviews = reviews[1:]
		}
		if strings.EqualFold(cmd.Args, "cancel") {
			apply(cmd.in.Author.Login, noStance, nil)
		} else {
			apply(cmd.in.Author.Login, approving, s.staleAt(cmd.in.CreatedAt))
		}
	}
	for _, r := range reviews {
		applyReview(r)
	}
	return out
}

// approvalTally is the outcome of counting one approval rule.
type approvalTally struct {
	approvers []string        // distinct qualifying approvers, in order
	blockers  []string        // qualifying people requesting changes
	stale     []staleApproval // qualifying approvals that no longer count
	// contributors approved but authored or committed the change's commits.
	contributors []string
	// uncovered are the first files whose code owners have not approved
	// (messages name at most shownUncovered, kept in an array: no
	// allocation); moreUncovered counts the rest.
	uncoveredBuf  [shownUncovered]uncoveredFile
	uncovered     int
	moreUncovered int
}

// shownUncovered is how many files without their code owners' approval a
// message names.
const shownUncovered = 3

// uncoveredFile is a changed file whose code owners have not approved.
type uncoveredFile struct {
	path   string
	owners []Principal
}

// qualifies reports whether login may count for rule.
func (s *evaluation) qualifies(login string, from []Principal, allowAuthor bool) bool {
	if !allowAuthor && sameLogin(login, s.c.Author.Login) {
		return false
	}
	return s.inFrom(login, from)
}

// inFrom reports whether login is one of from (anyone who could push when
// from is empty and permissions are known).
func (s *evaluation) inFrom(login string, from []Principal) bool {
	if len(from) > 0 {
		return includesAny(from, login, s.c.Teams)
	}
	// Anyone may approve, but with permission data only people who could
	// push count, as with GitHub's branch protection.
	if s.c.Permissions != nil {
		return s.c.Permissions[strings.ToLower(login)] >= PermWrite
	}
	return true
}

// tally counts approvals for one rule.
func (s *evaluation) tally(r ApprovalRule) approvalTally {
	ps := s.positions()
	var t approvalTally
	// valid are the non-stale approvers other than the author, for code
	// owners; a small array holds them in the common case.
	var validBuf [16]string
	valid := validBuf[:0]
	for _, p := range ps {
		switch p.stance {
		case approving:
			if p.stale != nil && r.DismissStale {
				if s.qualifies(p.login, r.From, r.AllowAuthor) {
					t.stale = append(t.stale, staleApproval{p.login, *p.stale})
				}
				continue
			}
			if !r.AllowContributor && p.contributor {
				if s.qualifies(p.login, r.From, r.AllowAuthor) {
					t.contributors = append(t.contributors, p.login)
				}
				continue
			}
			if r.CodeOwners && (r.AllowAuthor || !sameLogin(p.login, s.c.Author.Login)) {
				valid = append(valid, p.login)
			}
			if s.qualifies(p.login, r.From, r.AllowAuthor) {
				t.approvers = append(t.approvers, p.login)
			}
		case requestingChanges:
			if s.qualifies(p.login, r.From, r.AllowAuthor) {
				t.blockers = append(t.blockers, p.login)
			}
		}
	}
	if r.CodeOwners {
		// Files share few CODEOWNERS lines: decide each line once.
		type lineCover struct {
			line int
			ok   bool
		}
		var coveredBuf [16]lineCover
		covered := coveredBuf[:0]
		lines := s.ownerLines()
		for fi, f := range s.c.Files {
			i := -1
			if lines != nil {
				i = lines[fi]
			} else {
				i = s.c.CodeOwners.match(f.Path)
			}
			if i < 0 || len(s.c.CodeOwners.rules[i].owners) == 0 {
				continue
			}
			owners := s.c.CodeOwners.rules[i].owners
			ok, seen := false, false
			for _, c := range covered {
				if c.line == i {
					ok, seen = c.ok, true
					break
				}
			}
			if !seen {
				ok = anyIncluded(owners, valid, s.c.Teams)
				covered = append(covered, lineCover{i, ok})
			}
			if !ok {
				if t.uncovered < shownUncovered {
					t.uncoveredBuf[t.uncovered] = uncoveredFile{path: f.Path, owners: owners}
					t.uncovered++
				} else {
					t.moreUncovered++
				}
			}
		}
	}
	return t
}

// ownerLines returns, for each changed file, the CODEOWNERS line that owns
// it (-1: none), matched once per evaluation when several rules ask for
// code owners; nil for the first such rule, which matches as it goes
// (most policies have one, and then nothing is kept).
func (s *evaluation) ownerLines() []int {
	s.ownerTallies++
	if s.ownerLineCache == nil && s.ownerTallies > 1 {
		s.ownerLineCache = make([]int, len(s.c.Files))
		for i, f := range s.c.Files {
			s.ownerLineCache[i] = s.c.CodeOwners.match(f.Path)
		}
	}
	return s.ownerLineCache
}

func anyIncluded(ps []Principal, logins []string, teams Membership) bool {
	for _, l := range logins {
		if includesAny(ps, l, teams) {
			return true
		}
	}
	return false
}

// approvalResult evaluates one approval rule into a result.
func (s *evaluation) approvalResult(key string, r ApprovalRule) Result {
	if r.IsCombination() {
		return s.combinationResult(key, r)
	}
	res := Result{Rule: key, Name: r.Name}
	if skipped, ok := s.skippedUnless(r.When, key, r.Name); ok {
		return skipped
	}
	if r.CodeOwners && s.c.Files == nil {
		res.Status, res.Message = Wait, "the changed files are not known yet, so code owners cannot be checked"
		return res
	}
	t := s.tally(r)
	if why, ok := s.unknownFacts(r, len(t.approvers) > 0); ok {
		res.Status, res.Message = Wait, why
		return res
	}
	if len(t.blockers) > 0 {
		res.Status = Fail
		res.Message = fmt.Sprintf("changes requested by %s: address the review, then ask for a re-review (or have the review dismissed)", mentions(t.blockers))
		return res
	}
	if msg := missingText(r, &t); msg != "" {
		res.Status, res.Message = Wait, msg
		return res
	}
	res.Status, res.Message = Pass, "no approval required"
	if len(t.approvers) > 0 {
		res.Message = "approved by " + mentions(t.approvers)
	}
	return res
}

// missingText says what an approval rule still needs, "" when nothing: how
// many more approvals and from whom, whose approvals did not count and
// why, and the files whose code owners have not approved. It is built in
// one buffer: Evaluate runs on every event.
func missingText(r ApprovalRule, t *approvalTally) string {
	if r.Required <= len(t.approvers) && t.uncovered == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(256)
	sep := func() {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
	}
	if n := r.Required - len(t.approvers); n > 0 {
		b.WriteString("needs ")
		b.WriteString(strconv.Itoa(n))
		b.WriteString(plural(n, " more approval", " more approvals"))
		if len(r.From) > 0 {
			b.WriteString(" from ")
			writePrincipals(&b, r.From)
		}
		if len(t.approvers) > 0 {
			b.WriteString(" (has ")
			b.WriteString(strconv.Itoa(len(t.approvers)))
			b.WriteString(" of ")
			b.WriteString(strconv.Itoa(r.Required))
			b.WriteString(": ")
			writeMentions(&b, t.approvers)
			b.WriteByte(')')
		}
		if len(t.stale) > 0 {
			sep()
			b.WriteString(staleText(t.stale))
		}
		if len(t.contributors) > 0 {
			sep()
			writeMentions(&b, t.contributors)
			b.WriteString(" authored or committed commits of this change and may not approve it (allow_contributor: false)")
		}
		if !r.AllowAuthor {
			b.WriteString("; the author's own approval does not count")
		}
	}
	for _, f := range t.uncoveredBuf[:t.uncovered] {
		sep()
		b.WriteString(f.path)
		b.WriteString(" needs approval from a code owner (")
		writePrincipals(&b, f.owners)
		b.WriteByte(')')
	}
	if t.moreUncovered > 0 {
		sep()
		b.WriteString("and ")
		b.WriteString(strconv.Itoa(t.moreUncovered))
		b.WriteString(" more files need a code owner's approval")
	}
	return b.String()
}

// mentions formats logins as "@a, @b".
func mentions(logins []string) string {
	var b strings.Builder
	writeMentions(&b, logins)
	return b.String()
}

// writeMentions writes logins as "@a, @b".
func writeMentions(b *strings.Builder, logins []string) {
	for i, l := range logins {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('@')
		b.WriteString(l)
	}
}

// principalMentions formats principals as "@org/team or @alice".
func principalMentions(ps []Principal) string {
	var b strings.Builder
	writePrincipals(&b, ps)
	return b.String()
}

// writePrincipals writes principals as "@org/team, @bob or @alice".
func writePrincipals(b *strings.Builder, ps []Principal) {
	for i, p := range ps {
		switch {
		case i == 0:
		case i == len(ps)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		switch {
		case p.Login != "":
			b.WriteByte('@')
			b.WriteString(p.Login)
		case p.Team != "":
			b.WriteByte('@')
			b.WriteString(p.Team)
		default:
			b.WriteString(p.String())
		}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
