// Command shipgate is Shipgate's binary: the CLI, the webhook server and
// the GitHub Action runtime (whose image runs the smaller
// cmd/shipgate-action). main parses the command line and wires the
// pieces; the work is done by the packages it calls.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/shipgate/shipgate/internal/buildinfo"
)

// Exit codes shared by every command (DESIGN.md).
const (
	exitOK          = 0
	exitUnsatisfied = 1 // policy not satisfied: failure or pending
	exitUsage       = 2 // usage or configuration error
)

// exitError carries an exit code and, when err is set, a message for stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks a usage or configuration problem (exit 2).
func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

// unsatisfied marks a policy that does not hold (exit 1); the command has
// already printed why.
func unsatisfied() error { return &exitError{code: exitUnsatisfied} }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "shipgate",
		Short: "Release-policy bot: gates PRs, tags and deployments",
		Long: `Shipgate enforces a repository's release policy (.shipgate.yml) on pull
requests, merge requests and tags, computes versions and release notes, and
orchestrates deployments.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildinfo.Read().String(),
	}
	root.SetVersionTemplate("shipgate {{.Version}}\n")
	// Each constructor lives in the file named after its command.
	for _, newCmd := range []func() *cobra.Command{newActionCmd, newCheckCmd, newPolicyCmd, newVersionCmd, newNotesCmd, newTagCmd, newCalendarCmd, newAuditCmd, newReportCmd, newHotfixCmd, newQueueCmd, newServeCmd, newMigrateCmd, newHealthCmd, newDemoCmd} {
		root.AddCommand(newCmd())
	}
	return root
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and maps errors to exit codes. Commands
// print through cmd.OutOrStdout and cmd.ErrOrStderr so tests capture both.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "shipgate:", ee.err)
		}
		return ee.code
	}
	// Cobra's own errors (unknown flag, missing argument) are usage errors.
	fmt.Fprintln(stderr, "shipgate:", err)
	fmt.Fprintln(stderr, "Run 'shipgate --help' for usage.")
	return exitUsage
}

// envOr returns the environment variable key, or def when it is unset.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
