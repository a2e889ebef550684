package fakegithub

import (
	"slices"
	"strings"
)

// effects are the readable records of what API calls changed, in the
// order the fake received them.
type effects struct {
	commentsCreated    []string
	commentsEdited     []string
	labelsAdded        []string
	labelsRemoved      []string
	reactions          []string
	refsCreated        []string
	refsUpdated        []string
	commitsCreated     []string
	tagsCreated        []string
	statusesCreated    []string
	deploymentStatuses []string
	dispatches         []string
	protectionReviews  []string
	tokensIssued       []string
	pullsCreated       []string
	assigned           []string
}

func (s *Server) read(list *[]string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(*list)
}

// CommentsCreated lists comments created through the API, as
// "acme/widgets#42:<body>".
func (s *Server) CommentsCreated() []string { return s.read(&s.effects.commentsCreated) }

// CommentsEdited lists comment edits, as "acme/widgets#42:<new body>".
func (s *Server) CommentsEdited() []string { return s.read(&s.effects.commentsEdited) }

// LabelsAdded lists labels added, as "acme/widgets#42:do-not-merge/hold".
func (s *Server) LabelsAdded() []string { return s.read(&s.effects.labelsAdded) }

// LabelsRemoved lists labels removed, as "acme/widgets#42:do-not-merge/hold".
func (s *Server) LabelsRemoved() []string { return s.read(&s.effects.labelsRemoved) }

// Reactions lists reactions created on comments, as
// "acme/widgets#42:comment-1001:+1".
func (s *Server) Reactions() []string { return s.read(&s.effects.reactions) }

// RefsCreated lists git refs created, as "acme/widgets:refs/tags/v1.2.0@<sha>".
func (s *Server) RefsCreated() []string { return s.read(&s.effects.refsCreated) }

// RefsUpdated lists git refs moved, as "acme/widgets:refs/heads/main@<sha>".
func (s *Server) RefsUpdated() []string { return s.read(&s.effects.refsUpdated) }

// CommitsCreated lists commits created through the Git Data API, as
// "acme/widgets@<sha>:<message> +CHANGELOG.md -.changes/a.md": the paths
// the commit adds or changes (+) and removes (-) against its first parent.
func (s *Server) CommitsCreated() []string { return s.read(&s.effects.commitsCreated) }

// TagsCreated lists annotated tag objects created, as
// "acme/widgets:v1.2.0@<object sha>".
func (s *Server) TagsCreated() []string { return s.read(&s.effects.tagsCreated) }

// StatusesCreated lists commit statuses created, as
// "acme/widgets@<sha>:shipgate=success".
func (s *Server) StatusesCreated() []string { return s.read(&s.effects.statusesCreated) }

// DeploymentStatuses lists deployment statuses created, as
// "acme/widgets:production@v1.2.0:in_progress"; GitHub's own auto_inactive
// statuses end in " (auto)".
func (s *Server) DeploymentStatuses() []string { return s.read(&s.effects.deploymentStatuses) }

// Dispatches lists workflow dispatches, as
// "acme/widgets:deploy.yml@v1.2.0 environment=staging shipgate_id=x"
// (inputs sorted by name).
func (s *Server) Dispatches() []string { return s.read(&s.effects.dispatches) }

// ProtectionRuleReviews lists answers to deployment protection rules, as
// "acme/widgets:run-55:production=approved".
func (s *Server) ProtectionRuleReviews() []string { return s.read(&s.effects.protectionReviews) }

// TokensIssued lists installation tokens issued, as "installation-1".
func (s *Server) TokensIssued() []string { return s.read(&s.effects.tokensIssued) }

// Comments returns the current comments of an issue or pull request,
// oldest first, with their reactions as "login:content".
func (s *Server) Comments(repo string, number int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.repo(repo).comments {
		if c.number == number {
			cc := c.Comment
			cc.Reactions = nil
			for _, r := range c.reactions {
				cc.Reactions = append(cc.Reactions, r.user+":"+r.content)
			}
			out = append(out, cc)
		}
	}
	return out
}

// Labels returns the current labels of an issue or pull request.
func (s *Server) Labels(repo string, number int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is := s.repo(repo).issues[number]; is != nil {
		return slices.Clone(is.Labels)
	}
	return nil
}

// CheckRuns returns the check runs on a commit, oldest first.
func (s *Server) CheckRuns(repo, sha string) []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CheckRun
	for _, cr := range s.repo(repo).checkRuns {
		if cr.HeadSHA == sha {
			c := *cr
			c.Annotations = slices.Clone(cr.Annotations)
			out = append(out, c)
		}
	}
	return out
}

// Statuses returns the commit statuses of a commit, oldest first.
func (s *Server) Statuses(repo, sha string) []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Status
	for _, st := range s.repo(repo).statuses {
		if st.SHA == sha {
			out = append(out, *st)
		}
	}
	return out
}

// Releases returns every release of every repository, in creation order.
func (s *Server) Releases() []Release {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Release
	for _, key := range s.repoKeys() {
		for _, rel := range s.st.repos[key].releases {
			out = append(out, *rel)
		}
	}
	slices.SortStableFunc(out, func(a, b Release) int { return int(a.ID - b.ID) })
	return out
}

// Deployments returns a repository's deployments with their statuses,
// oldest first.
func (s *Server) Deployments(repo string) []Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Deployment
	for _, d := range s.repo(repo).deployments {
		c := *d
		c.Statuses = slices.Clone(d.Statuses)
		out = append(out, c)
	}
	return out
}

// WorkflowRuns returns a repository's workflow runs, oldest first.
func (s *Server) WorkflowRuns(repo string) []WorkflowRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []WorkflowRun
	for _, r := range s.repo(repo).runs {
		out = append(out, *r)
	}
	return out
}

// Ref returns the SHA a ref ("refs/tags/v1.2.0", "heads/main") points
// to, and whether it exists.
func (s *Server) Ref(repo, ref string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sha, ok := s.repo(repo).refs["refs/"+strings.TrimPrefix(ref, "refs/")]
	return sha, ok
}

func (s *Server) repoKeys() []string {
	keys := make([]string, 0, len(s.st.repos))
	for k := range s.st.repos {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
