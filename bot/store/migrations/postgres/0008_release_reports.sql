-- The report that closes a release (bot/report): one per version, written
-- when the release's last environment ends and rewritten if it is closed
-- again (a rollback after it). data is the report as JSON. Deployments are
-- listed by repository and creation time for the report and the delivery
-- metrics.
CREATE TABLE release_reports (
    host      TEXT    NOT NULL,
    repo      TEXT    NOT NULL,
    version   TEXT    NOT NULL,
    status    TEXT    NOT NULL,
    data      BYTEA   NOT NULL,
    closed_at BIGINT  NOT NULL,
    PRIMARY KEY (host, repo, version)
);
CREATE INDEX deployments_by_repo ON deployments (host, repo, created_at);
