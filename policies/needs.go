package policies

import "strings"

// Facts is a set of facts about a change that an adapter may fetch beyond
// what an event's payload holds. The policy declares which it needs, so an
// adapter spends API calls only on those (policy-bot's trigger idea).
type Facts uint

// The facts an adapter can fetch.
const (
	NeedReviews Facts = 1 << iota
	NeedComments
	NeedFiles
	NeedCommits
	NeedChecks
	NeedTeams
	NeedCodeOwners
	// NeedPermissions: commenters' and reviewers' repository roles.
	NeedPermissions
	// NeedLabelEvents: who added the labels that declare something (the
	// hotfix label); adapters read them only when such a label is on.
	NeedLabelEvents
	// NeedHeads: the heads the change had and their content (approvals
	// that go stale on a push that changes the content).
	NeedHeads
	// NeedRecords: the cited change records, as their providers answer
	// (change_record.verify).
	NeedRecords
)

// Has reports whether all of want are in f.
func (f Facts) Has(want Facts) bool { return f&want == want }

// Needs returns the facts Evaluate reads under p. Comments are always
// needed: /hold works under every policy.
func (p *Policy) Needs() Facts {
	f := NeedComments | NeedPermissions
	conds := []Condition{}
	addApproval := func(top ApprovalRule) {
		f |= NeedReviews
		top.Walk(func(r *ApprovalRule) {
			conds = append(conds, r.When)
			if !r.IsCombination() {
				f |= ruleNeeds(r)
			}
		})
	}
	for _, r := range p.Approvals {
		addApproval(r)
	}
	if h := p.Hotfix; h != nil {
		f |= NeedLabelEvents
		if h.Approval != nil {
			addApproval(*h.Approval)
		}
	}
	if p.Freeze != nil && p.Freeze.Override != nil && hasTeam(p.Freeze.Override.From) {
		f |= NeedTeams
	}
	if cr := p.ChangeRecord; cr != nil {
		conds = append(conds, cr.When)
		for _, s := range cr.Sources {
			if s == "commits" {
				f |= NeedCommits
			}
		}
		if cr.Verify != nil {
			f |= NeedRecords
		}
	}
	if rn := p.ReleaseNotes; rn != nil {
		conds = append(conds, rn.When)
		if rn.Fragments != nil {
			f |= NeedFiles
		}
	}
	if p.Semver != nil {
		f |= p.componentNeeds()
		conds = append(conds, p.Semver.When)
	}
	if p.Title != nil {
		conds = append(conds, p.Title.When)
	}
	if p.Checks != nil {
		f |= NeedChecks
		conds = append(conds, p.Checks.When)
	}
	for i := range conds {
		conds[i].each(func(c *Condition) {
			if len(c.Paths) > 0 || c.Lines != nil {
				f |= NeedFiles // changed lines are counted over the files
			}
			if hasTeam(c.Authors) || hasTeam(c.AuthorsIn) {
				f |= NeedTeams
			}
		})
	}
	return f
}

// ruleNeeds returns the facts one plain approval rule reads.
func ruleNeeds(r *ApprovalRule) Facts {
	var f Facts
	if r.CodeOwners {
		f |= NeedCodeOwners | NeedFiles
	}
	if hasTeam(r.From) {
		f |= NeedTeams
	}
	if !r.AllowContributor {
		f |= NeedCommits // who contributed may not approve
	}
	if r.DismissStale {
		f |= NeedHeads
	}
	return f
}

// String names the facts, for messages and logs: "files, commits".
func (f Facts) String() string {
	names := []string{"reviews", "comments", "files", "commits", "checks", "teams", "code owners", "permissions", "label events", "heads", "records"}
	var out []string
	for i, n := range names {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}

func hasTeam(ps []Principal) bool {
	for _, p := range ps {
		if p.Team != "" {
			return true
		}
	}
	return false
}
