-- Several replicas on one database (issue 12). Each process is a worker
-- with its own name and a heartbeat; a process whose heartbeat stops has
-- its leases released within seconds. Every claim draws a fencing token,
-- kept on the jobs and the key it leased: Extend, Complete, Retry and Bury
-- name the token, so a worker whose lease was taken over changes nothing.
-- Periodic tasks (reconciliation, retention) run once per period across
-- replicas: a replica runs one only after moving its due time forward.
ALTER TABLE jobs ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0;
ALTER TABLE queue_keys ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0;
CREATE INDEX jobs_leased_by ON jobs (leased_by) WHERE state = 'leased';
CREATE TABLE workers (
    name         TEXT   PRIMARY KEY,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
CREATE TABLE ticks (
    name   TEXT   PRIMARY KEY,
    due_at BIGINT NOT NULL,
    ran_by TEXT   NOT NULL DEFAULT ''
);
