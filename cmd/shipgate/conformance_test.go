package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fixtures"
)

// TestConformanceCheckPullRequestFixtures evaluates every real pull_request
// payload GitHub documents with the example policy: each must end in a
// verdict (exit 0 or 1), never a usage error or a panic.
func TestConformanceCheckPullRequestFixtures(t *testing.T) {
	files := fixtures.Glob(t, "github/webhooks/pull_request.*.json")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"check", "--policy", "../../examples/.shipgate.yml", "--event", f,
				"--now", "2026-11-04T12:00:00Z", "--format", "json"}, &stdout, &stderr)
			if code != exitOK && code != exitUnsatisfied {
				t.Fatalf("exit %d, want 0 or 1\nstderr: %s", code, stderr.String())
			}
			if !strings.Contains(stdout.String(), `"conclusion"`) {
				t.Fatalf("no verdict printed: %s", stdout.String())
			}
		})
	}
}
