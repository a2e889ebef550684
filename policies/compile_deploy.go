package policies

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// StepTemplateData is what deployment step templates (workflow ref and
// inputs, pipeline ref and variables, webhook and health-check URLs) are
// executed with. Templates are parsed with missingkey=error.
type StepTemplateData struct {
	// Version is the version being deployed.
	Version string
	// PreviousVersion is the last version deployed successfully to the
	// environment ("" for the first deployment); a rollback deploys it.
	PreviousVersion string
	// Environment is the environment's name.
	Environment string
	// Repo is "owner/name" (GitLab: the project's full path).
	Repo string
	// SHA is the commit being deployed.
	SHA string
}

// stepTemplateFields are the fields of StepTemplateData, as messages list them.
var stepTemplateFields = []string{"Version", "PreviousVersion", "Environment", "Repo", "SHA"}

// Limits on step templates: a template is a URL or an input value, and it
// must stay cheap to execute whatever it contains.
const (
	maxTemplateLen    = 1024
	maxTemplateOutput = 64 << 10
)

// Defaults of health_check steps (DESIGN.md).
const (
	defaultHealthExpect   = 200
	defaultHealthInterval = 10 * time.Second
	defaultHealthRetries  = 30
	defaultHealthTimeout  = 5 * time.Second
	maxHealthRetries      = 10_000
)

// envName matches environment names, which `/deploy ENV` takes as a word.
var envName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// envVarName and gitlabVariable match environment variable and GitLab CI
// variable names.
var envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// stepKeys are a step's keys, in the order messages list them.
var stepKeys = []string{"github_workflow", "gitlab_pipeline", "webhook", "health_check", "wait", "approval", "metric_check", "canary"}

// deploy compiles `deploy`. slackUsers (login → Slack user) tells which
// gate approvers are the same person.
func (c *policyCompiler) deploy(d *DeployConfig, slackUsers map[string]string) []Environment {
	if len(d.Environments) == 0 {
		c.errorf("deploy.environments", "missing; list the environments in order, e.g. - {name: staging, on: release, steps: [...]}")
		return nil
	}
	var envs []Environment
	index := map[string]int{}
	for i, ec := range d.Environments {
		path := pathIndex("deploy.environments", i)
		namePath := pathKey(path, "name")
		switch prev, dup := index[strings.ToLower(ec.Name)]; {
		case ec.Name == "":
			c.errorf(namePath, "missing; every environment needs a name, as in /deploy NAME")
		case !envName.MatchString(ec.Name):
			c.errorf(namePath, "%s is not an environment name; use letters, digits, '.', '_' and '-' (it is typed as /deploy NAME)", quoteValue(ec.Name))
		case dup:
			c.errorf(namePath, "duplicate environment %s (also deploy.environments[%d], names compare without case)", quoteValue(ec.Name), prev)
		default:
			index[strings.ToLower(ec.Name)] = i
		}
		env := Environment{Name: ec.Name, On: ec.On, After: ec.After}
		if ec.On != "" && ec.On != "release" {
			c.errorf(pathKey(path, "on"), `%s is not allowed; allowed values: release (start on each release), or leave it out (start by /deploy or after another environment)`, quoteValue(ec.On))
		}
		env.Approval = c.gate(pathKey(path, "approval"), ec.Approval, slackUsers)
		if len(ec.Steps) == 0 {
			c.errorf(pathKey(path, "steps"), "missing; list the steps that deploy to %s, e.g. - github_workflow: {workflow: deploy.yml}", cmp.Or(ec.Name, "this environment"))
		}
		env.Steps = c.steps(pathKey(path, "steps"), ec.Steps, ec.Name, slackUsers)
		env.Rollback = c.steps(pathKey(path, "rollback"), ec.Rollback, ec.Name, slackUsers)
		env.ChangeRequest = c.changeRequest(pathKey(path, "change_request"), ec.ChangeRequest, ec.Name)
		envs = append(envs, env)
	}
	c.checkOrder(d.Environments, index)
	return envs
}

