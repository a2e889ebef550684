package gitlab

import (
	"slices"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
)

// ChangeInput is the GitLab data a Change is built from. MR comes from the
// API; the other fields are REST responses fetched because the policy
// needs them. A nil slice means "not fetched" and stays nil in the Change,
// so rules that need it can say so.
type ChangeInput struct {
	// MR: GET /projects/:id/merge_requests/:iid.
	MR *gl.MergeRequest
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
	// IsBot tells bot users (nil: none are).
	IsBot func(username string) bool
}

// BuildChange turns GitLab data into a Change. MR approvals become
// APPROVED reviews on the head SHA (GitLab keeps or resets approvals on a
// push by the project's settings, so an approval listed counts for the
// current head); the policy decides whether the author's own counts.
func BuildChange(in ChangeInput) *policies.Change {
	mr := in.MR
	actor := func(username string) policies.Actor {
		return policies.Actor{Login: username, Bot: in.IsBot != nil && in.IsBot(username)}
	}
	c := &policies.Change{
		Host:        "gitlab",
		Repo:        repoRef(in.Repo),
		Number:      int(mr.IID),
		Title:       mr.Title,
		Body:        mr.Description,
		BaseBranch:  mr.TargetBranch,
		HeadBranch:  mr.SourceBranch,
		HeadSHA:     mr.SHA,
		Draft:       mr.Draft,
		Merged:      mr.State == "merged",
		Labels:      slices.Clone([]string(mr.Labels)),
		Permissions: in.Permissions,
		CodeOwners:  in.CodeOwners,
		Teams:       in.Teams,
		CreatedAt:   deref(mr.CreatedAt),
		UpdatedAt:   deref(mr.UpdatedAt),
	}
	if mr.Author != nil {
		c.Author = actor(mr.Author.Username)
	}
	if in.Approvals != nil {
		c.Reviews = make([]policies.Review, 0, len(in.Approvals.ApprovedBy))
		for _, u := range in.Approvals.ApprovedBy {
			if u == nil || u.User == nil {
				continue
			}
			c.Reviews = append(c.Reviews, policies.Review{Author: actor(u.User.Username), State: policies.ReviewApproved, CommitSHA: mr.SHA})
		}
	}
	if in.Notes != nil {
		c.Comments = make([]policies.Comment, 0, len(in.Notes))
		for _, n := range in.Notes {
			if n.System {
				continue
			}
			c.Comments = append(c.Comments, policies.Comment{ID: n.ID, Author: actor(n.Author.Username), Body: n.Body, CreatedAt: deref(n.CreatedAt)})
		}
		slices.SortStableFunc(c.Comments, func(a, b policies.Comment) int { return a.CreatedAt.Compare(b.CreatedAt) })
	}
	if in.Diffs != nil {
		c.Files = make([]policies.File, 0, len(in.Diffs))
		for _, d := range in.Diffs {
			f := policies.File{Path: d.NewPath, Status: "modified"}
			switch {
			case d.NewFile:
				f.Status = "added"
			case d.DeletedFile:
				f.Status, f.Path = "removed", d.OldPath
			case d.RenamedFile:
				f.Status, f.PreviousPath = "renamed", d.OldPath
			}
			c.Files = append(c.Files, f)
		}
	}
	if in.Commits != nil {
		c.Commits = make([]policies.Commit, 0, len(in.Commits))
		for i := len(in.Commits) - 1; i >= 0; i-- { // oldest first
			rc := in.Commits[i]
			cm := policies.Commit{SHA: rc.ID, Message: rc.Message, AuthorName: rc.AuthorName, PR: c.Number, Time: deref(rc.CommittedDate)}
			c.Commits = append(c.Commits, cm)
			if cm.SHA == c.HeadSHA {
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
	ch := policies.Check{Name: st.Name, HeadSHA: sha, StartedAt: deref(st.CreatedAt), Status: policies.CheckCompleted}
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
