// Package demo plays `shipgate demo`: a pull request's way to production
// against the sandbox GitHub and Slack (internal/sandbox), with the real
// server, which the caller starts (Options.Serve) as `shipgate serve`
// would be: events reach it as signed webhooks and Slack interactions.
package demo

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/shipgate/shipgate/internal/sandbox"
)

// Options configure a play.
type Options struct {
	// Auto plays straight through; otherwise the story waits for Enter
	// between acts when In is a terminal.
	Auto bool
	// Policy is the file of the user's policy; empty: the built-in one.
	Policy string
	// KeepServing keeps the sandbox and the server running after the
	// story until ctx is done (--serve).
	KeepServing bool
	// Record, when set, is the file the sandbox's record is written to
	// as JSON (see Record).
	Record string
	// Conformance checks the sandbox GitHub's requests against GitHub's
	// REST API description.
	Conformance bool
	In          io.Reader
	Out         io.Writer
	Getenv      func(string) string
	// Serve starts the server with env (SHIPGATE_* settings) and returns
	// its address and how to stop it; logs receives its log.
	Serve func(ctx context.Context, env map[string]string, logs io.Writer) (addr string, stop func(), err error)
}

// PolicyError is a policy the demo cannot play: the user's to fix.
type PolicyError struct{ error }

func (e *PolicyError) Unwrap() error { return e.error }

// StoryError says the story stopped before its end; Log is the server's.
type StoryError struct {
	Err error
	Log string
}

func (e *StoryError) Error() string { return e.Err.Error() }
func (e *StoryError) Unwrap() error { return e.Err }

// secrets are the sandbox's credentials, new for every run.
type secrets struct {
	githubToken, webhookSecret, slackToken, signingSecret string
}

func newSecrets() secrets {
	r := func(prefix string) string {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		return prefix + hex.EncodeToString(b)
	}
	return secrets{githubToken: r("ghs_demo"), webhookSecret: r(""), slackToken: r("xoxb-demo"), signingSecret: r("")}
}

// Run starts the sandbox and the server, plays the story, and (with
// KeepServing) keeps them running until ctx is done.
func Run(ctx context.Context, o Options) error {
	start := time.Now()
	sec := newSecrets()
	sb, err := sandbox.Start(sandbox.Options{GitHubToken: sec.githubToken, SlackToken: sec.slackToken, Conformance: o.Conformance})
	if err != nil {
		return fmt.Errorf("starting the sandbox: %w", err)
	}
	defer sb.Close()
	pl, err := planFor(o.Policy, sb.HealthURL())
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "shipgate-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logs := &lockedWriter{}
	addr, stop, err := o.Serve(ctx, serverEnv(sb, sec, filepath.Join(dir, "shipgate.db")), logs)
	if err != nil {
		return err
	}
	defer stop()
	d := &demo{out: newPrinter(o.Out, o.Getenv), sb: sb, plan: pl, sec: sec, addr: addr, repo: "acme/widgets", pr: 1}
	d.pause = d.pauser(o.Auto, o.In)
	err = d.play(start)
	if o.Record != "" {
		err = errors.Join(err, d.writeRecord(o.Record))
	}
	if err != nil {
		return &StoryError{Err: err, Log: logs.String()}
	}
	if p := sb.Problems(); len(p) > 0 {
		return fmt.Errorf("the sandbox saw requests GitHub or Slack would not accept: %q", p)
	}
	if o.KeepServing {
		return d.serveUntil(ctx, dir)
	}
	return nil
}

// serverEnv is the server's configuration against the sandbox.
func serverEnv(sb *sandbox.Sandbox, sec secrets, db string) map[string]string {
	return map[string]string{
		"SHIPGATE_ADDR":                  "127.0.0.1:0",
		"SHIPGATE_DATABASE_URL":          db,
		"SHIPGATE_GITHUB_API_URL":        sb.GitHub.URL(),
		"SHIPGATE_GITHUB_TOKEN":          sec.githubToken,
		"SHIPGATE_GITHUB_WEBHOOK_SECRET": sec.webhookSecret,
		"SHIPGATE_SLACK_BOT_TOKEN":       sec.slackToken,
		"SHIPGATE_SLACK_SIGNING_SECRET":  sec.signingSecret,
		"SHIPGATE_SLACK_API_URL":         sb.Slack.URL(),
		"SHIPGATE_RECONCILE_INTERVAL":    "0",
		"SHIPGATE_LOG_LEVEL":             "warn",
	}
}

// planFor loads the built-in policy or the user's.
func planFor(file, healthURL string) (*plan, error) {
	if file == "" {
		return loadPlan(".shipgate.yml (built in)", []byte(Policy), healthURL)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, &PolicyError{fmt.Errorf("reading the policy: %w", err)}
	}
	return loadPlan(file, data, healthURL)
}

// pauser returns what runs between acts: nothing with --auto, else a
// wait for Enter (nothing either when stdin is not a terminal).
func (d *demo) pauser(auto bool, in io.Reader) func(next string) {
	if auto {
		return func(string) {}
	}
	if !isTerminal(in) {
		d.out.say("(stdin is not a terminal: playing straight through, as --auto)")
		return func(string) {}
	}
	r := bufio.NewReader(in)
	return func(next string) {
		fmt.Fprintf(d.out.w, "\n  %s", d.out.paint(ansiDim, "Press Enter for "+next+" … "))
		_, _ = r.ReadString('\n')
	}
}
