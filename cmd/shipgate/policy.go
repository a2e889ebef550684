package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipgate/shipgate/githistory"
	"github.com/shipgate/shipgate/policies"
)

// newPolicyCmd is `shipgate policy`: check a policy file, print its schema.
func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Write, validate and describe .shipgate.yml",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError(errors.New("missing subcommand: try 'shipgate policy init', 'shipgate policy validate' or 'shipgate policy schema'"))
		},
	}
	cmd.AddCommand(newPolicyValidateCmd(), newPolicySchemaCmd(), newPolicyInitCmd())
	return cmd
}

// newPolicyValidateCmd is `shipgate policy validate [FILE]`.
func newPolicyValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a policy file and summarise the rules it enables",
		Long: `Check a policy file exactly as the bot and the Action load it: known keys
only, values of the right type and in range, regexes, globs, cron
expressions, timezones, durations and templates that compile.

FILE defaults to .shipgate.yml; "-" reads standard input, e.g.
  git show origin/main:.shipgate.yml | shipgate policy validate -

A policy that says "extends:" is merged over its bases: a path is read
from disk (relative to FILE), owner/repo:path@ref through the GitHub API
with SHIPGATE_GITHUB_TOKEN (SHIPGATE_GITHUB_API_URL for GHES).

Exit status: 0 when valid (it prints "FILE: ok", what the policy
enables, and a "warning:" line for each setting that weakens it, such as
a required check anyone with write access could fake, and each base it
extends), 2 when not: every
problem is printed on standard error, one per line, as
FILE:LINE:COLUMN: key.path: message.`,
		Example: `  shipgate policy validate
  shipgate policy validate examples/.shipgate.yml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := ".shipgate.yml"
			if len(args) == 1 {
				file = args[0]
			}
			remote, err := remoteBases(cmd.Context())
			if err != nil {
				return err
			}
			return runPolicyValidate(cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), file, remote)
		},
	}
}

// newPolicySchemaCmd is `shipgate policy schema`.
func newPolicySchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of .shipgate.yml",
		Long: `Print the JSON Schema (draft 2020-12) of the policy format, for editors and
linters. With the YAML language server, put this line at the top of
.shipgate.yml:
  # yaml-language-server: $schema=` + policies.SchemaID,
		Example: `  shipgate policy schema > shipgate.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			schema, err := policies.Schema()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(schema)
			return err
		},
	}
}

// runPolicyValidate loads file (stdin for "-") over the bases it extends
// (local paths from disk, owner/repo ones through remote) and reports the
// result.
func runPolicyValidate(stdin io.Reader, stdout, stderr io.Writer, file string, remote policies.Resolver) error {
	var (
		data []byte
		err  error
	)
	if file == "-" {
		file = "<stdin>"
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usageError(fmt.Errorf("%s: no such file; create it with 'shipgate policy init', or with the line \"version: 1\" and the rules you need (examples/.shipgate.yml in the Shipgate repository uses every key; 'shipgate policy schema' describes them)", file))
	case err != nil:
		return usageError(fmt.Errorf("reading policy %s: %w", file, err))
	}
	src := policies.Source{Path: filepath.ToSlash(filepath.Clean(file))}
	p, ext, err := policies.LoadExtended(file, src, data, githistory.FileResolver(remote))
	if err != nil {
		fes := policies.FieldErrors(err)
		for _, fe := range fes {
			fmt.Fprintln(stderr, fe)
		}
		if len(fes) == 0 {
			return usageError(fmt.Errorf("loading policy %s: %w", file, err))
		}
		return usageError(fmt.Errorf("%s is not a valid policy: %d %s", file, len(fes), plural(len(fes), "problem", "problems")))
	}
	fmt.Fprintf(stdout, "%s: ok\n%s\n", file, policySummary(p))
	for _, b := range ext.Bases {
		fmt.Fprintf(stdout, "extends %s\n", b)
	}
	for _, w := range p.Warnings {
		// Warnings go with the result: the policy works, but is weaker
		// than it looks.
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	return nil
}

// plural picks the word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// policySummary says in one line what a policy enables.
func policySummary(p *policies.Policy) string {
	var parts []string
	if len(p.Branches) == 0 {
		parts = append(parts, "gates every branch")
	} else {
		parts = append(parts, "gates "+globList(p.Branches))
	}
	var rules []string
	if cr := p.ChangeRecord; cr != nil {
		rules = append(rules, fmt.Sprintf("change_record (%d %s)", len(cr.Patterns), plural(len(cr.Patterns), "pattern", "patterns")))
	}
	if len(p.Approvals) > 0 {
		var names []string
		for _, a := range p.Approvals {
			if a.IsCombination() {
				names = append(names, a.Name+" "+a.Describe())
				continue
			}
			names = append(names, fmt.Sprintf("%s %d", a.Name, a.Required))
		}
		rules = append(rules, "approvals ("+strings.Join(names, ", ")+")")
	}
	if p.ReleaseNotes != nil {
		rules = append(rules, "release_notes")
	}
	if p.Semver != nil {
		rules = append(rules, "semver")
	}
	if p.Title != nil {
		rules = append(rules, "title")
	}
	rules = append(rules, "hold")
	if f := p.Freeze; f != nil {
		desc := fmt.Sprintf("%d %s", len(f.Windows), plural(len(f.Windows), "window", "windows"))
		if f.Override != nil {
			desc += ", overridable"
		}
		rules = append(rules, "freeze ("+desc+")")
	}
	if c := p.Checks; c != nil {
		var names []string
		for _, r := range c.Required {
			names = append(names, r.String())
		}
		rules = append(rules, "checks ("+strings.Join(names, ", ")+")")
	}
	if p.Hotfix != nil {
		rules = append(rules, "hotfix")
	}
	parts = append(parts, "rules: "+strings.Join(rules, ", "))
	tags := fmt.Sprintf("tags %s*", p.Release.TagPrefix)
	if len(p.Release.TagBranches) > 0 {
		tags += " on " + globList(p.Release.TagBranches)
	}
	if p.Release.CreateRelease {
		tags += ", releases created"
	}
	parts = append(parts, tags)
	if len(p.Components) > 0 {
		parts = append(parts, "components: "+componentList(p))
	}
	if len(p.Deploy) > 0 {
		parts = append(parts, "deploy: "+environmentList(p.Deploy))
	}
	return strings.Join(parts, "; ")
}

// environmentList describes each environment and what starts it.
func environmentList(envs []policies.Environment) string {
	var out []string
	for _, e := range envs {
		var how []string
		if e.On != "" {
			how = append(how, "on "+e.On)
		}
		if e.After != "" {
			how = append(how, "after "+e.After)
		}
		if e.Approval != nil {
			how = append(how, "gated")
		}
		if e.Component != "" {
			how = append(how, e.Component+"'s tags")
		}
		env := e.Name
		if len(how) > 0 {
			env += " (" + strings.Join(how, ", ") + ")"
		}
		out = append(out, env)
	}
	return strings.Join(out, ", ")
}

// globList joins glob patterns for display.
func globList(gs []policies.Glob) string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Pattern)
	}
	return strings.Join(out, ", ")
}
