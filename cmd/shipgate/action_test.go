package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/actions"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fixtures"
)

const actionToken = "ghs_cli_action_token"

// actionEnv sets what the runner sets for a step: every input at its
// action.yml default, the token, the workspace and the files, and the
// fake GitHub's address. The tests that use it cannot run in parallel.
func actionEnv(t *testing.T, fake *fakegithub.Server, workspace, repo string) (outputFile, summaryFile string) {
	t.Helper()
	dir := t.TempDir()
	for _, in := range actions.Inputs() {
		v := in.Default
		if strings.HasPrefix(v, "${{") {
			v = ""
		}
		t.Setenv("INPUT_"+strings.ToUpper(in.Name), v)
	}
	outputFile, summaryFile = filepath.Join(dir, "output"), filepath.Join(dir, "summary.md")
	for k, v := range map[string]string{
		"INPUT_TOKEN": actionToken, "GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": repo, "GITHUB_WORKSPACE": workspace,
		"GITHUB_API_URL": strings.TrimSuffix(fake.URL(), "/"), "GITHUB_SERVER_URL": "https://github.com",
		"GITHUB_OUTPUT": outputFile, "GITHUB_STEP_SUMMARY": summaryFile, "RUNNER_TEMP": dir,
		"GITHUB_EVENT_NAME": "", "GITHUB_EVENT_PATH": "", "GITHUB_REF": "", "GITHUB_SHA": "",
	} {
		t.Setenv(k, v)
	}
	return outputFile, summaryFile
}

// setEvent writes an event file and points the runner's variables at it.
func setEvent(t *testing.T, name, ref, sha string, payload []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(path, payload, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_EVENT_NAME", name)
	t.Setenv("GITHUB_EVENT_PATH", path)
	t.Setenv("GITHUB_REF", ref)
	t.Setenv("GITHUB_SHA", sha)
}

// TestActionExitCodes runs `shipgate action` the way the image's entry
// point does, and checks the exit status and the files it writes.
func TestActionExitCodes(t *testing.T) {
	f := releasedFixture(t) // v1.0.0, v1.1.0, then fix, feat, docs on main
	head := f.git("rev-parse", "HEAD")
	fake := fakegithub.New(t, fakegithub.WithToken(actionToken))
	fake.AddRepo(fakegithub.Repo{FullName: "acme/app"})
	fake.SetFile("acme/app", "main", ".shipgate.yml", "version: 1\ntags:\n  branches: [main]\n")
	tests := []struct {
		name, command, ref string
		tag                string // created before the run
		wantCode           int
		wantOutput         string // a line of GITHUB_OUTPUT
		wantStdout         string
	}{
		{name: "version prints nothing but its outputs", command: "version", ref: "refs/heads/main",
			wantOutput: "v1.2.0", wantStdout: "shipgate version: done"},
		{name: "an invalid tag exits 1", command: "release", ref: "refs/tags/v1.1.1", tag: "v1.1.1", wantCode: 1,
			wantOutput: "failure", wantStdout: "title=Invalid version tag v1.1.1 (bump)"},
		{name: "an unknown command exits 2", command: "deploy", ref: "refs/heads/main", wantCode: 2,
			wantStdout: `::error::input command is "deploy": want one of check, version, notes, release`},
		{name: "check outside a pull request exits 0", command: "check", ref: "refs/heads/main",
			wantStdout: "::notice::nothing to do: a push run has no pull request to check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, summary := actionEnv(t, fake, f.dir, "acme/app")
			t.Setenv("INPUT_COMMAND", tt.command)
			if tt.tag != "" {
				f.git("tag", tt.tag)
				fake.AddTag("acme/app", tt.tag, head)
				t.Cleanup(func() { f.git("tag", "-d", tt.tag) })
			}
			payload, _ := json.Marshal(map[string]any{"ref": tt.ref, "repository": map[string]any{"full_name": "acme/app", "default_branch": "main"}})
			setEvent(t, "push", tt.ref, head, payload)
			code, stdout, stderr := runCLI("action")
			if code != tt.wantCode || stderr != "" {
				t.Fatalf("exit %d, stderr %q; want exit %d\n%s", code, stderr, tt.wantCode, stdout)
			}
			if !strings.Contains(stdout, tt.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantStdout, stdout)
			}
			written, _ := os.ReadFile(out)
			if tt.wantOutput != "" && !strings.Contains(string(written), "\n"+tt.wantOutput+"\n") {
				t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", tt.wantOutput, written)
			}
			if s, err := os.ReadFile(summary); err != nil || !strings.HasPrefix(string(s), "## Shipgate "+tt.command) {
				t.Errorf("job summary %q (%v)", s, err)
			}
		})
	}
}

