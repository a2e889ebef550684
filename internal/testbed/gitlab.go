package testbed

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/gitlab"
	"github.com/shipgate/shipgate/bot/gitlab/deployments"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/policies"
)

// GitLab project of a GitLab world: a subgroup, so the owner holds a slash.
const (
	GitLabRepo      = "acme/platform/shop"
	gitLabProjectID = 7
	gitLabToken     = "glpat-testbed"
	// GitLabBot is the user Shipgate's token writes as: a plain user, as a
	// personal access token's is (not a GitLab bot user).
	GitLabBot = "shipgate-svc"
)

// GitLab is a world on a fake GitLab.
type GitLab struct {
	*world
	Fake    *fakegitlab.Server
	Project *fakegitlab.Project
	App     *gitlab.App
	// Records, set before Restart, verifies change records for the gate.
	Records gate.RecordVerifier
	cfg     gitlab.Config
}

// NewGitLab builds a GitLab world with the policy on main and the people
// given as username → access level (30 Developer, 40 Maintainer, …).
func NewGitLab(t testing.TB, policy string, people map[string]int) *GitLab {
	t.Helper()
	w := newWorld(t)
	fake := fakegitlab.New(t, gitLabToken, fakegitlab.User{ID: 99, Username: GitLabBot})
	g := &GitLab{world: w, Fake: fake}
	g.Project = fake.AddProject(&fakegitlab.Project{ID: gitLabProjectID, Path: GitLabRepo, DefaultBranch: "main"})
	g.Project.Files["main"] = map[string]string{review.PolicyFile: policy}
	id := int64(1)
	for name, level := range people {
		g.Project.Members = append(g.Project.Members, fakegitlab.Member{User: fakegitlab.User{ID: id, Username: name}, AccessLevel: level})
		id++
	}
	g.cfg = gitlab.Config{URL: fake.URL, Token: gitLabToken, WebhookSecret: Secret, Now: w.Clock.Now, Tries: 1,
		Logger: zerolog.Nop(), Store: w.Store, Acceptor: w.Store}
	g.Restart()
	return g
}

// SetPolicy puts policy on branch (it is read from each change's target).
func (g *GitLab) SetPolicy(branch, policy string) {
	g.Fake.Do(func() { g.Project.Files[branch] = map[string]string{review.PolicyFile: policy} })
}

// Restart replaces the adapter with a new one, as a new process would be.
func (g *GitLab) Restart() {
	g.t.Helper()
	app, err := gitlab.New(g.cfg)
	if err != nil {
		g.t.Fatal(err)
	}
	g.App = app
	dep, err := deployments.New(deployments.Config{URL: g.cfg.URL, Token: g.cfg.Token, Tries: 1})
	if err != nil {
		g.t.Fatal(err)
	}
	o := g.orchestrator(policies.GitLab, dep.Integrations())
	gt, err := gate.New(gate.Config{Host: app, Store: g.Store, Acceptor: g.Store, Deployer: o, Announcer: g.announcer(), Now: g.Clock.Now, Logger: zerolog.Nop(), Legacy: app.DecodeLegacy,
		Records: g.Records})
	if err != nil {
		g.t.Fatal(err)
	}
	g.register(policies.GitLab, gate.Rechecker(policies.GitLab), app, gt, o, deployments.Hooks{GitLab: dep, Orchestrator: o})
}

// Replica makes replica i (0 is the first) receive and process from now
// on, as GitHub.Replica does.
func (g *GitLab) Replica(i int) {
	g.switchReplica(i, g.Restart, func() func() {
		app, ps := g.App, g.processors
		return func() { g.App, g.processors = app, ps }
	})
}

// User is a member by name, or a stranger; call it inside Fake.Do.
func (g *GitLab) User(name string) fakegitlab.User {
	for _, m := range g.Project.Members {
		if m.Username == name {
			return m.User
		}
	}
	return fakegitlab.User{ID: 500, Username: name}
}

// Deliver sends a webhook as GitLab does; a non-2xx answer fails the test.
func (g *GitLab) Deliver(event string, payload map[string]any) {
	g.t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		g.t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, gitlab.Route, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Gitlab-Event", event)
	req.Header.Set("X-Gitlab-Token", Secret)
	req.Header.Set("X-Gitlab-Event-UUID", g.nextDelivery("gl"))
	rec := httptest.NewRecorder()
	g.App.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		g.t.Fatalf("delivering %s: %d %s", event, rec.Code, rec.Body)
	}
}

func (g *GitLab) projectJSON() map[string]any {
	return map[string]any{"id": gitLabProjectID, "path_with_namespace": GitLabRepo, "default_branch": "main"}
}

// Open adds MR iid from source into target at sha and delivers its open
// hook.
func (g *GitLab) Open(mr fakegitlab.MR) {
	g.t.Helper()
	g.Fake.Do(func() {
		mr.State, mr.CreatedAt = "opened", g.Clock.Now()
		if mr.SourceBranch == "" {
			mr.SourceBranch = "feature"
		}
		if mr.TargetBranch == "" {
			mr.TargetBranch = "main"
		}
		if len(mr.Commits) == 0 {
			mr.Commits = []fakegitlab.Commit{{SHA: mr.SHA, Message: mr.Title, AuthorName: mr.Author.Username, At: g.Clock.Now()}}
		}
		g.Project.MRs[mr.IID] = &mr
	})
	g.MRHook(mr.IID, "open", mr.Author.Username)
}

