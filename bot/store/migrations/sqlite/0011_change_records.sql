-- Change records (issue 16): which change records each change cites, so
-- that a change system's webhook (Jira's issue updated) re-evaluates the
-- open changes that cite the record. Written on each evaluation of a
-- change whose policy verifies records; the set replaces the last one.
CREATE TABLE record_citations (
    host   TEXT   NOT NULL,
    repo   TEXT   NOT NULL,
    number BIGINT NOT NULL,
    record TEXT   NOT NULL,
    PRIMARY KEY (host, repo, number, record)
);
CREATE INDEX record_citations_by_record ON record_citations (record);
