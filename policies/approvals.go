package policies

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
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
	// author: the person is the change's author.
	author bool
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
		p := &s.positionCache[i]
		p.contributor = s.contributed(p.login)
		p.author = sameLogin(p.login, s.c.Author.Login)
		if p.author && i < 64 {
			s.authorMask |= 1 << i
		}
		switch p.stance {
		case approving:
			s.approving++
			if i < 64 {
				s.approvingMask |= 1 << i
			}
		case requestingChanges:
			s.requesting++
			if i < 64 {
				s.requestingMask |= 1 << i
			}
		}
	}
	return s.positionCache
}

func (s *evaluation) computePositions() []position {
	// Reviews come from the host in time order (sorted here only if not);
	// commands are in time order already. Applying both in one merged pass
	// leaves each person's latest stance.
	reviews := s.c.Reviews
	if !inTimeOrder(reviews, func(r *Review) time.Time { return r.SubmittedAt }) {
		byTime := func(a, b Review) int { return a.SubmittedAt.Compare(b.SubmittedAt) }
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
	// maybeBlocker requests changes and may be in maybeTeam, a team of the
	// rule's from whose members were not read: whether the request counts
	// is unknown.
	maybeBlocker, maybeTeam string
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

// uncoveredFile is a changed file whose code owners have not approved:
// pointers into the change and its CODEOWNERS, as every tally holds room
// for a few.
type uncoveredFile struct {
	file *File
	line *ownerRule
}

// qualifier tells which people of positions() may count for one rule.
type qualifier struct {
	s           *evaluation
	from        []Principal
	allowAuthor bool
	// mask, when masked, has bit i set when the person at position i
	// may count.
	mask   uint64
	masked bool
}

// qualifierFor decides once per rule who may count when it can (a bit
// mask for up to 64 people), so that counting a rule does not ask
// Change.Teams or the permissions again for each person.
func (s *evaluation) qualifierFor(from []Principal, allowAuthor bool) qualifier {
	q := qualifier{s: s, from: from, allowAuthor: allowAuthor}
	if len(s.positionCache) > 64 {
		return q
	}
	if len(from) > 0 {
		q.mask = s.principalsMask(from)
	} else {
		q.mask = s.pushMask()
	}
	if !allowAuthor {
		q.mask &^= s.authorMask
	}
	q.masked = true
	return q
}

// ok reports whether the person at position i may count.
func (q *qualifier) ok(i int) bool {
	if q.masked {
		return q.mask&(1<<i) != 0
	}
	return q.byPerson(i)
}

// byPerson is ok for more than 64 people: asked person by person.
func (q *qualifier) byPerson(i int) bool {
	p := &q.s.positionCache[i]
	if !q.allowAuthor && p.author {
		return false
	}
	return q.s.inFrom(p.login, q.from)
}

// room is how many of the n people of a stance at positions mask may
// count at most.
func (q *qualifier) room(n int, mask uint64) int {
	if q.masked {
		return bits.OnesCount64(q.mask & mask)
	}
	return n
}

// pushMask returns the positions (at most 64) of the people inFrom
// counts for an empty from: those who could push.
func (s *evaluation) pushMask() uint64 {
	if !s.pushMaskDone {
		s.pushMaskDone = true
		for i := range s.positionCache {
			if s.inFrom(s.positionCache[i].login, nil) {
				s.pushMaskCache |= 1 << i
			}
		}
	}
	return s.pushMaskCache
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
		return s.c.permission(login) >= PermWrite
	}
	return true
}

// principalsMask returns the positions (at most 64) of the people ps
// include, as a bit mask.
func (s *evaluation) principalsMask(ps []Principal) uint64 {
	var m uint64
	for _, p := range ps {
		switch {
		case p.Login != "":
			m |= s.loginMask(p.Login)
		case p.Team != "":
			m |= s.teamMask(p.Team)
		}
	}
	return m
}

// loginMask returns the position (at most 64) of login as a bit mask: 0
// when that person has none (positions holds each person once).
func (s *evaluation) loginMask(login string) uint64 {
	for i := range s.positionCache {
		if sameLogin(login, s.positionCache[i].login) {
			return 1 << i
		}
	}
	return 0
}

// teamMemo remembers which people of positions() are in one team: every
// approval rule and code-owner line asks about the same few teams, and
// Evaluate runs on every event.
type teamMemo struct {
	team   string
	member uint64 // bit i: position i
}

// teamMask returns the positions (at most 64) of the people in team,
// asking Change.Teams once per team and person.
func (s *evaluation) teamMask(team string) uint64 {
	for _, m := range s.teamMemos {
		if m.team == team {
			return m.member
		}
	}
	var m uint64
	switch teams := s.c.Teams.(type) {
	case nil:
	case TeamMap: // in memory: one pass over the members
		for _, l := range teams.members(team) {
			m |= s.loginMask(l)
		}
	default:
		for i := range s.positionCache {
			if teams.IsMember(team, s.positionCache[i].login) {
				m |= 1 << i
			}
		}
	}
	if s.teamMemos == nil {
		s.teamMemos = s.teamMemoBuf[:0]
	}
	s.teamMemos = append(s.teamMemos, teamMemo{team: team, member: m})
	return m
}

// names returns an empty slice with room for n logins, carved from one
// array the evaluation's tallies share: each lists approvers.
func (s *evaluation) names(n int) []string {
	if n == 0 {
		return nil
	}
	if cap(s.nameArena)-len(s.nameArena) < n {
		s.nameArena = make([]string, 0, max(n, s.approving+s.requesting))
	}
	k := len(s.nameArena)
	s.nameArena = s.nameArena[:k+n]
	return s.nameArena[k : k : k+n]
}

// tally counts approvals for one rule.
func (s *evaluation) tally(r *ApprovalRule) approvalTally {
	ps := s.positions()
	q := s.qualifierFor(r.From, r.AllowAuthor)
	var t approvalTally
	// valid are the positions of the approvers whose approval counts for
	// the code owners, from or not: not stale, not a contributor, not the
	// author (as the rule says); a small array holds them in the common
	// case.
	var validBuf [16]int
	valid := validBuf[:0]
	// Only the people who may count matter (code owners: every approver).
	var skip uint64
	if q.masked && !r.CodeOwners {
		skip = ^q.mask
	}
	var unread string
	if s.requesting > 0 {
		if unread = unreadTeam(r.From, s.c.Teams); unread != "" {
			skip = 0 // any requester may be in it
		}
	}
	for i := range ps {
		if skip&(1<<i) != 0 {
			continue
		}
		p := &ps[i]
		switch p.stance {
		case approving:
			if p.stale != nil && r.DismissStale {
				if q.ok(i) {
					t.stale = append(t.stale, staleApproval{p.login, *p.stale})
				}
				continue
			}
			if !r.AllowContributor && p.contributor {
				if q.ok(i) {
					t.contributors = append(t.contributors, p.login)
				}
				continue
			}
			if r.CodeOwners && (r.AllowAuthor || !p.author) {
				valid = append(valid, i)
			}
			if q.ok(i) {
				if t.approvers == nil {
					t.approvers = s.names(q.room(s.approving, s.approvingMask))
				}
				t.approvers = append(t.approvers, p.login)
			}
		case requestingChanges:
			switch {
			case q.ok(i):
				if t.blockers == nil {
					t.blockers = s.names(q.room(s.requesting, s.requestingMask))
				}
				t.blockers = append(t.blockers, p.login)
			case unread != "" && t.maybeBlocker == "" && (r.AllowAuthor || !p.author):
				t.maybeBlocker, t.maybeTeam = p.login, unread
			}
		}
	}
	if r.CodeOwners {
		s.uncoveredFiles(valid, &t)
	}
	return t
}

// uncoveredFiles records in t the changed files whose code owners are not
// among the approvers at positions valid.
func (s *evaluation) uncoveredFiles(valid []int, t *approvalTally) {
	lines, owning := s.ownerLines()
	// Files share few CODEOWNERS lines: decide each line once.
	var okBuf [16]bool
	ok := okBuf[:0]
	total := 0 // files of the lines not covered
	for _, o := range owning {
		covered := s.anyIncludedAt(s.c.CodeOwners.rules[o.line].owners, valid)
		ok = append(ok, covered)
		if !covered {
			total += o.files
		}
	}
	// Name the first few such files; count the rest.
	for fi := 0; fi < len(s.c.Files) && t.uncovered < min(total, shownUncovered); fi++ {
		if k := lines[fi]; k >= 0 && !ok[k] {
			i := owning[k].line
			t.uncoveredBuf[t.uncovered] = uncoveredFile{file: &s.c.Files[fi], line: &s.c.CodeOwners.rules[i]}
			t.uncovered++
		}
	}
	t.moreUncovered = total - t.uncovered
}

// ownerLine is a CODEOWNERS line with owners that owns some changed
// files.
type ownerLine struct {
	line, files int
}

// ownerLines returns, for each changed file, the index in owning of the
// CODEOWNERS line that owns it (-1: none, or a line without owners), and
// those lines in order of first use: matched once per evaluation, as
// several rules may ask for code owners.
func (s *evaluation) ownerLines() (lines []int32, owning []ownerLine) {
	if s.ownerLineCache != nil || len(s.c.Files) == 0 {
		return s.ownerLineCache, s.ownerLineSet
	}
	lines = s.ownerLineBuf[:0]
	owning = s.ownerLineSetBuf[:0]
	for _, f := range s.c.Files {
		li := s.c.CodeOwners.match(f.Path)
		if li < 0 || len(s.c.CodeOwners.rules[li].owners) == 0 {
			lines = append(lines, -1)
			continue
		}
		k := slices.IndexFunc(owning, func(o ownerLine) bool { return o.line == li })
		if k < 0 {
			k = len(owning)
			owning = append(owning, ownerLine{line: li})
		}
		owning[k].files++
		lines = append(lines, int32(k))
	}
	s.ownerLineCache, s.ownerLineSet = lines, owning
	return lines, owning
}

// anyIncludedAt reports whether one of ps includes a person at positions.
func (s *evaluation) anyIncludedAt(ps []Principal, positions []int) bool {
	if len(s.positionCache) <= 64 {
		m := s.principalsMask(ps)
		for _, i := range positions {
			if m&(1<<i) != 0 {
				return true
			}
		}
		return false
	}
	for _, i := range positions {
		if includesAny(ps, s.positionCache[i].login, s.c.Teams) {
			return true
		}
	}
	return false
}

// approvalResult evaluates one approval rule into a result.
func (s *evaluation) approvalResult(key string, r *ApprovalRule) Result {
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
	if t.maybeBlocker != "" {
		res.Status, res.Message = Wait, t.maybeText()
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
func missingText(r *ApprovalRule, t *approvalTally) string {
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
		b.WriteString(f.file.Path)
		b.WriteString(" needs approval from a code owner (")
		writePrincipals(&b, f.line.owners)
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

// unreadTeam is the first team of from whose members are not known, ""
// when there is none.
func unreadTeam(from []Principal, teams Membership) string {
	for _, p := range from {
		if p.Team != "" && !teamKnown(teams, p.Team) {
			return p.Team
		}
	}
	return ""
}

// maybeText says why a request for changes from someone who may count
// keeps the rule pending.
func (t *approvalTally) maybeText() string {
	return "changes requested by @" + t.maybeBlocker + ", who may be in @" + t.maybeTeam +
		", whose members could not be read: address the review, then ask for a re-review (or have the review dismissed)"
}
