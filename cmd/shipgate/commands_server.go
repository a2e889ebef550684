//go:build !shipgate_action

package main

import "github.com/spf13/cobra"

// moreCommands are the commands beyond `shipgate action`: the CLI, the bot
// and the audit trail.
func moreCommands() []func() *cobra.Command {
	return []func() *cobra.Command{
		newCheckCmd,
		newPolicyCmd,
		newVersionCmd,
		newNotesCmd,
		newTagCmd,
		newAuditCmd,
		newServeCmd,
	}
}
