package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/shipgate/shipgate/bot/github/mergequeue"
	"github.com/shipgate/shipgate/templates"
)

// Exit statuses of `shipgate action`, as the CLI's (DESIGN.md).
const (
	// ExitUnsatisfied: the policy is not satisfied (failure, or pending
	// with fail-on-pending) or a tag is not valid.
	ExitUnsatisfied = 1
	// ExitCouldNotRun: the Action could not do its work (an input, the
	// event, the repository, the policy file, the API).
	ExitCouldNotRun = 2
)

// Env is the runner's side of one run: cmd/shipgate passes the process's
// environment and standard output.
type Env struct {
	// Getenv reads the runner's variables (os.Getenv).
	Getenv func(key string) string
	// Stdout receives log lines and workflow commands (annotations).
	Stdout io.Writer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Transport carries API requests (default: the bot adapter's).
	Transport http.RoundTripper
}

// ExitError is a run that must fail the step. Its reasons are in the
// annotations and the job summary already.
type ExitError struct {
	// Code is the exit status: ExitUnsatisfied or ExitCouldNotRun.
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }

func (e *ExitError) Unwrap() error { return e.Err }

// NotApplicable is what a command returns when the run's event gives it
// nothing to do (check on a push, release on a pull request): the step
// succeeds, and the log and the summary say why.
type NotApplicable struct {
	Reason string
}

func (e *NotApplicable) Error() string { return "nothing to do: " + e.Reason }

// skip returns a *NotApplicable.
func skip(format string, args ...any) error {
	return &NotApplicable{Reason: fmt.Sprintf(format, args...)}
}

// reported ends a command that fails the step after it has told why in
// the report and the annotations: an unsatisfied policy or an invalid tag
// (ExitUnsatisfied), an invalid policy file (ExitCouldNotRun).
type reported struct {
	code int
	why  string
}

func (e *reported) Error() string { return e.why }

// Command is one of the Action's commands.
type Command interface {
	// Name is the value of the command input that selects it.
	Name() string
	// Run does the work on the run's state: it reads inputs, fills the
	// report and sets outputs. It returns a *NotApplicable when the event
	// gives it nothing to do.
	Run(ctx context.Context, st *State) error
}

// commands are the Action's commands, selected by the command input.
func commands() []Command {
	return []Command{
		checkCommand{},   // judge the pull request of the run under its base's policy
		versionCommand{}, // compute the next version from the workspace's history
		notesCommand{},   // write the next version's release notes
		releaseCommand{}, // validate and release a pushed tag, or tag and release a branch
	}
}

// Run runs the command that the command input names, as the runner starts
// the Action: it reads the runner's variables and the event, runs the
// command, writes the outputs, the annotations and the job summary, and
// returns nil when the step succeeds, else an *ExitError. A panic in a
// command is reported as an error, never passed on.
func Run(ctx context.Context, env Env) (err error) {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	st := &State{
		gha:       githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(env.Stdout)),
		getenv:    env.Getenv,
		now:       env.Now,
		transport: env.Transport,
	}
	st.report.Command = st.input(inCommand)
	defer func() {
		if p := recover(); p != nil {
			err = st.finish(fmt.Errorf("internal error (please report it): %v\n%s", p, debug.Stack()))
		}
	}()
	if err := st.readContext(); err != nil {
		return st.finish(err)
	}
	var cmd Command
	var names []string
	for _, c := range commands() {
		names = append(names, c.Name())
		if c.Name() == st.report.Command {
			cmd = c
		}
	}
	if cmd == nil {
		return st.finish(fmt.Errorf("input %s is %q: want one of %s", inCommand, st.report.Command, strings.Join(names, ", ")))
	}
	return st.finish(cmd.Run(ctx, st))
}

// finish reports a command's end: the log line or annotation, the job
// summary, and the exit status.
func (st *State) finish(err error) error {
	var na *NotApplicable
	var rep *reported
	var exit error
	switch {
	case err == nil:
	case errors.As(err, &na):
		st.gha.Noticef("%s", na.Error())
		st.report.Skipped = na.Reason
	case errors.As(err, &rep):
		st.gha.Infof("shipgate %s: %s", st.report.Command, rep.why)
		exit = &ExitError{Code: rep.code, Err: err}
	default:
		st.gha.Errorf("%s", err)
		st.report.Err = err.Error()
		exit = &ExitError{Code: ExitCouldNotRun, Err: err}
	}
	for _, write := range []func() error{st.writeOutputs, st.writeSummary} {
		if werr := write(); werr != nil && exit == nil {
			st.gha.Errorf("%s", werr)
			exit = &ExitError{Code: ExitCouldNotRun, Err: werr}
		}
	}
	if err == nil || na != nil {
		st.gha.Infof("shipgate %s: done", st.report.Command)
	}
	return exit
}

// writeSummary appends the report to GITHUB_STEP_SUMMARY, when the runner
// gives one (a local run has none).
func (st *State) writeSummary() error {
	path := st.getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	md, err := templates.String(templates.ActionSummary, st.report)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("writing the job summary: %w", err)
	}
	if _, err := io.WriteString(f, md); err != nil {
		f.Close()
		return fmt.Errorf("writing the job summary: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the job summary: %w", err)
	}
	return nil
}

// payload is what the commands read of the event file, leniently: any
// field may be missing.
type payload struct {
	Number      int `json:"number"`
	PullRequest *struct {
		Number int `json:"number"`
	} `json:"pull_request"`
	// Issue and Comment are issue_comment's; the issue has pull_request
	// when it is a pull request.
	Issue *struct {
		Number      int             `json:"number"`
		PullRequest json.RawMessage `json:"pull_request"`
	} `json:"issue"`
	Comment *struct {
		User *struct {
			Login string `json:"login"`
			Type  string `json:"type"`
		} `json:"user"`
	} `json:"comment"`
	// MergeGroup is merge_group's.
	MergeGroup *mergequeue.MergeGroup `json:"merge_group"`
	// Ref and RefType are the create event's; push has Ref only.
	Ref        string `json:"ref"`
	RefType    string `json:"ref_type"`
	Deleted    bool   `json:"deleted"`
	Repository *struct {
		FullName      string `json:"full_name"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
}

// readContext reads the runner's variables and the event file.
func (st *State) readContext() error {
	c, err := st.gha.Context()
	if err != nil {
		return fmt.Errorf("reading the workflow run's context: %w", err)
	}
	st.Event, st.Repo, st.Workspace, st.Ref, st.SHA = c.EventName, c.Repository, c.Workspace, c.Ref, c.SHA
	st.APIURL, st.ServerURL, st.RunID = c.APIURL, c.ServerURL, c.RunID
	if c.Event != nil {
		b, err := json.Marshal(c.Event)
		if err == nil {
			err = json.Unmarshal(b, &st.payload)
		}
		if err != nil {
			return fmt.Errorf("reading the event file %s: %w", c.EventPath, err)
		}
	}
	if st.Repo == "" && st.payload.Repository != nil {
		st.Repo = st.payload.Repository.FullName
	}
	if st.Workspace == "" {
		st.Workspace = "."
	}
	return nil
}
