package mergequeue

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"
	"golang.org/x/sync/errgroup"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// This file judges a merge queue's group, for the bot (jobs.go)
// and the Action alike: which pull requests the group holds, and each one's
// verdict now.
//
// How the pull requests of a group are named, and why. GitHub documents
// the group's head_ref as "the full ref of the merge group", on a branch
// with the prefix gh-readonly-queue/<base>/; the queue names it
// gh-readonly-queue/<base>/pr-<N>-<sha> for the group of pull request N.
// base_sha is documented as "the SHA of the merge group's parent commit":
// for a pull request queued behind others that is the group commit of the
// one ahead, not the base branch, so the commits between base_sha and
// head_sha may hold N's changes only, while the group merges every pull
// request ahead of N as well. Shipgate therefore reads every commit the
// group would bring into the base, GET /repos/{owner}/{repo}/compare/
// {base}...{head_sha}, and names the pull request of each:
//
//   - a commit that is the head of a queue branch gh-readonly-queue/
//     <base>/pr-<M>-… belongs to M: the queue writes those branches and
//     their group commits (merge commits, squash commits, the last rebased
//     commit), and Shipgate takes them as the queue's, as their name says
//     they are read-only to everyone else (GET /repos/{owner}/{repo}/git/
//     matching-refs/heads/gh-readonly-queue/<base>);
//   - any other commit is a pull request's own (the merge method keeps
//     them): GET /repos/{owner}/{repo}/commits/{sha}/pulls, which GitHub
//     documents to list "merged and open pull requests associated with the
//     commit" when it is not on the default branch; every open one into
//     the base is in the group.
//
// Commit messages are not read: the queue writes "Merge pull request #N"
// and "… (#N)", but rebased commits keep their authors' messages, and an
// author could claim another pull request's number in one. A commit that
// neither names is not guessed at: the group fails with the reason (fail
// closed). With the rebase method, the commits before the last one of a
// pull request are named only if GitHub lists their pull request.

// Limits: the pull requests whose commits are looked up at once, and the
// summary GitHub takes in a check run.
const (
	maxParallel = 8
	maxSummary  = 65535
)

// MergeGroup is a merge queue's group as a merge_group event names it.
type MergeGroup struct {
	// HeadSHA is the group's commit, where its verdict is published.
	HeadSHA string `json:"head_sha"`
	// HeadRef is the group's branch, refs/heads/gh-readonly-queue/<base>/
	// pr-<N>-<sha>, N being the last pull request of the group.
	HeadRef string `json:"head_ref"`
	// BaseSHA is the group's parent commit; BaseRef the branch it merges
	// into, refs/heads/<base>.
	BaseSHA string `json:"base_sha"`
	BaseRef string `json:"base_ref"`
}

// Base is the branch the group merges into.
func (g MergeGroup) Base() string { return strings.TrimPrefix(g.BaseRef, "refs/heads/") }

// queueRef is a merge queue branch below refs/heads/gh-readonly-queue/
// <base>/: "pr-<N>-<sha>".
var queueRef = regexp.MustCompile(`^pr-([1-9][0-9]*)-[0-9a-f]{40,64}$`)

// QueuedPR is the pull request whose group HeadRef is, false when HeadRef
// is not a queue branch of the group's base.
func (g MergeGroup) QueuedPR() (int, bool) {
	rest, ok := strings.CutPrefix(g.HeadRef, "refs/heads/gh-readonly-queue/"+g.Base()+"/")
	if !ok || g.Base() == "" || !strings.HasPrefix(g.BaseRef, "refs/heads/") {
		return 0, false
	}
	return queueNumber(rest)
}

