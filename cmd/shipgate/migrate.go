package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipgate/shipgate/bot/store"
)

type migrateOptions struct {
	databaseURL string
	check       bool
}

func newMigrateCmd() *cobra.Command {
	var o migrateOptions
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database's pending schema migrations",
		Long: `Apply the pending schema migrations of the server's database, in one
transaction, and print those applied (or "up to date"). shipgate serve does
the same at start unless SHIPGATE_MIGRATE=off; with several replicas, run
this once per release, before the new replicas start (a Kubernetes Job, a
one-shot compose service). On PostgreSQL it takes the lock the replicas take,
so it may run beside them.

--check applies nothing: it lists the pending migrations and exits 1 when
there are any, 0 when the schema is up to date.`,
		Example: `  shipgate migrate --database-url postgres://shipgate@db/shipgate
  shipgate migrate --check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMigrate(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.databaseURL, "database-url", envOr("SHIPGATE_DATABASE_URL", store.DefaultPath), "the server's database: a SQLite file or postgres://… [SHIPGATE_DATABASE_URL]")
	f.BoolVar(&o.check, "check", false, "list the pending migrations without applying them; exit 1 when there are any")
	return cmd
}

func runMigrate(ctx context.Context, out io.Writer, o migrateOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	where := redactURL(o.databaseURL)
	if o.check && !strings.Contains(o.databaseURL, "://") {
		// Checking must not create the SQLite file it was pointed at by mistake.
		if _, err := os.Stat(o.databaseURL); err != nil {
			return usageError(fmt.Errorf("no database at %s: pass --database-url (or SHIPGATE_DATABASE_URL) as given to shipgate serve", o.databaseURL))
		}
	}
	if o.check {
		pending, err := store.PendingMigrations(ctx, o.databaseURL)
		if err != nil {
			return usageError(fmt.Errorf("reading the schema of %s: %w", where, err))
		}
		if len(pending) == 0 {
			fmt.Fprintln(out, "up to date")
			return nil
		}
		for _, m := range pending {
			fmt.Fprintln(out, "pending", m.Name)
		}
		return &exitError{code: exitUnsatisfied, err: fmt.Errorf("%d pending migration(s) in %s: run shipgate migrate to apply them", len(pending), where)}
	}
	applied, err := store.Migrate(ctx, o.databaseURL)
	if err != nil {
		return usageError(fmt.Errorf("migrating %s: %w", where, err))
	}
	if len(applied) == 0 {
		fmt.Fprintln(out, "up to date")
		return nil
	}
	for _, m := range applied {
		fmt.Fprintln(out, "applied", m.Name)
	}
	return nil
}
