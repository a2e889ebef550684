//go:build shipgate_action

package main

import "github.com/spf13/cobra"

// moreCommands: the GitHub Action's image (-tags shipgate_action) runs
// `shipgate action` only; leaving out the CLI and the server (no database
// drivers, no schema generator) keeps its binary small.
func moreCommands() []func() *cobra.Command { return nil }
