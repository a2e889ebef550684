package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// cachingDB opens a SQLite file through the statement cache, with one
// connection so that every query meets the same cache.
func cachingDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := openCachingSQLite(filepath.Join(t.TempDir(), "cache.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT NOT NULL); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');`); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestStatementCache(t *testing.T) {
	t.Run("a query run again while its rows are open gets a statement of its own", func(t *testing.T) {
		db := cachingDB(t)
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		const q = `SELECT n FROM t WHERE n >= $1 ORDER BY n`
		outer, err := tx.Query(q, 1)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for outer.Next() {
			var n int
			if err := outer.Scan(&n); err != nil {
				t.Fatal(err)
			}
			var inner int
			if err := tx.QueryRow(q, n).Scan(&inner); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%d:%d", n, inner))
		}
		if err := outer.Close(); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != "[1:1 2:2 3:3]" {
			t.Errorf("outer:inner rows = %v, want [1:1 2:2 3:3]", got)
		}
	})
	t.Run("more distinct queries than the cache holds all answer right", func(t *testing.T) {
		db := cachingDB(t)
		for round := 0; round < 2; round++ {
			for i := 0; i < stmtCacheSize*2; i++ {
				var n int
				// Each text differs; the answer is always row 2.
				if err := db.QueryRow(fmt.Sprintf(`SELECT n FROM t WHERE v = $1 AND %d = %d`, i, i), "b").Scan(&n); err != nil || n != 2 {
					t.Fatalf("query %d: n = %d, %v", i, n, err)
				}
			}
		}
	})
	t.Run("a cached statement sees a schema change", func(t *testing.T) {
		db := cachingDB(t)
		const q = `SELECT * FROM t WHERE n = $1`
		var n int
		var v string
		if err := db.QueryRow(q, 1).Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`ALTER TABLE t ADD COLUMN w TEXT NOT NULL DEFAULT 'new'`); err != nil {
			t.Fatal(err)
		}
		var w string
		if err := db.QueryRow(q, 1).Scan(&n, &v, &w); err != nil || w != "new" {
			t.Errorf("after ALTER TABLE: w = %q, %v", w, err)
		}
	})
	t.Run("a failed statement leaves the cached one usable", func(t *testing.T) {
		db := cachingDB(t)
		const q = `INSERT INTO t (n, v) VALUES ($1, $2)`
		if _, err := db.Exec(q, 1, "dup"); err == nil {
			t.Fatal("inserting a duplicate key succeeded")
		}
		if _, err := db.Exec(q, 4, "d"); err != nil {
			t.Fatalf("the same statement after a failure: %v", err)
		}
	})
}

func TestCacheable(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT 1":                         true,
		"SELECT 1;\n":                      true,
		"CREATE TABLE a (x); DROP TABLE a": false,
	} {
		if got := cacheable(q); got != want {
			t.Errorf("cacheable(%q) = %v, want %v", q, got, want)
		}
	}
}

// TestARunToEndConnectionFinishesWhatItStarted: on the writer's
// connections a statement runs to its end although its context ends
// meanwhile, and one whose context has ended does not start; elsewhere
// the driver interrupts it.
func TestARunToEndConnectionFinishesWhatItStarted(t *testing.T) {
	const fill = `CREATE TABLE big AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000) SELECT x FROM c`
	for _, runToEnd := range []bool{true, false} {
		t.Run(fmt.Sprint("runToEnd=", runToEnd), func(t *testing.T) {
			db, err := openCachingSQLite(filepath.Join(t.TempDir(), "cache.db"), runToEnd)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			if err := db.Ping(); err != nil {
				t.Fatal(err)
			}
			short, cancel := context.WithTimeout(ctx, time.Millisecond)
			defer cancel()
			_, err = db.ExecContext(short, fill)
			var n int
			if runToEnd {
				if err != nil {
					t.Fatalf("the statement was cut short: %v", err)
				}
				if err := db.QueryRow(`SELECT COUNT(*) FROM big`).Scan(&n); err != nil || n != 50000 {
					t.Fatalf("rows = %d (%v), want 50000", n, err)
				}
			} else if err == nil {
				t.Fatal("an interruptible statement ran on past its context's deadline")
			}
			ended, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := db.ExecContext(ended, `CREATE TABLE never (x INTEGER)`); !errors.Is(err, context.Canceled) {
				t.Fatalf("a statement whose context had ended: %v, want context.Canceled", err)
			}
		})
	}
}
