// Package store owns Shipgate's persistence: webhook deliveries and the
// durable job queue of `shipgate serve`, comment-command and evaluation
// records, the publishing state of pull requests, and the append-only audit
// log. It speaks SQLite (the default, one process) and PostgreSQL (several
// replicas) through database/sql, with one SQL text for both wherever the
// dialects agree, and versioned migrations embedded per dialect.
//
// The store is host-neutral: hosts appear only as strings ("github",
// "gitlab", "slack"). It must not import bot/github, actions, or any host SDK
// (go-github, the GitLab client, slack-go); payloads are opaque bytes here.
//
// Delivery semantics: Accept writes a delivery and its jobs in one
// transaction and returns only once they are durable, so a webhook may be
// acknowledged when Accept returns nil. Jobs are delivered at least once:
// a worker that crashes or lets its lease expire has its jobs claimed again,
// so job handlers must be idempotent (the records below make that easy).
package store
