package policies

import (
	"fmt"
	"strings"
	"time"
)

// staleness says why an approval no longer counts: the head it approved
// (when known) and the push that changed the content since (when known).
type staleness struct {
	approved, changedBy string
}

// staleApproval is one approver's stale approval.
type staleApproval struct {
	login string
	why   staleness
}

// staleSince reports whether an approval of sha is stale: what was
// approved is not what ships. It is fresh on the current head, and on an
// older head whose content the current head has (the pushes since only
// merged the base branch in); otherwise it is stale, with the first push
// that changed the content when the heads are known.
func (s *evaluation) staleSince(sha string) *staleness {
	head := s.c.HeadSHA
	if sha == head || head == "" {
		return nil
	}
	heads := s.c.Heads
	i := headIndex(heads, sha)
	if i < 0 {
		return &staleness{approved: sha}
	}
	approved := heads[i].Content
	if cur := headIndex(heads, head); approved != "" && cur >= 0 && heads[cur].Content == approved {
		return nil
	}
	for _, h := range heads[i+1:] {
		if h.Content != approved || approved == "" {
			return &staleness{approved: sha, changedBy: h.SHA}
		}
	}
	return &staleness{approved: sha, changedBy: head}
}

// staleAt reports whether an approval given at t (a command, or a GitLab
// approval, which names no commit) is stale: it approved the head the
// change had then. Without the heads, it is stale when given before the
// last push.
func (s *evaluation) staleAt(t time.Time) *staleness {
	if s.c.Heads == nil {
		if !s.c.HeadPushedAt.IsZero() && (t.IsZero() || t.Before(s.c.HeadPushedAt)) {
			return &staleness{}
		}
		return nil
	}
	approved := ""
	for _, h := range s.c.Heads {
		if !h.Since.After(t) {
			approved = h.SHA
		}
	}
	if approved == "" {
		return &staleness{}
	}
	return s.staleSince(approved)
}

func headIndex(heads []Head, sha string) int {
	for i, h := range heads {
		if h.SHA == sha {
			return i
		}
	}
	return -1
}

// staleText explains stale approvals, naming the push that changed what
// each one approved.
func staleText(stale []staleApproval) string {
	parts := make([]string, 0, len(stale))
	for _, a := range stale {
		switch w := a.why; {
		case w.approved != "" && w.changedBy != "":
			parts = append(parts, fmt.Sprintf("@%s approved %s, which the push of %s changed", a.login, short7(w.approved), short7(w.changedBy)))
		case w.approved != "":
			parts = append(parts, fmt.Sprintf("@%s approved %s, an older commit", a.login, short7(w.approved)))
		default:
			parts = append(parts, fmt.Sprintf("@%s approved before the last push", a.login))
		}
	}
	return strings.Join(parts, "; ") + ": what was approved is not what would merge, so these approvals need renewing"
}

func short7(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// contributed reports whether login authored or committed a commit of the
// change (its author aside, whom allow_author governs).
func (s *evaluation) contributed(login string) bool {
	if sameLogin(login, s.c.Author.Login) {
		return false
	}
	for _, c := range s.c.Commits {
		if sameLogin(c.Author.Login, login) || sameLogin(c.Committer.Login, login) {
			return true
		}
	}
	return false
}

// incomplete returns why fact f was read only in part, if it was.
func (s *evaluation) incomplete(f Facts) (string, bool) {
	why, ok := s.c.Incomplete[f]
	return why, ok
}

// unknownFacts reports, for an approval rule, a fact it needs that is
// missing or was read in part: its result is then pending with why. The
// commits matter only when someone approved (approved), as a contributor
// among them would not count.
func (s *evaluation) unknownFacts(r *ApprovalRule, approved bool) (string, bool) {
	if why, ok := s.incomplete(NeedReviews); ok {
		return "not every review could be read (" + why + "), so a request for changes may be missing", true
	}
	if r.CodeOwners {
		if why, ok := s.incomplete(NeedFiles); ok {
			return "not every changed file could be read (" + why + "), so code owners cannot be checked", true
		}
	}
	if !r.AllowContributor && approved {
		if s.c.Commits == nil {
			return "the change's commits are not known yet, so its contributors cannot be told apart from its approvers", true
		}
		if why, ok := s.incomplete(NeedCommits); ok {
			return "not every commit could be read (" + why + "), so the change's contributors, who may not approve it, are not all known", true
		}
	}
	return "", false
}
