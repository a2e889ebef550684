package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Dialect names returned by Store.Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// DefaultPath is the SQLite file used when the database URL is empty.
const DefaultPath = "shipgate.db"

var (
	// ErrClosed is returned by every method called after Close, and by an
	// Accept that was still waiting to be written when Close was called
	// (its delivery was not written).
	ErrClosed = errors.New("store is closed")
	// ErrUnsupportedURL is returned by Open for a database URL whose scheme
	// is neither postgres://, postgresql://, sqlite: nor file:, and for
	// SQLite paths the store cannot make durable (":memory:").
	ErrUnsupportedURL = errors.New("unsupported database URL")
	// ErrSchemaTooNew is returned by Open when the database carries a schema
	// migration this build does not know: it was written by a newer
	// Shipgate, and an older one must not guess at its tables.
	ErrSchemaTooNew = errors.New("database schema is newer than this build of shipgate")
	// ErrInvalid is returned, wrapped with the offending field, when an
	// argument is missing or out of range. Nothing is written.
	ErrInvalid = errors.New("invalid argument")
	// ErrNotFound is returned by lookups (GetPR) when no row matches.
	ErrNotFound = errors.New("not found")
	// ErrNoJob is returned by Retry and Bury when the job does not exist,
	// was completed, or is already dead.
	ErrNoJob = errors.New("no such live job")
	// ErrLeaseLost is returned by Extend, Complete, Retry and Bury when a
	// job is no longer held under the caller's lease: another worker
	// claimed it after the lease expired or was released (Extend also
	// refuses an expired lease). The worker must stop working on its
	// batch, and what it did may be done again by the new holder.
	ErrLeaseLost = errors.New("job lease lost")
)

// Options tune a Store. The zero value is ready to use.
type Options struct {
	// Now is the store's clock; every timestamp the store compares or writes
	// by itself (lease expiry, run_at, defaults for zero times) comes from
	// it. Nil means time.Now.
	Now func() time.Time
	// NoMigrate makes OpenWith refuse a schema that lacks migrations
	// (ErrMigrationsPending, naming them) instead of applying them: for
	// replicas whose migrations run once, as a step of their own (Migrate),
	// before they start.
	NoMigrate bool
}

// Store is Shipgate's database. It is safe for concurrent use; create it
// with Open and release it with Close.
type Store struct {
	dialect dialect
	now     func() time.Time

	// w runs every write. On SQLite it holds exactly one connection, which
	// serialises writers in the process instead of letting them race for
	// SQLite's single write lock (and fail with SQLITE_BUSY); r is a pool of
	// read-only connections that WAL lets run beside the writer. On
	// PostgreSQL both are the same pool.
	w, r *sql.DB
	// path is the SQLite file ("" on PostgreSQL), whose file system Probe
	// checks for space.
	path string
	// ckpt is SQLite's checkpointer connection (see runCheckpoints); nil on
	// PostgreSQL.
	ckpt     *sql.DB
	ckptDone chan struct{}
	ckptWake chan struct{} // a commit was written (nil without ckpt)

	accepts    chan *acceptRequest
	writes     chan *writeRequest
	quit       chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once

	orphaned orphans
	// wal syncs SQLite's WAL after the workers' batches (nil on
	// PostgreSQL; see walsync.go). Only the writer uses it.
	wal *walSync

	// Group-commit counters, read by tests and available for metrics later.
	acceptBatches  atomic.Int64
	acceptRequests atomic.Int64
	// acceptsWaiting counts the Accept calls waiting to hand their delivery
	// to the writer, which then cuts a batch of workers' writes short.
	acceptsWaiting atomic.Int64
}

// Open opens the database at url with default Options; see OpenWith.
func Open(ctx context.Context, url string) (*Store, error) {
	return OpenWith(ctx, url, Options{})
}