// TestConformanceActionFixtures runs every command of `shipgate action`
// with every real pull_request, push and create payload GitHub documents as
// the event file: each run ends with a clear result (exit 0 or 1, or 2
// with an error annotation), never a panic, and the fake GitHub fails the
// test for any request that breaks GitHub's API description.
func TestConformanceActionFixtures(t *testing.T) {
	var files []string
	for _, pattern := range []string{"pull_request.*.json", "push.*.json", "create.*.json"} {
		files = append(files, fixtures.Glob(t, filepath.Join("github", "webhooks", pattern))...)
	}
	f := releasedFixture(t)
	f.write(".shipgate.yml", "version: 1\n")
	f.git("tag", "simple-tag") // the fixtures' tag
	for _, file := range files {
		payload, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Number      int    `json:"number"`
			Ref         string `json:"ref"`
			RefType     string `json:"ref_type"`
			After       string `json:"after"`
			PullRequest *struct {
				Title string `json:"title"`
				Body  string `json:"body"`
				User  struct {
					Login string `json:"login"`
				} `json:"user"`
				Base struct{ Ref, SHA string } `json:"base"`
				Head struct{ Ref, SHA string } `json:"head"`
			} `json:"pull_request"`
			Repository struct {
				FullName string `json:"full_name"`
			} `json:"repository"`
		}
		if err := json.Unmarshal(payload, &p); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		event, _, _ := strings.Cut(filepath.Base(file), ".")
		ref, sha := p.Ref, p.After
		if event == "create" {
			ref = "refs/tags/" + p.Ref
		}
		if pr := p.PullRequest; pr != nil {
			ref, sha = "refs/pull/"+jsonNumber(p.Number)+"/merge", pr.Head.SHA
		}
		for _, command := range []string{"check", "version", "notes", "release"} {
			t.Run(filepath.Base(file)+"/"+command, func(t *testing.T) {
				fake := fakegithub.New(t, fakegithub.WithToken(actionToken))
				fake.AddRepo(fakegithub.Repo{FullName: p.Repository.FullName, DefaultBranch: "master"})
				fake.SetFile(p.Repository.FullName, "master", ".shipgate.yml", "version: 1\nrelease_notes: {}\n")
				if pr := p.PullRequest; pr != nil {
					fake.AddPR(p.Repository.FullName, fakegithub.PR{Number: p.Number, Title: pr.Title, Body: pr.Body, Author: pr.User.Login,
						Base: pr.Base.Ref, BaseSHA: pr.Base.SHA, Head: pr.Head.Ref, HeadSHA: pr.Head.SHA})
					fake.SetFile(p.Repository.FullName, pr.Base.SHA, ".shipgate.yml", "version: 1\nrelease_notes: {}\n")
				}
				_, summary := actionEnv(t, fake, f.dir, p.Repository.FullName)
				t.Setenv("INPUT_COMMAND", command)
				setEvent(t, event, ref, sha, payload)
				code, stdout, stderr := runCLI("action")
				switch {
				case stderr != "":
					t.Errorf("stderr %q", stderr)
				case strings.Contains(stdout, "internal error"):
					t.Errorf("a panic was recovered:\n%s", stdout)
				case code == 2 && !strings.Contains(stdout, "::error"):
					t.Errorf("exit 2 without an error annotation:\n%s", stdout)
				case code != 0 && code != 1 && code != 2:
					t.Errorf("exit %d", code)
				case command == "check" && p.PullRequest != nil && code == 2:
					t.Errorf("the pull request was not evaluated:\n%s", stdout)
				}
				s, err := os.ReadFile(summary)
				if err != nil || len(s) == 0 {
					t.Errorf("no job summary (%v)", err)
				}
				line := strings.Join(strings.Fields(string(s)), " ")
				t.Logf("exit %d: %s", code, line[:min(len(line), 200)])
			})
		}
	}
}

func jsonNumber(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
