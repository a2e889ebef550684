package presets

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

// TestRenderValidates renders every preset with and without each fact and
// loads the result as the bot would.
func TestRenderValidates(t *testing.T) {
	factsCases := []struct {
		name  string
		facts Facts
	}{
		{"a bare repository", Facts{}},
		{"a repository on trunk with code owners and a template", Facts{
			DefaultBranch: "trunk", Owner: "acme", CodeOwners: ".github/CODEOWNERS",
			PRTemplate: ".github/pull_request_template.md", ReleaseNoteSection: "Release note",
			ChangeSections: []string{"Change record", "Testing: how?"},
		}},
		{"a branch name YAML would misread", Facts{DefaultBranch: "dev: #1", Owner: "acme"}},
	}
	for _, name := range Names() {
		for _, fc := range factsCases {
			t.Run(name+"/"+fc.name, func(t *testing.T) {
				out, err := Render(name, fc.facts)
				if err != nil {
					t.Fatal(err)
				}
				p, err := policies.Load(".shipgate.yml", out)
				if err != nil {
					t.Fatalf("the %s preset does not validate: %v\n%s", name, err, out)
				}
				want := fc.facts.DefaultBranch
				if want == "" {
					want = "main"
				}
				if len(p.Branches) != 1 || p.Branches[0].Pattern != want {
					t.Errorf("branches = %v, want [%s]", p.Branches, want)
				}
				if !strings.HasPrefix(string(out), "# ") {
					t.Errorf("the %s preset does not start with a comment:\n%s", name, out)
				}
				if len(p.Warnings) > 0 {
					t.Errorf("the %s preset has warnings: %v", name, p.Warnings)
				}
			})
		}
	}
}

// TestRenderFacts checks that each fact shows where it should.
func TestRenderFacts(t *testing.T) {
	withOwners := Facts{DefaultBranch: "main", CodeOwners: "CODEOWNERS"}
	p := load(t, "regulated", withOwners)
	if !p.Approvals[0].CodeOwners || p.Approvals[0].Required != 2 {
		t.Errorf("regulated with CODEOWNERS: approvals = %+v, want 2 with code owners", p.Approvals[0])
	}
	if p.Freeze == nil || p.Freeze.Override == nil || !p.Release.CreateRelease {
		t.Errorf("regulated: want a freeze with an override and releases, got %+v", p)
	}
	out, _ := Render("regulated", Facts{})
	if p := load(t, "regulated", Facts{}); p.Approvals[0].CodeOwners {
		t.Error("regulated without CODEOWNERS enables code owners")
	}
	if !strings.Contains(string(out), "add .github/CODEOWNERS") {
		t.Errorf("regulated without CODEOWNERS does not say how to add it:\n%s", out)
	}
	if got := load(t, "regulated", Facts{}).ChangeRecord.Sections; strings.Join(got, ",") != "Reason,Impact,Verification,Rollback" {
		t.Errorf("default sections = %v", got)
	}
	tmpl := Facts{PRTemplate: "t.md", ChangeSections: []string{"Change record", "Testing"}, ReleaseNoteSection: "Release note"}
	if got := load(t, "regulated", tmpl).ChangeRecord.Sections; strings.Join(got, ",") != "Change record,Testing" {
		t.Errorf("template sections = %v, want the template's", got)
	}
	out, _ = Render("minimal", tmpl)
	if !strings.Contains(string(out), `"## Release note" section of t.md`) {
		t.Errorf("minimal does not point at the template's release-note section:\n%s", out)
	}
	if d := load(t, "deploy", Facts{Owner: "acme"}); len(d.Deploy) != 2 || d.Deploy[1].Approval == nil || d.Deploy[1].Approval.From[0].String() != "@acme/release-managers" {
		t.Errorf("deploy: want staging and a gated production, got %+v", d.Deploy)
	}
}

func TestRenderUnknownPreset(t *testing.T) {
	if _, err := Render("lax", Facts{}); err == nil || !strings.Contains(err.Error(), "minimal, regulated, deploy") {
		t.Errorf("Render(lax) = %v, want an error listing the presets", err)
	}
}

func load(t *testing.T, name string, f Facts) *policies.Policy {
	t.Helper()
	out, err := Render(name, f)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policies.Load(".shipgate.yml", out)
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return p
}
