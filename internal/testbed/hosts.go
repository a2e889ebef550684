package testbed

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/policies"
)

// gitHubHost is a GitHub world as a Host.
type gitHubHost struct {
	*GitHub
	heads map[int]string // change → head SHA
	main  string         // main's head on the linear history
}

func (g *gitHubHost) Name() policies.Host { return policies.GitHub }

func (g *gitHubHost) Open(n int, c Change) {
	g.t.Helper()
	pr := fakegithub.PR{Number: n, Title: c.Title, Body: c.Body, Author: c.Author, Head: c.Head, Base: c.Base, Labels: c.Labels}
	var files []fakegithub.File
	for _, f := range c.Files {
		files = append(files, fakegithub.File{Filename: f, Status: "added"})
	}
	g.heads[n] = c.SHA
	g.GitHub.Open(pr, c.SHA, files...)
}

func (g *gitHubHost) Push(n int, sha, message, pusher string) {
	g.heads[n] = sha
	g.GitHub.Push(n, fakegithub.Commit{SHA: sha, Message: message, Author: pusher}, pusher)
}

func (g *gitHubHost) Comment(n int, author, body string) int64 {
	return g.GitHub.Comment(n, author, body)
}

func (g *gitHubHost) EditComment(_ int, id int64, editor, body string) {
	g.GitHub.EditComment(id, editor, body)
}

func (g *gitHubHost) Approve(n int, who string) { g.Review(n, who, "APPROVED") }

func (g *gitHubHost) Unapprove(n int, who string) { g.Dismiss(n, who) }

func (g *gitHubHost) Describe(n int, body, who string) {
	g.Fake.UpdatePR(GitHubRepo, n, func(pr *fakegithub.PR) { pr.Body = body })
	g.PREvent(n, "edited", who)
}

func (g *gitHubHost) Label(n int, label, who string) {
	g.Fake.LabelBy(GitHubRepo, n, label, who, true)
	g.PREvent(n, "labeled", who)
}

func (g *gitHubHost) Unlabel(n int, label, who string) {
	g.Fake.LabelBy(GitHubRepo, n, label, who, false)
	g.PREvent(n, "unlabeled", who)
}

func (g *gitHubHost) Retarget(n int, base, who string) {
	g.Fake.UpdatePR(GitHubRepo, n, func(pr *fakegithub.PR) { pr.Base = base })
	g.PREvent(n, "edited", who)
}

func (g *gitHubHost) Close(n int, who string) {
	g.Fake.UpdatePR(GitHubRepo, n, func(pr *fakegithub.PR) { pr.State = "closed" })
	g.PREvent(n, "closed", who)
}

func (g *gitHubHost) Merge(n int, who string) {
	pr, _ := g.Fake.PullRequest(GitHubRepo, n)
	g.Commit(g.heads[n], pr.Title, pr.Author)
	g.Fake.UpdatePR(GitHubRepo, n, func(pr *fakegithub.PR) {
		pr.State, pr.Merged, pr.MergedBy, pr.MergedAt, pr.MergeCommitSHA = "closed", true, who, g.Clock.Now(), g.heads[n]
	})
	g.PREvent(n, "closed", who)
}

func (g *gitHubHost) Commit(sha, message, author string) {
	c := fakegithub.Commit{SHA: sha, Message: message, Author: author, Date: g.Clock.Now()}
	if g.main != "" {
		c.Parents = []string{g.main}
	}
	g.main = g.Fake.AddCommit(GitHubRepo, c)
	g.Fake.SetBranch(GitHubRepo, "main", g.main)
}

func (g *gitHubHost) Tag(tag, sha string) { g.Fake.AddTag(GitHubRepo, tag, sha) }

func (g *gitHubHost) PushTag(tag, sha, pusher string) {
	g.Tag(tag, sha)
	g.Deliver("push", g.Fake.PushEvent(GitHubRepo, "refs/tags/"+tag, strings.Repeat("0", 40), sha, pusher))
}

