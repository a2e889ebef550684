package demo

import (
	"fmt"
	"regexp/syntax"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipgate/shipgate/policies"
)

// Policy is the policy the demo plays by default: what a team that
// ships a web service might ask of its releases.
const Policy = `# Shipgate's demo policy (.shipgate.yml on main).
version: 1
branches: [main]                  # pull requests into main are gated
change_record:                    # every change names its ticket
  patterns: ['SHOP-\d+']
  sources: [title, body, branch]
approvals:                        # one reviewer approves; never the author
  - name: reviewers
    required: 1
    from: [alice, bob]
release_notes:                    # a release-note block in the PR body
  block: release-note
  none_label: release-note-none
semver:                           # a label says how big the change is
  labels: {major: "semver:major", minor: "semver:minor", patch: "semver:patch", none: "semver:none"}
tags:                             # v-prefixed tags on main; a valid one gets a release
  prefix: v
  branches: [main]
  release: true
deploy:
  environments:
    - name: staging               # a validated tag deploys to staging …
      on: release
      steps:
        - github_workflow: {workflow: deploy.yml, inputs: {environment: staging}}
        - health_check: {url: "https://staging.example.com/healthz", expect: 200, interval: 1s, retries: 5}
        - wait: 2s                # the soak; a real one is longer (30m)
    - name: production            # … then production, once bob approves in Slack
      after: staging
      approval: {required: 1, from: [bob]}
      steps:
        - github_workflow: {workflow: deploy.yml, inputs: {environment: production}}
notify:
  comment: always                 # a sticky comment on the PR besides the check run
  slack: {channel: "#releases", users: {alice: U0ALICE, bob: U0BOB, dave: U0DAVE}}
`

// soak is the longest soak the demo waits.
const soak = 2 * time.Second

// plan is what the story can play under a policy, and why it skips
// what it cannot.
type plan struct {
	file   string
	cfg    *policies.Config
	pol    *policies.Policy // cfg compiled
	policy string           // the policy the sandbox serves (URLs and soaks rewritten)
	skips  map[int]string
	notes  []string // what the rehearsal changed or cannot show
}

// loadDemoPlan decodes the policy, points its network steps at the
// sandbox's health endpoint, shortens its soaks, and decides which acts
// to play.
func loadPlan(file string, data []byte, healthURL string) (*plan, error) {
	cfg, _, err := policies.Decode(file, data)
	if err != nil {
		return nil, &PolicyError{fmt.Errorf("%w\nfix the policy (shipgate policy validate %s shows every problem), then run the demo again", err, file)}
	}
	p := &plan{file: file, cfg: cfg, skips: map[int]string{}}
	p.rewriteDeploy(healthURL)
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("re-encoding the policy: %w", err)
	}
	if p.pol, err = policies.Load(file, out); err != nil {
		return nil, fmt.Errorf("the policy as the sandbox serves it: %w", err)
	}
	p.policy = string(out)
	if !p.gatesMain() {
		return nil, &PolicyError{fmt.Errorf("%s: branches %q do not gate main, where the demo's pull request goes: add main to play it", file, cfg.Branches)}
	}
	p.decideSkips(time.Now())
	return p, nil
}

// gatesMain says whether the policy gates pull requests into main.
func (p *plan) gatesMain() bool {
	if len(p.cfg.Branches) == 0 {
		return true
	}
	for _, b := range p.cfg.Branches {
		if g, err := policies.NewGlob(b); err == nil && g.Match("main") {
			return true
		}
	}
	return false
}

// rewriteDeploy makes the deployment steps stay on this machine: health
// checks and webhooks call the sandbox, soaks last at most soak.
func (p *plan) rewriteDeploy(healthURL string) {
	if p.cfg.Deploy == nil {
		return
	}
	for i := range p.cfg.Deploy.Environments {
		env := &p.cfg.Deploy.Environments[i]
		for _, steps := range [][]policies.StepConfig{env.Steps, env.Rollback} {
			for j := range steps {
				p.rewriteStep(env.Name, &steps[j], healthURL)
			}
		}
	}
}

func (p *plan) rewriteStep(env string, s *policies.StepConfig, healthURL string) {
	switch {
	case s.HealthCheck != nil && s.HealthCheck.URL != healthURL:
		p.notes = append(p.notes, fmt.Sprintf("%s's health check of %s asks the sandbox instead", env, s.HealthCheck.URL))
		s.HealthCheck.URL = healthURL
	case s.Webhook != nil:
		p.notes = append(p.notes, fmt.Sprintf("%s's webhook to %s goes to the sandbox instead", env, s.Webhook.URL))
		s.Webhook.URL = healthURL
	case s.Wait != "":
		if d, err := time.ParseDuration(s.Wait); err == nil && d > soak {
			p.notes = append(p.notes, fmt.Sprintf("%s's soak of %s lasts %s here", env, s.Wait, soak))
			s.Wait = soak.String()
		}
	}
}