// checkOrder checks that every `after` names another environment and that
// they form no cycle. index maps lower-cased names to positions.
func (c *policyCompiler) checkOrder(envs []EnvironmentConfig, index map[string]int) {
	next := make([]int, len(envs))
	var names []string
	for _, e := range envs {
		names = append(names, e.Name)
	}
	for i, e := range envs {
		next[i] = -1
		if e.After == "" {
			continue
		}
		at := pathKey(pathIndex("deploy.environments", i), "after")
		j, ok := index[strings.ToLower(e.After)]
		switch {
		case !ok || envs[j].Name != e.After:
			msg := fmt.Sprintf("unknown environment %s", quoteValue(e.After))
			if s := closestName(e.After, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", quoteValue(s))
			}
			c.errorf(at, "%s; environments: %s", msg, strings.Join(names, ", "))
		case j == i:
			c.errorf(at, "%s cannot come after itself", quoteValue(e.After))
		default:
			next[i] = j
		}
	}
	// Each environment has at most one `after`, so a cycle is found by
	// following the chain; report it once, at its first environment.
	for i := range envs {
		chain := []string{envs[i].Name}
		for j, steps := next[i], 0; j >= 0 && steps < len(envs); j, steps = next[j], steps+1 {
			chain = append(chain, envs[j].Name)
			if j == i {
				if slices.Min(cycleMembers(next, i)) == i {
					c.errorf(pathKey(pathIndex("deploy.environments", i), "after"), "environments wait for each other in a cycle: %s", strings.Join(reverse(chain), " → "))
				}
				break
			}
		}
	}
}

// cycleMembers returns the indices on the cycle through i.
func cycleMembers(next []int, i int) []int {
	out := []int{i}
	for j := next[i]; j != i; j = next[j] {
		out = append(out, j)
	}
	return out
}

