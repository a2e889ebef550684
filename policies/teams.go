package policies

import "strings"

// Teams lists the teams the policy names (`@org/team` entries of approval
// rules, the hotfix approval, the freeze override, and `when.authors`),
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
	for _, r := range p.Approvals {
		add(r.From)
		conds = append(conds, r.When)
	}
	if h := p.Hotfix; h != nil && h.Approval != nil {
		add(h.Approval.From)
		conds = append(conds, h.Approval.When)
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
	for _, c := range conds {
		add(c.Authors)
	}
	return out
}
