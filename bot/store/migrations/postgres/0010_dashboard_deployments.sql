-- The dashboard's deployment pages (issue 14): deployments by state across
-- repositories, and by version (a release's page); a release's tag
-- validation and a deployment's audit trail by subject.
CREATE INDEX deployments_by_state ON deployments (state, updated_at);
CREATE INDEX deployments_by_version ON deployments (host, repo, version);
CREATE INDEX audit_events_by_subject ON audit_events (repo, kind, subject, at);
