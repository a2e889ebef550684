package gitlab_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/gitlab"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/policies"
)

// scenario is one change, described once, that both hosts build from
// their own API and judge with the same policy.
type scenario struct {
	name, policy string
	title, body  string
	author       string
	labels       []string
	approvals    []string // who approved (GitHub reviews, GitLab approvals)
	comments     [][2]string
	files        []string
	// lines are the lines each of files adds and deletes (none when absent).
	lines   map[string][2]int
	commits []string
	teams   map[string][]string // "org/team" (GitLab: group path) → members
	want    policies.Conclusion
}

// roles are the people of every scenario, by the role both hosts map to.
func roles() map[string]string {
	return map[string]string{"dave": "write", "alice": "write", "bob": "maintain", "erin": "triage", "carol": "read"}
}

// accessLevel is the GitLab access level that maps onto role.
func accessLevel(role string) int {
	return map[string]int{"read": 10, "triage": 20, "write": 30, "maintain": 40, "admin": 50}[role]
}

const hostsPolicy = `version: 1
branches: [main]
change_record:
  patterns: ['[A-Z][A-Z0-9]+-\d+']
  sources: [title, body, branch]
approvals:
  - name: reviewers
    required: 2
    from: [alice, bob, erin]
  - name: dba
    when: {paths: ["db/**"]}
    required: 1
    from: [bob]
release_notes:
  block: release-note
  none_label: release-note-none
semver:
  labels: {major: "semver:major", minor: "semver:minor", patch: "semver:patch", none: "semver:none"}
  conventional_title: true
`

const teamPolicy = `version: 1
branches: [main]
approvals:
  - name: reviewers
    required: 2
    from: ["@acme/release-managers", alice]
`

const completeBody = "Adds gift cards (SHOP-12).\n\n```release-note\nCheckout accepts gift cards.\n```\n"

func scenarios() []scenario {
	return []scenario{
		{name: "a change missing everything fails", title: "Add gift cards", author: "dave", want: policies.Failure},
		{name: "a complete change with two approvals passes", title: "Add gift cards", body: completeBody, author: "dave",
			labels: []string{"semver:minor"}, approvals: []string{"alice", "bob"}, want: policies.Success},
		{name: "the author's own approval does not count", title: "Add gift cards", body: completeBody, author: "alice",
			labels: []string{"semver:minor"}, approvals: []string{"alice", "bob"}, want: policies.Pending},
		{name: "an approver outside the list does not count", title: "Add gift cards", body: completeBody, author: "dave",
			labels: []string{"semver:minor"}, approvals: []string{"alice", "carol"}, want: policies.Pending},
		{name: "an /approve command by a listed writer counts", title: "Add gift cards", body: completeBody, author: "dave",
			labels: []string{"semver:minor"}, approvals: []string{"alice"}, comments: [][2]string{{"bob", "/approve"}}, want: policies.Success},
		{name: "a hold label blocks", title: "Add gift cards", body: completeBody, author: "dave",
			labels: []string{"semver:minor", "do-not-merge/hold"}, approvals: []string{"alice", "bob"}, want: policies.Failure},
		{name: "a conventional title declares the bump", title: "feat: gift cards", body: completeBody, author: "dave",
			approvals: []string{"alice", "bob"}, want: policies.Success},
		{name: "a migration waits for the DBA", title: "feat: gift cards", body: completeBody, author: "dave",
			approvals: []string{"alice", "erin"}, files: []string{"db/migrations/001.sql"}, want: policies.Pending},
		{name: "a migration approved by the DBA passes", title: "feat: gift cards", body: completeBody, author: "dave",
			approvals: []string{"alice", "bob"}, files: []string{"db/migrations/001.sql", "app.go"}, want: policies.Success},
		{name: "a member of a listed team approves", policy: teamPolicy, title: "feat: gift cards", body: completeBody, author: "dave",
			approvals: []string{"alice", "carol"}, teams: map[string][]string{"acme/release-managers": {"carol"}}, want: policies.Success},
		{name: "a team nobody is in approves nothing", policy: teamPolicy, title: "feat: gift cards", body: completeBody, author: "dave",
			approvals: []string{"alice", "carol"}, teams: map[string][]string{"acme/release-managers": {"bob"}}, want: policies.Pending},
		{name: "a release-note-none label replaces the note", title: "chore: bump deps SHOP-9", author: "dave",
			labels: []string{"release-note-none", "semver:none"}, approvals: []string{"alice", "bob"}, want: policies.Success},
	}
}

