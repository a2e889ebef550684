-- The gate's integrity (issue 9). A check run belongs to a commit and a
-- base: check_base is the base of the one last published, so a retargeted
-- PR gets a new run and the old base's is withdrawn. Commands are read
-- back as they were written (an edited comment changes nothing), and the
-- other open PRs on a commit are found to re-evaluate them.
ALTER TABLE prs ADD COLUMN check_base TEXT NOT NULL DEFAULT '';
CREATE INDEX prs_by_head ON prs (host, repo, head_sha);
CREATE INDEX commands_by_change ON commands (host, repo, number);
-- The heads a change had, with the digest of its files' content at each:
-- an approval of an older head still counts when the content is the same
-- (a push that only merged the base in), and not otherwise.
CREATE TABLE pr_heads (
    host    TEXT   NOT NULL,
    repo    TEXT   NOT NULL,
    number  BIGINT NOT NULL,
    sha     TEXT   NOT NULL,
    content TEXT   NOT NULL,
    since   BIGINT NOT NULL,
    PRIMARY KEY (host, repo, number, sha)
);
