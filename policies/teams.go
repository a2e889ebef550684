package policies

import "strings"

// Teams lists the teams the policy names (`@org/team` entries of approval
// rules and the rules inside their any_of/all_of, the hotfix approval,
// the freeze override, and `when.authors` and `when.authors_in`),
// each once, in the order they appear. An adapter fetches the membership
// of just these into Change.Teams (GitHub teams; GitLab groups and
// subgroups, "group/sub").
func (p *Policy) Teams() []string {
	seen := map[string]bool{}
	var out []string
	add := func(ps []Principal) {
		for _, pr := range ps {
			if pr.Team != "" && !seen[strings.ToLower(pr.Team)] {
				seen[strings.ToLower(pr.Team)] = true
				out = append(out, pr.Team)
			}
		}
	}
	var conds []Condition
	addRule := func(r *ApprovalRule) {
		add(r.From)
		conds = append(conds, r.When)
	}
	for i := range p.Approvals {
		p.Approvals[i].Walk(addRule)
	}
	if h := p.Hotfix; h != nil && h.Approval != nil {
		h.Approval.Walk(addRule)
	}
	if f := p.Freeze; f != nil && f.Override != nil {
		add(f.Override.From)
	}
	if cr := p.ChangeRecord; cr != nil {
		conds = append(conds, cr.When)
	}
	if rn := p.ReleaseNotes; rn != nil {
		conds = append(conds, rn.When)
	}
	if sr := p.Semver; sr != nil {
		conds = append(conds, sr.When)
	}
	if t := p.Title; t != nil {
		conds = append(conds, t.When)
	}
	if c := p.Checks; c != nil {
		conds = append(conds, c.When)
	}
	for i := range conds {
		conds[i].each(func(c *Condition) {
			add(c.Authors)
			add(c.AuthorsIn)
		})
	}
	return out
}
