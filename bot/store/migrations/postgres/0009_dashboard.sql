-- The web dashboard (issue 14) counts open changes by the conclusion of
-- their latest evaluation on every overview: kept on the PR's row
-- (SaveEvaluation writes it in the evaluation's transaction) rather than
-- looked up per change. Existing rows take their latest evaluation's.
ALTER TABLE prs ADD COLUMN last_conclusion TEXT NOT NULL DEFAULT '';
UPDATE prs SET last_conclusion = COALESCE((SELECT e.conclusion FROM evaluations e
    WHERE e.host = prs.host AND e.repo = prs.repo AND e.number = prs.number
    ORDER BY e.id DESC LIMIT 1), '');
-- The overview's counts and its most recently active open changes.
CREATE INDEX prs_open_by_conclusion ON prs (host, repo, last_conclusion) WHERE state = 'open';
CREATE INDEX prs_open_by_activity ON prs (last_activity_at) WHERE state = 'open';
