package deployments

import (
	"context"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/policies"
)

// maxVouchingCommits bounds the commits read for verified addresses.
const maxVouchingCommits = 30

// LoginEmails implements deploy.Emails: the addresses GitHub vouches for
// as login's, by which the orchestrator finds its Slack user. They are the
// public address of its profile (GET /users/{username}; GitHub shows only a
// verified address there) and the author addresses of its newest commits
// in repo that GitHub verified (GET /repos/{owner}/{repo}/commits?author=
// login): a signature GitHub verified is by a key of the account, over an
// address verified for it. Unverified commits prove nothing: anyone can
// write any address into a commit. GitHub's noreply addresses are left
// out.
func (g *GitHub) LoginEmails(ctx context.Context, repo, login string) ([]string, error) {
	s, err := g.app.Session(ctx, 0, repo)
	if err != nil {
		return nil, err
	}
	u, _, err := s.API().Users.Get(ctx, login)
	if github.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, s.Wrap(err, "reading the profile of %s", login)
	}
	var out []string
	add := func(e string) {
		e = strings.ToLower(strings.TrimSpace(e))
		if e != "" && !strings.HasSuffix(e, "@users.noreply.github.com") && !containsFold(out, e) {
			out = append(out, e)
		}
	}
	add(u.GetEmail())
	commits, _, err := s.API().Repositories.ListCommits(ctx, s.Owner(), s.Short(), &gh.CommitsListOptions{Author: login, ListOptions: gh.ListOptions{PerPage: maxVouchingCommits}})
	if err != nil && !github.IsNotFound(err) {
		return nil, s.Wrap(err, "reading the commits of %s in %s", login, repo)
	}
	for _, c := range commits {
		if c.GetCommit().GetVerification().GetVerified() && policies.SameLogin(c.GetAuthor().GetLogin(), login) {
			add(c.GetCommit().GetAuthor().GetEmail())
		}
	}
	return out, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