// reverse returns s reversed, so that a chain of `after` reads in
// deployment order.
func reverse(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// gate compiles an approval gate (an environment's or a step's).
func (c *policyCompiler) gate(path string, g *GateConfig, slackUsers map[string]string) *Gate {
	if g == nil {
		return nil
	}
	out := &Gate{
		Required:     c.count(pathKey(path, "required"), g.Required, 1),
		From:         c.principals(pathKey(path, "from"), g.From, true),
		SlackChannel: c.channel(pathKey(path, "slack_channel"), g.SlackChannel),
		Expires:      c.duration(pathKey(path, "expires"), g.Expires, defaultGateExpiry),
	}
	if len(g.From) == 0 {
		c.errorf(pathKey(path, "from"), "missing; list who may approve: logins, @org/team, slack:U… or slack:S…")
	}
	c.checkEnough(pathKey(path, "required"), out.Required, out.From, slackUsers)
	c.warnUnlinked(pathKey(path, "from"), out.From, slackUsers)
	return out
}

// warnUnlinked warns when a gate's approvers come from both GitHub and
// Slack while notify.slack.users leaves some of them unlinked: Shipgate
// cannot tell an unlinked Slack user apart from an unlinked login (the
// deployment's starter, or another approver), so it refuses approvals that
// could be one person's twice. Members of teams and Slack groups cannot be
// checked here; they count as unlinked only when nothing is mapped.
func (c *policyCompiler) warnUnlinked(path string, from []Principal, slackUsers map[string]string) {
	logins, users := map[string]bool{}, map[string]bool{}
	for login, user := range slackUsers {
		logins[strings.ToLower(login)], users[user] = true, true
	}
	var github, slack, unlinked []string
	for _, p := range from {
		switch {
		case p.Login != "" || p.Team != "":
			github = append(github, p.String())
			if (p.Login != "" && !logins[strings.ToLower(p.Login)]) || (p.Team != "" && len(slackUsers) == 0) {
				unlinked = append(unlinked, p.String())
			}
		case p.SlackUser != "" || p.SlackGroup != "":
			slack = append(slack, p.String())
			if (p.SlackUser != "" && !users[p.SlackUser]) || (p.SlackGroup != "" && len(slackUsers) == 0) {
				unlinked = append(unlinked, p.String())
			}
		}
	}
	if len(github) == 0 || len(slack) == 0 || len(unlinked) == 0 {
		return
	}
	c.warnf(path, "approvers come from GitHub (%s) and Slack (%s), but notify.slack.users does not link %s: "+
		"Shipgate cannot tell a Slack user linked to no login apart from a login linked to no Slack user, so it refuses such approvals "+
		"when they could be the starter's or a second one of the same person; map each login to its Slack user in notify.slack.users, "+
		"e.g. {alice: U0123ABCD}",
		strings.Join(github, ", "), strings.Join(slack, ", "), strings.Join(unlinked, ", "))
}

// steps compiles a list of steps.
func (c *policyCompiler) steps(path string, list []StepConfig, env string, slackUsers map[string]string) []Step {
	var out []Step
	for i, sc := range list {
		sp := pathIndex(path, i)
		var set []string
		for _, k := range stepKeys {
			if stepHas(sc, k) {
				set = append(set, k)
			}
		}
		switch len(set) {
		case 0:
			if !c.badUnder(sp) {
				c.errorf(sp, "empty step; give exactly one of %s", strings.Join(stepKeys, ", "))
			}
			continue
		case 1:
		default:
			c.errorf(sp, "a step has exactly one key, got %s; split it into %d steps", strings.Join(set, " and "), len(set))
		}
		if set[0] == "canary" {
			out = append(out, c.canary(pathKey(sp, "canary"), sc.Canary, env, slackUsers)...)
		} else {
			out = append(out, c.step(sp, sc, set[0], env, slackUsers))
		}
		// Check the other keys too, so that all their errors show at once.
		for _, k := range set[1:] {
			if k == "canary" {
				c.canary(pathKey(sp, "canary"), sc.Canary, env, slackUsers)
				continue
			}
			c.step(sp, sc, k, env, slackUsers)
		}
	}
	return out
}

// stepHas reports whether key k of a step is set.
func stepHas(sc StepConfig, k string) bool {
	switch k {
	case "github_workflow":
		return sc.GitHubWorkflow != nil
	case "gitlab_pipeline":
		return sc.GitLabPipeline != nil
	case "webhook":
		return sc.Webhook != nil
	case "health_check":
		return sc.HealthCheck != nil
	case "wait":
		return sc.Wait != ""
	case "approval":
		return sc.Approval != nil
	case "metric_check":
		return sc.MetricCheck != nil
	case "canary":
		return sc.Canary != nil
	}
	return false
}

// step compiles key k of a step.
func (c *policyCompiler) step(sp string, sc StepConfig, k, env string, slackUsers map[string]string) Step {
	path := pathKey(sp, k)
	s := Step{Kind: StepKind(k)}
	switch k {
	case "github_workflow":
		g := sc.GitHubWorkflow
		w := &WorkflowStep{
			Workflow: g.Workflow,
			Inputs:   c.templates(pathKey(path, "inputs"), g.Inputs, env, nil),
			Timeout:  c.duration(pathKey(path, "timeout"), g.Timeout, defaultStepTimeout),
		}
		switch {
		case g.Workflow == "":
			c.errorf(pathKey(path, "workflow"), "missing; name the workflow file in .github/workflows, e.g. deploy.yml")
		case strings.Contains(g.Workflow, "/") || !(strings.HasSuffix(g.Workflow, ".yml") || strings.HasSuffix(g.Workflow, ".yaml") || isDigits(g.Workflow)):
			c.errorf(pathKey(path, "workflow"), "%s is not a workflow; want the file name in .github/workflows (e.g. deploy.yml) or a numeric workflow ID", quoteValue(g.Workflow))
		}
		if _, reserved := g.Inputs["shipgate_id"]; reserved {
			c.errorf(pathKey(pathKey(path, "inputs"), "shipgate_id"), "shipgate_id is set by Shipgate on every run (declare it in the workflow's inputs and run-name); remove it here")
		}
		if g.Ref != "" {
			w.Ref = c.template(pathKey(path, "ref"), g.Ref, env)
		}
		s.GitHubWorkflow = w
	case "gitlab_pipeline":
		g := sc.GitLabPipeline
		for _, k := range slices.Sorted(maps.Keys(g.Variables)) {
			if strings.HasPrefix(strings.ToUpper(k), "SHIPGATE_") {
				c.errorf(pathKey(pathKey(path, "variables"), k), "variables named SHIPGATE_… are set by Shipgate on every pipeline (SHIPGATE_ID, SHIPGATE_VERSION, SHIPGATE_ENVIRONMENT); remove it here")
			}
		}
		p := &PipelineStep{
			Variables: c.templates(pathKey(path, "variables"), g.Variables, env, envVarName),
			Timeout:   c.duration(pathKey(path, "timeout"), g.Timeout, defaultStepTimeout),
		}
		if g.Ref != "" {
			p.Ref = c.template(pathKey(path, "ref"), g.Ref, env)
		}
		s.GitLabPipeline = p
	case "webhook":
		wh := sc.Webhook
		s.Webhook = &WebhookCall{URL: c.urlTemplate(pathKey(path, "url"), wh.URL, env), SecretEnv: wh.SecretEnv}
		if wh.SecretEnv != "" && !envVarName.MatchString(wh.SecretEnv) {
			c.errorf(pathKey(path, "secret_env"), "%s is not an environment variable name; use letters, digits and _, e.g. DEPLOY_HOOK_SECRET", quoteValue(wh.SecretEnv))
		}
	case "health_check":
		h := sc.HealthCheck
		hc := &HealthCheck{
			URL:      c.urlTemplate(pathKey(path, "url"), h.URL, env),
			Expect:   defaultHealthExpect,
			Interval: c.duration(pathKey(path, "interval"), h.Interval, defaultHealthInterval),
			Retries:  defaultHealthRetries,
			Timeout:  c.duration(pathKey(path, "timeout"), h.Timeout, defaultHealthTimeout),
		}
		if c.given(pathKey(path, "expect")) || h.Expect != 0 {
			if h.Expect < 100 || h.Expect > 599 {
				c.errorf(pathKey(path, "expect"), "%d is not an HTTP status; allowed: 100 to 599", h.Expect)
			} else {
				hc.Expect = h.Expect
			}
		}
		if h.Retries != nil {
			if *h.Retries < 0 || *h.Retries > maxHealthRetries {
				c.errorf(pathKey(path, "retries"), "%d is out of range; allowed: 0 to %d", *h.Retries, maxHealthRetries)
			} else {
				hc.Retries = *h.Retries
			}
		}
		s.HealthCheck = hc
	case "wait":
		s.Wait = c.duration(path, sc.Wait, 0)
	case "approval":
		s.Approval = c.gate(path, sc.Approval, slackUsers)
	case "metric_check":
		s.MetricCheck = c.metricCheck(path, sc.MetricCheck, env)
	}
	return s
}

// isDigits reports whether s is a non-empty string of ASCII digits.
func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// templates compiles a map of templates; keyRE, when set, constrains keys.
func (c *policyCompiler) templates(path string, m map[string]string, env string, keyRE *regexp.Regexp) map[string]*template.Template {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]*template.Template, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		at := pathKey(path, k)
		if k == "" || (keyRE != nil && !keyRE.MatchString(k)) {
			c.errorf(at, "%s is not a variable name; use letters, digits and _", quoteValue(k))
			continue
		}
		if t := c.template(at, m[k], env); t != nil {
			out[k] = t
		}
	}
	return out
}