// MRHook delivers a Merge Request Hook for action by sender; changed names
// the attributes an update changed.
func (g *GitLab) MRHook(iid int, action, sender string, changed ...string) {
	g.t.Helper()
	var sha, target string
	g.Fake.Do(func() { sha, target = g.Project.MRs[iid].SHA, g.Project.MRs[iid].TargetBranch })
	changes := map[string]any{"updated_at": map[string]any{}}
	for _, c := range changed {
		changes[c] = map[string]any{"previous": nil, "current": nil}
	}
	g.Deliver("Merge Request Hook", map[string]any{
		"object_kind": "merge_request", "event_type": "merge_request", "user": map[string]any{"username": sender},
		"project": g.projectJSON(), "changes": changes,
		"object_attributes": map[string]any{"iid": iid, "action": action, "target_branch": target, "last_commit": map[string]any{"id": sha}},
	})
}

// Approve records who's approval (with its system note) and delivers the
// approved hook.
func (g *GitLab) Approve(iid int, who string) {
	g.t.Helper()
	g.Clock.Advance(time.Second)
	g.Fake.Do(func() { g.Project.MRs[iid].Approve(g.User(who), g.Clock.Now()) })
	g.MRHook(iid, "approved", who)
}

// Unapprove withdraws who's approval of MR iid and delivers the
// unapproved hook.
func (g *GitLab) Unapprove(iid int, who string) {
	g.t.Helper()
	g.Clock.Advance(time.Second)
	g.Fake.Do(func() { g.Project.MRs[iid].Unapprove(g.User(who), g.Clock.Now()) })
	g.MRHook(iid, "unapproved", who)
}

// Push adds commit c as the MR's head, pushed by pusher, and delivers the
// update hook.
func (g *GitLab) Push(iid int, c fakegitlab.Commit, pusher string) {
	g.t.Helper()
	g.Clock.Advance(time.Minute)
	if c.At.IsZero() {
		c.At = g.Clock.Now()
	}
	g.Fake.Do(func() { g.Project.MRs[iid].Push(c, g.User(pusher)) })
	g.MRHook(iid, "update", pusher, "last_commit")
}

// Note adds a note by author and delivers its hook; it returns its ID.
func (g *GitLab) Note(iid int, author, body string) int64 {
	g.t.Helper()
	g.Clock.Advance(time.Second)
	var id int64
	g.Fake.Do(func() {
		mr := g.Project.MRs[iid]
		id = int64(len(mr.Notes) + 1)
		mr.Notes = append(mr.Notes, &fakegitlab.Note{ID: id, Author: g.User(author), Body: body, CreatedAt: g.Clock.Now()})
	})
	g.noteHook(iid, id, author, body, "create")
	return id
}

// EditNote changes a note as editor did in GitLab's interface (a
// Maintainer may edit anyone's note) and delivers the note's update hook.
func (g *GitLab) EditNote(iid int, id int64, editor, body string) {
	g.t.Helper()
	g.Clock.Advance(time.Second)
	g.Fake.Do(func() {
		for _, n := range g.Project.MRs[iid].Notes {
			if n.ID == id {
				n.Body, n.UpdatedAt = body, g.Clock.Now()
			}
		}
	})
	g.noteHook(iid, id, editor, body, "update")
}

// ForgeNoteHook delivers a Note Hook with the right token for a note that
// says body by sender, whatever note id is on GitLab (or none): what
// anyone holding the webhook token, which every project's webhook shares,
// could send.
func (g *GitLab) ForgeNoteHook(iid int, id int64, sender, body string) {
	g.t.Helper()
	g.noteHook(iid, id, sender, body, "create")
}

func (g *GitLab) noteHook(iid int, id int64, sender, body, action string) {
	var sha string
	g.Fake.Do(func() { sha = g.Project.MRs[iid].SHA })
	g.Deliver("Note Hook", map[string]any{
		"object_kind": "note", "event_type": "note", "user": map[string]any{"username": sender},
		"project_id": gitLabProjectID, "project": g.projectJSON(),
		"object_attributes": map[string]any{"id": id, "note": body, "noteable_type": "MergeRequest", "action": action,
			"created_at": g.Clock.Now().Format("2006-01-02 15:04:05 UTC")},
		"merge_request": map[string]any{"iid": iid, "last_commit": map[string]any{"id": sha}},
	})
}

// Status returns the newest `shipgate: <base>` commit status on sha.
func (g *GitLab) Status(sha, base string) (st fakegitlab.Status, ok bool) {
	g.Fake.Do(func() {
		for _, s := range g.Project.Statuses {
			if s.SHA == sha && s.Name == review.CheckName(base) {
				st, ok = s, true
			}
		}
	})
	return st, ok
}

// Passes reports whether GitLab would let an MR of sha into base merge on
// Shipgate's status: the newest one of its name succeeded, or was skipped
// (a branch without a policy).
func (g *GitLab) Passes(sha, base string) bool {
	st, ok := g.Status(sha, base)
	return ok && (st.State == "success" || st.State == "skipped")
}
