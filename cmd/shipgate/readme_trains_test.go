package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeReleaseTrainPoliciesValidate holds the policy examples of the
// README's "Release trains and notifications" section true.
func TestReadmeReleaseTrainPoliciesValidate(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "\n## Release trains and notifications\n")
	if start < 0 {
		t.Fatal("the README has no \"## Release trains and notifications\" section")
	}
	section := readme[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	fence := regexp.MustCompile("(?ms)^```yaml\n(.*?)^```$")
	blocks := fence.FindAllStringSubmatch(section, -1)
	if len(blocks) != 2 {
		t.Fatalf("%d yaml blocks in the section, want 2", len(blocks))
	}
	for _, b := range blocks {
		file := filepath.Join(t.TempDir(), ".shipgate.yml")
		if err := os.WriteFile(file, []byte(b[1]), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := runPolicyCLI("policy", "validate", file); code != 0 {
			t.Errorf("a policy of the section does not validate (exit %d): %s\n%s", code, stderr, b[1])
		}
	}
}