// queueNumber reads N from a queue branch's last segment, pr-<N>-<sha>.
func queueNumber(name string) (int, bool) {
	m := queueRef.FindStringSubmatch(name)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// maxGroupCommits caps the commits of one group: a larger group fails
// rather than be judged on part of its commits.
const maxGroupCommits = 250

// unnamed says why the pull requests of a group cannot be named; the
// group then fails with it.
type unnamed string

func (u unnamed) Error() string { return string(u) }

// groupPRs names the pull requests of g (see the comment at the top of
// the file), in number order. The error is an unnamed when they cannot be
// named; any other error is the API's.
func groupPRs(ctx context.Context, s *github.Session, g MergeGroup) ([]int, error) {
	last, ok := g.QueuedPR()
	if !ok {
		return nil, unnamed(fmt.Sprintf("its branch %q is not a merge queue branch of %s", g.HeadRef, g.BaseRef))
	}
	commits, err := groupCommits(ctx, s, g)
	if err != nil {
		return nil, err
	}
	queued, err := queueHeads(ctx, s, g.Base())
	if err != nil {
		return nil, err
	}
	found := map[int]bool{last: true}
	var own []string // commits that are no group commit of the queue
	for _, sha := range commits {
		n, ok := queued[sha]
		switch {
		case ok:
			found[n] = true
		case sha != g.HeadSHA: // the head is last's group commit
			own = append(own, sha)
		}
	}
	owners, err := openPRsOf(ctx, s, g.Base(), own)
	if err != nil {
		return nil, err
	}
	for i, sha := range own {
		if len(owners[i]) == 0 {
			return nil, unnamed(fmt.Sprintf("commit %.7s belongs to no open pull request into %s and heads no merge queue branch", sha, g.Base()))
		}
		for _, n := range owners[i] {
			found[n] = true
		}
	}
	numbers := make([]int, 0, len(found))
	for n := range found {
		numbers = append(numbers, n)
	}
	slices.Sort(numbers)
	return numbers, nil
}

// groupCommits lists the commits the group brings into its base, the
// whole list or an unnamed error: GET /repos/{owner}/{repo}/compare/
// {base}...{head}, page by page.
func groupCommits(ctx context.Context, s *github.Session, g MergeGroup) ([]string, error) {
	opts := gh.ListOptions{PerPage: 100}
	var out []string
	for {
		cmp, resp, err := s.API().Repositories.CompareCommits(ctx, s.Owner(), s.Short(), g.Base(), g.HeadSHA, &opts)
		switch {
		case github.IsNotFound(err):
			return nil, unnamed(fmt.Sprintf("GitHub cannot compare %s with the group's commit %.7s", g.Base(), g.HeadSHA))
		case err != nil:
			return nil, s.Wrap(err, "comparing %s with the merge group %.7s in %s", g.Base(), g.HeadSHA, s.Name())
		case cmp.GetTotalCommits() > maxGroupCommits:
			return nil, unnamed(fmt.Sprintf("it brings %d commits into %s, more than the %d Shipgate reads", cmp.GetTotalCommits(), g.Base(), maxGroupCommits))
		}
		for _, c := range cmp.Commits {
			out = append(out, c.GetSHA())
		}
		if resp == nil || resp.NextPage == 0 || len(cmp.Commits) == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if len(out) == 0 || !slices.Contains(out, g.HeadSHA) {
		return nil, unnamed(fmt.Sprintf("its commit %.7s brings nothing into %s", g.HeadSHA, g.Base()))
	}
	return out, nil
}

// queueHeads maps the head commit of each merge queue branch of base to
// its pull request: GET /repos/{owner}/{repo}/git/matching-refs/
// heads/gh-readonly-queue/{base}.
func queueHeads(ctx context.Context, s *github.Session, base string) (map[string]int, error) {
	refs, err := s.Refs(ctx, "heads/gh-readonly-queue/"+base)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(refs))
	for _, r := range refs {
		// Refs keeps the refs below heads/gh-readonly-queue/<base>/
		// only, so another base whose name starts with base's is left out.
		if n, ok := queueNumber(r.Name); ok {
			out[r.SHA] = n
		}
	}
	return out, nil
}

// openPRsOf lists, for each commit, the open pull requests into base that
// GitHub associates with it, a few commits at once: GET
// /repos/{owner}/{repo}/commits/{commit_sha}/pulls.
func openPRsOf(ctx context.Context, s *github.Session, base string, shas []string) ([][]int, error) {
	out := make([][]int, len(shas))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(maxParallel)
	for i, sha := range shas {
		g.Go(func() error {
			list, _, err := s.API().PullRequests.ListPullRequestsWithCommit(ctx, s.Owner(), s.Short(), sha, &gh.ListOptions{PerPage: 100})
			if err != nil {
				return s.Wrap(err, "finding the pull requests of commit %.7s in %s", sha, s.Name())
			}
			for _, pr := range list {
				if pr.GetState() == "open" && pr.GetBase().GetRef() == base {
					out[i] = append(out[i], pr.GetNumber())
				}
			}
			return nil
		})
	}
	return out, g.Wait()
}

// CheckMergeGroup judges a merge group of repo now, as the bot reports
// it: it names the group's pull requests (from its branch, the queue's
// branches and the commits it brings into its base, see above) and
// evaluates each through CheckPR with o, so that every one is read and
// judged exactly as the bot judges a pull request. The group passes only
// when every pull request passes; a group whose pull requests cannot be
// named or judged fails, with the reason in the report. The error is for
// API failures, which a retry may mend.
func Check(ctx context.Context, a *github.App, installation int64, repo string, g MergeGroup, o github.CheckOptions) (templates.MergeGroupReport, error) {
	rep := templates.MergeGroupReport{Repo: repo, Base: g.Base(), HeadSHA: g.HeadSHA, Conclusion: string(review.Failure)}
	s, err := a.Session(ctx, installation, repo)
	if err != nil {
		return rep, err
	}
	numbers, err := groupPRs(ctx, s, g)
	var why unnamed
	switch {
	case errors.As(err, &why):
		rep.Reason = string(why)
		return rep, nil
	case err != nil:
		return rep, err
	}
	for _, n := range numbers {
		m, err := judgeMember(ctx, a, repo, g.Base(), n, o)
		if err != nil {
			return rep, err
		}
		rep.Members = append(rep.Members, m)
	}
	rep.Conclusion, rep.Reason = groupConclusion(rep.Members)
	return rep, nil
}

// judgeMember evaluates one pull request of a group through CheckPR. What
// keeps it from passing for good (no such pull request, another base, an
// invalid policy) is its failure; an API error is returned.
func judgeMember(ctx context.Context, a *github.App, repo, base string, n int, o github.CheckOptions) (templates.GroupMember, error) {
	res, err := a.CheckPR(ctx, repo, n, o)
	m := templates.GroupMember{Number: n, Conclusion: string(review.Failure)}
	if c := res.Change; c != nil {
		m.Title = c.Title
	}
	switch {
	case github.IsNotFound(err):
		m.Summary = fmt.Sprintf("Shipgate cannot read #%d in %s", n, repo)
	case errors.Is(err, github.ErrNoPolicy):
		m.Conclusion, m.Summary = string(review.Neutral), "No Shipgate policy on "+base
	case len(policies.FieldErrors(err)) > 0:
		m.Summary = fmt.Sprintf("The policy of %s is invalid (%d errors)", base, len(policies.FieldErrors(err)))
	case err != nil:
		return m, fmt.Errorf("judging #%d of the merge group: %w", n, err)
	case res.Change.BaseBranch != base:
		m.Summary = fmt.Sprintf("it targets %s, not the group's base %s", res.Change.BaseBranch, base)
	default:
		rep := templates.Report{Kind: templates.Evaluated, Repo: repo, Number: n, BaseBranch: base, Verdict: res.Verdict}
		m.Conclusion, m.Summary = string(res.Verdict.Conclusion), rep.Title()
	}
	return m, nil
}

// groupConclusion is the group's conclusion from its members': failure
// when one fails, else pending when one waits, else success when all pass,
// neutral when the base has no policy for any of them. Anything else (the
// policy appeared or went while the group was judged) fails, with why.
func groupConclusion(members []templates.GroupMember) (conclusion, reason string) {
	count := map[string]int{}
	for _, m := range members {
		count[m.Conclusion]++
	}
	switch n := len(members); {
	case count[string(review.Failure)] > 0:
		return string(review.Failure), ""
	case count[string(review.Pending)] > 0 && count[string(review.Pending)]+count[string(review.Success)] == n:
		return string(review.Pending), ""
	case count[string(review.Success)] == n:
		return string(review.Success), ""
	case count[string(review.Neutral)] == n:
		return string(review.Neutral), ""
	}
	return string(review.Failure), "the policy of the base changed while the group was judged"
}

// PublishMergeGroup creates the check run `shipgate: <base>` on a merge
// group's commit, reporting rep (installation may be 0): POST
// /repos/{owner}/{repo}/check-runs. A pending group is an in-progress run.
func Publish(ctx context.Context, a *github.App, installation int64, repo string, g MergeGroup, rep templates.MergeGroupReport) error {
	summary, err := templates.String(templates.MergeGroupSummary, rep)
	if err != nil {
		return err
	}
	s, err := a.Session(ctx, installation, repo)
	if err != nil {
		return err
	}
	opts := gh.CreateCheckRunOptions{
		Name: review.CheckName(g.Base()), HeadSHA: g.HeadSHA, ExternalID: gh.String("github:" + repo + "@merge_group/" + g.HeadSHA),
		Status: gh.String("in_progress"),
		Output: &gh.CheckRunOutput{Title: gh.String(review.Truncate(rep.Title(), 250)), Summary: gh.String(review.Truncate(summary, maxSummary))},
	}
	if rep.Conclusion != string(review.Pending) {
		opts.Status, opts.Conclusion = gh.String("completed"), gh.String(rep.Conclusion)
		opts.CompletedAt = &gh.Timestamp{Time: a.Now().UTC().Truncate(time.Second)}
	}
	if _, _, err := s.API().Checks.CreateCheckRun(ctx, s.Owner(), s.Short(), opts); err != nil {
		return s.Wrap(err, "creating the check run of the merge group %.7s in %s", g.HeadSHA, s.Name())
	}
	return nil
}
