package deploy

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

// componentPolicy deploys two components of a monorepo and the
// repository's own releases, each to environments of their own.
const componentPolicy = `version: 1
components:
  - {name: api, paths: ["services/api/**"]}
  - {name: web, paths: ["apps/web/**"]}
deploy:
  environments:
    - {name: api-staging, on: release, component: api, steps: [{wait: 1m}]}
    - {name: api-production, after: api-staging, component: api, steps: [{wait: 1m}]}
    - {name: web-staging, on: release, component: web, steps: [{wait: 1m}]}
    - {name: staging, on: release, steps: [{wait: 1m}]}
`

func componentEnv(t *testing.T) *env {
	e := newEnv(t, monday)
	p, err := policies.Load(".shipgate.yml", []byte(componentPolicy))
	if err != nil {
		t.Fatal(err)
	}
	*e.policy = *p // the orchestrator reads the policy through e.policy
	return e
}

func TestAComponentsReleaseStartsOnlyItsEnvironments(t *testing.T) {
	for _, tc := range []struct{ tag, want string }{
		{"api/v1.4.0", "api-staging"},
		{"web/v0.3.0", "web-staging"},
		{"v2.0.0", "staging"},
	} {
		t.Run(tc.tag, func(t *testing.T) {
			e := componentEnv(t)
			if err := e.o.Release(e.ctx, policies.GitHub, repo, tc.tag, "sha-"+tc.tag, Actor{Login: "dave"}); err != nil {
				t.Fatal(err)
			}
			e.drain()
			e.wantStatuses(tc.want+"@"+tc.tag+":queued", tc.want+"@"+tc.tag+":in_progress") // and no other environment
		})
	}
}

// TestDeployRefusesAnotherComponentsRelease: /deploy of one version line's
// release to another's environment is the attack of a maintainer (or a
// typo) putting the web's build on the api's servers.
func TestDeployRefusesAnotherComponentsRelease(t *testing.T) {
	perms := map[string]policies.Permission{"maint": policies.PermMaintain}
	for _, tc := range []struct {
		name, args string
		ok         bool
		reply      string
	}{
		{"the repository's release to a component's environment is refused", "api-staging v1.3.0", false,
			"v1.3.0 is not a release of what api-staging deploys: api-staging deploys component api (api/v…); give one of its versions: `/deploy api-staging api/v1.2.3`"},
		{"the latest release, the repository's, is not the component's", "web-staging", false,
			"the latest release, v1.3.0, is not a release of what web-staging deploys"},
		{"the repository's release to its own environment deploys", "staging v1.3.0", true, "deploying v1.3.0 to staging"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := componentEnv(t)
			ok, reply, err := e.o.Command(e.ctx, CommandRequest{Repo: repo, Number: 7, Command: policies.Command{Name: "deploy", Args: tc.args, Known: true},
				Actor: policies.Actor{Login: "maint"}, Change: &policies.Change{Permissions: perms}, Dedupe: "c1"})
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.ok || !strings.Contains(reply, tc.reply) {
				t.Fatalf("Command = %v %q; want %v and %q", ok, reply, tc.ok, tc.reply)
			}
		})
	}
}
