package github

import (
	"context"
	"fmt"

	"github.com/shipgate/shipgate/policies"
)

// CheckLive evaluates a live pull request the way the bot does, and
// publishes nothing: it reads the PR (GET /repos/{owner}/{repo}/pulls/
// {pull_number}), the policy from its base branch, and the facts the
// policy needs, builds the Change and evaluates it at Config.Now. It is
// what `shipgate check --repo OWNER/NAME --pr N` runs with a token.
//
// The error is ErrNoPolicy when the base branch has no policy, and wraps
// the policy's *policies.FieldError list (policies.FieldErrors) when it is
// invalid; the Change is returned whenever the PR could be read.
func (a *App) CheckLive(ctx context.Context, repo string, number int) (policies.Verdict, *policies.Change, error) {
	s, err := a.session(ctx, 0, repo)
	if err != nil {
		return policies.Verdict{}, nil, err
	}
	pr, err := s.getPR(ctx, number)
	if err != nil {
		return policies.Verdict{}, nil, err
	}
	lp, err := s.loadPolicy(ctx, pr.GetBase().GetRef())
	switch {
	case err != nil:
		return policies.Verdict{}, BuildChange(ChangeInput{PR: pr}), err
	case lp.Missing:
		return policies.Verdict{}, BuildChange(ChangeInput{PR: pr}), fmt.Errorf("%s#%d: %w %s", repo, number, ErrNoPolicy, pr.GetBase().GetRef())
	case lp.Invalid != nil:
		return policies.Verdict{}, BuildChange(ChangeInput{PR: pr}), fmt.Errorf("the policy of %s on %s is invalid: %w", repo, pr.GetBase().GetRef(), lp.Invalid)
	}
	in, err := s.facts(ctx, pr, lp.Policy, known{})
	if err != nil {
		return policies.Verdict{}, BuildChange(ChangeInput{PR: pr}), err
	}
	c := BuildChange(in)
	return policies.Evaluate(lp.Policy, c, a.cfg.Now()), c, nil
}
