package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegithub"
)

// writeFiles writes files (path → content) under a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPolicyValidateWithALocalBase(t *testing.T) {
	t.Setenv("SHIPGATE_GITHUB_TOKEN", "")
	dir := writeFiles(t, map[string]string{
		"policies/base.yml": "version: 1\napprovals:\n  - name: reviewers\n    locked: true\n    required: 2\n",
		"ok.yml":            "version: 1\nextends: policies/base.yml\ntitle: {types: [feat, fix]}\n",
		"weak.yml":          "version: 1\nextends: policies/base.yml\napprovals:\n  - name: reviewers\n    required: 1\n",
		"remote.yml":        "version: 1\nextends: acme/.github:shipgate.yml@main\n",
	})
	code, out, errOut := runCLI("policy", "validate", filepath.Join(dir, "ok.yml"))
	if code != exitOK || !strings.Contains(out, "2 approvals") && !strings.Contains(out, "approvals") || !strings.Contains(out, "extends "+filepath.ToSlash(filepath.Join(dir, "policies/base.yml"))) {
		t.Errorf("ok.yml: exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runCLI("policy", "validate", filepath.Join(dir, "weak.yml"))
	want := filepath.Join(dir, "weak.yml") + ":5:15: approvals[0].required: lowers required from 2 to 1; the base policy " +
		filepath.ToSlash(filepath.Join(dir, "policies/base.yml")) + " locks it at 4:13"
	if code != exitUsage || !strings.Contains(errOut, want) {
		t.Errorf("weak.yml: exit %d, want %d and\n%s\nstderr:\n%s", code, exitUsage, want, errOut)
	}
	code, _, errOut = runCLI("policy", "validate", filepath.Join(dir, "remote.yml"))
	if code != exitUsage || !strings.Contains(errOut, "set SHIPGATE_GITHUB_TOKEN") {
		t.Errorf("remote.yml without a token: exit %d\n%s", code, errOut)
	}
}

func TestPolicyValidateReadsARemoteBaseWithAToken(t *testing.T) {
	fake := fakegithub.New(t, fakegithub.WithToken("ghp_cli"), fakegithub.WithClock(time.Now))
	fake.AddRepo(fakegithub.Repo{FullName: "acme/.github"})
	fake.SetFile("acme/.github", "v2", "shipgate.yml", "version: 1\nbranches: [main]\nlocked: [branches]\n")
	t.Setenv("SHIPGATE_GITHUB_API_URL", fake.URL())
	t.Setenv("SHIPGATE_GITHUB_TOKEN", "ghp_cli")
	dir := writeFiles(t, map[string]string{
		"ok.yml":   "version: 1\nextends: acme/.github:shipgate.yml@v2\nbranches: [main, develop]\n",
		"bad.yml":  "version: 1\nextends: acme/.github:shipgate.yml@v2\nbranches: [develop]\n",
		"gone.yml": "version: 1\nextends: acme/.github:gone.yml@v2\n",
	})
	if code, out, errOut := runCLI("policy", "validate", filepath.Join(dir, "ok.yml")); code != exitOK || !strings.Contains(out, "extends acme/.github:shipgate.yml@v2") {
		t.Errorf("ok.yml: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := runCLI("policy", "validate", filepath.Join(dir, "bad.yml")); code != exitUsage || !strings.Contains(errOut, `branches: narrows branches: leaves out "main"`) {
		t.Errorf("bad.yml: exit %d\n%s", code, errOut)
	}
	code, _, errOut := runCLI("policy", "validate", filepath.Join(dir, "gone.yml"))
	if code != exitUsage || !strings.Contains(errOut, "cannot read the base policy acme/.github:gone.yml@v2") {
		t.Errorf("gone.yml: exit %d\n%s", code, errOut)
	}
	if strings.Contains(errOut, "ghp_cli") {
		t.Error("the token was printed")
	}
}

func TestCheckWithALocalBase(t *testing.T) {
	t.Setenv("SHIPGATE_GITHUB_TOKEN", "")
	dir := writeFiles(t, map[string]string{
		"base.yml":      "version: 1\nchange_record:\n  patterns: ['[A-Z]+-\\d+']\n  sources: [title]\n",
		".shipgate.yml": "version: 1\nextends: base.yml\n",
	})
	code, out, errOut := runCLI("check", "--policy", filepath.Join(dir, ".shipgate.yml"), "--event", "../../examples/pr/pull_request.json")
	if code == exitUsage || !strings.Contains(out+errOut, "change_record") {
		t.Errorf("exit %d: the base's change_record rule should be judged\n%s\n%s", code, out, errOut)
	}
}

// TestReleaseCommandsReadARemoteBase: version next, notes, tag check and
// calendar read .shipgate.yml over its owner/repo base as policy validate
// and check do, so the organisation's tag prefix reaches them.
func TestReleaseCommandsReadARemoteBase(t *testing.T) {
	fake := fakegithub.New(t, fakegithub.WithToken("ghp_cli"), fakegithub.WithClock(time.Now))
	fake.AddRepo(fakegithub.Repo{FullName: "acme/.github"})
	fake.SetFile("acme/.github", "v2", "shipgate.yml", "version: 1\ntags:\n  prefix: release-\n")
	t.Setenv("SHIPGATE_GITHUB_API_URL", fake.URL())
	f := newGitFixture(t)
	f.commit("feat: one")
	f.git("tag", "release-0.4.0")
	f.commit("fix: two")
	f.write(".shipgate.yml", "version: 1\nextends: acme/.github:shipgate.yml@v2\n")

	t.Setenv("SHIPGATE_GITHUB_TOKEN", "")
	if code, _, errOut := runCLI("version", "next", "--repo", f.dir); code != exitUsage || !strings.Contains(errOut, "set SHIPGATE_GITHUB_TOKEN") {
		t.Errorf("version next without a token: exit %d, want %d asking for one\n%s", code, exitUsage, errOut)
	}
	t.Setenv("SHIPGATE_GITHUB_TOKEN", "ghp_cli")
	if code, out, errOut := runCLI("version", "next", "--repo", f.dir); code != exitOK || !strings.HasPrefix(out, "next version: release-0.4.1 ") {
		t.Errorf("version next: exit %d, want release-0.4.1 from the base's tag prefix\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runCLI("notes", "--repo", f.dir, "--date", "2026-11-22"); code != exitOK || !strings.Contains(out, "0.4.1") {
		t.Errorf("notes: exit %d\n%s\n%s", code, out, errOut)
	}
	f.git("tag", "release-0.4.1")
	if code, out, errOut := runCLI("tag", "check", "release-0.4.1", "--repo", f.dir); code != exitOK || strings.Contains(out+errOut, "ghp_cli") {
		t.Errorf("tag check release-0.4.1: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runCLI("calendar", "--repo", f.dir); code != exitOK || strings.Contains(out+errOut, "ghp_cli") {
		t.Errorf("calendar: exit %d\n%s\n%s", code, out, errOut)
	}
}
