package policies

import (
	"fmt"
	"strconv"
	"text/template"
	"time"
)

// Defaults of metric_check steps and canary stages.
const (
	defaultMetricFor      = 10 * time.Minute
	defaultMetricInterval = time.Minute
	defaultCanaryInput    = "canary"
	// maxCanaryStages bounds the runs one canary makes.
	maxCanaryStages = 20
)

// metricCheck compiles a metric_check step (or a canary's analysis).
func (c *policyCompiler) metricCheck(path string, m *MetricCheckStep, env string) *MetricCheck {
	out := &MetricCheck{
		URL:      c.urlTemplate(pathKey(path, "url"), m.URL, env),
		Max:      m.Max,
		Min:      m.Min,
		For:      c.duration(pathKey(path, "for"), m.For, defaultMetricFor),
		Interval: c.duration(pathKey(path, "interval"), m.Interval, defaultMetricInterval),
	}
	if m.Query == "" {
		c.errorf(pathKey(path, "query"), `missing; give the PromQL to watch, e.g. sum(rate(http_requests_total{code=~"5..",version="{{.Version}}"}[5m]))`)
	} else {
		out.Query = c.template(pathKey(path, "query"), m.Query, env)
	}
	switch {
	case m.Max == nil && m.Min == nil:
		c.errorf(path, "give max or min (or both): the value the query must stay under or over, e.g. max: 0.05")
	case m.Max != nil && m.Min != nil && *m.Min > *m.Max:
		c.errorf(pathKey(path, "min"), "min %s is above max %s; no value could pass", formatFloat(*m.Min), formatFloat(*m.Max))
	}
	if out.Interval > out.For {
		c.errorf(pathKey(path, "interval"), "interval %s is longer than for %s; the query would run once at most", out.Interval, out.For)
	}
	return out
}

// canary expands a canary step into its stages: for each percentage the
// workflow (or pipeline) with the percentage as an input, then the
// analysis; between two stages the pause and the approval.
func (c *policyCompiler) canary(path string, cs *CanaryStep, env string, slackUsers map[string]string) []Step {
	input := defaultCanaryInput
	if cs.Input != "" {
		input = cs.Input
	}
	if !envVarName.MatchString(input) {
		c.errorf(pathKey(path, "input"), "%s is not an input name; use letters, digits and _, e.g. canary", quoteValue(input))
	}
	c.canaryStages(pathKey(path, "steps"), cs.Steps)
	runs := c.canaryRuns(path, cs, input, env)
	var analysis *MetricCheck
	if cs.Analysis != nil {
		analysis = c.metricCheck(pathKey(path, "analysis"), cs.Analysis, env)
	}
	pause := c.duration(pathKey(path, "pause"), cs.Pause, 0)
	gate := c.gate(pathKey(path, "approval"), cs.Approval, slackUsers)
	if runs == nil {
		return nil
	}
	var out []Step
	for i, pct := range cs.Steps {
		stage := fmt.Sprintf("canary %d%%", pct)
		out = append(out, runs(pct, stage))
		if analysis != nil {
			out = append(out, Step{Kind: StepMetricCheck, MetricCheck: analysis, Stage: stage})
		}
		if i == len(cs.Steps)-1 {
			break
		}
		if pause > 0 {
			out = append(out, Step{Kind: StepWait, Wait: pause, Stage: stage})
		}
		if gate != nil {
			out = append(out, Step{Kind: StepApproval, Approval: gate, Stage: stage})
		}
	}
	return out
}

// canaryStages checks the percentages: increasing, within 1 to 100, ending
// with 100 (a canary ends with all the traffic).
func (c *policyCompiler) canaryStages(path string, steps []int) {
	switch {
	case len(steps) == 0:
		c.errorf(path, "missing; list the percentages of traffic, e.g. [10, 50, 100]")
		return
	case len(steps) > maxCanaryStages:
		c.errorf(path, "%d stages; the limit is %d", len(steps), maxCanaryStages)
	}
	for i, p := range steps {
		at := pathIndex(path, i)
		switch {
		case p < 1 || p > 100:
			c.errorf(at, "%d is not a percentage; allowed: 1 to 100", p)
		case i > 0 && p <= steps[i-1]:
			c.errorf(at, "%d does not follow %d; percentages increase, e.g. [10, 50, 100]", p, steps[i-1])
		}
	}
	if last := steps[len(steps)-1]; last != 100 {
		c.errorf(pathIndex(path, len(steps)-1), "the last stage is %d%%; end with 100 so that the rollout completes, e.g. [10, 50, 100]", last)
	}
}

// canaryRuns compiles the canary's workflow or pipeline and returns how to
// make the run of one stage; nil when neither is valid.
func (c *policyCompiler) canaryRuns(path string, cs *CanaryStep, input, env string) func(pct int, stage string) Step {
	withInput := func(m map[string]*template.Template, pct int) map[string]*template.Template {
		out := make(map[string]*template.Template, len(m)+1)
		for k, v := range m {
			out[k] = v
		}
		out[input] = template.Must(template.New("step").Parse(strconv.Itoa(pct)))
		return out
	}
	switch {
	case cs.GitHubWorkflow != nil && cs.GitLabPipeline != nil:
		c.errorf(path, "a canary runs github_workflow or gitlab_pipeline, not both")
	case cs.GitHubWorkflow != nil:
		if _, clash := cs.GitHubWorkflow.Inputs[input]; clash {
			c.errorf(pathKey(pathKey(pathKey(path, "github_workflow"), "inputs"), input), "%s is set by the canary to each stage's percentage; remove it here", input)
		}
		base := c.step(path, StepConfig{GitHubWorkflow: cs.GitHubWorkflow}, "github_workflow", env, nil)
		return func(pct int, stage string) Step {
			w := *base.GitHubWorkflow
			w.Inputs = withInput(w.Inputs, pct)
			return Step{Kind: StepGitHubWorkflow, GitHubWorkflow: &w, Stage: stage}
		}
	case cs.GitLabPipeline != nil:
		if _, clash := cs.GitLabPipeline.Variables[input]; clash {
			c.errorf(pathKey(pathKey(pathKey(path, "gitlab_pipeline"), "variables"), input), "%s is set by the canary to each stage's percentage; remove it here", input)
		}
		base := c.step(path, StepConfig{GitLabPipeline: cs.GitLabPipeline}, "gitlab_pipeline", env, nil)
		return func(pct int, stage string) Step {
			p := *base.GitLabPipeline
			p.Variables = withInput(p.Variables, pct)
			return Step{Kind: StepGitLabPipeline, GitLabPipeline: &p, Stage: stage}
		}
	default:
		c.errorf(path, "missing the deployment to run at each stage: give github_workflow: {workflow: deploy.yml} or gitlab_pipeline: {}")
	}
	return nil
}
