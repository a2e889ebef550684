package testbed

import "github.com/shipgate/shipgate/internal/fakegitlab"

// FileCommitter is a Host that can add a commit with the files it
// changed, which the host's API then lists (a monorepo's components pick
// their commits by them).
type FileCommitter interface {
	// CommitFiles adds a commit on main's linear history, as Commit does,
	// that changed files.
	CommitFiles(sha, message, author string, files ...string)
	// SetCommitFiles sets the files of a commit of main's history (a
	// merged change's).
	SetCommitFiles(sha string, files ...string)
}

var (
	_ FileCommitter = (*gitHubHost)(nil)
	_ FileCommitter = (*gitLabHost)(nil)
)

func (g *gitHubHost) CommitFiles(sha, message, author string, files ...string) {
	g.Commit(sha, message, author)
	g.Fake.SetCommitFiles(GitHubRepo, g.main, files)
}

func (g *gitLabHost) CommitFiles(sha, message, author string, files ...string) {
	g.Fake.Do(func() {
		g.Project.History = append(g.Project.History, fakegitlab.Commit{SHA: sha, Message: message, AuthorName: author, At: g.Clock.Now(), Files: files})
		g.Project.Branches["main"] = sha
	})
}

func (g *gitHubHost) SetCommitFiles(sha string, files ...string) {
	g.Fake.SetCommitFiles(GitHubRepo, sha, files)
}

func (g *gitLabHost) SetCommitFiles(sha string, files ...string) {
	g.Fake.Do(func() {
		for i := range g.Project.History {
			if g.Project.History[i].SHA == sha {
				g.Project.History[i].Files = files
			}
		}
	})
}
