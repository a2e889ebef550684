-- The commit Shipgate left on a merge-back's branch when it opened the PR:
-- the merge-back counts as merged only when what merged holds that commit
-- (a branch rewritten without the cherry-pick does not), and, when files
-- conflicted, more than it (their resolution). '' for merge-backs opened
-- before this column, which are taken as merged as before.
ALTER TABLE merge_backs ADD COLUMN head_sha TEXT NOT NULL DEFAULT '';
