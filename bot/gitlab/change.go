package gitlab

import (
	"regexp"
	"slices"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
)

// ChangeInput is the GitLab data a Change is built from. MR comes from the
// API; the other fields are REST responses fetched because the policy
// needs them. A nil slice means "not fetched" and stays nil in the Change,
// so rules that need it can say so.
type ChangeInput struct {
	// Change is the merge request (GET /projects/:id/merge_requests/:iid).
	Change gate.Snapshot
	// Repo is the project's path with its namespace.
	Repo string
	// Approvals: GET /projects/:id/merge_requests/:iid/approvals; nil when
	// not fetched.
	Approvals *gl.MergeRequestApprovals
	// Notes: GET /projects/:id/merge_requests/:iid/notes (system notes are
	// left out).
	Notes []*gl.Note
	// Diffs: GET /projects/:id/merge_requests/:iid/diffs.
	Diffs []*gl.MergeRequestDiff
	// Commits: GET /projects/:id/merge_requests/:iid/commits (newest
	// first, as GitLab lists them).
	Commits []*gl.Commit
	// Statuses: GET /projects/:id/repository/commits/:sha/statuses.
	Statuses []*gl.CommitStatus
	// Permissions maps lower-cased usernames to roles (see Permission); nil
	// when not fetched.
	Permissions map[string]policies.Permission
	// CodeOwners is the parsed CODEOWNERS of the target branch, nil if none.
	CodeOwners *policies.CodeOwners
	// Teams holds the members of the groups the policy names (`@group/sub`
	// entries); nil when not fetched.
	Teams policies.Membership
	// LabelEvents: GET /projects/:id/merge_requests/:iid/resource_label_events;
	// nil when not fetched.
	LabelEvents []*gl.LabelEvent
	// Heads are the MR's heads as the bot saw them (store); nil when not
	// known.
	Heads []policies.Head
	// Incomplete names the facts read in part, and why.
	Incomplete map[policies.Facts]string
	// IsBot tells bot users (nil: none are).
	IsBot func(username string) bool
}

// BuildChange turns GitLab data into a Change. MR approvals become
// APPROVED reviews on the head SHA (GitLab keeps or resets approvals on a
// push by the project's settings, so an approval listed counts for the
// current head); the policy decides whether the author's own counts.
func BuildChange(in ChangeInput) *policies.Change {
	actor := func(username string) policies.Actor {
		return policies.Actor{Login: username, Bot: in.IsBot != nil && in.IsBot(username)}
	}
	mr := in.Change
	c := mr.Change(policies.GitLab, in.Repo)
	c.Permissions, c.CodeOwners, c.Teams, c.Heads, c.Incomplete = in.Permissions, in.CodeOwners, in.Teams, in.Heads, in.Incomplete
	sys := readSystemNotes(in.Notes)
	if in.Approvals != nil {
		c.Reviews = make([]policies.Review, 0, len(in.Approvals.ApprovedBy))
		for _, u := range in.Approvals.ApprovedBy {
			if u == nil || u.User == nil {
				continue
			}
			// GitLab names no commit for an approval: its time (from its
			// system note) against the pushes decides whether it is stale.
			r := policies.Review{Author: actor(u.User.Username), State: policies.ReviewApproved, SubmittedAt: sys.approvedAt[strings.ToLower(u.User.Username)]}
			if in.Notes == nil {
				r.CommitSHA = mr.HeadSHA // no notes read: as GitLab lists it, for the current head
			}
			c.Reviews = append(c.Reviews, r)
		}
	}
	if in.Notes != nil {
		c.Comments = make([]policies.Comment, 0, len(in.Notes))
		for _, n := range in.Notes {
			if n.System {
				continue
			}
			created := deref(n.CreatedAt)
			c.Comments = append(c.Comments, policies.Comment{ID: n.ID, Author: actor(n.Author.Username), Body: n.Body, CreatedAt: created,
				Edited: deref(n.UpdatedAt).After(created)})
		}
		slices.SortStableFunc(c.Comments, func(a, b policies.Comment) int { return a.CreatedAt.Compare(b.CreatedAt) })
		c.HeadPushedAt = pushedAt(in, time.Time{})
	}
	if in.LabelEvents != nil {
		c.LabelEvents = make([]policies.LabelEvent, 0, len(in.LabelEvents))
		for _, e := range in.LabelEvents {
			c.LabelEvents = append(c.LabelEvents, policies.LabelEvent{Label: e.Label.Name, Actor: actor(e.User.Username), Added: e.Action == "add", At: deref(e.CreatedAt)})
		}
	}
	if in.Diffs != nil {
		c.Files = filesOf(in.Diffs)
		c.Lines = linesOf(in.Diffs)
	}
	if in.Commits != nil {
		c.Commits = make([]policies.Commit, 0, len(in.Commits))
		for i := len(in.Commits) - 1; i >= 0; i-- { // oldest first
			rc := in.Commits[i]
			cm := policies.Commit{SHA: rc.ID, Message: rc.Message, AuthorName: rc.AuthorName, PR: c.Number, Time: deref(rc.CommittedDate)}
			if pusher := sys.pusherOf(rc.ID); pusher != "" {
				// GitLab names no user for a commit; who pushed it did commit it.
				cm.Committer = actor(pusher)
			}
			c.Commits = append(c.Commits, cm)
			if cm.SHA == c.HeadSHA && c.HeadPushedAt.IsZero() {
				c.HeadPushedAt = cm.Time
			}
		}
	}
	if in.Statuses != nil {
		c.Checks = make([]policies.Check, 0, len(in.Statuses))
		for _, st := range in.Statuses {
			if review.IsVerdictCheck(st.Name) || st.Name == TagStatusName {
				continue // Shipgate's own
			}
			c.Checks = append(c.Checks, statusCheck(st, c.HeadSHA))
		}
	}
	return c
}

