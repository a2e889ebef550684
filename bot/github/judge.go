package github

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// changeOf builds the Change of pr under p as the bot judges it: the facts
// the policy needs (beyond what k holds), Shipgate's own comments marked as
// a bot's, and, with a store, the commands as their comments were written
// (review.AsWritten) and the heads the PR had with their content, the
// current one recorded first, seen since k.HeadPushedAt (now when zero).
func (s *session) changeOf(ctx context.Context, pr *gh.PullRequest, p *policies.Policy, k known) (ChangeInput, *policies.Change, error) {
	in, err := s.facts(ctx, pr, p, k)
	if err != nil {
		return in, nil, err
	}
	in.Self = s.a.knownSelf()
	st := s.a.cfg.Store
	if st != nil && p.Needs().Has(policies.NeedHeads) {
		if in.Heads, err = s.heads(ctx, pr, in, k.HeadPushedAt); err != nil {
			return in, nil, err
		}
	}
	c := BuildChange(in)
	if !k.HeadPushedAt.IsZero() {
		c.HeadPushedAt = k.HeadPushedAt
	}
	if st != nil {
		records, err := st.CommandsOf(ctx, policies.GitHub, s.repo, pr.GetNumber())
		if err != nil {
			return in, nil, err
		}
		c.Comments = review.AsWritten(c.Comments, records)
	}
	return in, c, nil
}

// heads records the PR's current head with the digest of its files, then
// reads every head the PR had.
func (s *session) heads(ctx context.Context, pr *gh.PullRequest, in ChangeInput, pushedAt time.Time) ([]policies.Head, error) {
	st, n := s.a.cfg.Store, pr.GetNumber()
	since := pushedAt
	for _, rc := range in.Commits {
		if since.IsZero() && rc.GetSHA() == pr.GetHead().GetSHA() {
			since = rc.GetCommit().GetCommitter().GetDate().Time // the best sign of the push offline
		}
	}
	if since.IsZero() {
		since = s.a.cfg.Now()
	}
	h := store.Head{SHA: pr.GetHead().GetSHA(), Content: contentDigest(in), Since: since}
	return review.Heads(ctx, st, policies.GitHub, s.repo, n, h)
}

// contentDigest digests what a PR changes: each file's path, status,
// previous path and blob. Two heads with the same digest change the same
// files to the same content, whatever commits lie between them (a merge of
// the base branch in that touched none of the PR's files). "" when the
// files were not read whole, or none were listed: such a head matches no
// other.
func contentDigest(in ChangeInput) string {
	if len(in.Files) == 0 {
		return ""
	}
	if _, cut := in.Incomplete[policies.NeedFiles]; cut {
		return ""
	}
	lines := make([]string, 0, len(in.Files))
	for _, f := range in.Files {
		lines = append(lines, strings.Join([]string{f.GetFilename(), f.GetStatus(), f.GetPreviousFilename(), f.GetSHA()}, "\x00"))
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:16])
}

// knownSelf is Shipgate's own login when Identify has learnt it, else ""
// (the Action and the CLI, whose token may not read it).
func (a *App) knownSelf() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.botLogin
}
