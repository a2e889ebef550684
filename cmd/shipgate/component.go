package main

import (
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/policies"
)

// forComponent moves rc to the version line of the component called name
// (policy key components); "" keeps the repository's own line. An unknown
// name, or a name without a policy, is a usage error that lists the
// components there are.
func (rc *releaseRepo) forComponent(name string) error {
	if name == "" {
		return nil
	}
	if rc.policy == nil {
		return usageError(fmt.Errorf("--component %s: the repository has no .shipgate.yml, so no components; declare them under the components key", name))
	}
	k, ok := rc.policy.Component(name)
	if !ok {
		known := rc.policy.KnownComponents()
		return usageError(fmt.Errorf("--component %s: no such component in %s; components: %s", name, rc.policy.File, known))
	}
	rc.settings = k.Release
	return nil
}

// forTag moves rc to the version line that the tag called name belongs
// to: a component's when it has the component's tag prefix.
func (rc *releaseRepo) forTag(name string) {
	if rc.policy != nil {
		rc.settings = rc.policy.ReleaseOf(name)
	}
}

// componentList describes a policy's components for `policy validate`:
// "api (tags api/v*), web (tags web/v*)".
func componentList(p *policies.Policy) string {
	out := make([]string, len(p.Components))
	for i, k := range p.Components {
		out[i] = k.Name + " (tags " + k.Release.TagPrefix + "*)"
	}
	return strings.Join(out, ", ")
}
