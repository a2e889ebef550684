package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/golden"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/presets"
)

// initFixture is a repository for `policy init`: its default branch, and
// whether it has CODEOWNERS and a PR template with sections.
type initFixture struct {
	name                  string
	branch                string
	codeOwners, prSection bool
}

func (fx initFixture) build(t *testing.T) *gitFixture {
	t.Helper()
	f := newGitFixture(t)
	if fx.branch != "main" {
		f.git("checkout", "-q", "-b", fx.branch)
	}
	f.git("remote", "add", "origin", "https://github.com/acme/widgets.git")
	if fx.codeOwners {
		f.mkdir(".github")
		f.write(".github/CODEOWNERS", "db/** @acme/dba\n")
	}
	if fx.prSection {
		f.mkdir("docs")
		f.write("docs/pull_request_template.md", "## Summary\n\n## Release note\n\n```release-note\n```\n\n## Change record\n\n## Testing\n")
	}
	f.commit("chore: init")
	return f
}

func (f *gitFixture) mkdir(name string) {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Join(f.dir, name), 0o755); err != nil {
		f.t.Fatal(err)
	}
}

func TestPolicyInitPresetsFitTheRepository(t *testing.T) {
	fixtures := []initFixture{
		{name: "a bare repository on main", branch: "main"},
		{name: "a repository on trunk with CODEOWNERS", branch: "trunk", codeOwners: true},
		{name: "a repository with a PR template with sections", branch: "main", prSection: true},
		{name: "a repository on trunk with both", branch: "trunk", codeOwners: true, prSection: true},
	}
	for _, preset := range presets.Names() {
		for _, fx := range fixtures {
			t.Run(preset+"/"+fx.name, func(t *testing.T) {
				f := fx.build(t)
				code, stdout, stderr := runCLI("policy", "init", "--preset", preset, "--repo", f.dir)
				if code != 0 || stderr != "" {
					t.Fatalf("exit %d, stderr %q", code, stderr)
				}
				file := filepath.Join(f.dir, ".shipgate.yml")
				if !strings.HasPrefix(stdout, "wrote "+file) {
					t.Errorf("stdout = %q, want it to name %s", stdout, file)
				}
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				p, err := policies.Load(file, data)
				if err != nil {
					t.Fatalf("the written policy does not validate: %v\n%s", err, data)
				}
				if len(p.Branches) != 1 || p.Branches[0].Pattern != fx.branch {
					t.Errorf("branches = %v, want [%s]", globList(p.Branches), fx.branch)
				}
				if strings.Count(string(data), "\n#") < 5 {
					t.Errorf("the policy has few comments:\n%s", data)
				}
				checkInitFacts(t, preset, fx, p, string(data))
				if code, _, stderr := runCLI("policy", "validate", file); code != 0 {
					t.Errorf("policy validate: exit %d, %s", code, stderr)
				}
			})
		}
	}
}

// checkInitFacts checks what a fixture's CODEOWNERS and template change.
func checkInitFacts(t *testing.T, preset string, fx initFixture, p *policies.Policy, data string) {
	t.Helper()
	if preset == "regulated" {
		if got := p.Approvals[0].CodeOwners; got != fx.codeOwners {
			t.Errorf("codeowners = %v, want %v (CODEOWNERS present: %v)", got, fx.codeOwners, fx.codeOwners)
		}
		if !fx.codeOwners && !strings.Contains(data, "add .github/CODEOWNERS") {
			t.Error("without CODEOWNERS the policy does not say how to add it")
		}
		want := "Reason,Impact,Verification,Rollback"
		if fx.prSection {
			want = "Change record,Testing"
		}
		if got := strings.Join(p.ChangeRecord.Sections, ","); got != want {
			t.Errorf("change_record.sections = %s, want %s", got, want)
		}
	}
	pointsAtTemplate := strings.Contains(data, `"## Release note" section of docs/pull_request_template.md`)
	if pointsAtTemplate != fx.prSection {
		t.Errorf("release notes point at the template: %v, want %v", pointsAtTemplate, fx.prSection)
	}
	if preset == "deploy" && (len(p.Deploy) != 2 || p.Deploy[1].Approval == nil) {
		t.Errorf("deploy: want staging and a gated production, got %d environments", len(p.Deploy))
	}
}

func TestPolicyInitGolden(t *testing.T) {
	for _, preset := range presets.Names() {
		t.Run(preset, func(t *testing.T) {
			f := initFixture{branch: "trunk", codeOwners: preset == "regulated", prSection: preset != "deploy"}.build(t)
			out := filepath.Join(t.TempDir(), "policy.yml")
			if code, _, stderr := runCLI("policy", "init", "--preset", preset, "--repo", f.dir, "--output", out); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "policy_init_"+preset+".yml", data)
		})
	}
}

func TestPolicyInitRefusesToOverwriteWithoutForce(t *testing.T) {
	f := initFixture{branch: "main"}.build(t)
	f.write(".shipgate.yml", "version: 1\n# mine\n")
	code, stdout, stderr := runCLI("policy", "init", "--repo", f.dir)
	if code != 2 || stdout != "" || !strings.Contains(stderr, ".shipgate.yml exists; keep it, or replace it with --force") {
		t.Errorf("without --force: exit %d, stdout %q, stderr %q; want exit 2 and the refusal", code, stdout, stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(f.dir, ".shipgate.yml")); string(data) != "version: 1\n# mine\n" {
		t.Errorf("the existing file changed: %q", data)
	}
	if code, _, stderr := runCLI("policy", "init", "--repo", f.dir, "--preset", "deploy", "--force"); code != 0 {
		t.Fatalf("with --force: exit %d, %s", code, stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(f.dir, ".shipgate.yml")); !strings.Contains(string(data), "--preset deploy") {
		t.Errorf("--force did not replace the file:\n%s", data)
	}
}

func TestPolicyInitUsageErrors(t *testing.T) {
	f := initFixture{branch: "main"}.build(t)
	tests := []struct {
		name, want string
		args       []string
	}{
		{name: "an unknown preset", args: []string{"--preset", "lax", "--repo", f.dir}, want: `unknown preset "lax"; allowed values: minimal, regulated, deploy`},
		{name: "a directory that is no repository", args: []string{"--repo", t.TempDir()}, want: "run 'shipgate policy init' in a git repository or pass --repo DIR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(append([]string{"policy", "init"}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}

func TestTemplateSections(t *testing.T) {
	note, change := templateSections("# Title\n## Release notes:\n### Why\n## Rollback plan ##\n```\n## Testing\n```\n## Description\n")
	if note != "Release notes" || strings.Join(change, "|") != "Why|Rollback plan" {
		t.Errorf("templateSections = %q, %q", note, change)
	}
}

func TestOwnerOf(t *testing.T) {
	for url, want := range map[string]string{
		"https://github.com/acme/widgets.git":      "acme",
		"git@github.com:acme/widgets":              "acme",
		"ssh://git@gitlab.example.com/grp/sub/app": "grp",
		"/srv/git/widgets":                         "",
	} {
		if got := ownerOf(url); got != want {
			t.Errorf("ownerOf(%q) = %q, want %q", url, got, want)
		}
	}
}
