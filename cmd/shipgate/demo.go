package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shipgate/shipgate/internal/demo"
)

func newDemoCmd() *cobra.Command {
	var o demo.Options
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
			o.In, o.Out, o.Getenv, o.Serve = cmd.InOrStdin(), cmd.OutOrStdout(), os.Getenv, serveDemo
			o.Conformance = os.Getenv("SHIPGATE_DEMO_CONFORMANCE") != ""
			return demoError(demo.Run(ctx, o), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Auto, "auto", false, "play straight through, without waiting for Enter between acts")
	f.BoolVar(&o.KeepServing, "serve", false, "after the story, keep the sandbox and the server running, with their URLs, until Ctrl-C")
	f.StringVar(&o.Policy, "policy", "", "play under this policy file instead of the built-in one (a rehearsal)")
	f.StringVar(&o.Record, "record", "", "write the sandbox's recorded API calls as JSON to this file")
	_ = f.MarkHidden("record")
	return cmd
}

// demoError maps the demo's errors to exit codes: a policy it cannot play
// is a usage error (2); a story stopped before its end, 1, after the
// server's log.
func demoError(err error, stderr io.Writer) error {
	var pe *demo.PolicyError
	var se *demo.StoryError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		return usageError(err)
	case errors.As(err, &se):
		fmt.Fprintf(stderr, "shipgate demo: %v\n", se.Err)
		if se.Log != "" {
			fmt.Fprintf(stderr, "the server's log:\n%s", se.Log)
		}
		return &exitError{code: exitUnsatisfied, err: errors.New("the demo stopped before its end")}
	}
	return err
}

// serveDemo runs `shipgate serve`'s wiring with env's settings and waits
// until it listens.
func serveDemo(ctx context.Context, env map[string]string, logs io.Writer) (string, func(), error) {
	var cfg serveConfig
	fs := pflag.NewFlagSet("demo", pflag.ContinueOnError)
	cfg.bindFlags(fs)
	if err := cfg.load(fs, func(k string) string { return env[k] }); err != nil {
		return "", nil, fmt.Errorf("configuring the server: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- runServeReady(ctx, cfg, logs, ready) }()
	select {
	case a := <-ready:
		return a.String(), func() { cancel(); <-done }, nil
	case err := <-done:
		cancel()
		return "", nil, fmt.Errorf("the server did not start: %w", err)
	case <-time.After(20 * time.Second):
		cancel()
		<-done
		return "", nil, errors.New("the server did not listen within 20s")
	}
}