// urlTemplate compiles a URL template and checks that it gives an absolute
// http(s) URL with sample data.
func (c *policyCompiler) urlTemplate(path, text, env string) *template.Template {
	if text == "" {
		c.errorf(path, "missing; give an absolute http(s) URL, e.g. https://staging.example.com/healthz")
		return nil
	}
	t := c.template(path, text, env)
	if t == nil {
		return nil
	}
	out, _ := runStepTemplate(t, env)
	u, err := url.Parse(out)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		msg := fmt.Sprintf("%s is not an absolute http(s) URL", quoteValue(text))
		if out != text {
			msg += fmt.Sprintf(" (with sample data it reads %s)", quoteValue(out))
		}
		c.errorf(path, "%s; write e.g. https://{{.Environment}}.example.com/healthz", msg)
		return nil
	}
	return t
}

// template parses a step template and checks it: only the fields of
// StepTemplateData, no range, define or template actions, and it runs on
// sample data.
func (c *policyCompiler) template(path, text, env string) *template.Template {
	if len(text) > maxTemplateLen {
		c.errorf(path, "template is %d characters long; the limit is %d", len(text), maxTemplateLen)
		return nil
	}
	t, err := template.New("step").Option("missingkey=error").Parse(text)
	if err != nil {
		c.errorf(path, "invalid template %s: %s", quoteValue(text), templateProblem(err))
		return nil
	}
	if len(t.Templates()) > 1 {
		c.errorf(path, "template %s defines templates; define and block are not allowed in step templates", quoteValue(text))
		return nil
	}
	if problem := checkTemplateNode(t.Tree.Root); problem != "" {
		c.errorf(path, "template %s: %s", quoteValue(text), problem)
		return nil
	}
	if _, err := runStepTemplate(t, env); err != nil {
		c.errorf(path, "template %s fails on sample data: %s; fields: .%s", quoteValue(text), templateProblem(err), strings.Join(stepTemplateFields, ", ."))
		return nil
	}
	return t
}

