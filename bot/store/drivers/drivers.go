// Package drivers registers the database drivers the store opens
// (SQLite without cgo, PostgreSQL through pgx) with database/sql. Import
// it for its side effect where a store is opened — the server, the tests —
// and nowhere else: the GitHub Action opens no database, and the drivers
// would be half of its binary.
package drivers

import (
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)
