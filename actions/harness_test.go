package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegithub"
)

const (
	testRepo  = "acme/widgets"
	testToken = "ghs_action_token"
)

// testNow is the clock of every run: release notes are dated with it.
var testNow = time.Date(2026, 11, 22, 15, 4, 5, 0, time.UTC)

// gitRepo is a git repository made by a test, with deterministic SHAs:
// fixed identity, dates one minute apart, no signing or hooks.
type gitRepo struct {
	t    *testing.T
	dir  string
	tick int
}

func newGitRepo(t *testing.T, dir string) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	g := &gitRepo{t: t, dir: dir}
	g.git("init", "-q", "-b", "main")
	return g
}

func (g *gitRepo) git(args ...string) string {
	g.t.Helper()
	date := fmt.Sprintf("%d +0000", 1_790_000_000+g.tick*60)
	cmd := exec.Command("git", append([]string{
		"-c", "user.name=Test", "-c", "user.email=test@example.com",
		"-c", "commit.gpgSign=false", "-c", "tag.gpgSign=false", "-c", "core.hooksPath=/dev/null",
	}, args...)...)
	cmd.Dir = g.dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_COMMITTER_DATE="+date,
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+g.dir,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit makes an empty commit, optionally as an author "Name <email>",
// and returns its SHA.
func (g *gitRepo) commit(message string, author ...string) string {
	g.t.Helper()
	g.tick++
	args := []string{"commit", "-q", "--allow-empty", "-m", message}
	if len(author) > 0 {
		args = append(args, "--author", author[0])
	}
	g.git(args...)
	return g.git("rev-parse", "HEAD")
}

// write writes a file of the work tree.
func (g *gitRepo) write(name, content string) {
	g.t.Helper()
	if err := os.WriteFile(filepath.Join(g.dir, name), []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

// runner prepares a run of the Action as GitHub's runner does: a
// workspace, an event file, output and summary files, GITHUB_* and INPUT_*
// variables (every input at its action.yml default, as the runner sets
// them), and a fake GitHub behind GITHUB_API_URL.
type runner struct {
	t    *testing.T
	fake *fakegithub.Server
	root string
	ws   *gitRepo
	env  map[string]string
}

func newRunner(t *testing.T) *runner {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"workspace", "temp"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fake := fakegithub.New(t, fakegithub.WithToken(testToken), fakegithub.WithClock(func() time.Time { return testNow }))
	fake.AddRepo(fakegithub.Repo{FullName: testRepo})
	r := &runner{t: t, fake: fake, root: root, ws: newGitRepo(t, filepath.Join(root, "workspace"))}
	r.env = map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_REPOSITORY":   testRepo,
		"GITHUB_WORKSPACE":    r.ws.dir,
		"GITHUB_API_URL":      strings.TrimSuffix(fake.URL(), "/"),
		"GITHUB_SERVER_URL":   r.webURL(),
		"GITHUB_OUTPUT":       filepath.Join(root, "output.txt"),
		"GITHUB_STEP_SUMMARY": filepath.Join(root, "summary.md"),
		"RUNNER_TEMP":         filepath.Join(root, "temp"),
	}
	for _, in := range Inputs() {
		if !strings.HasPrefix(in.Default, "${{") {
			r.env[inputEnv(in.Name)] = in.Default
		}
	}
	r.env[inputEnv(inToken)] = testToken
	return r
}

// webURL is the fake's web address, which GitHub's links start with.
func (r *runner) webURL() string { return strings.TrimSuffix(r.fake.URL(), "/api/v3/") }

// input sets an input.
func (r *runner) input(name, value string) *runner {
	r.env[inputEnv(name)] = value
	return r
}

// event writes the event file and sets GITHUB_EVENT_NAME, GITHUB_REF and
// GITHUB_SHA.
func (r *runner) event(name, ref, sha string, payload any) *runner {
	r.t.Helper()
	body, ok := payload.([]byte)
	if !ok {
		var err error
		if body, err = json.Marshal(payload); err != nil {
			r.t.Fatal(err)
		}
	}
	path := filepath.Join(r.root, "event.json")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		r.t.Fatal(err)
	}
	r.env["GITHUB_EVENT_NAME"], r.env["GITHUB_EVENT_PATH"], r.env["GITHUB_REF"], r.env["GITHUB_SHA"] = name, path, ref, sha
	return r
}

// result is what a run left: exit status, log, outputs and summary.
type result struct {
	code    int
	stdout  string
	outputs map[string]string
	summary string
	// read are the variables the run looked up.
	read []string
}

// run runs the Action in this process and collects what it wrote.
func (r *runner) run() result {
	r.t.Helper()
	var mu sync.Mutex
	seen := map[string]bool{}
	getenv := func(k string) string {
		mu.Lock()
		seen[k] = true
		mu.Unlock()
		return r.env[k]
	}
	var stdout bytes.Buffer
	err := Run(context.Background(), Env{
		Getenv: getenv, Stdout: &stdout, Now: func() time.Time { return testNow }, Transport: r.fake.HTTPClient().Transport,
	})
	res := result{stdout: stdout.String(), outputs: map[string]string{}}
	if err != nil {
		ee, ok := err.(*ExitError)
		if !ok {
			r.t.Fatalf("Run returned %T %v, want *ExitError", err, err)
		}
		res.code = ee.Code
	}
	for k := range seen {
		res.read = append(res.read, k)
	}
	sort.Strings(res.read)
	res.outputs = readOutputs(r.t, r.env["GITHUB_OUTPUT"])
	summary, _ := os.ReadFile(r.env["GITHUB_STEP_SUMMARY"])
	res.summary = string(summary)
	for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		os.Remove(r.env[f]) // the next step's files are new ones
	}
	return res
}

// readOutputs parses GITHUB_OUTPUT: "name<<DELIMITER\nvalue\nDELIMITER".
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT line %q is not name<<delimiter", lines[i])
		}
		var value []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			value = append(value, lines[i])
		}
		if _, dup := out[name]; dup {
			t.Errorf("output %s set twice", name)
		}
		out[name] = strings.Join(value, "\n")
	}
	return out
}

// scrub replaces what differs from run to run (the fake's address) so
// that text can be compared with golden files.
func (r *runner) scrub(s string) string {
	return strings.ReplaceAll(s, r.webURL(), "https://github.example")
}

// annotations are the workflow commands of a run's log, one per line.
func annotations(stdout string) []string {
	var out []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "::") {
			out = append(out, l)
		}
	}
	return out
}
