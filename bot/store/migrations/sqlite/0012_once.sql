-- Once-only work (issue 17): a release announcement, a train's cut. A key
-- is claimed with a lease before the effect and marked done after it; a
-- done key is never claimed again, and a claim whose holder died (its
-- lease passed with no done) may be taken by another try.
CREATE TABLE once_keys (
    key        TEXT    NOT NULL PRIMARY KEY,
    holder     TEXT    NOT NULL,
    lease_until INTEGER NOT NULL,
    done_at    INTEGER,
    note       TEXT    NOT NULL DEFAULT ''
);
