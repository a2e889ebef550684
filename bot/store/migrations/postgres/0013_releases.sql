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

-- Hotfix merge-backs (bot/gate): a declared hotfix merged into a release
-- branch, and the PR that merges it back into hotfix.merge_back_to. The
-- main line's tags are refused while one is not merged.
CREATE TABLE merge_backs (
    host          TEXT    NOT NULL,
    repo          TEXT    NOT NULL,
    hotfix        BIGINT NOT NULL,
    hotfix_sha    TEXT    NOT NULL,
    hotfix_author TEXT    NOT NULL,
    branch        TEXT    NOT NULL,
    target        TEXT    NOT NULL,
    number        BIGINT NOT NULL,
    url           TEXT    NOT NULL,
    conflicts     TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    created_at    BIGINT NOT NULL,
    merged_at     BIGINT,
    PRIMARY KEY (host, repo, hotfix)
);
CREATE INDEX merge_backs_by_state ON merge_backs (host, repo, state);