// templateProblem strips text/template's "template: step:" prefix.
func templateProblem(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "template: step:")
	return strings.Replace(msg, `executing "step" at `, "at ", 1)
}

// runStepTemplate executes t on sample data for environment env.
func runStepTemplate(t *template.Template, env string) (string, error) {
	sample := StepTemplateData{
		Version:         "1.2.3",
		PreviousVersion: "1.2.2",
		Environment:     cmp.Or(env, "production"),
		Repo:            "acme/app",
		SHA:             "0123456789abcdef0123456789abcdef01234567",
	}
	var out cappedBuffer
	err := t.Execute(&out, sample)
	return out.String(), err
}

// cappedBuffer fails writes beyond maxTemplateOutput.
type cappedBuffer struct {
	strings.Builder
}

// errTemplateOutput stops a template that writes more than
// maxTemplateOutput bytes.
var errTemplateOutput = errors.New("output too long")

// Write implements io.Writer.
func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > maxTemplateOutput {
		return 0, errTemplateOutput
	}
	return b.Builder.Write(p)
}

// checkTemplateNode walks a template's parse tree and returns the first
// problem: an unknown field, a variable declaration, range or template.
func checkTemplateNode(n parse.Node) string {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return ""
		}
		for _, item := range n.Nodes {
			if p := checkTemplateNode(item); p != "" {
				return p
			}
		}
	case *parse.ActionNode:
		return checkTemplateNode(n.Pipe)
	case *parse.PipeNode:
		if n == nil {
			return ""
		}
		if len(n.Decl) > 0 {
			return "variables are not allowed in step templates"
		}
		for _, cmd := range n.Cmds {
			if p := checkTemplateNode(cmd); p != "" {
				return p
			}
		}
	case *parse.CommandNode:
		for _, arg := range n.Args {
			if p := checkTemplateNode(arg); p != "" {
				return p
			}
		}
	case *parse.FieldNode:
		return checkTemplateField(n.Ident[0])
	case *parse.VariableNode:
		if len(n.Ident) > 1 {
			return checkTemplateField(n.Ident[1])
		}
	case *parse.ChainNode:
		return checkTemplateNode(n.Node)
	case *parse.IfNode:
		return checkTemplateBranch(&n.BranchNode)
	case *parse.WithNode:
		return checkTemplateBranch(&n.BranchNode)
	case *parse.RangeNode:
		return "range is not allowed in step templates"
	case *parse.TemplateNode:
		return "template calls are not allowed in step templates"
	}
	return ""
}

// checkTemplateBranch checks an if or with.
func checkTemplateBranch(b *parse.BranchNode) string {
	for _, n := range []parse.Node{b.Pipe, b.List, b.ElseList} {
		if p := checkTemplateNode(n); p != "" {
			return p
		}
	}
	return ""
}

// checkTemplateField checks a field name of StepTemplateData.
func checkTemplateField(name string) string {
	if slices.Contains(stepTemplateFields, name) {
		return ""
	}
	msg := fmt.Sprintf("unknown field .%s", name)
	if s := closestName(name, stepTemplateFields); s != "" {
		msg += fmt.Sprintf(" (did you mean .%s?)", s)
	}
	return msg + "; fields: ." + strings.Join(stepTemplateFields, ", .")
}