// TestBothHostsGiveTheSameVerdicts runs each scenario through the GitHub
// adapter (against fakegithub) and the GitLab adapter (against
// fakegitlab): the verdicts, rule by rule, are the same.
func TestBothHostsGiveTheSameVerdicts(t *testing.T) {
	for _, sc := range append(scenarios(), ruleLogicScenarios()...) {
		t.Run(sc.name, func(t *testing.T) {
			if sc.policy == "" {
				sc.policy = hostsPolicy
			}
			gh := viaGitHub(t, sc)
			gl := viaGitLab(t, sc)
			if gh.Conclusion != sc.want || gl.Conclusion != sc.want {
				t.Errorf("GitHub %s, GitLab %s, want %s\nGitHub: %s\nGitLab: %s", gh.Conclusion, gl.Conclusion, sc.want, results(gh), results(gl))
			}
			t.Logf("GitHub %s\nGitLab %s", results(gh), results(gl))
			if results(gh) != results(gl) {
				t.Errorf("the hosts disagree:\nGitHub: %s\nGitLab: %s", results(gh), results(gl))
			}
		})
	}
}

// diffText is a unified diff with n[0] added and n[1] deleted lines, as
// GitLab shows it (hunks only, no file headers).
func diffText(n [2]int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "@@ -1,%d +1,%d @@\n", n[1], n[0])
	for i := range n[1] {
		fmt.Fprintf(&b, "--- old line %d\n", i) // a deleted line that looks like a header
	}
	for i := range n[0] {
		fmt.Fprintf(&b, "+++ new line %d\n", i)
	}
	return b.String()
}

func results(v policies.Verdict) string {
	var b strings.Builder
	for _, r := range v.Results {
		fmt.Fprintf(&b, "%s=%s ", r.Name, r.Status)
	}
	fmt.Fprintf(&b, "bump=%s records=%v", v.Bump, v.ChangeRecords)
	return b.String()
}

var (
	created = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	headSHA = strings.Repeat("ab", 20)
)

func commitsOf(sc scenario) []string {
	if len(sc.commits) == 0 {
		return []string{sc.title}
	}
	return sc.commits
}

