package github

import (
	"context"
	"strings"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/policies"
)

// DefaultPolicyPath is the organisation default's file in OWNER/.github,
// read when a repository has no policy of its own and
// SHIPGATE_DEFAULT_POLICY is not set.
const DefaultPolicyPath = "shipgate.yml"

var _ gate.BaseReader = (*Session)(nil)

// OpenRepo opens repo with the session's own client: a base policy is
// read with the rights of the repository's installation (or token), so a
// base it cannot see is missing, never read with someone else's rights.
func (s *Session) OpenRepo(_ context.Context, repo string) (gate.Repo, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	return &Session{a: s.a, gh: s.gh, repo: repo, owner: owner, name: name, perms: map[string]policies.Permission{}}, nil
}

// DefaultPolicy is Config.DefaultPolicy when set, else the convention:
// OWNER/.github:shipgate.yml on its default branch.
func (s *Session) DefaultPolicy() (policies.Source, bool, bool) {
	if src := s.a.cfg.DefaultPolicy; src.Repo != "" {
		return src, true, true
	}
	if strings.EqualFold(s.name, ".github") {
		return policies.Source{}, false, false // the convention's own repository
	}
	return policies.Source{Repo: s.owner + "/.github", Path: DefaultPolicyPath}, false, true
}
