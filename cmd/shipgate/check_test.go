package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/golden"
)

// examplePR are the flags that evaluate the example PR with every fact.
var examplePR = []string{
	"check", "--policy", "../../examples/.shipgate.yml",
	"--event", "../../examples/pr/pull_request.json",
	"--reviews", "../../examples/pr/reviews.json",
	"--comments", "../../examples/pr/comments.json",
	"--files", "../../examples/pr/files.json",
	"--commits", "../../examples/pr/commits.json",
	"--checks", "../../examples/pr/checks.json",
	"--teams", "../../examples/teams.yaml",
	"--codeowners", "../../examples/CODEOWNERS",
	"--now", "2026-11-24T10:00:00Z",
}

func TestCheckCommand(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string // compares stdout when set
		stderr string // substring of stderr
	}{
		{name: "the example PR with every fact passes (text)", args: examplePR, code: exitOK, golden: "check_example"},
		{name: "the example PR as JSON", args: append(append([]string{}, examplePR...), "--format", "json"), code: exitOK, golden: "check_example_json"},
		{name: "the example PR without reviews is pending and exits 1",
			args: []string{"check", "--policy", "../../examples/.shipgate.yml", "--event", "../../examples/pr/pull_request.json",
				"--checks", "../../examples/pr/checks.json", "--files", "../../examples/pr/files.json", "--now", "2026-11-24T10:00:00Z"},
			code: exitUnsatisfied, golden: "check_pending"},
		{name: "inside the year-end freeze the example PR fails",
			args: append(append([]string{}, examplePR[:len(examplePR)-1]...), "2026-12-24T10:00:00Z"),
			code: exitUnsatisfied, golden: "check_frozen"},
		{name: "a PR missing everything fails with a fix per rule",
			args: []string{"check", "--policy", "../../examples/.shipgate.yml", "--event", "testdata/bare_pull_request.json",
				"--files", "testdata/empty_list.json", "--now", "2026-11-24T10:00:00Z"},
			code: exitUnsatisfied, golden: "check_bare"},
		{name: "an invalid policy exits 2 naming file, line and column",
			args: []string{"check", "--policy", "testdata/invalid.shipgate.yml", "--event", "../../examples/pr/pull_request.json"},
			code: exitUsage, stderr: "testdata/invalid.shipgate.yml:3:"},
		{name: "a missing policy says how to create one",
			args: []string{"check", "--policy", "testdata/nope.yml", "--event", "../../examples/pr/pull_request.json"},
			code: exitUsage, stderr: "no policy at testdata/nope.yml: create one"},
		{name: "the event flag is required", args: []string{"check"}, code: exitUsage, stderr: `"event" not set`},
		{name: "a payload without a pull request is a usage error",
			args: []string{"check", "--policy", "../../examples/.shipgate.yml", "--event", "testdata/empty_list.json"},
			code: exitUsage, stderr: "not valid JSON of the expected shape"},
		{name: "a bad --now is a usage error",
			args: []string{"check", "--policy", "../../examples/.shipgate.yml", "--event", "../../examples/pr/pull_request.json", "--now", "tomorrow"},
			code: exitUsage, stderr: "want an RFC 3339 time"},
		{name: "an unknown format is a usage error",
			args: append(append([]string{}, examplePR...), "--format", "xml"), code: exitUsage, stderr: "want text or json"},
		{name: "other event names are refused",
			args: append(append([]string{}, examplePR...), "--event-name", "push"), code: exitUsage, stderr: "pull_request or pull_request_target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			if tt.golden != "" {
				golden.Assert(t, tt.golden, stdout.Bytes())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.stderr)
			}
		})
	}
}

// TestCheckJSONShape pins the documented JSON keys and types.
func TestCheckJSONShape(t *testing.T) {
	var stdout, stderr bytes.Buffer
	run(append(append([]string{}, examplePR...), "--format", "json"), &stdout, &stderr)
	var got map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout.String())
	}
	keys := []string{"bump", "change_records", "conclusion", "release_note", "rules"}
	if len(got) != len(keys) {
		t.Errorf("keys = %v, want exactly %v", got, keys)
	}
	for _, k := range keys {
		if _, ok := got[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	for _, r := range got["rules"].([]any) {
		rule := r.(map[string]any)
		if len(rule) != 4 || rule["rule"] == nil || rule["name"] == nil || rule["status"] == nil || rule["message"] == nil {
			t.Errorf("rule entry %v: want exactly rule, name, status, message", rule)
		}
	}
}
