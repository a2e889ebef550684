package deploy

import (
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// otherComponent says why `/deploy` must not deploy version to env,
// "" when it may: a release tag (trigger "", as deployable says) deploys
// only to the environments of its own version line (policy key
// components), so that /deploy cannot put the web component's release on
// the api's servers. asked is what the command named ("latest" or a
// version). A ref deployed under deploy.allow_refs is no tag of a line and
// is left to that setting.
func otherComponent(p *policies.Policy, env *policies.Environment, version, trigger, asked string) string {
	if trigger != "" || len(p.Components) == 0 {
		return ""
	}
	line := p.ReleaseOf(version).Component
	tagOf := ""
	if line != nil {
		tagOf = line.Name
	}
	if strings.EqualFold(tagOf, env.Component) {
		return ""
	}
	want := "the repository's own tags (" + p.Release.TagPrefix + "…)"
	example := p.Release.TagPrefix + "1.2.3"
	if k, ok := p.Component(env.Component); ok {
		want = "component " + k.Name + " (" + k.Release.TagPrefix + "…)"
		example = k.Release.TagPrefix + "1.2.3"
	}
	what := templates.Inert(version)
	if asked == "latest" {
		what = "the latest release, " + what + ","
	}
	return fmt.Sprintf("%s is not a release of what %s deploys: %s deploys %s; give one of its versions: `/deploy %s %s`",
		what, env.Name, env.Name, want, env.Name, example)
}
