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
			want:   []want{{"reviewers", "pending", "approvals by @dave were for an older commit"}}},
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
			want: []want{{"reviewers", "pending", "@bob were for an older commit"}}},
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
		{name: "a hotfix branch swaps the approval rules for hotfix.approvals", conclusion: Success,
			change: func(c *Change) { c.HeadBranch = "hotfix/ABC-1-crash"; c.Reviews = c.Reviews[:1] },
			want: []want{{"reviewers", "skipped", "replaced by hotfix.approvals"},
				{"hotfix", "pass", "merge this fix back into main"}}},
		{name: "a hotfix without its approval is pending", conclusion: Pending,
			change: func(c *Change) { c.HeadBranch = "hotfix/ABC-1-crash"; c.Reviews = nil },
			want:   []want{{"hotfix", "pending", "needs 1 more approval"}}},

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
			want: []want{{"freeze", "fail", `"year-end" until Mon 2027-01-04 00:00 UTC; to ship anyway, get 1 override approval from @acme/cab`}}},
		{name: "inside a weekly window the end is given in the window's timezone", conclusion: Failure,
			now:  time.Date(2026, 11, 7, 12, 0, 0, 0, time.UTC), // Saturday
			want: []want{{"freeze", "fail", `"weekend" until Mon 2026-11-09 08:00 CET`}}},
		{name: "an override approval lets a frozen change through", conclusion: Success,
			now: time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC),
			change: func(c *Change) {
				c.Reviews = append(c.Reviews, Review{Author: Actor{Login: "frank"}, State: ReviewApproved, CommitSHA: "head2", SubmittedAt: t0})
			},
			want: []want{{"freeze", "pass", "overridden by @frank"}}},
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
