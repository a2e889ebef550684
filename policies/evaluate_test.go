package policies

import (
	"strings"
	"testing"
	"time"
)

var (
	t0   = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC) // a Monday
	now0 = t0.Add(2 * time.Hour)
)

// basePR is a change that satisfies the full example policy; cases break
// one thing at a time.
func basePR() *Change {
	return &Change{
		Host:       "github",
		Repo:       Repo{Owner: "acme", Name: "widgets"},
		Number:     42,
		Title:      "feat(api): add widget export",
		Author:     Actor{Login: "alice"},
		BaseBranch: "main",
		HeadBranch: "feature/ABC-123-export",
		HeadSHA:    "head2",
		Labels:     []string{"semver:minor"},
		Body: "Adds export.\n\n## Reason\nCustomers asked.\n\n## Impact\nNew endpoint only.\n\n" +
			"## Verification\nUnit tests.\n\n## Rollback\nRevert the PR.\n\n## Release note\n```release-note\nWidgets can be exported as CSV.\n```\n",
		Files:   []File{{Path: "api/export.go", Status: "added"}},
		Commits: []Commit{{SHA: "head1", Message: "feat: export"}, {SHA: "head2", Message: "test: export"}},
		Reviews: []Review{
			{Author: Actor{Login: "carol"}, State: ReviewApproved, CommitSHA: "head2", SubmittedAt: t0},
			{Author: Actor{Login: "dave"}, State: ReviewApproved, CommitSHA: "head2", SubmittedAt: t0.Add(time.Minute)},
		},
		Checks:       []Check{{Name: "build", Status: CheckCompleted, Conclusion: "success", HeadSHA: "head2"}},
		HeadPushedAt: t0.Add(-time.Hour),
		Teams: TeamMap{
			"acme/release-managers": {"carol", "dave", "alice"},
			"acme/dba":              {"erin"},
			"acme/cab":              {"frank"},
		},
	}
}

const fullPolicy = `version: 1
branches: [main, "release/*"]
change_record:
  patterns: ['[A-Z][A-Z0-9]+-\d+', 'CHG\d{7}']
  sources: [title, body, branch, commits]
  sections: [Reason, Impact, Verification, Rollback]
approvals:
  - name: reviewers
    required: 2
    from: ["@acme/release-managers", bob]
    dismiss_stale: true
  - name: dba
    when: {paths: ["db/migrations/**"]}
    required: 1
    from: ["@acme/dba"]
release_notes:
  block: release-note
  none_label: release-note-none
  fragments: ".changes/*.md"
semver:
  labels: {major: "semver:major", minor: "semver:minor", patch: "semver:patch", none: "semver:none"}
  conventional_title: true
title: {}
checks:
  required: [build]
freeze:
  windows:
    - {name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z}
    - {name: weekend, cron: "0 16 * * FRI", duration: 64h, timezone: Europe/Berlin}
  override: {approvals: 1, from: ["@acme/cab"]}
hotfix:
  branches: ["hotfix/*"]
  approvals: {required: 1}
  merge_back_to: main
`

func mustLoad(t testing.TB, src string) *Policy {
	t.Helper()
	p, err := Load(".shipgate.yml", []byte(src))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return p
}

func comment(login, body string, at time.Time) Comment {
	return Comment{Author: Actor{Login: login}, Body: body, CreatedAt: at}
}

