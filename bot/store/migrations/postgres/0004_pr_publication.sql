-- What the adapters published and knew about a PR survives a restart: the
-- head's push time (dismiss_stale for commands) and the check run's
-- status and digest (a check is edited, not duplicated).
ALTER TABLE prs ADD COLUMN head_pushed_at BIGINT;
ALTER TABLE prs ADD COLUMN check_status TEXT NOT NULL DEFAULT '';
ALTER TABLE prs ADD COLUMN check_digest TEXT NOT NULL DEFAULT '';
