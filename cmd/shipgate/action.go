package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/shipgate/shipgate/actions"
)

func newActionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "action",
		Short: "Run as the GitHub Action (the entry point of action.yml's image)",
		Long: `Run one command of the GitHub Action, as the runner starts it: the inputs
come from INPUT_* variables (INPUT_COMMAND: check, version, notes or
release), the event from GITHUB_EVENT_NAME and GITHUB_EVENT_PATH, the
repository from GITHUB_REPOSITORY, GITHUB_WORKSPACE, GITHUB_REF,
GITHUB_SHA and GITHUB_API_URL. Outputs go to GITHUB_OUTPUT, a report to
GITHUB_STEP_SUMMARY, annotations to standard output.

Exit status: 0 when the step succeeds (also when the event gives the
command nothing to do), 1 when the policy is not satisfied or a tag is not
valid, 2 when the Action could not do its work.`,
		Example: `  # in a workflow: uses: shipgate/shipgate@v1  (see the README)
  INPUT_COMMAND=version GITHUB_WORKSPACE=. shipgate action`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := actions.Run(cmd.Context(), actions.Env{Getenv: os.Getenv, Stdout: cmd.OutOrStdout()})
			var ee *actions.ExitError
			if errors.As(err, &ee) {
				// The reasons are in the annotations and the summary already.
				return &exitError{code: ee.Code}
			}
			return err
		},
	}
}
