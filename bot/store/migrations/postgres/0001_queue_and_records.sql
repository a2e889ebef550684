-- Deliveries, the job queue, command and evaluation records, PR publishing
-- state and the audit log. Times are microseconds since the Unix epoch (UTC)
-- in both dialects, so queries compare plain integers and the clock is
-- always the store's injected one.

CREATE TABLE deliveries (
    host        TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    event       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    payload     BYTEA   NOT NULL,
    received_at BIGINT  NOT NULL,
    PRIMARY KEY (host, id)
);

-- Identity values are never reused: completed jobs are deleted, and a reused
-- ID would let a late Complete from a stalled worker delete a new job.
CREATE TABLE jobs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT    NOT NULL,
    ordering_key  TEXT    NOT NULL,
    payload       BYTEA   NOT NULL,
    delivery_host TEXT    NOT NULL,
    delivery_id   TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('pending', 'leased', 'dead')),
    attempts      BIGINT  NOT NULL DEFAULT 0,
    max_attempts  BIGINT  NOT NULL,
    run_at        BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL,
    leased_by     TEXT,
    leased_until  BIGINT  NOT NULL DEFAULT 0,
    last_error    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX jobs_live_by_key ON jobs (ordering_key, id) WHERE state <> 'dead';
CREATE INDEX jobs_dead ON jobs (id) WHERE state = 'dead';

-- One row per ordering key that has live (pending or leased) jobs. The row
-- is the key's lock: Claim leases keys, not jobs. ready_at is the run_at of
-- the key's first live job, so a key waiting on a retry stays blocked.
CREATE TABLE queue_keys (
    ordering_key TEXT    PRIMARY KEY,
    ready_at     BIGINT  NOT NULL,
    leased_by    TEXT,
    leased_until BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX queue_keys_ready ON queue_keys (ready_at, ordering_key);

CREATE TABLE commands (
    host       TEXT    NOT NULL,
    repo       TEXT    NOT NULL,
    number     BIGINT  NOT NULL,
    comment_id BIGINT  NOT NULL,
    idx        BIGINT  NOT NULL,
    actor      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    args       TEXT    NOT NULL,
    accepted   BOOLEAN NOT NULL,
    reason     TEXT    NOT NULL,
    at         BIGINT  NOT NULL,
    PRIMARY KEY (host, repo, comment_id, idx)
);

CREATE TABLE evaluations (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host            TEXT    NOT NULL,
    repo            TEXT    NOT NULL,
    number          BIGINT  NOT NULL,
    head_sha        TEXT    NOT NULL,
    policy_revision TEXT    NOT NULL,
    inputs_digest   TEXT    NOT NULL,
    conclusion      TEXT    NOT NULL,
    verdict         BYTEA   NOT NULL,
    at              BIGINT  NOT NULL
);
CREATE INDEX evaluations_by_pr ON evaluations (host, repo, number, id);

CREATE TABLE prs (
    host               TEXT    NOT NULL,
    repo               TEXT    NOT NULL,
    number             BIGINT  NOT NULL,
    base_branch        TEXT    NOT NULL,
    head_sha           TEXT    NOT NULL,
    state              TEXT    NOT NULL,
    check_run_id       BIGINT  NOT NULL,
    comment_id         BIGINT  NOT NULL,
    comment_digest     TEXT    NOT NULL,
    last_evaluated_at  BIGINT ,
    last_activity_at   BIGINT ,
    last_evaluated_sha TEXT    NOT NULL,
    PRIMARY KEY (host, repo, number)
);
CREATE INDEX prs_open ON prs (host, last_activity_at) WHERE state = 'open';
CREATE INDEX prs_open_by_base ON prs (host, repo, base_branch, number) WHERE state = 'open';

CREATE TABLE audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          BIGINT  NOT NULL,
    host        TEXT    NOT NULL,
    repo        TEXT    NOT NULL,
    number      BIGINT  NOT NULL,
    kind        TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    detail      BYTEA   NOT NULL,
    delivery_id TEXT    NOT NULL
);
CREATE INDEX audit_events_by_time ON audit_events (at, id);
CREATE INDEX audit_events_by_repo ON audit_events (repo, at, id);

-- The audit log is append-only in the database too, not only in the API.
CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
