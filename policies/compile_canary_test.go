package policies

import (
	"slices"
	"strings"
	"testing"
)

func canaryPolicy(step string) string {
	return "version: 1\ndeploy:\n  environments:\n    - name: production\n      steps:\n        - " + step + "\n"
}

func TestACanaryExpandsIntoStagesWithTheAnalysisBetweenThem(t *testing.T) {
	p, err := Load("p.yml", []byte(canaryPolicy(`canary: {github_workflow: {workflow: deploy.yml, inputs: {env: "{{.Environment}}"}}, steps: [10, 50, 100], pause: 5m,
            analysis: {url: "https://prom.example.com", query: 'errors{version="{{.Version}}"}', max: 0.05},
            approval: {from: [alice]}}`)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range p.Deploy[0].Steps {
		line := s.Stage + " " + string(s.Kind)
		if s.GitHubWorkflow != nil {
			out, _ := runStepTemplate(s.GitHubWorkflow.Inputs["canary"], "production")
			env, _ := runStepTemplate(s.GitHubWorkflow.Inputs["env"], "production")
			line += " canary=" + out + " env=" + env
		}
		if s.MetricCheck != nil {
			line += " for " + s.MetricCheck.For.String() + " every " + s.MetricCheck.Interval.String() + " " + s.MetricCheck.Bounds()
		}
		got = append(got, line)
	}
	want := []string{
		"canary 10% github_workflow canary=10 env=production", "canary 10% metric_check for 10m0s every 1m0s ≤ 0.05", "canary 10% wait", "canary 10% approval",
		"canary 50% github_workflow canary=50 env=production", "canary 50% metric_check for 10m0s every 1m0s ≤ 0.05", "canary 50% wait", "canary 50% approval",
		"canary 100% github_workflow canary=100 env=production", "canary 100% metric_check for 10m0s every 1m0s ≤ 0.05",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("steps:\n got %q\nwant %q", got, want)
	}
}

func TestCanaryAndMetricCheckErrorsSayWhereAndHowToFix(t *testing.T) {
	tests := []struct {
		name, step, want string
	}{
		{"stages that do not increase", `canary: {github_workflow: {workflow: deploy.yml}, steps: [10, 5, 100]}`, "p.yml:6:73: deploy.environments[0].steps[0].canary.steps[1]: 5 does not follow 10"},
		{"a canary that never reaches 100", `canary: {github_workflow: {workflow: deploy.yml}, steps: [10, 50]}`, "canary.steps[1]: the last stage is 50%; end with 100"},
		{"a percentage out of range", `canary: {github_workflow: {workflow: deploy.yml}, steps: [0, 100]}`, "0 is not a percentage; allowed: 1 to 100"},
		{"no deployment to run", `canary: {steps: [100]}`, "missing the deployment to run at each stage"},
		{"the stage input set by hand", `canary: {github_workflow: {workflow: deploy.yml, inputs: {canary: "5"}}, steps: [100]}`, "canary is set by the canary to each stage's percentage"},
		{"no threshold", `metric_check: {url: "https://prom.example.com", query: up}`, "give max or min (or both)"},
		{"min above max", `metric_check: {url: "https://prom.example.com", query: up, min: 2, max: 1}`, "min 2 is above max 1"},
		{"a threshold that is not a number", `metric_check: {url: "https://prom.example.com", query: up, max: high}`, "metric_check.max: want a number"},
		{"no query", `metric_check: {url: "https://prom.example.com", max: 1}`, "metric_check.query: missing; give the PromQL to watch"},
		{"an unknown template field", `metric_check: {url: "https://prom.example.com", query: 'up{v="{{.Verison}}"}', max: 1}`, "unknown field .Verison (did you mean .Version?)"},
		{"an interval longer than the window", `metric_check: {url: "https://prom.example.com", query: up, max: 1, for: 1m, interval: 5m}`, "interval 5m0s is longer than for 1m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("p.yml", []byte(canaryPolicy(tc.step)))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "p.yml:6:") {
				t.Fatalf("error %v, want one at p.yml:6 saying %q", err, tc.want)
			}
		})
	}
}

func TestAMetricCheckTreatsNaNAsCrossing(t *testing.T) {
	max := 1.0
	m := &MetricCheck{Max: &max}
	nan := 0.0
	nan /= nan
	for _, tc := range []struct {
		v    float64
		want string
	}{{0.5, ""}, {1, ""}, {1.5, "1.5 is above the maximum 1"}, {nan, "NaN is not a measurement"}} {
		if got := m.Crossed(tc.v); got != tc.want {
			t.Errorf("Crossed(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
