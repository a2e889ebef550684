package actions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/sethvargo/go-githubactions"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// outputDelimiter is the heredoc delimiter go-githubactions writes outputs
// with. A value holding it (a PR's release note can say anything) would
// end the value early and set outputs of its own choosing.
const outputDelimiter = "_GitHubActionsFileCommandDelimeter_"

// State is one run of the Action: the runner's context, read once, the
// inputs, and where results go. Commands read and fill it.
type State struct {
	// Event is GITHUB_EVENT_NAME (pull_request, merge_group, push…).
	Event string
	// Repo is GITHUB_REPOSITORY, "owner/name".
	Repo string
	// Workspace is GITHUB_WORKSPACE, the checked-out repository.
	Workspace string
	// Ref and SHA are GITHUB_REF and GITHUB_SHA.
	Ref, SHA string
	// APIURL and ServerURL are GITHUB_API_URL and GITHUB_SERVER_URL.
	APIURL, ServerURL string
	// RunID is GITHUB_RUN_ID (0 outside a runner): the commit status
	// links to the run.
	RunID int64

	payload   payload
	gha       *githubactions.Action
	getenv    func(string) string
	now       func() time.Time
	transport http.RoundTripper
	app       *github.App
	rel       *github.Releases
	outputs   map[string]string
	report    templates.ActionReport
}

// input returns a declared input: the runner's INPUT_ variable, else the
// default of the table (a local run has no defaults applied). Reading an
// undeclared input is a bug, reported as such.
func (st *State) input(name string) string {
	p, ok := param(Inputs(), name)
	if !ok {
		panic(fmt.Sprintf("actions: input %q is not declared in Inputs", name))
	}
	if v := strings.TrimSpace(st.getenv(inputEnv(name))); v != "" {
		return v
	}
	if strings.HasPrefix(p.Default, "${{") {
		return "" // only the runner evaluates expressions
	}
	return p.Default
}

// boolInput reads a true/false input.
func (st *State) boolInput(name string) (bool, error) {
	return parseBool(name, st.input(name))
}

// setOutput sets a declared output; finish writes the outputs once, in
// the order of Outputs, whatever order and however often commands set
// them.
func (st *State) setOutput(name, value string) error {
	if _, ok := param(Outputs(), name); !ok {
		panic(fmt.Sprintf("actions: output %q is not declared in Outputs", name))
	}
	if strings.Contains(value, outputDelimiter) {
		return fmt.Errorf("output %s: the value holds %s, which would end it early; remove it from the source (a PR's release note?)", name, outputDelimiter)
	}
	if st.outputs == nil {
		st.outputs = map[string]string{}
	}
	st.outputs[name] = value
	return nil
}

// writeOutputs writes the outputs set to GITHUB_OUTPUT, or logs them when
// the runner gives no output file (a local run).
func (st *State) writeOutputs() error {
	for _, p := range Outputs() {
		value, ok := st.outputs[p.Name]
		if !ok {
			continue
		}
		if st.getenv("GITHUB_OUTPUT") == "" {
			st.gha.Infof("output %s=%s", p.Name, strconv.Quote(value))
			continue
		}
		if err := catch(func() { st.gha.SetOutput(p.Name, value) }, "writing the output "+p.Name); err != nil {
			return err
		}
	}
	return nil
}

// setOutputs sets several outputs, in order, stopping at the first error.
func (st *State) setOutputs(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := st.setOutput(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// catch runs a go-githubactions call that panics when it cannot write,
// and returns that as an error.
func catch(f func(), what string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %v", what, p)
		}
	}()
	f()
	return nil
}

// workspacePath resolves a path input against the workspace.
func (st *State) workspacePath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(st.Workspace, p)
}

// api returns the GitHub adapter, authenticated with the token input.
func (st *State) api() (*github.App, error) {
	if st.app != nil {
		return st.app, nil
	}
	token := st.input(inToken)
	if token == "" {
		return nil, errors.New("the token input is empty: leave it out (it defaults to ${{ github.token }}) or give a token with the permissions the README lists")
	}
	if st.Repo == "" {
		return nil, errors.New("GITHUB_REPOSITORY is not set: run the Action in a workflow, or set it to OWNER/NAME")
	}
	app, err := github.New(github.Config{
		APIURL: st.APIURL, Token: bot.Secret(token), Transport: st.transport, Now: st.now, Logger: zerolog.Nop(),
	})
	if err != nil {
		return nil, fmt.Errorf("GITHUB_API_URL %q: %w", st.APIURL, err)
	}
	st.app = app
	return app, nil
}

// releases returns the release side of the run's repository, made once
// per run: the release command and its notes share one session.
func (st *State) releases(ctx context.Context) (*github.Releases, error) {
	if st.rel != nil {
		return st.rel, nil
	}
	app, err := st.api()
	if err != nil {
		return nil, err
	}
	if st.rel, err = app.Releases(ctx, st.Repo); err != nil {
		return nil, err
	}
	return st.rel, nil
}

// annotatePolicy writes one error annotation per policy error, on the
// policy file's line and column, so that the workflow run shows them there.
func (st *State) annotatePolicy(file string, errs []*policies.FieldError) {
	for _, e := range errs {
		fields := map[string]string{"file": file, "title": "Invalid Shipgate policy"}
		if e.File != "" && e.File != file {
			// An error in a base policy (extends): on the first line of
			// the repository's file, naming where it is.
			fields["line"] = "1"
			st.gha.WithFieldsMap(fields).Errorf("%s", e.Error())
			continue
		}
		if e.Line > 0 {
			fields["line"] = strconv.Itoa(e.Line)
		}
		if e.Column > 0 {
			fields["col"] = strconv.Itoa(e.Column)
		}
		msg := e.Msg
		if e.Path != "" {
			msg = e.Path + ": " + msg
		}
		st.gha.WithFieldsMap(fields).Errorf("%s", msg)
	}
}

// writeNotesFile writes the notes to the notes-file input's path (in the
// workspace), else to a file in RUNNER_TEMP; it returns the path, "" when
// there is nowhere to write (a local run without either).
func (st *State) writeNotesFile(notes string) (string, error) {
	path := st.input(inNotesFile)
	switch {
	case path != "":
		path = st.workspacePath(path)
	case st.getenv("RUNNER_TEMP") != "":
		path = filepath.Join(st.getenv("RUNNER_TEMP"), "shipgate-release-notes.md")
	default:
		return "", nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("writing the release notes: %w", err)
	}
	if err := os.WriteFile(path, []byte(notes), 0o644); err != nil {
		return "", fmt.Errorf("writing the release notes: %w", err)
	}
	return path, nil
}
