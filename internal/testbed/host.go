package testbed

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// Host is a world on either host, driven by the same verbs and read
// through the same questions, so that one table of scenarios runs through
// both adapters against their fakes (the both-hosts table). Changes are
// numbered, and their base is main unless they say otherwise.
type Host interface {
	Name() policies.Host
	// Open opens change n and delivers its event.
	Open(n int, c Change)
	// Push makes sha, with message, the head of change n, pushed by pusher.
	Push(n int, sha, message, pusher string)
	// Comment comments on change n and returns the comment's ID;
	// EditComment edits one as editor.
	Comment(n int, author, body string) int64
	EditComment(n int, id int64, editor, body string)
	// Approve approves change n's head as who; Unapprove withdraws who's
	// approval (on GitHub a maintainer dismisses the review).
	Approve(n int, who string)
	Unapprove(n int, who string)
	// Describe replaces change n's description, edited by who.
	Describe(n int, body, who string)
	// Label adds a label to change n, as who; Unlabel removes it.
	Label(n int, label, who string)
	Unlabel(n int, label, who string)
	// Retarget moves change n to base; Close closes it unmerged; Merge
	// merges it: its head becomes the base branch's head.
	Retarget(n int, base, who string)
	Close(n int, who string)
	Merge(n int, who string)
	// Commit adds a commit on main's linear history, Branch points a
	// branch at a commit and Tag tags one, all without an event; PushTag
	// pushes a tag and delivers its event.
	Commit(sha, message, author string)
	Tag(tag, sha string)
	PushTag(tag, sha, pusher string)

	// Verdict is the newest `shipgate: <base>` verdict on sha.
	Verdict(sha, base string) Verdict
	// Replies are Shipgate's answers on change n (its comments but the
	// sticky one), oldest first; Sticky is the sticky comment ("" when none).
	Replies(n int) []string
	Sticky(n int) string
	// Acknowledged reports whether Shipgate reacted 👍 to a comment.
	Acknowledged(n int, id int64) bool
	// Labels are change n's labels.
	Labels(n int) []string
	// TagVerdict is Shipgate's status on a tagged commit ("" when none).
	TagVerdict(sha string) Verdict
	// Released are the releases, by tag; TagsCreated the tags Shipgate made.
	Released() []string
	TagsCreated() []string

	// Deployment is env's newest deployment as "version state" ("" when
	// none); Mirrored the host's record of deployments, in order, as
	// "env state" with GitHub's and GitLab's states named alike (created,
	// running, success, failed, canceled).
	Deployment(env string) string
	Mirrored() []string

	// Calls counts the API requests Shipgate made since the last
	// ResetCalls: charged ones, and those answered 304 (free on GitHub).
	Calls() (charged, notModified int)
	ResetCalls()
	// LogCalls logs the calls by route.
	LogCalls(t testing.TB)
	// Identify has Shipgate learn who it is, as serve does when it starts.
	Identify()
	// Replica makes replica i of a cluster on the same store receive and
	// process from now on (0 is the first; each keeps its own adapters).
	Replica(i int)

	Drain()
	Advance(d time.Duration)
	SetPolicy(branch, policy string)
}

// Change is a change to open.
type Change struct {
	Title, Body, Author string
	// Head and Base are branches (defaults: feature-N, main); SHA the head.
	Head, Base, SHA string
	Labels          []string
	// Files are the paths the change adds.
	Files []string
}

// Verdict is a published verdict in host-neutral terms.
type Verdict struct {
	// Conclusion is success, failure, neutral or pending; "" when there is
	// none.
	Conclusion string
	// Text is the check run's title and summary, or the status's
	// description.
	Text string
}

// People are who takes part, by role.
type People map[string]policies.Permission

// NewHost builds a world on host with the policy on main and the people.
func NewHost(t testing.TB, host policies.Host, policy string, people People) Host {
	t.Helper()
	if host == policies.GitLab {
		levels := map[string]int{GitLabBot: 40}
		for who, p := range people {
			levels[who] = accessLevel(p)
		}
		return &gitLabHost{GitLab: NewGitLab(t, policy, levels)}
	}
	roles := map[string]string{}
	for who, p := range people {
		roles[who] = p.String()
	}
	return &gitHubHost{GitHub: NewGitHub(t, policy, roles), heads: map[int]string{}}
}

// accessLevel is GitLab's access level of a repository role.
func accessLevel(p policies.Permission) int {
	switch p {
	case policies.PermAdmin:
		return 50
	case policies.PermMaintain:
		return 40
	case policies.PermWrite:
		return 30
	case policies.PermTriage:
		return 20
	case policies.PermRead:
		return 10
	}
	return 0
}

// deployment reads env's newest deployment from the store.
func (w *world) deployment(host policies.Host, repo, env string) string {
	d, err := w.Store.LatestDeployment(context.Background(), host, repo, env)
	if err != nil {
		return ""
	}
	return d.Version + " " + d.State
}

// mirrorStates names the hosts' deployment states alike.
var mirrorStates = map[string]string{"queued": "created", "created": "created", "in_progress": "running", "running": "running",
	"success": "success", "failure": "failed", "failed": "failed", "error": "failed", "canceled": "canceled"}

// mirrored turns a fake's "repo:env@ref:state" records into "env state".
func mirrored(records []string) []string {
	var out []string
	for _, r := range records {
		i, j := strings.LastIndex(r, ":"), strings.LastIndex(r, "@")
		k := strings.LastIndex(r[:max(j, 0)], ":")
		if i < 0 || j < 0 || k < 0 {
			continue
		}
		if state, ok := mirrorStates[r[i+1:]]; ok {
			out = append(out, r[k+1:j]+" "+state)
		}
	}
	return out
}

// splitReplies separates Shipgate's sticky comment from its other
// comments.
func splitReplies(bodies []string) (sticky string, replies []string) {
	for _, b := range bodies {
		if strings.HasPrefix(b, templates.CommentMarker) {
			sticky = b
			continue
		}
		replies = append(replies, b)
	}
	return sticky, replies
}

// githubConclusion reads a check run: in progress is pending.
func githubConclusion(cr fakegithub.CheckRun) string {
	if cr.Status != "completed" {
		return "pending"
	}
	return cr.Conclusion
}

// gitlabConclusion reads a commit status.
func gitlabConclusion(st fakegitlab.Status) string {
	switch st.State {
	case "success":
		return "success"
	case "skipped":
		return "neutral"
	case "failed", "canceled":
		return "failure"
	}
	return "pending"
}
