package review

import (
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/policies"
)

// decideComponentSemver is `/semver COMPONENT BUMP`: the component's label
// semver:COMPONENT:BUMP is set and its other bump labels removed, as
// `/semver BUMP` does with semver.labels. A name the policy does not
// declare is refused with the names it does.
func decideComponentSemver(p *policies.Policy, change *policies.Change, d Decision, name string, b policies.Bump) Decision {
	if p.Semver == nil {
		return d // no semver rule: nothing declares bumps
	}
	k, ok := p.Component(name)
	if !ok {
		d.Accepted = false
		known := strings.Join(p.ComponentNames(), ", ")
		if known == "" {
			d.Reason = "give one of major, minor, patch or none: `/semver minor` (the policy has no components)"
			return d
		}
		d.Reason = fmt.Sprintf("the policy has no component %s; its components: %s", name, known)
		return d
	}
	for _, bump := range []policies.Bump{policies.BumpMajor, policies.BumpMinor, policies.BumpPatch, policies.BumpNone} {
		label := policies.ComponentLabel(k.Name, bump)
		if bump == b {
			d.AddLabels = absent(change.Labels, label)
			continue
		}
		for _, l := range change.Labels {
			if strings.EqualFold(l, label) {
				d.RemoveLabels = append(d.RemoveLabels, l)
			}
		}
	}
	return d
}