func (g *gitHubHost) Verdict(sha, base string) Verdict {
	cr, ok := g.Check(sha, base)
	if !ok {
		return Verdict{}
	}
	return Verdict{Conclusion: githubConclusion(cr), Text: cr.Title + "\n" + cr.Summary}
}

func (g *gitHubHost) botComments(n int) []string {
	self, _ := g.App.Identify(context.Background())
	var out []string
	for _, c := range g.Fake.Comments(GitHubRepo, n) {
		if strings.EqualFold(c.Author, self) {
			out = append(out, c.Body)
		}
	}
	return out
}

func (g *gitHubHost) Replies(n int) []string {
	_, r := splitReplies(g.botComments(n))
	return r
}

func (g *gitHubHost) Sticky(n int) string {
	s, _ := splitReplies(g.botComments(n))
	return s
}

func (g *gitHubHost) Acknowledged(n int, id int64) bool {
	want := fmt.Sprintf("%s#%d:comment-%d:+1", GitHubRepo, n, id)
	for _, r := range g.Fake.Reactions() {
		if r == want {
			return true
		}
	}
	return false
}

func (g *gitHubHost) Labels(n int) []string { return g.Fake.Labels(GitHubRepo, n) }

func (g *gitHubHost) TagVerdict(sha string) Verdict {
	var v Verdict
	for _, st := range g.Fake.Statuses(GitHubRepo, sha) {
		if st.Context == gate.TagStatus {
			v = Verdict{Conclusion: st.State, Text: st.Description}
		}
	}
	return v
}

func (g *gitHubHost) Released() []string {
	var out []string
	for _, r := range g.Fake.Releases() {
		out = append(out, r.TagName)
	}
	return out
}

func (g *gitHubHost) TagsCreated() []string {
	var out []string
	for _, r := range g.Fake.RefsCreated() {
		if _, tag, ok := strings.Cut(r, ":refs/tags/"); ok {
			tag, _, _ = strings.Cut(tag, "@")
			out = append(out, tag)
		}
	}
	return out
}

func (g *gitHubHost) Advance(d time.Duration) { g.AdvanceTo(g.Clock.Now().Add(d)) }

func (g *gitHubHost) Deployment(env string) string {
	return g.deployment(policies.GitHub, GitHubRepo, env)
}

func (g *gitHubHost) Mirrored() []string { return mirrored(g.Fake.DeploymentStatuses()) }

func (g *gitHubHost) Calls() (charged, notModified int) {
	charged = g.Fake.CountCalls(true)
	return charged, g.Fake.CountCalls(false) - charged
}

func (g *gitHubHost) ResetCalls() { g.Fake.ResetRequests() }

func (g *gitHubHost) LogCalls(t testing.TB) {
	var routes []string
	for _, r := range g.Fake.Requests() {
		if !r.NotModified {
			routes = append(routes, r.Method+" "+r.Route)
		}
	}
	logRoutes(t, routes)
}

func (g *gitHubHost) Identify() {
	if _, err := g.App.Identify(context.Background()); err != nil {
		g.t.Fatal(err)
	}
}

// gitLabHost is a GitLab world as a Host.
type gitLabHost struct {
	*GitLab
}

func (g *gitLabHost) Name() policies.Host { return policies.GitLab }

func (g *gitLabHost) Open(n int, c Change) {
	mr := fakegitlab.MR{IID: n, Title: c.Title, Description: c.Body, SHA: c.SHA, SourceBranch: c.Head, TargetBranch: c.Base, Labels: c.Labels}
	g.Fake.Do(func() { mr.Author = g.User(c.Author) })
	for _, f := range c.Files {
		mr.Diffs = append(mr.Diffs, fakegitlab.Diff{OldPath: f, NewPath: f, NewFile: true})
	}
	if mr.SourceBranch == "" {
		mr.SourceBranch = fmt.Sprintf("feature-%d", n)
	}
	g.GitLab.Open(mr)
}

