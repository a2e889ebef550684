package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// The Action's entry point maps the run's outcome to the step's exit
// status: a version computed in an empty workspace (no repository) could
// not run, 2, with the reason on standard error.
func TestRunExitsTwoWhenTheActionCannotRun(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": dir, "GITHUB_REPOSITORY": "acme/widgets", "INPUT_COMMAND": "version",
		"GITHUB_OUTPUT": filepath.Join(dir, "out"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), func(k string) string { return env[k] }, &stdout, &stderr)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String()+stderr.String(), "git") {
		t.Errorf("the output does not say what failed: %q %q", stdout.String(), stderr.String())
	}
}
