package policies

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
)

// Has reports whether all of want are in f.
func (f Facts) Has(want Facts) bool { return f&want == want }

// Needs returns the facts Evaluate reads under p. Comments are always
// needed: /hold works under every policy.
func (p *Policy) Needs() Facts {
	f := NeedComments | NeedPermissions
	conds := []Condition{}
	addApproval := func(r ApprovalRule) {
		f |= NeedReviews
		conds = append(conds, r.When)
		if r.CodeOwners {
			f |= NeedCodeOwners | NeedFiles
		}
		if hasTeam(r.From) {
			f |= NeedTeams
		}
	}
	for _, r := range p.Approvals {
		addApproval(r)
	}
	if p.Hotfix != nil && p.Hotfix.Approval != nil {
		addApproval(*p.Hotfix.Approval)
	}
	if p.Freeze != nil && p.Freeze.Override != nil {
		f |= NeedReviews
		if hasTeam(p.Freeze.Override.From) {
			f |= NeedTeams
		}
	}
	if cr := p.ChangeRecord; cr != nil {
		conds = append(conds, cr.When)
		for _, s := range cr.Sources {
			if s == "commits" {
				f |= NeedCommits
			}
		}
	}
	if rn := p.ReleaseNotes; rn != nil {
		conds = append(conds, rn.When)
		if rn.Fragments != nil {
			f |= NeedFiles
		}
	}
	if p.Semver != nil {
		conds = append(conds, p.Semver.When)
	}
	if p.Title != nil {
		conds = append(conds, p.Title.When)
	}
	if p.Checks != nil {
		f |= NeedChecks
		conds = append(conds, p.Checks.When)
	}
	for _, c := range conds {
		if len(c.Paths) > 0 {
			f |= NeedFiles
		}
		if hasTeam(c.Authors) {
			f |= NeedTeams
		}
	}
	return f
}

func hasTeam(ps []Principal) bool {
	for _, p := range ps {
		if p.Team != "" {
			return true
		}
	}
	return false
}