func (g *gitLabHost) Push(n int, sha, message, pusher string) {
	g.GitLab.Push(n, fakegitlab.Commit{SHA: sha, Message: message, AuthorName: pusher}, pusher)
}

func (g *gitLabHost) Comment(n int, author, body string) int64 { return g.Note(n, author, body) }

func (g *gitLabHost) EditComment(n int, id int64, editor, body string) {
	g.EditNote(n, id, editor, body)
}

func (g *gitLabHost) Approve(n int, who string) { g.GitLab.Approve(n, who) }

func (g *gitLabHost) Unapprove(n int, who string) { g.GitLab.Unapprove(n, who) }

func (g *gitLabHost) Describe(n int, body, who string) {
	g.Fake.Do(func() { g.Project.MRs[n].Description = body })
	g.MRHook(n, "update", who, "description")
}

func (g *gitLabHost) Label(n int, label, who string) { g.relabel(n, label, who, "add") }

func (g *gitLabHost) Unlabel(n int, label, who string) { g.relabel(n, label, who, "remove") }

// relabel adds or removes a label as GitLab does: a label already there
// (or already gone) changes nothing.
func (g *gitLabHost) relabel(n int, label, who, action string) {
	changed := false
	g.Fake.Do(func() {
		mr := g.Project.MRs[n]
		i := slices.Index(mr.Labels, label)
		switch {
		case action == "add" && i < 0:
			mr.Labels = append(mr.Labels, label)
		case action == "remove" && i >= 0:
			mr.Labels = slices.Delete(mr.Labels, i, i+1)
		default:
			return
		}
		changed = true
		mr.LabelEvents = append(mr.LabelEvents, fakegitlab.LabelEvent{ID: int64(len(mr.LabelEvents) + 1), Label: label, User: g.User(who), Action: action, At: g.Clock.Now()})
	})
	if changed {
		g.MRHook(n, "update", who, "labels")
	}
}

func (g *gitLabHost) Retarget(n int, base, who string) {
	g.Fake.Do(func() { g.Project.MRs[n].TargetBranch = base })
	g.MRHook(n, "update", who, "target_branch")
}

func (g *gitLabHost) Close(n int, who string) {
	g.Fake.Do(func() { g.Project.MRs[n].State = "closed" })
	g.MRHook(n, "close", who)
}

func (g *gitLabHost) Merge(n int, who string) {
	var sha, title, author string
	g.Fake.Do(func() {
		mr := g.Project.MRs[n]
		mr.State = "merged"
		sha, title, author = mr.SHA, mr.Title, mr.Author.Username
	})
	g.Commit(sha, title, author)
	g.MRHook(n, "merge", who)
}

func (g *gitLabHost) Commit(sha, message, author string) {
	g.Fake.Do(func() {
		g.Project.History = append(g.Project.History, fakegitlab.Commit{SHA: sha, Message: message, AuthorName: author, At: g.Clock.Now()})
		g.Project.Branches["main"] = sha
	})
}

func (g *gitLabHost) Tag(tag, sha string) { g.Fake.Do(func() { g.Project.Tags[tag] = sha }) }

// PushTag pushes a tag and delivers its Tag Push Hook.
func (g *GitLab) PushTag(tag, sha, pusher string) {
	g.Fake.PushTag(g.Project, tag, sha, pusher) // the push event GitLab records before its hook
	g.Deliver("Tag Push Hook", map[string]any{
		"object_kind": "tag_push", "event_name": "tag_push", "ref": "refs/tags/" + tag, "before": strings.Repeat("0", 40),
		"after": sha, "checkout_sha": sha, "user_username": pusher, "project_id": gitLabProjectID, "project": g.projectJSON(),
	})
}

