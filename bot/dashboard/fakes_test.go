package dashboard

import "github.com/shipgate/shipgate/internal/fakegithub"

func fakegithubRepo(name string, private bool) fakegithub.Repo {
	return fakegithub.Repo{FullName: name, Private: private}
}
