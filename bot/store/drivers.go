//go:build !shipgate_action

package store

// The database drivers, registered with database/sql. The GitHub Action's
// slim build (-tags shipgate_action) opens no database and leaves them out:
// they are half of its binary.
import (
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)