// statusCheck maps a commit status onto a check: created, pending,
// running, waiting_for_resource, preparing, scheduled and manual → in
// progress; success; skipped; canceled → cancelled; failed → failure.
func statusCheck(st *gl.CommitStatus, sha string) policies.Check {
	ch := policies.Check{Name: st.Name, HeadSHA: sha, StartedAt: deref(st.CreatedAt), Status: policies.CheckCompleted, Creator: st.Author.Username}
	switch st.Status {
	case "success":
		ch.Conclusion = "success"
	case "skipped":
		ch.Conclusion = "skipped"
	case "canceled":
		ch.Conclusion = "cancelled"
	case "failed":
		ch.Conclusion = "failure"
	default:
		ch.Status = policies.CheckInProgress
	}
	return ch
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// systemNotes is what GitLab's system notes tell of an MR: when each
// person last approved it, who pushed which commits, and when the last
// push was.
type systemNotes struct {
	approvedAt map[string]time.Time // by lower-cased username
	pushers    map[string]string    // short SHA → username
	lastPush   time.Time
}

// pushedCommit matches a commit in an "added N commits" note's list:
// "<li>abc1234 - message</li>" (or "* abc1234 - message" in Markdown).
var pushedCommit = regexp.MustCompile(`(?m)(?:<li>|^\*\s+)([0-9a-f]{7,40}) - `)

// readSystemNotes reads the approvals and pushes of an MR from its system
// notes, oldest first.
func readSystemNotes(notes []*gl.Note) systemNotes {
	out := systemNotes{approvedAt: map[string]time.Time{}, pushers: map[string]string{}}
	for _, n := range notes {
		if !n.System || n.Author.Username == "" {
			continue
		}
		at := deref(n.CreatedAt)
		switch body := strings.TrimSpace(n.Body); {
		case strings.HasPrefix(body, "approved this merge request"):
			out.approvedAt[strings.ToLower(n.Author.Username)] = at
		case strings.HasPrefix(body, "added ") && strings.Contains(body, "commit"):
			if at.After(out.lastPush) {
				out.lastPush = at
			}
			for _, m := range pushedCommit.FindAllStringSubmatch(body, -1) {
				out.pushers[m[1]] = n.Author.Username
			}
		}
	}
	return out
}

// pushedAt is when the MR's head was pushed as its notes tell (its last
// push note, else its creation), or def when its notes were not read.
func pushedAt(in ChangeInput, def time.Time) time.Time {
	if in.Notes == nil {
		return def
	}
	at := in.Change.CreatedAt
	if last := readSystemNotes(in.Notes).lastPush; last.After(at) {
		at = last
	}
	return at
}

// pusherOf returns who pushed commit sha, "" when no note says.
func (s systemNotes) pusherOf(sha string) string {
	for short, who := range s.pushers {
		if strings.HasPrefix(sha, short) {
			return who
		}
	}
	return ""
}

// filesOf maps an MR's diffs onto its changed files.
func filesOf(diffs []*gl.MergeRequestDiff) []policies.File {
	out := make([]policies.File, 0, len(diffs))
	for _, d := range diffs {
		f := policies.File{Path: d.NewPath, Status: "modified"}
		switch {
		case d.NewFile:
			f.Status = "added"
		case d.DeletedFile:
			f.Status, f.Path = "removed", d.OldPath
		case d.RenamedFile:
			f.Status, f.PreviousPath = "renamed", d.OldPath
		}
		out = append(out, f)
	}
	return out
}
