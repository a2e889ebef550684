package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipgate/shipgate/bot/report"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

type reportOptions struct {
	databaseURL, repo, format, since string
	metrics                          bool
	// now is the clock of --since; nil means time.Now.
	now func() time.Time
}

func newReportCmd() *cobra.Command {
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report [VERSION]",
		Short: "Print a release's report, or the delivery metrics",
		Long: `Print the report Shipgate wrote when the release VERSION ended (its last
environment deployed it, a deployment failed, or a rollback ended): the PRs
and change records in it, who approved what and when, each deployment step
with its duration, overrides with their reasons, and the lead time from the
first commit to production. It reads the server's database, like audit
export.

With --metrics, print the delivery metrics (the DORA four) of each repository
and environment over the period --since: deployment frequency, lead time for
changes, change failure rate and time to restore.`,
		Example: `  shipgate report v1.4.0 --repo acme/widgets
  shipgate report v1.4.0 --repo acme/widgets --format json
  shipgate report --metrics --since 30d`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.metrics && len(args) > 0:
				return usageError(errors.New("give VERSION or --metrics, not both"))
			case o.metrics:
				return runMetrics(cmd.Context(), cmd.OutOrStdout(), o)
			case len(args) == 0:
				return usageError(errors.New("give the VERSION whose report to print (e.g. shipgate report v1.4.0), or --metrics"))
			}
			return runReport(cmd.Context(), cmd.OutOrStdout(), o, args[0])
		},
	}
	f := cmd.Flags()
	databaseFlag(f, &o.databaseURL)
	f.StringVar(&o.repo, "repo", "", "the repository (OWNER/NAME; GitLab: the project path); needed when several have the version")
	f.StringVar(&o.format, "format", "", "md or json for a report (default md); text or json for --metrics (default text)")
	f.BoolVar(&o.metrics, "metrics", false, "print the delivery metrics instead of a report")
	f.StringVar(&o.since, "since", "30d", "with --metrics: the period, a duration back from now (30d, 12h) or a date (2026-11-01)")
	return cmd
}

func runReport(ctx context.Context, out io.Writer, o reportOptions, version string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	format := o.format
	if format == "" {
		format = "md"
	}
	if format != "md" && format != "json" {
		return usageError(fmt.Errorf("--format %q: want md or json", o.format))
	}
	st, err := openDatabase(ctx, o.databaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	reports, err := report.Load(ctx, st, o.repo, version)
	switch {
	case errors.Is(err, store.ErrNotFound):
		where := ""
		if o.repo != "" {
			where = " of " + o.repo
		}
		return usageError(fmt.Errorf("no report of %s%s: a release is reported once its last environment deployed it, failed or was rolled back (is the version's tag spelled as released, e.g. v1.4.0?)", version, where))
	case err != nil:
		return err
	case len(reports) > 1:
		var repos []string
		for _, r := range reports {
			repos = append(repos, r.Repo)
		}
		return usageError(fmt.Errorf("%s was released in %d repositories (%s): choose one with --repo", version, len(reports), strings.Join(repos, ", ")))
	}
	if format == "json" {
		b, err := report.JSON(reports[0])
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	}
	md, err := report.Markdown(reports[0])
	if err != nil {
		return err
	}
	_, err = io.WriteString(out, md)
	return err
}

func runMetrics(ctx context.Context, out io.Writer, o reportOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	format := o.format
	if format == "" {
		format = "text"
	}
	if format != "text" && format != "json" {
		return usageError(fmt.Errorf("--format %q: want text or json with --metrics", o.format))
	}
	now := time.Now
	if o.now != nil {
		now = o.now
	}
	until := now().UTC()
	since, err := sinceFlag(o.since, until)
	if err != nil {
		return err
	}
	st, err := openDatabase(ctx, o.databaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	ds, err := report.Metrics(ctx, st, o.repo, report.Window{Since: since, Until: until})
	if err != nil {
		return err
	}
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"since": since, "until": until, "metrics": nonNilDeliveries(ds)})
	}
	return printMetrics(out, ds, since, until)
}

// sinceFlag reads --since: a duration back from now, or a date or time.
func sinceFlag(v string, now time.Time) (time.Time, error) {
	if d, err := policies.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	t, err := parseTimeFlag("since", v)
	if err != nil {
		return time.Time{}, usageError(fmt.Errorf("--since %q: want a duration back from now (30d, 12h) or a date such as 2026-11-01", v))
	}
	return t, nil
}

func nonNilDeliveries(ds []report.Delivery) []report.Delivery {
	if ds == nil {
		return []report.Delivery{}
	}
	return ds
}

func printMetrics(out io.Writer, ds []report.Delivery, since, until time.Time) error {
	fmt.Fprintf(out, "Delivery metrics from %s to %s\n\n", since.Format("2006-01-02 15:04 UTC"), until.Format("2006-01-02 15:04 UTC"))
	if len(ds) == 0 {
		_, err := fmt.Fprintln(out, "No deployment ended in this period.")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tENVIRONMENT\tDEPLOYMENTS\tPER DAY\tCHANGE FAILURE RATE\tLEAD TIME\tTIME TO RESTORE")
	for _, d := range ds {
		lead, restore := "-", "-"
		if d.LeadTimes > 0 {
			lead = fmt.Sprintf("%s (%d)", d.LeadTime, d.LeadTimes)
		}
		if d.Restores > 0 {
			restore = fmt.Sprintf("%s (%d)", d.TimeToRestore, d.Restores)
		}
		if d.Unrestored > 0 {
			restore += ", failing now"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%.0f%% (%d of %d)\t%s\t%s\n", d.Repo, d.Environment, d.Deployments, d.PerDay,
			100*d.ChangeFailureRate, d.Failed, d.Finished, lead, restore)
	}
	return tw.Flush()
}
