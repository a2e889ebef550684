package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shipgate/shipgate/internal/sandbox"
)

// demoOptions are the flags of `shipgate demo`.
type demoOptions struct {
	auto   bool
	serve  bool
	policy string
	record string // hidden: write the sandbox's recorded calls as JSON
}

func newDemoCmd() *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Play a pull request's way to production against a sandbox GitHub and Slack",
		Long: `Play the whole flow on this machine, with no account and no network: the
real server (as shipgate serve runs it: receiver, queue, workers, gate,
deployments, Slack) on a temporary SQLite database, against sandbox GitHub
and Slack APIs in this process. Events reach the server as signed webhooks
and Slack clicks, as GitHub and Slack send them.

The story: a pull request missing everything fails its check; the author
fixes it; a reviewer approves (the author's own /approve is refused); it
merges; a tag is validated and released; staging deploys, passes its
health check and soak; production asks for approval in Slack, an approver
clicks, and production succeeds.

Without --auto the story waits for Enter between acts (it plays straight
through when stdin is not a terminal). --policy plays it under your own
policy, as a rehearsal: acts the policy has no rules for are skipped, and
the demo says why.`,
		Example: `  shipgate demo --auto
  shipgate demo --policy .shipgate.yml
  shipgate demo --auto --serve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runDemo(ctx, o, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.auto, "auto", false, "play straight through, without waiting for Enter between acts")
	f.BoolVar(&o.serve, "serve", false, "after the story, keep the sandbox and the server running, with their URLs, until Ctrl-C")
	f.StringVar(&o.policy, "policy", "", "play under this policy file instead of the built-in one (a rehearsal)")
	f.StringVar(&o.record, "record", "", "write the sandbox's recorded API calls as JSON to this file")
	_ = f.MarkHidden("record")
	return cmd
}

// demoSecrets are the sandbox's credentials, new for every run.
type demoSecrets struct {
	githubToken, webhookSecret, slackToken, signingSecret string
}

func newDemoSecrets() demoSecrets {
	r := func(prefix string) string {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		return prefix + hex.EncodeToString(b)
	}
	return demoSecrets{githubToken: r("ghs_demo"), webhookSecret: r(""), slackToken: r("xoxb-demo"), signingSecret: r("")}
}

// runDemo starts the sandbox and the server, plays the story, and (with
// --serve) keeps them running until ctx is done.
func runDemo(ctx context.Context, o demoOptions, in io.Reader, stdout, stderr io.Writer) error {
	start := time.Now()
	out := newDemoOut(stdout, os.Getenv)
	sec := newDemoSecrets()
	sb, err := sandbox.Start(sandbox.Options{GitHubToken: sec.githubToken, SlackToken: sec.slackToken,
		Conformance: os.Getenv("SHIPGATE_DEMO_CONFORMANCE") != ""})
	if err != nil {
		return fmt.Errorf("starting the sandbox: %w", err)
	}
	defer sb.Close()
	plan, err := demoPlanFor(o.policy, sb.HealthURL())
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "shipgate-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	logs := &lockedWriter{}
	srv, err := startDemoServer(ctx, sb, sec, filepath.Join(dir, "shipgate.db"), logs)
	if err != nil {
		return err
	}
	defer srv.stop()
	d := &demo{out: out, sb: sb, plan: plan, sec: sec, addr: srv.addr, repo: "acme/widgets", pr: 1}
	d.pause = d.pauser(o.auto, in)
	err = d.play(start)
	if o.record != "" {
		if werr := d.writeRecord(o.record); werr != nil {
			err = errors.Join(err, werr)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "shipgate demo: %v\n", err)
		if l := logs.String(); l != "" {
			fmt.Fprintf(stderr, "the server's log:\n%s", l)
		}
		return &exitError{code: 1, err: errors.New("the demo stopped before its end")}
	}
	if p := sb.Problems(); len(p) > 0 {
		return fmt.Errorf("the sandbox saw requests GitHub or Slack would not accept: %q", p)
	}
	if o.serve {
		return d.serveUntil(ctx, dir)
	}
	return nil
}

// demoPlanFor loads the built-in policy or the user's.
func demoPlanFor(file, healthURL string) (*demoPlan, error) {
	if file == "" {
		return loadDemoPlan(".shipgate.yml (built in)", []byte(demoPolicy), healthURL)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, usageError(fmt.Errorf("reading the policy: %w", err))
	}
	return loadDemoPlan(file, data, healthURL)
}

// demoServer is the server running in this process.
type demoServer struct {
	addr string
	stop func()
}

// startDemoServer runs `shipgate serve`'s wiring against the sandbox and
// waits until it listens.
func startDemoServer(ctx context.Context, sb *sandbox.Sandbox, sec demoSecrets, db string, logs io.Writer) (*demoServer, error) {
	env := map[string]string{
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
	var cfg serveConfig
	fs := pflag.NewFlagSet("demo", pflag.ContinueOnError)
	cfg.bindFlags(fs)
	if err := cfg.load(fs, func(k string) string { return env[k] }); err != nil {
		return nil, fmt.Errorf("configuring the server: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- runServeReady(ctx, cfg, logs, ready) }()
	select {
	case a := <-ready:
		return &demoServer{addr: a.String(), stop: func() { cancel(); <-done }}, nil
	case err := <-done:
		cancel()
		return nil, fmt.Errorf("the server did not start: %w\n%s", err, logs)
	case <-time.After(20 * time.Second):
		cancel()
		return nil, fmt.Errorf("the server did not listen within 20s:\n%s", logs)
	}
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

// serveUntil prints the sandbox's and the server's URLs and waits for
// Ctrl-C. The sandbox's credentials, made for this run, go to a file only
// its user can read, not to the terminal.
func (d *demo) serveUntil(ctx context.Context, dir string) error {
	creds := filepath.Join(dir, "credentials.env")
	err := os.WriteFile(creds, []byte(fmt.Sprintf("SHIPGATE_GITHUB_TOKEN=%s\nSHIPGATE_GITHUB_WEBHOOK_SECRET=%s\nSHIPGATE_SLACK_BOT_TOKEN=%s\nSHIPGATE_SLACK_SIGNING_SECRET=%s\n",
		d.sec.githubToken, d.sec.webhookSecret, d.sec.slackToken, d.sec.signingSecret)), 0o600)
	if err != nil {
		return err
	}
	d.out.say("")
	d.out.say("The sandbox and the server keep running until Ctrl-C:")
	d.out.say("  server           http://%s (webhooks: /webhooks/github, Slack: /slack/interactions, /metrics)", d.addr)
	d.out.say("  sandbox GitHub   %s", d.sb.GitHub.URL())
	d.out.say("  sandbox Slack    %s", d.sb.Slack.URL())
	d.out.say("  health endpoint  %s", d.sb.HealthURL())
	d.out.say("  credentials      %s (the tokens and secrets of this run; removed at exit)", creds)
	<-ctx.Done()
	return nil
}

// lockedWriter collects the server's log for when the demo fails.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