func TestEvaluate(t *testing.T) {
	full := mustLoad(t, fullPolicy)
	type want struct {
		name, status, msg string // status of the result named name; msg is a substring
	}
	tests := []struct {
		name       string
		policy     *Policy
		change     func(c *Change)
		now        time.Time
		conclusion Conclusion
		want       []want
	}{
		{name: "a change that meets every rule succeeds", conclusion: Success,
			want: []want{{"change_record", "pass", "ABC-123"}, {"reviewers", "pass", "@carol, @dave"}, {"dba", "skipped", "db/migrations/**"},
				{"hotfix", "skipped", "not a hotfix"}, {"release_notes", "pass", "block"}, {"semver", "pass", "minor"},
				{"title", "pass", "feat"}, {"checks", "pass", "build"}, {"freeze", "pass", ""}, {"hold", "pass", ""}}},
		{name: "a PR into an ungated branch skips every rule and succeeds", conclusion: Success,
			change: func(c *Change) { c.BaseBranch = "experiments"; c.Title = "wip"; c.Body = "" },
			want:   []want{{"change_record", "skipped", "not gated"}, {"reviewers", "skipped", "not gated"}, {"hold", "skipped", "not gated"}}},
		{name: "a release branch matching a glob is gated", conclusion: Failure,
			change: func(c *Change) { c.BaseBranch = "release/1.2"; c.Title = "wip"; c.HeadBranch = "x" },
			want:   []want{{"change_record", "fail", "no change record"}}},

		// change_record
		{name: "no change record anywhere fails and names the patterns and sources", conclusion: Failure,
			change: func(c *Change) { c.HeadBranch = "feature/export" },
			want:   []want{{"change_record", "fail", "ID matching `[A-Z][A-Z0-9]+-\\d+` or `CHG\\d{7}` in the title, body, branch or commits"}}},
		{name: "a change record in a commit message counts", conclusion: Success,
			change: func(c *Change) {
				c.HeadBranch = "feature/export"
				c.Commits[0].Message = "feat: export\n\nRefs: CHG0001234"
			},
			want: []want{{"change_record", "pass", "CHG0001234"}}},
		{name: "a /change command gives the change record", conclusion: Success,
			change: func(c *Change) {
				c.HeadBranch = "feature/export"
				c.Comments = []Comment{comment("alice", "/change OPS-77", t0)}
			},
			want: []want{{"change_record", "pass", "OPS-77"}}},
		{name: "change-record IDs are de-duplicated in order of appearance", conclusion: Success,
			change: func(c *Change) { c.Title = "feat: ABC-9 export ABC-9"; c.HeadBranch = "ABC-9-x" },
			want:   []want{{"change_record", "pass", "change record ABC-9"}}},
		{name: "a missing section fails and names it", conclusion: Failure,
			change: func(c *Change) { c.Body = strings.Replace(c.Body, "## Rollback\nRevert the PR.\n", "", 1) },
			want:   []want{{"change_record", "fail", "`Rollback` section"}}},
		{name: "a section holding only an HTML comment is empty", conclusion: Failure,
			change: func(c *Change) {
				c.Body = strings.Replace(c.Body, "Revert the PR.", "<!-- How do we undo this? -->", 1)
			},
			want: []want{{"change_record", "fail", "`Rollback`"}}},
		{name: "a section left as the template's text is empty", conclusion: Failure,
			change: func(c *Change) {
				c.BodyTemplate = "## Impact\n_Who is affected?_\n"
				c.Body = strings.Replace(c.Body, "New endpoint only.", "_Who is affected?_", 1)
			},
			want: []want{{"change_record", "fail", "`Impact`"}}},
		{name: "a heading inside a code block is not a section", conclusion: Failure,
			change: func(c *Change) {
				c.Body = strings.Replace(c.Body, "## Rollback\nRevert the PR.\n", "```\n## Rollback\nRevert the PR.\n```\n", 1)
			},
			want: []want{{"change_record", "fail", "`Rollback`"}}},
		{name: "a section with TODO is empty", conclusion: Failure,
			change: func(c *Change) { c.Body = strings.Replace(c.Body, "Unit tests.", "TODO", 1) },
			want:   []want{{"change_record", "fail", "`Verification`"}}},

		// approvals
		{name: "one approval of two is pending and says how many more from whom", conclusion: Pending,
			change: func(c *Change) { c.Reviews = c.Reviews[:1] },
			want:   []want{{"reviewers", "pending", "needs 1 more approval from @acme/release-managers or @bob (has 1 of 2: @carol)"}}},
		{name: "the author's own approval never counts", conclusion: Pending,
			change: func(c *Change) {
				c.Reviews = append(c.Reviews[:1], Review{Author: Actor{Login: "alice"}, State: ReviewApproved, CommitSHA: "head2", SubmittedAt: t0})
			},
			want: []want{{"reviewers", "pending", "author's own approval does not count"}}},
		{name: "approvals from people outside from: do not count", conclusion: Pending,
			change: func(c *Change) { c.Reviews[1].Author.Login = "mallory" },
			want:   []want{{"reviewers", "pending", "needs 1 more"}}},
		{name: "a later CHANGES_REQUESTED cancels an approval and fails", conclusion: Failure,
			change: func(c *Change) {
				c.Reviews = append(c.Reviews, Review{Author: Actor{Login: "dave"}, State: ReviewChangesRequested, CommitSHA: "head2", SubmittedAt: t0.Add(time.Hour)})
			},
			want: []want{{"reviewers", "fail", "changes requested by @dave"}}},
		{name: "a later approval lifts the same reviewer's change request", conclusion: Success,
			change: func(c *Change) {
				c.Reviews = append([]Review{{Author: Actor{Login: "dave"}, State: ReviewChangesRequested, SubmittedAt: t0.Add(-time.Hour)}}, c.Reviews...)
			},
			want: []want{{"reviewers", "pass", ""}}},
		{name: "a dismissed review no longer approves", conclusion: Pending,
			change: func(c *Change) {
				c.Reviews = append(c.Reviews, Review{Author: Actor{Login: "dave"}, State: ReviewDismissed, SubmittedAt: t0.Add(time.Hour)})
			},
			want: []want{{"reviewers", "pending", "@carol"}}},
		{name: "a commented review changes nothing", conclusion: Success,
			change: func(c *Change) {
				c.Reviews = append(c.Reviews, Review{Author: Actor{Login: "dave"}, State: ReviewCommented, SubmittedAt: t0.Add(time.Hour)})
			},
			want: []want{{"reviewers", "pass", ""}}},
		{name: "with dismiss_stale an approval of an older commit stops counting", conclusion: Pending,
			change: func(c *Change) { c.Reviews[1].CommitSHA = "head1" },
			want:   []want{{"reviewers", "pending", "@dave approved head1, an older commit: what was approved is not what would merge"}}},
		{name: "an approval of a head whose content the current head keeps still counts (the push only merged the base)", conclusion: Success,
			change: func(c *Change) {
				c.Reviews[1].CommitSHA = "head1"
				c.Heads = []Head{{SHA: "head1", Since: t0.Add(-2 * time.Hour), Content: "c1"}, {SHA: "head2", Since: t0.Add(-time.Hour), Content: "c1"}}
			},
			want: []want{{"reviewers", "pass", "@carol, @dave"}}},
		{name: "the message names the push that changed what was approved", conclusion: Pending,
			change: func(c *Change) {
				c.Reviews[1].CommitSHA = "head0"
				c.Heads = []Head{{SHA: "head0", Content: "c0"}, {SHA: "base-merge", Content: "c0"}, {SHA: "head1", Content: "c1"}, {SHA: "head2", Content: "c1"}}
			},
			want: []want{{"reviewers", "pending", "@dave approved head0, which the push of head1 changed"}}},
		{name: "an approval of a head whose content is unknown is stale", conclusion: Pending,
			change: func(c *Change) {
				c.Reviews[1].CommitSHA = "head1"
				c.Heads = []Head{{SHA: "head1", Content: ""}, {SHA: "head2", Content: ""}}
			},
			want: []want{{"reviewers", "pending", "@dave approved head1"}}},
		{name: "a contributor's approval does not count", conclusion: Pending,
			change: func(c *Change) { c.Commits[0].Committer = Actor{Login: "dave"} },
			want:   []want{{"reviewers", "pending", "@dave authored or committed commits of this change and may not approve it (allow_contributor: false)"}}},
		{name: "a commit author's approval does not count either", conclusion: Pending,
			change: func(c *Change) { c.Commits[1].Author = Actor{Login: "carol"} },
			want:   []want{{"reviewers", "pending", "@carol authored or committed"}}},
		{name: "allow_contributor lets a contributor approve", conclusion: Success,
			policy: mustLoad(t, "version: 1\napprovals:\n  - {name: reviewers, required: 2, allow_contributor: true}\n"),
			change: func(c *Change) { c.Commits[0].Committer = Actor{Login: "dave"} },
			want:   []want{{"reviewers", "pass", "@carol, @dave"}}},
		{name: "with the commits unknown, approvals wait: a contributor cannot be told apart", conclusion: Pending,
			change: func(c *Change) { c.Commits = nil },
			want:   []want{{"reviewers", "pending", "commits are not known yet"}}},
		{name: "with the commits read in part, approvals wait and say why", conclusion: Pending,
			change: func(c *Change) {
				c.Incomplete = map[Facts]string{NeedCommits: "GitHub lists at most 250 commits of a pull request"}
			},
			want: []want{{"reviewers", "pending", "GitHub lists at most 250 commits"}}},
		{name: "with the reviews read in part, approvals wait: a request for changes may be missing", conclusion: Pending,
			change: func(c *Change) { c.Incomplete = map[Facts]string{NeedReviews: "over 10000 reviews"} },
			want:   []want{{"reviewers", "pending", "a request for changes may be missing"}}},
		{name: "a GitLab approval given before the last push is stale", conclusion: Pending,
			change: func(c *Change) { c.Reviews[1].CommitSHA, c.Reviews[1].SubmittedAt = "", t0.Add(-2*time.Hour) },
			want:   []want{{"reviewers", "pending", "@dave approved before the last push"}}},
		{name: "a GitLab approval given after the last push counts", conclusion: Success,
			change: func(c *Change) { c.Reviews[1].CommitSHA = "" },
			want:   []want{{"reviewers", "pass", "@carol, @dave"}}},
		{name: "an /approve command counts as an approval", conclusion: Success,
			change: func(c *Change) {
				c.Reviews = c.Reviews[:1]
				c.Comments = []Comment{comment("bob", "Looks fine.\n/approve", t0)}
			},
			want: []want{{"reviewers", "pass", "@carol, @bob"}}},
		{name: "/lgtm counts like /approve", conclusion: Success,
			change: func(c *Change) { c.Reviews = c.Reviews[:1]; c.Comments = []Comment{comment("bob", "/lgtm", t0)} },
			want:   []want{{"reviewers", "pass", "@bob"}}},
		{name: "/approve cancel withdraws the command's approval", conclusion: Pending,
			change: func(c *Change) {
				c.Reviews = c.Reviews[:1]
				c.Comments = []Comment{comment("bob", "/approve", t0), comment("bob", "/approve cancel", t0.Add(time.Minute))}
			},
			want: []want{{"reviewers", "pending", "needs 1 more"}}},
		{name: "with dismiss_stale an /approve before the last push stops counting", conclusion: Pending,
			change: func(c *Change) {
				c.Reviews = c.Reviews[:1]
				c.Comments = []Comment{comment("bob", "/approve", t0.Add(-2*time.Hour))}
			},
			want: []want{{"reviewers", "pending", "@bob approved before the last push"}}},
		{name: "an /approve given while the change was at a head with the current content still counts", conclusion: Success,
			change: func(c *Change) {
				c.Reviews = c.Reviews[:1]
				c.Comments = []Comment{comment("bob", "/approve", t0.Add(-90*time.Minute))}
				c.Heads = []Head{{SHA: "head1", Since: t0.Add(-2 * time.Hour), Content: "c"}, {SHA: "head2", Since: t0.Add(-time.Hour), Content: "c"}}
			},
			want: []want{{"reviewers", "pass", "@bob, @carol"}}},
		{name: "the author's /approve is refused", conclusion: Pending,
			change: func(c *Change) { c.Reviews = c.Reviews[:1]; c.Comments = []Comment{comment("alice", "/approve", t0)} },
			want:   []want{{"reviewers", "pending", "needs 1 more"}}},
		{name: "a bot's /approve is ignored", conclusion: Pending,
			change: func(c *Change) {
				c.Reviews = c.Reviews[:1]
				c.Comments = []Comment{{Author: Actor{Login: "bob", Bot: true}, Body: "/approve", CreatedAt: t0}}
			},
			want: []want{{"reviewers", "pending", "needs 1 more"}}},
		{name: "a quoted /approve in a reply is ignored", conclusion: Pending,
			change: func(c *Change) {
				c.Reviews = c.Reviews[:1]
				c.Comments = []Comment{comment("bob", "> /approve\nWhy?", t0)}
			},
			want: []want{{"reviewers", "pending", "needs 1 more"}}},
		{name: "with permissions known an /approve without write access is ignored", conclusion: Pending,
			change: func(c *Change) {
				c.Reviews = c.Reviews[:1]
				c.Comments = []Comment{comment("bob", "/approve", t0)}
				c.Permissions = map[string]Permission{"bob": PermTriage, "carol": PermWrite}
			},
			want: []want{{"reviewers", "pending", "needs 1 more"}}},
		{name: "a rule with a paths condition applies when a file matches", conclusion: Pending,
			change: func(c *Change) { c.Files = append(c.Files, File{Path: "db/migrations/0042_add.sql"}) },
			want:   []want{{"dba", "pending", "needs 1 more approval from @acme/dba"}}},
		{name: "a renamed file matches by its previous path", conclusion: Pending,
			change: func(c *Change) {
				c.Files = []File{{Path: "old/x.sql", PreviousPath: "db/migrations/x.sql", Status: "renamed"}}
			},
			want: []want{{"dba", "pending", "@acme/dba"}}},
		{name: "a team member's approval satisfies a team rule", conclusion: Success,
			change: func(c *Change) {
				c.Files = append(c.Files, File{Path: "db/migrations/0042_add.sql"})
				c.Reviews = append(c.Reviews, Review{Author: Actor{Login: "Erin"}, State: ReviewApproved, CommitSHA: "head2", SubmittedAt: t0})
			},
			want: []want{{"dba", "pass", "@Erin"}}},

		// hotfix
		{name: "a declared hotfix into a release line swaps the approval rules for hotfix.approvals", conclusion: Success,
			change: func(c *Change) {
				c.HeadBranch, c.BaseBranch, c.Reviews = "hotfix/ABC-1-crash", "release/1.2", c.Reviews[:1]
				c.Comments = []Comment{comment("bob", "/hotfix the checkout crashes on every order", t0)}
			},
			want: []want{{"reviewers", "skipped", "replaced by hotfix.approvals: /hotfix by @bob"},
				{"hotfix", "pass", `hotfix declared by /hotfix by @bob: "the checkout crashes on every order"`},
				{"hotfix", "pass", "merge this fix back into main"}}},
		{name: "a hotfix/ branch into the main line is not a hotfix", conclusion: Pending,
			change: func(c *Change) {
				c.HeadBranch, c.Reviews = "hotfix/ABC-1-crash", c.Reviews[:1]
				c.Comments = []Comment{comment("bob", "/hotfix urgent", t0)}
			},
			want: []want{{"reviewers", "pending", "needs 1 more approval"}, {"hotfix", "skipped", "hotfix/ABC-1-crash into main is not a hotfix: hotfixes go into release/*"}}},
		{name: "an undeclared hotfix branch into a release line keeps the normal rules", conclusion: Pending,
			change: func(c *Change) {
				c.HeadBranch, c.BaseBranch, c.Reviews = "hotfix/ABC-1-crash", "release/1.2", c.Reviews[:1]
			},
			want: []want{{"reviewers", "pending", "needs 1 more approval"}, {"hotfix", "skipped", "declares it with `/hotfix REASON` (or adds the label hotfix)"}}},
		{name: "a change from another branch into a release line is told it is merged back all the same", conclusion: Pending,
			change: func(c *Change) {
				c.HeadBranch, c.BaseBranch, c.Reviews = "fix/ABC-1-crash", "release/1.2", c.Reviews[:1]
			},
			want: []want{{"reviewers", "pending", "needs 1 more approval"},
				{"hotfix", "skipped", "fix/ABC-1-crash is not a hotfix branch (hotfix/*); merged into release/1.2, it is merged back into main like a hotfix"}}},
		{name: "a hotfix declared by someone without maintain declares nothing", conclusion: Pending,
			change: func(c *Change) {
				c.HeadBranch, c.BaseBranch, c.Reviews = "hotfix/ABC-1-crash", "release/1.2", c.Reviews[:1]
				c.Comments = []Comment{comment("mallory", "/hotfix trust me", t0)}
				c.Permissions = map[string]Permission{"mallory": PermWrite, "carol": PermWrite, "dave": PermWrite}
			},
			want: []want{{"reviewers", "pending", "needs 1 more approval"}, {"hotfix", "skipped", "may be a hotfix"}}},
		{name: "the hotfix label added by a maintainer declares a hotfix", conclusion: Success,
			change: func(c *Change) {
				c.HeadBranch, c.BaseBranch, c.Reviews = "hotfix/ABC-1-crash", "release/1.2", c.Reviews[:1]
				c.Labels = append(c.Labels, "hotfix")
				c.LabelEvents = []LabelEvent{{Label: "hotfix", Actor: Actor{Login: "bob"}, Added: true, At: t0}}
				c.Permissions = map[string]Permission{"bob": PermMaintain, "carol": PermWrite}
			},
			want: []want{{"hotfix", "pass", "the label hotfix added by @bob"}}},
		{name: "the hotfix label added by a writer declares nothing", conclusion: Pending,
			change: func(c *Change) {
				c.HeadBranch, c.BaseBranch, c.Reviews = "hotfix/ABC-1-crash", "release/1.2", c.Reviews[:1]
				c.Labels = append(c.Labels, "hotfix")
				c.LabelEvents = []LabelEvent{{Label: "hotfix", Actor: Actor{Login: "mallory"}, Added: true, At: t0}}
				c.Permissions = map[string]Permission{"mallory": PermWrite, "carol": PermWrite}
			},
			want: []want{{"hotfix", "skipped", "added by @mallory, who may not declare a hotfix (needs maintain access, has write)"}}},
		{name: "the hotfix label whose adder is unknown declares nothing", conclusion: Pending,
			change: func(c *Change) {
				c.HeadBranch, c.BaseBranch, c.Reviews = "hotfix/ABC-1-crash", "release/1.2", c.Reviews[:1]
				c.Labels = append(c.Labels, "hotfix")
				c.Permissions = map[string]Permission{"carol": PermWrite}
			},
			want: []want{{"hotfix", "skipped", "who added the label hotfix is not known"}}},
		{name: "/hotfix cancel withdraws the declaration", conclusion: Pending,
			change: func(c *Change) {
				c.HeadBranch, c.BaseBranch, c.Reviews = "hotfix/ABC-1-crash", "release/1.2", c.Reviews[:1]
				c.Comments = []Comment{comment("bob", "/hotfix urgent", t0), comment("bob", "/hotfix cancel", t0.Add(time.Minute))}
			},
			want: []want{{"reviewers", "pending", ""}, {"hotfix", "skipped", "cancelled by @bob"}}},
		{name: "code owners still apply to a hotfix", conclusion: Pending,
			policy: mustLoad(t, "version: 1\napprovals:\n  - {name: owners, codeowners: true}\nhotfix:\n  branches: [\"hotfix/*\"]\n  approvals: {required: 1}\n"),
			change: func(c *Change) {
				c.HeadBranch, c.BaseBranch = "hotfix/ABC-1-crash", "release/1.2"
				c.Comments = []Comment{comment("bob", "/hotfix urgent", t0)}
				c.Files = []File{{Path: "db/schema.sql"}}
				c.CodeOwners, _ = ParseCodeOwners([]byte("db/ @acme/dba\n"))
			},
			want: []want{{"owners", "skipped", "replaced"}, {"hotfix", "pending", "db/schema.sql needs approval from a code owner (@acme/dba)"}}},
		{name: "hotfix.codeowners false lets a hotfix go without code owners", conclusion: Success,
			policy: mustLoad(t, "version: 1\napprovals:\n  - {name: owners, codeowners: true}\nhotfix:\n  branches: [\"hotfix/*\"]\n  codeowners: false\n  approvals: {required: 1}\n"),
			change: func(c *Change) {
				c.HeadBranch, c.BaseBranch = "hotfix/ABC-1-crash", "release/1.2"
				c.Comments = []Comment{comment("bob", "/hotfix urgent", t0)}
				c.Files = []File{{Path: "db/schema.sql"}}
				c.CodeOwners, _ = ParseCodeOwners([]byte("db/ @acme/dba\n"))
			},
			want: []want{{"hotfix", "pass", "approved by"}}},
		{name: "a hotfix without its approval is pending", conclusion: Pending,
			change: func(c *Change) {
				c.HeadBranch, c.BaseBranch, c.Reviews = "hotfix/ABC-1-crash", "release/1.2", nil
				c.Comments = []Comment{comment("bob", "/hotfix urgent", t0)}
			},
			want: []want{{"hotfix", "pending", "needs 1 more approval"}}},

		// release_notes
		{name: "no release note fails and lists every way to add one", conclusion: Failure,
			change: func(c *Change) { c.Body = strings.Split(c.Body, "```")[0] },
			want:   []want{{"release_notes", "fail", "a fenced ```release-note block in the description with the note (or NONE), or the label release-note-none, or a file matching .changes/*.md, or a `/release-note TEXT`"}}},
		{name: "an empty release-note block fails", conclusion: Failure,
			change: func(c *Change) {
				c.Body = strings.Replace(c.Body, "Widgets can be exported as CSV.", "<!-- write here -->", 1)
			},
			want: []want{{"release_notes", "fail", "block is empty"}}},
		{name: "NONE in the block means no note is needed", conclusion: Success,
			change: func(c *Change) { c.Body = strings.Replace(c.Body, "Widgets can be exported as CSV.", "NONE", 1) },
			want:   []want{{"release_notes", "pass", "no release note needed"}}},
		{name: "the none label passes", conclusion: Success,
			change: func(c *Change) {
				c.Body = strings.Split(c.Body, "```")[0]
				c.Labels = append(c.Labels, "release-note-none")
			},
			want: []want{{"release_notes", "pass", "label release-note-none"}}},
		{name: "a changed fragment file passes", conclusion: Success,
			change: func(c *Change) {
				c.Body = strings.Split(c.Body, "```")[0]
				c.Files = append(c.Files, File{Path: ".changes/export.md", Status: "added"})
			},
			want: []want{{"release_notes", "pass", "fragment .changes/export.md"}}},
		{name: "a /release-note command gives the note", conclusion: Success,
			change: func(c *Change) {
				c.Body = strings.Split(c.Body, "```")[0]
				c.Comments = []Comment{comment("alice", "/release-note Export widgets as CSV", t0)}
			},
			want: []want{{"release_notes", "pass", "/release-note by @alice"}}},
		{name: "a /release-note-none command passes", conclusion: Success,
			change: func(c *Change) {
				c.Body = strings.Split(c.Body, "```")[0]
				c.Comments = []Comment{comment("alice", "/release-note-none", t0)}
			},
			want: []want{{"release_notes", "pass", "no release note needed"}}},

		// semver
		{name: "a label and a title that agree pass", conclusion: Success, want: []want{{"semver", "pass", "bump: minor"}}},
		{name: "conflicting label and title fail and name both", conclusion: Failure,
			change: func(c *Change) { c.Labels = []string{"semver:patch"} },
			want:   []want{{"semver", "fail", "label semver:patch says patch, title type feat says minor"}}},
		{name: "two bump labels conflict", conclusion: Failure,
			change: func(c *Change) { c.Title = "export widgets ABC-1"; c.Labels = []string{"semver:patch", "semver:major"} },
			want:   []want{{"semver", "fail", "conflicting bumps"}}},
		{name: "no declaration fails and says which labels or title form to use", conclusion: Failure,
			change: func(c *Change) { c.Title = "Export widgets"; c.Labels = nil },
			want:   []want{{"semver", "fail", "one label of semver:major, semver:minor, semver:patch, semver:none"}}},
		{name: "a breaking title needs major and gives it", conclusion: Success,
			change: func(c *Change) { c.Title = "feat(api)!: drop v1 export"; c.Labels = []string{"semver:major"} },
			want:   []want{{"semver", "pass", "major"}}},
		{name: "a BREAKING CHANGE footer in the body needs major", conclusion: Failure,
			change: func(c *Change) { c.Body += "\nBREAKING CHANGE: the v1 export is gone\n" },
			want:   []want{{"semver", "fail", "a breaking change needs major"}}},
		{name: "/semver sets the bump over the labels", conclusion: Success,
			change: func(c *Change) {
				c.Labels = []string{"semver:patch"}
				c.Comments = []Comment{comment("alice", "/semver minor", t0)}
			},
			want: []want{{"semver", "pass", "minor"}}},

		// title
		{name: "a non-conventional title fails the title rule", conclusion: Failure,
			change: func(c *Change) { c.Title = "Export widgets"; c.Labels = []string{"semver:minor"} },
			want:   []want{{"title", "fail", "not a conventional commit"}}},
		{name: "a title with an unknown type fails", conclusion: Failure,
			change: func(c *Change) { c.Title = "feature: export" },
			want:   []want{{"title", "fail", `title type "feature" is not allowed`}}},

		// hold
		{name: "/hold blocks", conclusion: Failure,
			change: func(c *Change) { c.Comments = []Comment{comment("bob", "/hold", t0)} },
			want:   []want{{"hold", "fail", "on hold by @bob"}}},
		{name: "/hold cancel lifts the hold", conclusion: Success,
			change: func(c *Change) {
				c.Comments = []Comment{comment("bob", "/hold", t0), comment("bob", "/hold cancel", t0.Add(time.Minute))}
			},
			want: []want{{"hold", "pass", ""}}},
		{name: "/unhold lifts the hold", conclusion: Success,
			change: func(c *Change) {
				c.Comments = []Comment{comment("bob", "/hold", t0), comment("carol", "/unhold", t0.Add(time.Minute))}
			},
			want: []want{{"hold", "pass", ""}}},
		{name: "the hold label blocks", conclusion: Failure,
			change: func(c *Change) { c.Labels = append(c.Labels, "do-not-merge/hold") },
			want:   []want{{"hold", "fail", "label do-not-merge/hold"}}},
		{name: "a /hold inside a code block does nothing", conclusion: Success,
			change: func(c *Change) { c.Comments = []Comment{comment("bob", "```\n/hold\n```", t0)} },
			want:   []want{{"hold", "pass", ""}}},

		// checks
		{name: "a running required check is pending", conclusion: Pending,
			change: func(c *Change) { c.Checks[0].Status, c.Checks[0].Conclusion = CheckInProgress, "" },
			want:   []want{{"checks", "pending", "build (in progress)"}}},
		{name: "a missing required check is pending", conclusion: Pending,
			change: func(c *Change) { c.Checks = nil },
			want:   []want{{"checks", "pending", "build (not started)"}}},
		{name: "a failed required check fails", conclusion: Failure,
			change: func(c *Change) { c.Checks[0].Conclusion = "failure" },
			want:   []want{{"checks", "fail", "build (failure)"}}},
		{name: "neutral and skipped count as passing", conclusion: Success,
			change: func(c *Change) { c.Checks[0].Conclusion = "neutral" },
			want:   []want{{"checks", "pass", ""}}},
		{name: "a check on another SHA does not count", conclusion: Pending,
			change: func(c *Change) { c.Checks[0].HeadSHA = "head1" },
			want:   []want{{"checks", "pending", "not started"}}},
		{name: "the latest re-run of a check decides", conclusion: Success,
			change: func(c *Change) {
				c.Checks = []Check{{Name: "build", Status: CheckCompleted, Conclusion: "failure", HeadSHA: "head2", StartedAt: t0},
					{Name: "build", Status: CheckCompleted, Conclusion: "success", HeadSHA: "head2", StartedAt: t0.Add(time.Minute)}}
			},
			want: []want{{"checks", "pass", ""}}},

		// freeze
		{name: "inside a fixed freeze window the change fails and the message names the window and its end", conclusion: Failure,
			now:  time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC),
			want: []want{{"freeze", "fail", `"year-end" until Mon 2027-01-04 00:00 UTC; to ship anyway, 1 of @acme/cab comment ` + "`/override-freeze REASON`"}}},
		{name: "inside a weekly window the end is given in the window's timezone", conclusion: Failure,
			now:  time.Date(2026, 11, 7, 12, 0, 0, 0, time.UTC), // Saturday
			want: []want{{"freeze", "fail", `"weekend" until Mon 2026-11-09 08:00 CET`}}},
		{name: "/override-freeze from an override approver during the window lets the change through", conclusion: Success,
			now: time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC),
			change: func(c *Change) {
				c.Comments = []Comment{comment("frank", "/override-freeze payment outage fix", time.Date(2026, 12, 24, 8, 0, 0, 0, time.UTC))}
			},
			want: []want{{"freeze", "pass", `overridden by @frank ("payment outage fix")`}}},
		{name: "an approving review by an override approver is no override", conclusion: Failure,
			now: time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC),
			change: func(c *Change) {
				c.Reviews = append(c.Reviews, Review{Author: Actor{Login: "frank"}, State: ReviewApproved, CommitSHA: "head2", SubmittedAt: t0})
			},
			want: []want{{"freeze", "fail", "frozen"}}},
		{name: "/override-freeze given before the window started does not count", conclusion: Failure,
			now: time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC),
			change: func(c *Change) {
				c.Comments = []Comment{comment("frank", "/override-freeze ship it early", time.Date(2026, 12, 19, 9, 0, 0, 0, time.UTC))}
			},
			want: []want{{"freeze", "fail", "frozen"}}},
		{name: "/override-freeze from someone not in override.from does not count", conclusion: Failure,
			now: time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC),
			change: func(c *Change) {
				c.Comments = []Comment{comment("mallory", "/override-freeze trust me", time.Date(2026, 12, 24, 8, 0, 0, 0, time.UTC))}
			},
			want: []want{{"freeze", "fail", "frozen"}}},
		{name: "/override-freeze without a reason does not count", conclusion: Failure,
			now: time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC),
			change: func(c *Change) {
				c.Comments = []Comment{comment("frank", "/override-freeze", time.Date(2026, 12, 24, 8, 0, 0, 0, time.UTC))}
			},
			want: []want{{"freeze", "fail", "frozen"}}},
		{name: "last weekend's override does not hold this weekend", conclusion: Failure,
			now: time.Date(2026, 11, 14, 12, 0, 0, 0, time.UTC), // Saturday
			change: func(c *Change) {
				c.Comments = []Comment{comment("frank", "/override-freeze hotfix", time.Date(2026, 11, 7, 12, 0, 0, 0, time.UTC))}
			},
			want: []want{{"freeze", "fail", `"weekend" until Mon 2026-11-16 08:00 CET`}}},
		{name: "an override through the Slack user notify.slack.users maps the commenter to", conclusion: Success,
			policy: mustLoad(t, "version: 1\nfreeze:\n  windows: [{name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z}]\n  override: {approvals: 1, from: [\"slack:U0FRANK\"]}\nnotify:\n  slack: {users: {frank: U0FRANK}}\n"),
			now:    time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC),
			change: func(c *Change) {
				c.Comments = []Comment{comment("frank", "/override-freeze outage", time.Date(2026, 12, 24, 8, 0, 0, 0, time.UTC))}
			},
			want: []want{{"freeze", "pass", "overridden by @frank"}}},

		// facts read in part
		{name: "with the files read in part a paths rule that matched none waits", conclusion: Pending,
			change: func(c *Change) {
				c.Incomplete = map[Facts]string{NeedFiles: "GitHub lists at most 3000 files of a pull request; this one has 3001"}
			},
			want: []want{{"dba", "pending", "whether this rule applies (when paths db/migrations/**) is not known"}}},
		{name: "with the files read in part a paths rule that matched a listed file applies", conclusion: Pending,
			change: func(c *Change) {
				c.Files = append(c.Files, File{Path: "db/migrations/1.sql"})
				c.Incomplete = map[Facts]string{NeedFiles: "3001 files"}
			},
			want: []want{{"dba", "pending", "needs 1 more approval"}}},
		{name: "with the comments read in part the hold waits: a /hold may be missing", conclusion: Pending,
			change: func(c *Change) { c.Incomplete = map[Facts]string{NeedComments: "over 10000 comments"} },
			want:   []want{{"hold", "pending", "a /hold may be missing"}}},
		{name: "with the files read in part a missing release note waits for a fragment", conclusion: Failure,
			change: func(c *Change) { c.Body = "ABC-1"; c.Incomplete = map[Facts]string{NeedFiles: "3001 files"} },
			want:   []want{{"release_notes", "pending", "to look for a fragment"}}},

		// commands as written
		{name: "an edited comment's /hold holds nothing", conclusion: Success,
			change: func(c *Change) {
				c.Comments = []Comment{{Author: Actor{Login: "carol"}, Body: "/hold", CreatedAt: t0, Edited: true}}
			},
			want: []want{{"hold", "pass", "not on hold"}}},
		{name: "an edited comment keeps the commands it was created with", conclusion: Failure,
			change: func(c *Change) {
				c.Comments = []Comment{{Author: Actor{Login: "carol"}, Body: "looks good", CreatedAt: t0, Edited: true, Commands: []Command{{Name: "hold", Known: true}}}}
			},
			want: []want{{"hold", "fail", "on hold by @carol"}}},
		{name: "an edited comment's /approve does not approve", conclusion: Pending,
			change: func(c *Change) {
				c.Reviews = c.Reviews[:1]
				c.Comments = []Comment{{Author: Actor{Login: "dave"}, Body: "/approve", CreatedAt: t0, Edited: true, Commands: []Command{}}}
			},
			want: []want{{"reviewers", "pending", "needs 1 more approval"}}},
		{name: "outside every window the freeze passes", conclusion: Success,
			now:  time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC),
			want: []want{{"freeze", "pass", "no freeze"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.policy
			if p == nil {
				p = full
			}
			c := basePR()
			if tt.change != nil {
				tt.change(c)
			}
			now := tt.now
			if now.IsZero() {
				now = now0
			}
			v := Evaluate(p, c, now)
			if v.Conclusion != tt.conclusion {
				t.Errorf("conclusion = %s, want %s\n%s", v.Conclusion, tt.conclusion, dump(v))
			}
			for _, w := range tt.want {
				r, ok := findResult(v, w.name)
				if !ok {
					t.Errorf("no result named %q\n%s", w.name, dump(v))
					continue
				}
				if string(r.Status) != w.status || !strings.Contains(r.Message, w.msg) {
					t.Errorf("%s = %s %q, want %s containing %q", w.name, r.Status, r.Message, w.status, w.msg)
				}
			}
		})
	}
}

func findResult(v Verdict, name string) (Result, bool) {
	for _, r := range v.Results {
		if r.Name == name {
			return r, true
		}
	}
	return Result{}, false
}

func dump(v Verdict) string {
	var b strings.Builder
	for _, r := range v.Results {
		b.WriteString("  " + r.Name + " " + string(r.Status) + ": " + r.Message + "\n")
	}
	return b.String()
}
