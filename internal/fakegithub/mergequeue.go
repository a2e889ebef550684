package fakegithub

import (
	"fmt"

	"github.com/google/go-github/v62/github"
)

// How the merge queue builds a group commit for each pull request.
const (
	// QueueMerge makes a merge commit "Merge pull request #N from
	// OWNER/HEAD" whose second parent is the pull request's head, so the
	// pull request's own commits are in the group.
	QueueMerge = "merge"
	// QueueSquash makes one commit "TITLE (#N)" with the pull request's
	// changes and the previous group commit as its only parent.
	QueueSquash = "squash"
)

// QueueMergeGroup puts pull requests into base's merge queue, in order,
// as GitHub builds the groups, and returns the merge_group
// checks_requested payload of the last one's group, which holds them all.
// Each pull request in turn gets a group commit (see QueueMerge and
// QueueSquash) on top of the previous one, the first on base's tip (set it
// with SetBranch), and the branch gh-readonly-queue/BASE/pr-N-SHA at that
// commit, SHA being the commit it was built on. The payload's base_sha is
// the group's parent commit, as GitHub documents it: the group commit of
// the pull request ahead, or base's tip for the first.
func (s *Server) QueueMergeGroup(repo, base, method, sender string, prs ...int) *github.MergeGroupEvent {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	parent := r.refs["refs/heads/"+base]
	if parent == "" || len(prs) == 0 {
		s.t.Fatalf("fakegithub: QueueMergeGroup: %s has no branch %s (SetBranch first) or no pull request is queued", repo, base)
	}
	var head, ref string
	for _, n := range prs {
		is := s.pr(repo, n)
		c := Commit{Author: sender, Parents: []string{parent}}
		switch method {
		case QueueMerge:
			c.Message = fmt.Sprintf("Merge pull request #%d from %s/%s\n\n%s", n, r.owner, is.Head, is.Title)
			c.Parents = append(c.Parents, is.HeadSHA)
		case QueueSquash:
			c.Message = fmt.Sprintf("%s (#%d)", is.Title, n)
		default:
			s.t.Fatalf("fakegithub: QueueMergeGroup: method %q: want QueueMerge or QueueSquash", method)
		}
		head = s.addCommit(r, c)
		ref = fmt.Sprintf("refs/heads/gh-readonly-queue/%s/pr-%d-%s", base, n, parent)
		r.refs[ref] = head
		if n != prs[len(prs)-1] {
			parent = head
		}
	}
	cm := r.commits[head]
	author := &github.CommitAuthor{Name: ptr(sender), Email: ptr(sender + "@users.noreply.github.com"), Date: stamp(cm.Date)}
	c := s.render()
	return &github.MergeGroupEvent{
		Action: ptr("checks_requested"),
		MergeGroup: &github.MergeGroup{
			HeadSHA: ptr(head), HeadRef: ptr(ref), BaseSHA: ptr(parent), BaseRef: ptr("refs/heads/" + base),
			HeadCommit: &github.Commit{SHA: ptr(head), Message: ptr(cm.Message), Author: author, Committer: author,
				Tree: &github.Tree{SHA: ptr(madeUpSHA("tree", head))}},
		},
		Repo:         c.repository(r),
		Sender:       c.user(sender),
		Installation: c.payloadInstallation(r),
	}
}
