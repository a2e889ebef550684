package deployments

import (
	"context"
	"fmt"
	"slices"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot/gitlab"
	"github.com/shipgate/shipgate/policies"
)

// IsTeamMember implements deploy.Teams for `@group/subgroup` approvers:
// whether login is a member of the group, inherited membership included
// (gitlab.GroupMembers).
func (g *GitLab) IsTeamMember(ctx context.Context, group, login string) (bool, error) {
	members, err := gitlab.GroupMembers(ctx, g.gl, group)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(members, func(m string) bool { return policies.SameLogin(m, login) }), nil
}

// LoginEmails implements deploy.Emails: the public e-mail of the user's
// profile, which GitLab lets a user pick only among their verified
// addresses (GET /users?username=, then GET /users/:id). Commit addresses
// prove nothing (anyone can write any address into a commit) and are not
// read.
func (g *GitLab) LoginEmails(ctx context.Context, _ string, login string) ([]string, error) {
	users, _, err := g.gl.Users.ListUsers(&gl.ListUsersOptions{Username: gl.Ptr(login)}, gl.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("finding the user %s: %w", login, err)
	}
	for _, u := range users {
		if !policies.SameLogin(u.Username, login) {
			continue
		}
		full, _, err := g.gl.Users.GetUser(u.ID, gl.GetUsersOptions{}, gl.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("reading the profile of %s: %w", login, err)
		}
		if e := strings.ToLower(strings.TrimSpace(full.PublicEmail)); e != "" {
			return []string{e}, nil
		}
	}
	return nil, nil
}
