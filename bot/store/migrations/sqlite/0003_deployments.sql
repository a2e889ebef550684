-- Deployments of a version to an environment (bot/deploy's state machine:
-- the state column is for queries, data holds the rest as JSON), and the
-- idempotency keys of step attempts, so no step runs twice for one attempt.
-- revision is bumped by every update: writers compare and swap on it.

CREATE TABLE deployments (
    id          TEXT    NOT NULL PRIMARY KEY,
    host        TEXT    NOT NULL,
    repo        TEXT    NOT NULL,
    environment TEXT    NOT NULL,
    version     TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    data        BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX deployments_by_environment ON deployments (host, repo, environment, state, updated_at);

CREATE TABLE deployment_step_keys (
    key           TEXT    NOT NULL PRIMARY KEY,
    deployment_id TEXT    NOT NULL,
    at            INTEGER NOT NULL
);

-- The one Slack message of a deployed version (bot/slack): where it is, and
-- the view it shows (JSON), edited in place with chat.update.
CREATE TABLE slack_messages (
    key        TEXT    NOT NULL PRIMARY KEY,
    channel    TEXT    NOT NULL,
    ts         TEXT    NOT NULL,
    view       BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
);