func (g *gitLabHost) Verdict(sha, base string) Verdict {
	st, ok := g.Status(sha, base)
	if !ok {
		return Verdict{}
	}
	return Verdict{Conclusion: gitlabConclusion(st), Text: st.Description}
}

func (g *gitLabHost) botNotes(n int) []string {
	var out []string
	g.Fake.Do(func() {
		mr := g.Project.MRs[n]
		if mr == nil {
			return
		}
		for _, note := range mr.Notes {
			if note.Author.Username == GitLabBot && !note.System {
				out = append(out, note.Body)
			}
		}
	})
	return out
}

func (g *gitLabHost) Replies(n int) []string {
	_, r := splitReplies(g.botNotes(n))
	return r
}

func (g *gitLabHost) Sticky(n int) string {
	s, _ := splitReplies(g.botNotes(n))
	return s
}

func (g *gitLabHost) Acknowledged(n int, id int64) bool {
	acked := false
	g.Fake.Do(func() {
		mr := g.Project.MRs[n]
		if mr == nil {
			return
		}
		for _, note := range mr.Notes {
			if note.ID == id {
				for _, a := range note.Awards {
					acked = acked || a == "thumbsup"
				}
			}
		}
	})
	return acked
}

func (g *gitLabHost) Labels(n int) []string {
	var out []string
	g.Fake.Do(func() {
		if mr := g.Project.MRs[n]; mr != nil {
			out = append(out, mr.Labels...)
		}
	})
	return out
}

// TagVerdict is Shipgate's shipgate/tag status on a commit.
func (g *GitLab) TagVerdict(sha string) Verdict {
	var v Verdict
	g.Fake.Do(func() {
		for _, st := range g.Project.Statuses {
			if st.SHA == sha && st.Name == gate.TagStatus {
				v = Verdict{Conclusion: gitlabConclusion(st), Text: st.Description}
			}
		}
	})
	return v
}

func (g *gitLabHost) Released() []string {
	var out []string
	g.Fake.Do(func() {
		for _, r := range g.Project.Releases {
			out = append(out, r.TagName)
		}
	})
	return out
}

func (g *gitLabHost) TagsCreated() []string {
	var out []string
	g.Fake.Do(func() {
		for _, t := range g.Project.TagsCreated {
			tag, _, _ := strings.Cut(t, "@")
			out = append(out, tag)
		}
	})
	return out
}

func (g *gitLabHost) Advance(d time.Duration) { g.AdvanceTo(g.Clock.Now().Add(d)) }

func (g *gitLabHost) Deployment(env string) string {
	return g.deployment(policies.GitLab, GitLabRepo, env)
}

func (g *gitLabHost) Mirrored() []string { return mirrored(g.Fake.DeploymentStatuses()) }

func (g *gitLabHost) Calls() (charged, notModified int) {
	charged = g.Fake.CountCalls(true)
	return charged, g.Fake.CountCalls(false) - charged
}

func (g *gitLabHost) ResetCalls() { g.Fake.ResetRequests() }

func (g *gitLabHost) LogCalls(t testing.TB) {
	var routes []string
	for _, r := range g.Fake.Requests() {
		if !r.NotModified {
			routes = append(routes, r.Method+" "+numbers.ReplaceAllString(r.Path, "/:n"))
		}
	}
	logRoutes(t, routes)
}

// numbers are the numeric and SHA segments of a path.
var numbers = regexp.MustCompile(`/([0-9]+|[0-9a-f]{40})\b`)

// logRoutes logs how often each route was called.
func logRoutes(t testing.TB, routes []string) {
	count := map[string]int{}
	for _, r := range routes {
		count[r]++
	}
	for _, r := range slices.Sorted(maps.Keys(count)) {
		t.Logf("%3d %s", count[r], r)
	}
}

func (g *gitLabHost) Identify() {
	if _, err := g.App.Identify(context.Background()); err != nil {
		g.t.Fatal(err)
	}
}
