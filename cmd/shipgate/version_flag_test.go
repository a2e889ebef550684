package main

import (
	"bytes"
	"regexp"
	"testing"
)

// TestVersionFlag prints the build's version, commit and date in one line.
func TestVersionFlag(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"--version"}, &out, &errs); code != 0 {
		t.Fatalf("--version exited %d: %s", code, errs.String())
	}
	// A test binary has no module version: "(devel)", and the commit
	// when the toolchain recorded one.
	if !regexp.MustCompile(`^shipgate (\(devel\)|v\d+\.\d+\.\d+\S*)( \(.*\))?\n$`).MatchString(out.String()) {
		t.Errorf("--version printed %q", out.String())
	}
}
