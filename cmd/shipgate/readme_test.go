package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// fencedBlock is one ```lang block of the README.
type fencedBlock struct{ lang, text string }

// quickStartBlocks returns the fenced blocks of the README's "Quick start"
// section.
func quickStartBlocks(t *testing.T) []fencedBlock {
	t.Helper()
	return sectionBlocks(t, "Quick start")
}

// sectionBlocks returns the fenced blocks of the README's "## NAME"
// section.
func sectionBlocks(t *testing.T, name string) []fencedBlock {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "\n## "+name+"\n")
	if start < 0 {
		t.Fatalf("the README has no \"## %s\" section", name)
	}
	section := readme[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	fence := regexp.MustCompile("(?ms)^```([a-z]*)\n(.*?)^```$")
	var blocks []fencedBlock
	for _, m := range fence.FindAllStringSubmatch(section, -1) {
		blocks = append(blocks, fencedBlock{lang: m[1], text: m[2]})
	}
	return blocks
}

// actionInputs reads the inputs action.yml declares.
func actionInputs(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]any `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return action.Inputs
}

// workflow is the part of a GitHub Actions workflow the test reads.
type workflow struct {
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		Steps []struct {
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestQuickStartYAML holds the quick start's YAML true: the workflow runs
// the Action with inputs action.yml has, on the events check answers, and
// the policy validates.
func TestQuickStartYAML(t *testing.T) {
	inputs := actionInputs(t)
	var workflows, policies int
	for _, b := range quickStartBlocks(t) {
		if b.lang != "yaml" {
			continue
		}
		var top map[string]any
		if err := yaml.Unmarshal([]byte(b.text), &top); err != nil {
			t.Errorf("a yaml block does not parse: %v\n%s", err, b.text)
			continue
		}
		switch {
		case top["jobs"] != nil:
			workflows++
			checkWorkflow(t, b.text, inputs)
		case top["version"] != nil:
			policies++
			file := filepath.Join(t.TempDir(), ".shipgate.yml")
			if err := os.WriteFile(file, []byte(b.text), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, _, stderr := runPolicyCLI("policy", "validate", file); code != 0 {
				t.Errorf("the quick start's policy does not validate (exit %d): %s\n%s", code, stderr, b.text)
			}
		default:
			t.Errorf("a yaml block is neither a workflow nor a policy:\n%s", b.text)
		}
	}
	if workflows != 1 || policies != 1 {
		t.Errorf("the quick start shows %d workflows and %d policies, want 1 and 1", workflows, policies)
	}
}

func checkWorkflow(t *testing.T, text string, inputs map[string]any) {
	t.Helper()
	var w workflow
	if err := yaml.Unmarshal([]byte(text), &w); err != nil {
		t.Errorf("the workflow does not parse: %v", err)
		return
	}
	for _, event := range []string{"pull_request", "pull_request_review", "issue_comment"} {
		if _, ok := w.On[event]; !ok {
			t.Errorf("the workflow does not run on %s", event)
		}
	}
	var uses int
	for _, job := range w.Jobs {
		for _, step := range job.Steps {
			if step.Uses != "shipgate/shipgate@v1" {
				continue
			}
			uses++
			for name := range step.With {
				if _, ok := inputs[name]; !ok {
					t.Errorf("the workflow passes %q, an input action.yml does not declare", name)
				}
			}
		}
	}
	if uses != 1 {
		t.Errorf("the workflow uses shipgate/shipgate@v1 in %d steps, want 1", uses)
	}
}

// TestQuickStartCommandsExist runs `CMD --help` for every shipgate command
// line of the quick start and checks the help is that command's.
func TestQuickStartCommandsExist(t *testing.T) {
	var lines int
	for _, b := range quickStartBlocks(t) {
		if b.lang != "sh" {
			continue
		}
		for _, line := range strings.Split(b.text, "\n") {
			words := strings.Fields(line)
			if len(words) == 0 || words[0] != "shipgate" {
				continue
			}
			lines++
			var path []string
			for _, w := range words[1:] {
				if strings.HasPrefix(w, "-") {
					break
				}
				path = append(path, w)
			}
			var out, errOut bytes.Buffer
			code := run(append(path, "--help"), &out, &errOut)
			usage := "shipgate " + strings.Join(path, " ")
			if code != 0 || !strings.Contains(out.String(), usage) {
				t.Errorf("%q: `%s --help` exits %d and does not show %q:\n%s%s", line, usage, code, usage, out.String(), errOut.String())
			}
		}
	}
	if lines == 0 {
		t.Fatal("the quick start shows no shipgate command")
	}
}
