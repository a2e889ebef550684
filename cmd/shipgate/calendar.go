package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipgate/shipgate/githistory"
	"github.com/shipgate/shipgate/internal/calendar"
	"github.com/shipgate/shipgate/policies"
)

// calendarOptions are the flags of `shipgate calendar`.
type calendarOptions struct {
	policy, repo, format, from string
	days                       int
	repoSet                    bool
}

func newCalendarCmd() *cobra.Command {
	var o calendarOptions
	cmd := &cobra.Command{
		Use:   "calendar",
		Short: "List the release trains, freeze windows and planned versions of the coming days",
		Long: `List what the policy schedules over the coming days: each release train
(releases.schedule) at its time in its timezone, marked postponed to the end
of the freeze window it falls in; each freeze window's occurrences (fixed,
cron + duration, cron + end_cron); and the version the next train would cut
if it left now, computed from the main line (releases.from) of the git
repository at --repo as 'shipgate version next' computes it.

The policy is --policy, else REPO/.shipgate.yml. --format ics writes an
iCalendar (RFC 5545) file to subscribe to or import (times in UTC, one event
per train and per freeze occurrence, with UIDs that stay the same from one
run to the next).

Exit status: 0, or 2 on a usage or policy error.`,
		Example: `  shipgate calendar
  shipgate calendar --days 90 --format ics > releases.ics
  shipgate calendar --policy .shipgate.yml --repo ../app --format json
  shipgate calendar --from 2026-12-01T00:00:00Z --days 31`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.repoSet = cmd.Flags().Changed("repo")
			return runCalendar(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o, time.Now())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.policy, "policy", "", "the policy file (default REPO/.shipgate.yml)")
	f.StringVar(&o.repo, "repo", ".", "the git repository whose main line gives the planned version")
	f.IntVar(&o.days, "days", 30, "how many days to list, from --from")
	f.StringVar(&o.format, "format", "text", "output format: text, json or ics")
	f.StringVar(&o.from, "from", "", "start of the listing, RFC 3339 (default now)")
	return cmd
}

// maxCalendarDays bounds --days.
const maxCalendarDays = 3660

func runCalendar(ctx context.Context, out, errOut io.Writer, o calendarOptions, now time.Time) error {
	if o.format != "text" && o.format != "json" && o.format != "ics" {
		return usageError(fmt.Errorf("--format %q: want text, json or ics", o.format))
	}
	if o.days < 1 || o.days > maxCalendarDays {
		return usageError(fmt.Errorf("--days %d: want 1 to %d", o.days, maxCalendarDays))
	}
	from := now.UTC().Truncate(time.Minute)
	if o.from != "" {
		t, err := time.Parse(time.RFC3339, o.from)
		if err != nil {
			return usageError(fmt.Errorf("--from %q: want an RFC 3339 date-time, e.g. 2026-12-01T00:00:00Z", o.from))
		}
		from = t
	}
	path := o.policy
	if path == "" {
		path = filepath.Join(o.repo, ".shipgate.yml")
	}
	p, found, err := loadPolicy(ctx, path)
	switch {
	case err != nil:
		return usageError(err)
	case !found:
		return usageError(fmt.Errorf("no policy at %s: give --policy FILE or --repo DIR with a .shipgate.yml", path))
	}
	planned, err := plannedVersion(ctx, p, o)
	if err != nil {
		return err
	}
	if planned.note != "" {
		fmt.Fprintln(errOut, planned.note)
	}
	c := calendar.Build(p, "", from, from.AddDate(0, 0, o.days), planned.version)
	switch o.format {
	case "json":
		return c.JSON(out)
	case "ics":
		return c.ICS(out, now)
	}
	return c.Text(out)
}

// planned is the version the next train would cut, or a note on why it
// is not shown.
type planned struct{ version, note string }

// plannedVersion computes the next version of the trains' main line in
// the repository at o.repo. A missing repository is an error only when
// --repo was given; nothing releasable is a version of "" with a note.
func plannedVersion(ctx context.Context, p *policies.Policy, o calendarOptions) (planned, error) {
	if p.Trains == nil {
		return planned{}, nil
	}
	repo, err := githistory.Open(ctx, o.repo)
	if err != nil {
		if o.repoSet {
			return planned{}, usageError(err)
		}
		return planned{note: "no git repository here: planned versions are not shown (give --repo DIR)"}, nil
	}
	ref := p.Trains.From
	if _, err := repo.Resolve(ctx, ref); err != nil {
		ref = "origin/" + p.Trains.From
	}
	plan, _, err := repo.Plan(ctx, p.Release, githistory.Target{Ref: ref, Branch: p.Trains.From}, "")
	switch {
	case err != nil:
		return planned{note: fmt.Sprintf("no planned version: %v", err)}, nil
	case plan.PreviousTag != "" && plan.Bump == policies.BumpNone:
		return planned{note: fmt.Sprintf("nothing to release on %s since %s", p.Trains.From, plan.PreviousTag)}, nil
	}
	return planned{version: plan.NextTag}, nil
}
