package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

func newHotfixCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "hotfix", Short: "Follow hotfixes and their merge-back into the main line"}
	cmd.AddCommand(newHotfixStatusCmd(), newHotfixSettleCmd())
	return cmd
}

type hotfixSettleOptions struct {
	databaseURL, repo, host, reason string
}

func newHotfixSettleCmd() *cobra.Command {
	var o hotfixSettleOptions
	cmd := &cobra.Command{
		Use:   "settle HOTFIX",
		Short: "Mark a hotfix's merge-back done by hand, with a reason, in the audit log",
		Long: `Mark the pending merge-back of hotfix number HOTFIX done, for one that can
never merge: the host refuses it for good (a hotfix with no commits), or the
hotfix reached the main line another way. The main line's tags are no longer
refused for it. Who ran the command (the OS user) and --reason are recorded in
the audit log, in the same transaction (shipgate audit export --kind merge_back).
Check with shipgate hotfix status first: this is an operator's word against
the gate, and the log keeps it. It writes the server's database.`,
		Example: `  shipgate hotfix settle 41 --repo acme/widgets --reason "fixed on main by #57 (rewritten)"
  shipgate hotfix settle 7 --host gitlab --repo acme/platform/shop --reason "empty cherry-pick"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHotfixSettle(cmd.Context(), cmd.OutOrStdout(), o, args[0])
		},
	}
	f := cmd.Flags()
	databaseFlag(f, &o.databaseURL)
	f.StringVar(&o.repo, "repo", "", "the repository (OWNER/NAME; GitLab: the project path; required)")
	f.StringVar(&o.host, "host", "github", "github or gitlab")
	f.StringVar(&o.reason, "reason", "", "why the merge-back is done without its merge (required)")
	return cmd
}

func runHotfixSettle(ctx context.Context, out io.Writer, o hotfixSettleOptions, arg string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	hotfix, err := strconv.Atoi(strings.TrimLeft(arg, "#!"))
	host := policies.Host(o.host)
	switch {
	case err != nil || hotfix <= 0:
		return usageError(fmt.Errorf("%q is not a hotfix number: want the number shipgate hotfix status shows", arg))
	case host != policies.GitHub && host != policies.GitLab:
		return usageError(fmt.Errorf("--host %q: want github or gitlab", o.host))
	case o.repo == "":
		return usageError(fmt.Errorf("--repo is required: the repository whose hotfix it is"))
	case strings.TrimSpace(o.reason) == "":
		return usageError(fmt.Errorf("--reason is required: it goes into the audit log beside your name"))
	}
	st, err := openDatabase(ctx, o.databaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	who := actor()
	if err := st.SettleMergeBack(ctx, host, o.repo, hotfix, who, o.reason); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return usageError(err)
		}
		return err
	}
	_, err = fmt.Fprintf(out, "The merge-back of %s%s is settled by %s; tags of its target are no longer refused for it.\n", o.repo, host.Ref(hotfix), who)
	return err
}

type hotfixOptions struct {
	databaseURL, repo, format string
	all                       bool
}

func newHotfixStatusCmd() *cobra.Command {
	var o hotfixOptions
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List the hotfixes not merged back yet",
		Long: `List the hotfixes (declared, or from a hotfix.branches head) merged into a
release branch whose merge-back into hotfix.merge_back_to is not merged yet: while one is, Shipgate refuses
the main line's next tag. Each line names the hotfix, the release branch, the
merge-back PR and the files that conflicted. It reads the server's database.
Exit status 1 when a hotfix is missing from its main line, so that a script
can wait on it.`,
		Example: `  shipgate hotfix status --repo acme/widgets
  shipgate hotfix status --all --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHotfixStatus(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	databaseFlag(f, &o.databaseURL)
	f.StringVar(&o.repo, "repo", "", "only this repository (OWNER/NAME; GitLab: the project path)")
	f.BoolVar(&o.all, "all", false, "list the merged-back hotfixes too")
	f.StringVar(&o.format, "format", "text", "text or json")
	return cmd
}

func runHotfixStatus(ctx context.Context, out io.Writer, o hotfixOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.format != "text" && o.format != "json" {
		return usageError(fmt.Errorf("--format %q: want text or json", o.format))
	}
	st, err := openDatabase(ctx, o.databaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	ms, err := st.MergeBacks(ctx, "", o.repo, !o.all)
	if err != nil {
		return err
	}
	pending := 0
	for _, m := range ms {
		if m.State != store.MergeBackMerged {
			pending++
		}
	}
	if o.format == "json" {
		type row struct {
			Host      string   `json:"host"`
			Repo      string   `json:"repo"`
			Hotfix    int      `json:"hotfix"`
			Author    string   `json:"author"`
			Branch    string   `json:"branch"`
			Target    string   `json:"target"`
			MergeBack int      `json:"merge_back,omitempty"`
			URL       string   `json:"url,omitempty"`
			Conflicts []string `json:"conflicts,omitempty"`
			State     string   `json:"state"`
		}
		rows := []row{}
		for _, m := range ms {
			r := row{Host: string(m.Host), Repo: m.Repo, Hotfix: m.Hotfix, Author: m.HotfixAuthor, Branch: m.Branch, Target: m.Target, MergeBack: m.Number, URL: m.URL, State: m.State}
			if m.Conflicts != "" {
				r.Conflicts = strings.Split(m.Conflicts, ", ")
			}
			rows = append(rows, r)
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return err
		}
	} else if err := printHotfixes(out, ms); err != nil {
		return err
	}
	if pending > 0 {
		return unsatisfied()
	}
	return nil
}

func printHotfixes(out io.Writer, ms []store.MergeBack) error {
	if len(ms) == 0 {
		_, err := fmt.Fprintln(out, "Every hotfix is merged back.")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tHOTFIX\tFROM\tINTO\tMERGE-BACK\tSTATE\tCONFLICTS")
	for _, m := range ms {
		pr := "not opened"
		if m.Number > 0 {
			pr = m.Host.Ref(m.Number)
		}
		state := "missing from " + m.Target
		if m.State == store.MergeBackMerged {
			state = "merged " + m.MergedAt.Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%s\t%s (@%s)\t%s\t%s\t%s\t%s\t%s\n", m.Repo, m.Host.Ref(m.Hotfix), m.HotfixAuthor, m.Branch, m.Target, pr, state, orNone(m.Conflicts))
	}
	return tw.Flush()
}
