package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shipgate/shipgate/bot/store"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read the audit trail of the server's decisions"}
	cmd.AddCommand(newAuditExportCmd())
	return cmd
}

type auditOptions struct {
	databaseURL, repo, since, format string
	kinds                            []string
	// archive and pruneBefore archive the events before a time to a file
	// and prune them from the database.
	archive, pruneBefore string
}

func newAuditExportCmd() *cobra.Command {
	var o auditOptions
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Stream audit events as JSON lines or CSV",
		Long: `Stream the audit trail — every evaluation, command, override, release and
deployment step, with actor, time, subject and outcome — oldest first, in
constant memory. JSON is one object per line; CSV has a header row and opens
in a spreadsheet.

With --archive FILE --prune-before DATE, the events before DATE are written
to FILE (a new file), which is synced, closed and read back; only then are
exactly the events it holds deleted from the database, and the prune is
recorded (the archive's name and SHA-256) in the audit log.`,
		Example: `  shipgate audit export --repo acme/widgets --since 2026-11-01 --format csv > audit.csv
  shipgate audit export --archive audit-2025.jsonl.gz --prune-before 2026-01-01`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.archive != "" || o.pruneBefore != "" {
				return runAuditArchive(cmd.Context(), cmd.OutOrStdout(), o)
			}
			return runAuditExport(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	databaseFlag(f, &o.databaseURL)
	f.StringVar(&o.repo, "repo", "", "only events of this repository (OWNER/NAME)")
	f.StringVar(&o.since, "since", "", "only events at or after this time (RFC 3339 or YYYY-MM-DD)")
	f.StringSliceVar(&o.kinds, "kind", nil, "only events of these kinds (evaluation, command, override, release, deployment, …)")
	f.StringVar(&o.format, "format", "json", "json (one object per line) or csv")
	f.StringVar(&o.archive, "archive", "", "write the events before --prune-before to this new file (gzip-compressed if it ends in .gz), then prune them from the database")
	f.StringVar(&o.pruneBefore, "prune-before", "", "with --archive: the time (RFC 3339 or YYYY-MM-DD) before which events are archived and pruned")
	return cmd
}

// auditRecord is the exported shape of an audit event.
type auditRecord struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Host       string          `json:"host"`
	Repo       string          `json:"repo"`
	Number     int             `json:"number,omitempty"`
	Kind       string          `json:"kind"`
	Actor      string          `json:"actor"`
	Subject    string          `json:"subject,omitempty"`
	Outcome    string          `json:"outcome"`
	Detail     json.RawMessage `json:"detail,omitempty"`
	DeliveryID string          `json:"delivery_id,omitempty"`
	// DetailText holds a detail that is not JSON, so that nothing is lost.
	DetailText string `json:"detail_text,omitempty"`
}

var auditCSVHeader = []string{"id", "at", "host", "repo", "number", "kind", "actor", "subject", "outcome", "delivery_id", "detail"}

func runAuditExport(ctx context.Context, out io.Writer, o auditOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var filter store.AuditFilter
	if o.repo != "" {
		if !strings.Contains(o.repo, "/") {
			return usageError(fmt.Errorf("--repo %q: want OWNER/NAME", o.repo))
		}
		filter.Repo = o.repo
	}
	if o.since != "" {
		t, err := parseTimeFlag("since", o.since)
		if err != nil {
			return err
		}
		filter.Since = t
	}
	filter.Kinds = o.kinds
	if o.format != "json" && o.format != "csv" {
		return usageError(fmt.Errorf("--format %q: want json or csv", o.format))
	}
	st, err := openDatabase(ctx, o.databaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	w := bufio.NewWriter(out)
	emit, err := auditEmitter(w, o.format)
	if err != nil {
		return err
	}
	if err := st.ExportAudit(ctx, filter, emit); err != nil {
		return fmt.Errorf("exporting the audit log: %w", err)
	}
	return w.Flush()
}

// auditEmitter returns the function that writes one audit event to w in
// format (json or csv; CSV's header is written at once).
func auditEmitter(w io.Writer, format string) (func(store.AuditEvent) error, error) {
	if format == "csv" {
		cw := csv.NewWriter(w)
		if err := cw.Write(auditCSVHeader); err != nil {
			return nil, err
		}
		return func(e store.AuditEvent) error {
			if err := cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), string(e.Host), e.Repo,
				strconv.Itoa(e.Number), e.Kind, e.Actor, e.Subject, e.Outcome, e.DeliveryID, string(e.Detail)}); err != nil {
				return err
			}
			cw.Flush()
			return cw.Error()
		}, nil
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return func(e store.AuditEvent) error {
		rec := auditRecord{ID: e.ID, At: e.At.UTC(), Host: string(e.Host), Repo: e.Repo, Number: e.Number, Kind: e.Kind,
			Actor: e.Actor, Subject: e.Subject, Outcome: e.Outcome, DeliveryID: e.DeliveryID}
		if json.Valid(e.Detail) {
			rec.Detail = e.Detail
		} else {
			rec.DetailText = string(e.Detail)
		}
		return enc.Encode(rec)
	}, nil
}

// parseTimeFlag reads the time flag --name: RFC 3339, or a date (midnight
// UTC).
func parseTimeFlag(name, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t, err = time.Parse("2006-01-02", v)
	}
	if err != nil {
		return time.Time{}, usageError(fmt.Errorf("--%s %q: want an RFC 3339 time or a date such as 2026-11-01", name, v))
	}
	return t, nil
}

// openDatabase opens the server's database for a command, refusing to
// create a SQLite file where there is none: a mistyped path must not look
// like an empty database.
func openDatabase(ctx context.Context, url string) (*store.Store, error) {
	if _, err := os.Stat(url); err != nil && !strings.Contains(url, "://") {
		return nil, usageError(fmt.Errorf("no database at %s: pass --database-url (or SHIPGATE_DATABASE_URL) as given to shipgate serve", url))
	}
	st, err := store.Open(ctx, url)
	if err != nil {
		return nil, usageError(fmt.Errorf("opening the database %s: %w", redactURL(url), err))
	}
	return st, nil
}

// databaseFlag binds the --database-url flag of the commands that read the
// server's database.
func databaseFlag(f *pflag.FlagSet, dst *string) {
	f.StringVar(dst, "database-url", envOr("SHIPGATE_DATABASE_URL", store.DefaultPath), "the server's database: a SQLite file or postgres://… [SHIPGATE_DATABASE_URL]")
}
