package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipgate/shipgate/bot/store"
)

func newQueueCmd() *cobra.Command {
	var databaseURL string
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Look into the server's job queue; retry or purge dead jobs",
		Long: `Look into the job queue of shipgate serve, on the same database. A job that
used up its attempts, or failed in a way no retry fixes, is dead: it is kept,
with its payload and last error, until you retry it (it runs again, attempts
reset) or purge it. Retries and purges are recorded in the audit log.`,
	}
	databaseFlag(cmd.PersistentFlags(), &databaseURL)
	db := func() string { return databaseURL }
	cmd.AddCommand(newQueueListCmd(db), newQueueShowCmd(db), newQueueRetryCmd(db), newQueuePurgeCmd(db))
	return cmd
}

func newQueueListCmd(db func() string) *cobra.Command {
	var f store.JobFilter
	var format string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List jobs: the dead ones by default",
		Example: "  shipgate queue list\n  shipgate queue list --state all --repo acme/widgets --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usageError(fmt.Errorf("--format %q: want text or json", format))
			}
			switch f.State {
			case store.StateDead, store.StateReady, store.StateLeased, store.StateAll:
			default:
				return usageError(fmt.Errorf("--state %q: allowed values: dead, ready, leased, all", f.State))
			}
			return withDatabase(cmd.Context(), db(), func(ctx context.Context, st *store.Store) error {
				jobs, err := st.ListJobs(ctx, f)
				if err != nil {
					return err
				}
				if format == "json" {
					return writeJobsJSON(cmd.OutOrStdout(), jobs)
				}
				return writeJobsTable(cmd.OutOrStdout(), jobs)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.State, "state", store.StateDead, "dead, ready (waiting to run), leased (running) or all")
	fl.StringVar(&f.Kind, "kind", "", "only jobs of this kind")
	fl.StringVar(&f.Repo, "repo", "", "only jobs of this repository (OWNER/NAME; deployment jobs name no repository)")
	fl.IntVar(&f.Limit, "limit", 100, "at most this many jobs, oldest first (0: all)")
	fl.StringVar(&format, "format", "text", "text (a table) or json (one object per line)")
	return cmd
}

func newQueueShowCmd(db func() string) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show everything about a job: payload, last error, attempts, lease",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := jobIDArgs(args)
			if err != nil {
				return err
			}
			if format != "text" && format != "json" {
				return usageError(fmt.Errorf("--format %q: want text or json", format))
			}
			return withDatabase(cmd.Context(), db(), func(ctx context.Context, st *store.Store) error {
				j, err := st.GetJob(ctx, ids[0])
				if err != nil {
					return err
				}
				if format == "json" {
					return writeJobsJSON(cmd.OutOrStdout(), []store.JobInfo{j})
				}
				return writeJob(cmd.OutOrStdout(), j)
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}

func newQueueRetryCmd(db func() string) *cobra.Command {
	var allDead bool
	cmd := &cobra.Command{
		Use:   "retry ID... | --all-dead",
		Short: "Put dead jobs back in the queue, due now, with their attempts reset",
		Long: `Put dead jobs back in the queue: each runs again now, before the later jobs
of its ordering key, with its attempts reset. Only dead jobs are retried; a
job still waiting or running is refused. Each retry is recorded in the audit
log with who asked.`,
		Example: "  shipgate queue retry 812 813\n  shipgate queue retry --all-dead",
		RunE: func(cmd *cobra.Command, args []string) error {
			if allDead == (len(args) > 0) {
				return usageError(errors.New("name the dead jobs to retry (shipgate queue list shows them), or pass --all-dead"))
			}
			ids, err := jobIDArgs(args)
			if err != nil {
				return err
			}
			return withDatabase(cmd.Context(), db(), func(ctx context.Context, st *store.Store) error {
				if allDead {
					if ids, err = deadIDs(ctx, st); err != nil {
						return err
					}
				}
				if err := st.RetryDead(ctx, actor(), ids...); err != nil {
					return refused(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "retried %d dead %s: %s\n", len(ids), plural(len(ids), "job", "jobs"), joinIDs(ids))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&allDead, "all-dead", false, "retry every dead job")
	return cmd
}

func newQueuePurgeCmd(db func() string) *cobra.Command {
	var before string
	cmd := &cobra.Command{
		Use:   "purge ID... | --dead-before DATE",
		Short: "Delete dead jobs for good",
		Long: `Delete dead jobs for good: the ones named, or every job that died before a
date. Only dead jobs are purged; a job still waiting or running is refused.
Each purge is recorded in the audit log, with the job's kind, key and last
error.`,
		Example: "  shipgate queue purge 812\n  shipgate queue purge --dead-before 2026-10-01",
		RunE: func(cmd *cobra.Command, args []string) error {
			if (before != "") == (len(args) > 0) {
				return usageError(errors.New("name the dead jobs to purge, or pass --dead-before DATE"))
			}
			ids, err := jobIDArgs(args)
			if err != nil {
				return err
			}
			var cut time.Time
			if before != "" {
				if cut, err = parseTimeFlag("dead-before", before); err != nil {
					return err
				}
			}
			return withDatabase(cmd.Context(), db(), func(ctx context.Context, st *store.Store) error {
				if before != "" {
					if ids, err = st.DeadBefore(ctx, cut); err != nil {
						return err
					}
				}
				if err := st.PurgeDead(ctx, actor(), ids...); err != nil {
					return refused(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "purged %d dead %s%s\n", len(ids), plural(len(ids), "job", "jobs"), prefixed(": ", joinIDs(ids)))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&before, "dead-before", "", "purge the jobs that died before this time (RFC 3339 or YYYY-MM-DD)")
	return cmd
}

// withDatabase opens the database for fn and closes it after.
func withDatabase(ctx context.Context, url string, fn func(context.Context, *store.Store) error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	st, err := openDatabase(ctx, url)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(ctx, st)
}

// refused makes the store's refusal of a job a usage error: the operator
// named the wrong job.
func refused(err error) error {
	if errors.Is(err, store.ErrNotDead) || errors.Is(err, store.ErrNotFound) {
		return usageError(err)
	}
	return err
}

func deadIDs(ctx context.Context, st *store.Store) ([]int64, error) {
	jobs, err := st.ListJobs(ctx, store.JobFilter{State: store.StateDead})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	return ids, nil
}

func jobIDArgs(args []string) ([]int64, error) {
	ids := make([]int64, 0, len(args))
	for _, a := range args {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			return nil, usageError(fmt.Errorf("%q is not a job ID: want the number shipgate queue list shows", a))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// actor names who ran the command, for the audit log.
func actor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

func joinIDs(ids []int64) string {
	const shown = 20
	var parts []string
	for i, id := range ids {
		if i == shown {
			parts = append(parts, fmt.Sprintf("… (%d more)", len(ids)-shown))
			break
		}
		parts = append(parts, strconv.FormatInt(id, 10))
	}
	return strings.Join(parts, " ")
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
