package store

import (
	"database/sql"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// dialect holds the few places where SQLite and PostgreSQL disagree; every
// other query is one text for both (numbered $N parameters, ON CONFLICT,
// RETURNING and row values work in both).
type dialect struct {
	name string
	// lockRows is appended to a SELECT that must lock the rows it reads
	// until the transaction ends. SQLite needs none: its one writer
	// connection already runs write transactions one at a time.
	lockRows string
	// skipLocked is appended to the SELECT that claims keys, so that
	// replicas claiming at once take different keys instead of waiting.
	skipLocked string
	// lockMigrations serialises replicas that migrate at the same time.
	lockMigrations string
	// insertByRow makes Accept insert a batch one row at a time with
	// statements the connection keeps prepared (SQLite, in the process)
	// rather than with one multi-row INSERT per table (PostgreSQL, one
	// round trip); see rowinserts.go.
	insertByRow bool
	// writers is how many group-commit writers run at once. SQLite has
	// one writer. PostgreSQL takes several, and then a transaction holds
	// either deliveries alone or one other write: each of those locks its
	// queue keys in key order, but the keys of a delivery batch and of
	// workers' writes together would not be, and two replicas' batches
	// could then lock the same keys in opposite orders and deadlock.
	writers int
}

var (
	sqliteDialect = dialect{name: DialectSQLite, insertByRow: true, writers: 1}
	// The advisory lock key is arbitrary but fixed: "shipgate" in ASCII.
	postgresDialect = dialect{
		name:           DialectPostgres,
		lockRows:       " FOR UPDATE",
		skipLocked:     " FOR UPDATE SKIP LOCKED",
		lockMigrations: "SELECT pg_advisory_xact_lock(7526752903624926565)",
		writers:        4,
	}
)

// params returns "$from, $from+1, …" for n parameters.
func params(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

// valueRows returns "($1, …, $cols), (…)" for rows rows of cols columns.
func valueRows(rows, cols int) string {
	var b strings.Builder
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		b.WriteString(params(r*cols+1, cols))
		b.WriteByte(')')
	}
	return b.String()
}

// int64Args turns IDs into query arguments.
func int64Args(ids []int64) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}

// stringArgs turns strings into query arguments.
func stringArgs(ss []string) []any {
	args := make([]any, len(ss))
	for i, s := range ss {
		args[i] = s
	}
	return args
}

// Times are stored as microseconds since the Unix epoch in UTC, PostgreSQL's
// own precision, as integers in both dialects.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// nullMicros stores the zero time as NULL.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMicros(n.Int64)
}

// nonNil keeps NOT NULL byte columns from receiving NULL: database drivers
// send a nil slice as NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
