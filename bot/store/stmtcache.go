package store

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
)

// stmtCacheSize bounds the statements kept per SQLite connection. The
// store's queries with fixed text are a few dozen; IN lists of varying
// length come and go through the least recently used end.
const stmtCacheSize = 96

// openCachingSQLite opens a SQLite database whose connections keep their
// prepared statements by query text, as pgx does for PostgreSQL. Every
// query the store sends was otherwise parsed and planned again on each
// call: under webhook load that was a sixth of the server's CPU, most of
// it inside the group-commit writer, where it delays every
// acknowledgement.
//
// With runToEnd, a statement is not interrupted when its context ends:
// the context is checked before the statement starts. The driver
// interrupts through a goroutine of its own for every statement whose
// context can end; on the writer, with a dozen statements to each
// delivery's jobs, those goroutines were a tenth of the scheduler's work
// under load, and its statements are short. Readers, which run the long
// queries (exports, the dashboard), stay interruptible.
func openCachingSQLite(dsn string, runToEnd bool) (*sql.DB, error) {
	probe, err := openDriver("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	probe.Close() // sql.Open connects lazily: nothing was opened
	return sql.OpenDB(cachingConnector{drv: drv, dsn: dsn, runToEnd: runToEnd}), nil
}

type cachingConnector struct {
	drv      driver.Driver
	dsn      string
	runToEnd bool
}

func (c cachingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	for _, iface := range []bool{isExecer(conn), isQueryer(conn), isPreparer(conn)} {
		if !iface {
			conn.Close()
			return nil, errors.New("the sqlite driver lacks ExecContext, QueryContext or PrepareContext")
		}
	}
	return &cachingConn{Conn: conn, stmts: map[string]*list.Element{}, lru: list.New(), runToEnd: c.runToEnd}, nil
}

func (c cachingConnector) Driver() driver.Driver { return c.drv }

func isExecer(c driver.Conn) bool   { _, ok := c.(driver.ExecerContext); return ok }
func isQueryer(c driver.Conn) bool  { _, ok := c.(driver.QueryerContext); return ok }
func isPreparer(c driver.Conn) bool { _, ok := c.(driver.ConnPrepareContext); return ok }

// cachingConn is a driver connection with a cache of prepared statements.
// database/sql uses a connection from one goroutine at a time, so the
// cache needs no lock; a statement whose rows are still open is busy, and
// the same query meanwhile gets a statement of its own.
type cachingConn struct {
	driver.Conn
	stmts map[string]*list.Element // of *cachedStmt
	lru   *list.List               // most recently used first
	// runToEnd: see openCachingSQLite.
	runToEnd bool
}

// statementContext returns the context a statement runs under: ctx, or,
// with runToEnd, ctx without its end, once ctx is checked.
func (c *cachingConn) statementContext(ctx context.Context) (context.Context, error) {
	if !c.runToEnd {
		return ctx, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return context.WithoutCancel(ctx), nil
}

type cachedStmt struct {
	query string
	stmt  driver.Stmt
	busy  bool
}

var (
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
)

// cacheable tells whether a query is one statement: a script (migrations)
// is parsed statement by statement on every run anyway.
func cacheable(query string) bool {
	return !strings.Contains(strings.TrimRight(query, " \t\r\n;"), ";")
}

// get returns the cached statement of query, preparing it if needed, or
// nil when the query cannot be cached or its statement is busy.
func (c *cachingConn) get(ctx context.Context, query string) (*cachedStmt, error) {
	if !cacheable(query) {
		return nil, nil
	}
	if e, ok := c.stmts[query]; ok {
		cs := e.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		c.lru.MoveToFront(e)
		return cs, nil
	}
	stmt, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	cs := &cachedStmt{query: query, stmt: stmt}
	c.stmts[query] = c.lru.PushFront(cs)
	for c.lru.Len() > stmtCacheSize {
		if !c.evict(c.lru.Back()) {
			break
		}
	}
	return cs, nil
}

// evict closes and forgets the statement of e, unless its rows are open
// (it is evicted later).
func (c *cachingConn) evict(e *list.Element) bool {
	cs := e.Value.(*cachedStmt)
	if cs.busy {
		return false
	}
	c.lru.Remove(e)
	delete(c.stmts, cs.query)
	_ = cs.stmt.Close()
	return true
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ctx, err := c.statementContext(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	}
	return cs.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	ctx, err := c.statementContext(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, cs: cs}, nil
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	ctx, err := c.statementContext(ctx)
	if err != nil {
		return nil, err
	}
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return nil, errors.New("the sqlite driver lacks BeginTx")
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	v, ok := c.Conn.(driver.Validator)
	return !ok || v.IsValid()
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// Close finalizes the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	for e := c.lru.Front(); e != nil; e = e.Next() {
		_ = e.Value.(*cachedStmt).stmt.Close()
	}
	c.stmts, c.lru = nil, list.New()
	return c.Conn.Close()
}

// cachedRows frees its statement for the next query when closed.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.cs.busy = false
	return err
}
