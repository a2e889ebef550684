package actions

import (
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/shipgate/shipgate/internal/fakegithub"
)

// actionYAML is what the test reads of action.yml.
type actionYAML struct {
	Name, Description, Author string
	Branding                  struct{ Icon, Color string }
	Inputs                    map[string]struct {
		Description string
		Required    bool
		Default     *string
	}
	Outputs map[string]struct{ Description string }
	Runs    struct {
		Using, Image, Entrypoint string
		Args                     []string
	}
}

func readActionYAML(t *testing.T) actionYAML {
	t.Helper()
	data, err := os.ReadFile("../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionYAML
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a
}

// TestActionYAMLMatchesTheCode holds action.yml and the Inputs and
// Outputs tables in step: the same names, descriptions and defaults.
func TestActionYAMLMatchesTheCode(t *testing.T) {
	a := readActionYAML(t)
	if a.Name == "" || a.Description == "" || a.Branding.Icon == "" || a.Branding.Color == "" {
		t.Errorf("action.yml needs a name, a description and branding: %+v", a)
	}
	if a.Runs.Using != "docker" || !strings.HasPrefix(a.Runs.Image, "docker://") || a.Runs.Entrypoint != "" || len(a.Runs.Args) != 0 {
		t.Errorf("runs = %+v, want the published image (docker://…), whose entry point is shipgate-action", a.Runs)
	}
	for _, in := range Inputs() {
		y, ok := a.Inputs[in.Name]
		switch {
		case !ok:
			t.Errorf("input %s is in Inputs, not in action.yml", in.Name)
			continue
		case y.Description != in.Description:
			t.Errorf("input %s: action.yml says %q, Inputs %q", in.Name, y.Description, in.Description)
		case y.Required:
			t.Errorf("input %s is required in action.yml: every input has a default", in.Name)
		case y.Default == nil:
			t.Errorf("input %s: action.yml gives no default, Inputs gives %q", in.Name, in.Default)
		case *y.Default != in.Default:
			t.Errorf("input %s: action.yml's default is %q, Inputs' %q", in.Name, *y.Default, in.Default)
		}
	}
	for name := range a.Inputs {
		if _, ok := param(Inputs(), name); !ok {
			t.Errorf("input %s is in action.yml, not in Inputs", name)
		}
	}
	for _, out := range Outputs() {
		if y, ok := a.Outputs[out.Name]; !ok || y.Description != out.Description {
			t.Errorf("output %s: action.yml says %q (declared %v), Outputs %q", out.Name, y.Description, ok, out.Description)
		}
	}
	for name := range a.Outputs {
		if _, ok := param(Outputs(), name); !ok {
			t.Errorf("output %s is in action.yml, not in Outputs", name)
		}
	}
}

// TestEveryInputIsReadAndEveryOutputWritten runs each command once and
// checks that together they read every declared input and write every
// declared output, and that nothing undeclared is read or written.
func TestEveryInputIsReadAndEveryOutputWritten(t *testing.T) {
	var runs []result
	{
		r := checkRunner(t, 1, fakegithub.PR{Title: "WID-1 x", Author: "alice"}, basePolicy)
		runs = append(runs, r.run())
	}
	for _, command := range []string{"version", "notes"} {
		r, h := releasedRunner(t)
		runs = append(runs, r.input("command", command).pushBranch(h).run())
	}
	{
		r, h := releasedRunner(t)
		runs = append(runs, r.input("command", "release").input("create-tag", "true").input("notes-file", "NOTES.md").pushBranch(h).run())
	}
	{
		r, h := changelogRunner(t)
		runs = append(runs, r.input("command", "release").input("changelog", "CHANGELOG.md").pushTag(h, "v1.2.0", "docs").run())
	}
	read, written := map[string]bool{}, map[string]bool{}
	for _, res := range runs {
		for _, k := range res.read {
			read[k] = true
			if name, ok := strings.CutPrefix(k, "INPUT_"); ok && !slices.ContainsFunc(Inputs(), func(p Param) bool { return inputEnv(p.Name) == k }) {
				t.Errorf("the code reads %s, an input action.yml does not declare (%s)", k, name)
			}
		}
		for k := range res.outputs {
			written[k] = true
			if _, ok := param(Outputs(), k); !ok {
				t.Errorf("the code writes the output %s, which action.yml does not declare", k)
			}
		}
	}
	for _, in := range Inputs() {
		if !read[inputEnv(in.Name)] {
			t.Errorf("no command reads the input %s (%s)", in.Name, inputEnv(in.Name))
		}
	}
	for _, out := range Outputs() {
		if !written[out.Name] {
			t.Errorf("no command writes the output %s", out.Name)
		}
	}
}