func viaGitHub(t *testing.T, sc scenario) policies.Verdict {
	const repo = "acme/shop"
	fake := fakegithub.New(t, fakegithub.WithToken("ghs_token"))
	fake.AddRepo(fakegithub.Repo{FullName: repo, DefaultBranch: "main"})
	fake.SetFile(repo, "main", ".shipgate.yml", sc.policy)
	for login, role := range roles() {
		fake.SetPermission(repo, login, role)
	}
	fake.AddPR(repo, fakegithub.PR{Number: 1, Title: sc.title, Body: sc.body, Author: sc.author, Base: "main", Head: "feature",
		HeadSHA: headSHA, State: "open", Labels: sc.labels, CreatedAt: created, UpdatedAt: created})
	var commits []fakegithub.Commit
	msgs := commitsOf(sc)
	for i, m := range msgs {
		c := fakegithub.Commit{Message: m, Author: sc.author, AuthorName: sc.author, Date: created.Add(time.Duration(i) * time.Minute)}
		if i == len(msgs)-1 {
			c.SHA = headSHA
		}
		commits = append(commits, c)
	}
	fake.SetPRCommits(repo, 1, commits)
	var files []fakegithub.File
	for _, f := range sc.files {
		files = append(files, fakegithub.File{Filename: f, Status: "added", Additions: sc.lines[f][0], Deletions: sc.lines[f][1]})
	}
	fake.SetPRFiles(repo, 1, files)
	for i, who := range sc.approvals {
		fake.AddReview(repo, 1, fakegithub.Review{Author: who, State: "APPROVED", CommitID: headSHA, SubmittedAt: created.Add(time.Hour + time.Duration(i)*time.Minute)})
	}
	for i, c := range sc.comments {
		fake.AddComment(repo, 1, fakegithub.Comment{Author: c[0], Body: c[1], CreatedAt: created.Add(2*time.Hour + time.Duration(i)*time.Minute)})
	}
	for team, members := range sc.teams {
		org, name, _ := strings.Cut(team, "/")
		for _, m := range members {
			fake.AddTeamMember(org, name, m)
		}
	}
	app, err := github.New(github.Config{APIURL: fake.URL(), Token: "ghs_token", Transport: fake.HTTPClient().Transport,
		Now: func() time.Time { return created.Add(24 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := app.CheckLive(context.Background(), repo, 1)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func viaGitLab(t *testing.T, sc scenario) policies.Verdict {
	const repo = "acme/platform/shop"
	fake := fakegitlab.New(t, "glpat-token", fakegitlab.User{ID: 99, Username: "shipgate-bot", Bot: true})
	p := fake.AddProject(&fakegitlab.Project{ID: 7, Path: repo, DefaultBranch: "main"})
	p.Files["main"] = map[string]string{".shipgate.yml": sc.policy}
	ids := map[string]int64{}
	for login, role := range roles() {
		ids[login] = int64(len(ids) + 1)
		p.Members = append(p.Members, fakegitlab.Member{User: fakegitlab.User{ID: ids[login], Username: login}, AccessLevel: accessLevel(role)})
	}
	user := func(login string) fakegitlab.User { return fakegitlab.User{ID: ids[login], Username: login} }
	mr := &fakegitlab.MR{IID: 1, Title: sc.title, Description: sc.body, Author: user(sc.author), SourceBranch: "feature", TargetBranch: "main",
		SHA: headSHA, State: "opened", Labels: sc.labels, CreatedAt: created}
	msgs := commitsOf(sc)
	for i, m := range msgs {
		sha := fmt.Sprintf("%040d", i)
		if i == len(msgs)-1 {
			sha = headSHA
		}
		mr.Commits = append(mr.Commits, fakegitlab.Commit{SHA: sha, Message: m, AuthorName: sc.author, At: created.Add(time.Duration(i) * time.Minute)})
	}
	for _, f := range sc.files {
		mr.Diffs = append(mr.Diffs, fakegitlab.Diff{OldPath: f, NewPath: f, NewFile: true, Text: diffText(sc.lines[f])})
	}
	for i, who := range sc.approvals {
		mr.Approve(user(who), created.Add(time.Hour+time.Duration(i)*time.Minute))
	}
	for i, c := range sc.comments {
		mr.Notes = append(mr.Notes, &fakegitlab.Note{ID: int64(i + 1), Author: user(c[0]), Body: c[1], CreatedAt: created.Add(2*time.Hour + time.Duration(i)*time.Minute)})
	}
	p.MRs[1] = mr
	for group, members := range sc.teams {
		for _, m := range members {
			fake.Groups[group] = append(fake.Groups[group], user(m))
		}
	}
	app, err := gitlab.New(gitlab.Config{URL: fake.URL, Token: "glpat-token", Store: openStore(t), Tries: 1,
		Now: func() time.Time { return created.Add(24 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := app.CheckMR(context.Background(), repo, 1)
	if err != nil {
		t.Fatal(err)
	}
	return res.Verdict
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "shipgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
