-- A store that runs for years (issue 12). A delivery's body is dropped
-- after the retention period; its host, ID, event and time stay, so a
-- redelivery is still a duplicate, with the outcome of its jobs when the
-- body went. Dead jobs say when they died, for the queue command. The
-- audit log may lose events only once they are archived: an audit_prunes
-- row, written first, names what a prune removes, and stays. probes is the
-- table /readyz writes to prove the database takes writes.
ALTER TABLE deliveries ADD COLUMN body_dropped_at INTEGER;
ALTER TABLE deliveries ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_with_body ON deliveries (received_at) WHERE body_dropped_at IS NULL;
DROP INDEX deliveries_by_received_at;

ALTER TABLE jobs ADD COLUMN dead_at INTEGER;
CREATE INDEX jobs_by_delivery ON jobs (delivery_id, delivery_host);

CREATE TABLE audit_prunes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    pruned_at  INTEGER NOT NULL,
    before_at  INTEGER NOT NULL,
    first_id   INTEGER NOT NULL,
    through_id INTEGER NOT NULL,
    events     INTEGER NOT NULL,
    archive    TEXT    NOT NULL,
    sha256     TEXT    NOT NULL,
    actor      TEXT    NOT NULL
);
DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN NOT EXISTS (SELECT 1 FROM audit_prunes p WHERE OLD.id BETWEEN p.first_id AND p.through_id AND OLD.at < p.before_at)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: only archived events are pruned (shipgate audit export --archive)');
END;

CREATE TABLE probes (
    name TEXT    PRIMARY KEY,
    at   INTEGER NOT NULL
);
