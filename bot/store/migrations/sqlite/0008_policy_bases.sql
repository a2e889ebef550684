-- Which repositories' policies extend which base policies (issue 15): a
-- push to a base re-evaluates the open changes of every repository that
-- uses it. One row per (repository, base); a repository's rows are
-- replaced whole when its policy is loaded. base_ref '' is the base
-- repository's default branch.
CREATE TABLE policy_bases (
    host      TEXT NOT NULL,
    repo      TEXT NOT NULL,
    base_repo TEXT NOT NULL,
    base_path TEXT NOT NULL,
    base_ref  TEXT NOT NULL,
    PRIMARY KEY (host, repo, base_repo, base_path, base_ref)
);
CREATE INDEX policy_bases_by_base ON policy_bases (host, base_repo, base_path);
