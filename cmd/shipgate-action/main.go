// Command shipgate-action is the GitHub Action's entry point (the image of
// action.yml runs it): `shipgate action` alone, built from the client side
// of Shipgate only — no server, no database drivers, no CLI — so that the
// image stays small without any build tag. The inputs come from INPUT_*
// variables and the run's GITHUB_* variables; see `shipgate action --help`.
//
// Exit status: 0 when the step succeeds (also when the event gives the
// command nothing to do), 1 when the policy is not satisfied or a tag is
// not valid, 2 when the Action could not do its work.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/shipgate/shipgate/actions"
	"github.com/shipgate/shipgate/internal/buildinfo"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		fmt.Println("shipgate-action", buildinfo.Read())
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the Action and maps its outcome to an exit status.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	err := actions.Run(ctx, actions.Env{Getenv: getenv, Stdout: stdout})
	var ee *actions.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.Code // the reasons are in the annotations and the summary already
	}
	fmt.Fprintln(stderr, "shipgate:", err)
	return 2
}