// OpenWith opens the database at url and brings its schema up to date.
//
// url is "" (the SQLite file DefaultPath), a file path, "sqlite:PATH" or
// "file:PATH" (SQLite, created if missing), or "postgres://…" /
// "postgresql://…" (PostgreSQL, any pgx connection URL; a search_path
// parameter selects the schema). Pending migrations are applied in one
// transaction and recorded in schema_migrations (with opts.NoMigrate they
// are refused instead); ErrSchemaTooNew is returned when the database was
// migrated by a newer build.
func OpenWith(ctx context.Context, url string, opts Options) (*Store, error) {
	s, err := openDBs(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	pending, err := migrate(ctx, s.w, s.dialect, s.now(), !opts.NoMigrate)
	if err == nil && opts.NoMigrate && len(pending) > 0 {
		err = pendingError(pending)
	}
	if err != nil {
		s.closeDBs()
		return nil, err
	}
	if s.ckpt != nil {
		s.ckptDone, s.ckptWake = make(chan struct{}), make(chan struct{}, 1)
		go s.runCheckpoints()
	}
	if s.path != "" {
		s.wal = newWALSync(s.path)
	}
	var writers sync.WaitGroup
	for range s.dialect.writers {
		writers.Go(s.runWriter)
	}
	go func() {
		writers.Wait()
		if s.wal != nil {
			s.wal.close()
		}
		close(s.writerDone)
	}()
	return s, nil
}

// openDBs connects to the database at url; the schema is left as it is
// and the writer is not started.
func openDBs(ctx context.Context, url string, opts Options) (*Store, error) {
	kind, target, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	s := &Store{
		now:        opts.Now,
		accepts:    make(chan *acceptRequest),
		writes:     make(chan *writeRequest),
		quit:       make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	switch kind {
	case DialectSQLite:
		s.dialect = sqliteDialect
		err = s.openSQLite(ctx, target)
	default:
		s.dialect = postgresDialect
		err = s.openPostgres(ctx, target)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// parseURL tells the dialect of a database URL and the target to hand to
// its driver. Errors name the scheme only: URLs may carry passwords.
func parseURL(raw string) (kind, target string, err error) {
	switch {
	case raw == "":
		return DialectSQLite, DefaultPath, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		return DialectPostgres, raw, nil
	case strings.HasPrefix(raw, "sqlite:"), strings.HasPrefix(raw, "file:"):
		_, path, _ := strings.Cut(raw, ":")
		// "sqlite:///abs/path" and "sqlite://rel" both name a path.
		path = strings.TrimPrefix(path, "//")
		return sqlitePath(path)
	}
	if scheme, _, ok := strings.Cut(raw, "://"); ok {
		return "", "", fmt.Errorf("%w: scheme %q (want postgres://, postgresql://, sqlite:PATH, file:PATH or a file path)", ErrUnsupportedURL, scheme)
	}
	return sqlitePath(raw)
}

func sqlitePath(path string) (kind, target string, err error) {
	switch {
	case path == "":
		return "", "", fmt.Errorf("%w: empty SQLite path", ErrUnsupportedURL)
	case path == ":memory:" || strings.Contains(path, "mode=memory"):
		return "", "", fmt.Errorf("%w: an in-memory SQLite database is not durable; use a file", ErrUnsupportedURL)
	case strings.ContainsAny(path, "?#"):
		return "", "", fmt.Errorf("%w: SQLite path must not contain '?' or '#'", ErrUnsupportedURL)
	}
	return DialectSQLite, path, nil
}

const (
	// sqliteBusyTimeout is how long a SQLite connection waits for another
	// one's lock.
	sqliteBusyTimeout = 10 * time.Second
	// sqliteBusy is SQLITE_BUSY, the primary result code of a lock wait
	// that gave up.
	sqliteBusy = 5
)

// sqlitePragmas are set on every SQLite connection.
//
// Durability: WAL with synchronous=FULL. WAL with NORMAL already survives a
// process crash (a committed transaction is in the WAL file, i.e. in the OS
// page cache, before COMMIT returns), but loses the last transactions on a
// power cut or kernel crash. A webhook that Shipgate acknowledged is not
// redelivered by GitHub, so an acknowledged delivery must survive both:
// FULL fsyncs the WAL at every commit. Group commit makes that one fsync per
// batch of deliveries, not per delivery (see BenchmarkAccept).
var sqlitePragmas = []string{
	// Other processes (a CLI export, a backup) may hold locks briefly.
	fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()),
	"foreign_keys(1)",
	"synchronous(FULL)",
}

func (s *Store) openSQLite(ctx context.Context, path string) error {
	dsn := func(extra ...string) string {
		q := url.Values{}
		for _, p := range append(sqlitePragmas, extra...) {
			q.Add("_pragma", p)
		}
		// BEGIN IMMEDIATE takes the write lock up front, so a transaction
		// never fails half-way on a lock upgrade.
		q.Set("_txlock", "immediate")
		return path + "?" + q.Encode()
	}
	// A checkpoint copies the WAL into the database and fsyncs it; in the
	// commit path (every 1,000 pages by default) it held every
	// acknowledgement waiting behind it. runCheckpoints does that work on
	// its own connection; the writer checkpoints only once the WAL passes
	// walRestartFrames, which under unbroken load is what lets the WAL start
	// over, and then has little left to copy.
	//
	// Savepoint journals past 64 KiB go to temporary files, created and
	// removed in a batch of workers' writes (7% of the server's CPU under
	// load); temp_store=MEMORY saved that but cost 3 MB of resident memory
	// when saturated, over the 60 MB the server is held to.
	w, err := openCachingSQLite(dsn("journal_mode(WAL)", "journal_size_limit(67108864)", fmt.Sprintf("wal_autocheckpoint(%d)", walRestartFrames)), true)
	if err != nil {
		return fmt.Errorf("opening SQLite database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The writer connection creates the file and switches it to WAL before
	// any reader connects.
	if err := pingSQLite(ctx, w); err != nil {
		w.Close()
		return fmt.Errorf("opening SQLite database %s: %w", path, err)
	}
	// Readers keep a smaller page cache than SQLite's 2 MB default: four
	// of them would hold up to 8 MB, mostly of the same pages, while a miss
	// costs only a read from the OS's page cache.
	r, err := openCachingSQLite(dsn("query_only(1)", "cache_size(-512)"), false)
	if err != nil {
		w.Close()
		return fmt.Errorf("opening SQLite database %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	ckpt, err := openDriver("sqlite", dsn())
	if err != nil {
		w.Close()
		r.Close()
		return fmt.Errorf("opening SQLite database %s for checkpoints: %w", path, err)
	}
	ckpt.SetMaxOpenConns(1)
	ckpt.SetMaxIdleConns(1)
	ckpt.SetConnMaxLifetime(0)
	ckpt.SetConnMaxIdleTime(0)
	s.w, s.r, s.ckpt, s.path = w, r, ckpt, path
	return nil
}

// pingSQLite connects to a SQLite database. A connection that opens the
// file while another switches it to WAL, or recovers its WAL, can fail
// with SQLITE_BUSY at once, without waiting busy_timeout (seen with
// several Migrate calls on a new file): that is retried for as long.
func pingSQLite(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(sqliteBusyTimeout)
	for {
		err := db.PingContext(ctx)
		var coded interface{ Code() int }
		if err == nil || !errors.As(err, &coded) || coded.Code()&0xff != sqliteBusy || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// openDriver opens a database through a registered driver, saying how to
// register it when it is not.
func openDriver(driver, dsn string) (*sql.DB, error) {
	if !slices.Contains(sql.Drivers(), driver) {
		return nil, fmt.Errorf("the %s driver is not linked into this binary: import github.com/shipgate/shipgate/bot/store/drivers", driver)
	}
	return sql.Open(driver, dsn)
}

func (s *Store) openPostgres(ctx context.Context, target string) error {
	db, err := openDriver("pgx", target)
	if err != nil {
		return fmt.Errorf("opening PostgreSQL database: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	s.w, s.r = db, db
	return nil
}

// Dialect returns DialectSQLite or DialectPostgres.
func (s *Store) Dialect() string { return s.dialect.name }

// Ping reports whether the database answers reads and the store is open.
// It passes on a read-only or full database: /readyz uses Probe.
func (s *Store) Ping(ctx context.Context) error {
	select {
	case <-s.quit:
		return ErrClosed
	default:
	}
	for _, db := range s.pools() {
		if _, err := db.ExecContext(ctx, "SELECT 1"); err != nil {
			return fmt.Errorf("pinging %s database: %w", s.dialect.name, err)
		}
	}
	return nil
}

// Close stops accepting deliveries, waits for the batch being written, and
// closes the database. Accept calls still waiting return ErrClosed. Close is
// idempotent.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.writerDone
		if s.ckptDone != nil {
			<-s.ckptDone
		}
		err = s.closeDBs()
	})
	return err
}

func (s *Store) closeDBs() error {
	var errs []error
	for _, db := range s.pools() {
		if err := db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing %s database: %w", s.dialect.name, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Store) pools() []*sql.DB {
	if s.r == s.w {
		return []*sql.DB{s.w}
	}
	return []*sql.DB{s.w, s.r, s.ckpt}
}

// closed returns ErrClosed once Close has been called.
func (s *Store) closed() error {
	select {
	case <-s.quit:
		return ErrClosed
	default:
		return nil
	}
}

// writeTx runs fn in a write transaction and commits it when fn returns
// nil. The transaction is the group-commit writer's: fn runs under a
// savepoint inside the batch that the writer is committing anyway, so
// every write shares its fsync with the deliveries and other writes of that
// moment, and no write waits behind another's fsync. fn must only use tx
// (never call the Store: the writer would wait for itself). An error from
// fn rolls back fn's own statements only. ctx bounds the wait to be taken
// into a batch; once taken, the call waits for the commit.
func (s *Store) writeTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if err := s.closed(); err != nil {
		return err
	}
	req := &writeRequest{fn: fn, res: make(chan error, 1)}
	select {
	case s.writes <- req:
	case <-s.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-req.res
}

// exec runs one write statement through writeTx (so it shares the group
// commit) and returns the rows it affected.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// inTx is writeTx for the group-commit writer, which finishes its batch
// even while Close waits for it.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing transaction: %w", err)
	}
	return nil
}