// decideSkips records the acts the policy leaves nothing to show in, or
// that a freeze active at now holds.
func (p *plan) decideSkips(now time.Time) {
	c := p.cfg
	if len(c.Approvals) == 0 {
		p.skips[3] = "the policy has no approvals rule: nobody needs to review"
	}
	d := c.Deploy
	switch {
	case d == nil || len(d.Environments) == 0:
		p.skips[6] = "the policy has no deploy section: Shipgate deploys nothing"
	case p.usesGitLab():
		p.skips[6] = "the policy deploys with gitlab_pipeline steps; the demo plays GitHub"
	case len(p.firstEnvs()) == 0:
		p.skips[6] = "no environment deploys on: release; deployments start only with /deploy"
	}
	if p.skips[6] == "" {
		p.skip(6, p.deployFrozen(now, p.firstEnvs()))
	}
	switch {
	case p.skips[6] != "":
		p.skips[7] = p.skips[6]
	case len(p.laterEnvs()) == 0:
		p.skips[7] = "no environment comes after " + strings.Join(p.firstEnvs(), ", ")
	default:
		p.skip(7, p.deployFrozen(now, p.laterEnvs()))
	}
}

// skip records why act n is skipped, when there is a why.
func (p *plan) skip(n int, why string) {
	if why != "" {
		p.skips[n] = why
	}
}

// deployFrozen says why a freeze active at now holds deployments to
// envs, "" when none does. The demo plays no deployment's override.
func (p *plan) deployFrozen(now time.Time, envs []string) string {
	windows := p.frozen(now, func(w policies.Window) bool {
		return slices.ContainsFunc(envs, w.AppliesTo)
	})
	if len(windows) == 0 {
		return ""
	}
	return fmt.Sprintf("the freeze %s holds deployments to %s now: Shipgate waits for its end or an override, which the demo does not play; rehearse outside the window to see them",
		windows, strings.Join(envs, ", "))
}

// frozen describes the windows active at now that applies selects, as
// `"weekend" (until Mon 2026-12-07 08:00 CET)`, "" when none is.
func (p *plan) frozen(now time.Time, applies func(policies.Window) bool) string {
	if p.pol.Freeze == nil {
		return ""
	}
	var out []string
	for _, w := range p.pol.Freeze.Windows {
		on, until := w.Active(now)
		if !on || !applies(w) {
			continue
		}
		out = append(out, fmt.Sprintf("%q (until %s)", w.Name, w.AppendEnd(nil, until)))
	}
	return strings.Join(out, " and ")
}

func (p *plan) usesGitLab() bool {
	for _, e := range p.cfg.Deploy.Environments {
		for _, s := range append(append([]policies.StepConfig(nil), e.Steps...), e.Rollback...) {
			if s.GitLabPipeline != nil {
				return true
			}
		}
	}
	return false
}

// firstEnvs are the environments a release starts; laterEnvs the others
// (after one of them, or started by hand).
func (p *plan) firstEnvs() []string {
	var out []string
	if p.cfg.Deploy == nil {
		return nil
	}
	for _, e := range p.cfg.Deploy.Environments {
		if e.On == "release" {
			out = append(out, e.Name)
		}
	}
	return out
}

func (p *plan) laterEnvs() []string {
	var out []string
	if p.cfg.Deploy == nil {
		return nil
	}
	for _, e := range p.cfg.Deploy.Environments {
		if e.On != "release" && e.After != "" {
			out = append(out, e.Name)
		}
	}
	return out
}

// envsTitle names an act about envs: fallback when the policy has none,
// else their names, and who approves when one has a gate.
func (p *plan) envsTitle(envs []string, fallback string) string {
	if len(envs) == 0 {
		return fallback
	}
	title := strings.Join(envs, ", ") + " deploys"
	for _, e := range p.cfg.Deploy.Environments {
		if slices.Contains(envs, e.Name) && e.Approval != nil {
			title = strings.Join(envs, ", ") + ", approved in Slack"
		}
	}
	return strings.ToUpper(title[:1]) + title[1:]
}

// stickyComment says whether Shipgate keeps a sticky comment on GitHub.
func (p *plan) stickyComment() bool {
	return p.cfg.Notify != nil && p.cfg.Notify.Comment == "always"
}

// tagPrefix is the prefix of version tags.
func (p *plan) tagPrefix() string {
	if p.cfg.Tags != nil && p.cfg.Tags.Prefix != nil {
		return *p.cfg.Tags.Prefix
	}
	return "v"
}

// changeRecordID returns an ID the policy's change-record patterns
// accept ("" when it has none), built from the first pattern.
func (p *plan) changeRecordID() (string, error) {
	if p.cfg.ChangeRecord == nil || len(p.cfg.ChangeRecord.Patterns) == 0 {
		return "", nil
	}
	re, err := syntax.Parse(p.cfg.ChangeRecord.Patterns[0], syntax.Perl)
	if err != nil {
		return "", fmt.Errorf("change_record pattern: %w", err)
	}
	var b strings.Builder
	sample(&b, re.Simplify())
	return b.String(), nil
}

// sample writes a short string that re matches: each repetition at its
// minimum (once for +), each class's first character, each
// alternation's first branch; anchors and word boundaries write nothing.
func sample(b *strings.Builder, re *syntax.Regexp) {
	switch re.Op {
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		if len(re.Rune) > 0 {
			b.WriteRune(re.Rune[0])
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte('x')
	case syntax.OpCapture, syntax.OpAlternate:
		sample(b, re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			sample(b, s)
		}
	case syntax.OpPlus:
		sample(b, re.Sub[0])
	case syntax.OpRepeat:
		for range re.Min {
			sample(b, re.Sub[0])
		}
	}
}
