package github

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	gh "github.com/google/go-github/v62/github"
	"golang.org/x/sync/errgroup"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/policies"
)

// ErrNoPolicy is returned by CheckLive when the PR's base branch has no
// policy file.
var ErrNoPolicy = gate.ErrNoPolicy

// What is read of one PR. GitHub itself lists at most 3000 files and 250
// commits of a PR; the other lists are read whole, up to a bound that no
// real PR reaches, past which the rules that need them wait (Incomplete)
// rather than judge on a part.
const (
	maxFiles    = 3000
	maxCommits  = 250
	maxListed   = 10_000 // reviews, comments, check runs, statuses
	maxParallel = 8      // concurrent requests of one evaluation
)

// Session reads one repository with one client, for one unit of work
// (App.Session). It remembers the permissions it read, so that a command
// and the evaluation that follows it ask once. It is the gate.Repo of a
// pull request's batch; the adapter's other packages make their own calls
// through API, Owner, Short and Wrap.
type Session struct {
	a           *App
	gh          *gh.Client
	repo        string // "owner/name"
	owner, name string

	mu    sync.Mutex
	perms map[string]policies.Permission // by lower-cased login
}

// API is the session's go-github client; Owner and Short name the
// repository's owner and its name without the owner.
func (s *Session) API() *gh.Client { return s.gh }
func (s *Session) Owner() string   { return s.owner }
func (s *Session) Short() string   { return s.name }

// App is the client the session was opened on.
func (s *Session) App() *App { return s.a }

// Wrap names what was being done (see wrap).
func (s *Session) Wrap(err error, format string, args ...any) error {
	return s.wrap(err, format, args...)
}

// Session opens a session on repo ("owner/name") with the client of an App
// installation (0: found from the repository).
func (a *App) Session(ctx context.Context, installation int64, repo string) (*Session, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	c, err := a.client(ctx, installation, repo)
	if err != nil {
		return nil, err
	}
	return &Session{a: a, gh: c, repo: repo, owner: owner, name: name, perms: map[string]policies.Permission{}}, nil
}

// wrap names what was being done. The URL of a transport failure is left
// out: the retrier's message names the route. Retries are classified once,
// on the job's error (App.Classify).
func (s *Session) wrap(err error, format string, args ...any) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
}

// getPR reads a pull request: GET /repos/{owner}/{repo}/pulls/{pull_number}.
func (s *Session) getPR(ctx context.Context, number int) (*gh.PullRequest, error) {
	pr, _, err := s.gh.PullRequests.Get(ctx, s.owner, s.name, number)
	if err != nil {
		return nil, s.wrap(err, "reading %s#%d", s.repo, number)
	}
	return pr, nil
}

// readFile reads a file at a ref: GET /repos/{owner}/{repo}/contents/{path}.
// found is false for a 404.
func (s *Session) readFile(ctx context.Context, path, ref string) (content []byte, sha string, found bool, err error) {
	fc, _, _, err := s.gh.Repositories.GetContents(ctx, s.owner, s.name, path, &gh.RepositoryContentGetOptions{Ref: ref})
	switch {
	case isNotFound(err):
		return nil, "", false, nil
	case err != nil:
		return nil, "", false, s.wrap(err, "reading %s at %s", path, ref)
	case fc == nil:
		return nil, "", false, nil // a directory
	}
	text, err := fc.GetContent()
	if err != nil {
		return nil, "", false, fmt.Errorf("decoding %s at %s: %w", path, ref, err)
	}
	return []byte(text), fc.GetSHA(), true, nil
}

// facts fetches what the policy needs beyond the pull request and what
// the caller knows, concurrently and page by page, into a ChangeInput. A
// list read in part (a host cap, the bound maxListed) is named in
// Incomplete.
func (s *Session) facts(ctx context.Context, pr gate.Snapshot, p *policies.Policy, k gate.Known) (ChangeInput, error) {
	need := p.Needs()
	in := ChangeInput{Incomplete: map[policies.Facts]string{}}
	var mu sync.Mutex
	partial := func(f policies.Facts, why string) {
		mu.Lock()
		in.Incomplete[f] = why
		mu.Unlock()
	}
	g, ctx := errgroup.WithContext(ctx)
	if need.Has(policies.NeedReviews) && k.Reviews == nil {
		g.Go(func() error { return s.readReviews(ctx, pr.Number, &in, partial) })
	}
	if need.Has(policies.NeedComments) && k.Comments == nil {
		g.Go(func() (err error) {
			var cut bool
			in.Comments, cut, err = s.listComments(ctx, pr.Number)
			if cut {
				partial(policies.NeedComments, fmt.Sprintf("it has over %d comments", maxListed))
			}
			return err
		})
	}
	if need.Has(policies.NeedFiles) || need.Has(policies.NeedHeads) {
		g.Go(func() error { return s.readFiles(ctx, pr, &in, partial) })
	}
	if need.Has(policies.NeedCommits) || dismissesStale(p) && k.PushedAt.IsZero() {
		g.Go(func() error { return s.readCommits(ctx, pr, &in, partial) })
	}
	if need.Has(policies.NeedChecks) {
		g.Go(func() error { return s.readChecks(ctx, pr.HeadSHA, &in, partial) })
	}
	if need.Has(policies.NeedLabelEvents) && p.Hotfix != nil && hasLabel(pr.Labels, p.Hotfix.Label) {
		g.Go(func() (err error) {
			in.LabelEvents, _, err = listAll(maxListed, func(o gh.ListOptions) ([]*gh.IssueEvent, *gh.Response, error) {
				return s.gh.Issues.ListIssueEvents(ctx, s.owner, s.name, pr.Number, &o)
			})
			return s.wrapIf(err, "reading the label events of %s#%d", s.repo, pr.Number)
		})
	}
	if need.Has(policies.NeedTeams) {
		g.Go(func() (err error) {
			in.Teams, err = s.teams(ctx, p.Teams())
			return err
		})
	}
	if need.Has(policies.NeedCodeOwners) {
		g.Go(func() (err error) {
			in.CodeOwners, err = s.codeOwners(ctx, pr.Base)
			return err
		})
	}
	return in, g.Wait()
}

// readReviews lists a PR's reviews: GET /repos/{owner}/{repo}/pulls/{n}/reviews.
func (s *Session) readReviews(ctx context.Context, n int, in *ChangeInput, partial func(policies.Facts, string)) error {
	reviews, cut, err := listAll(maxListed, func(o gh.ListOptions) ([]*gh.PullRequestReview, *gh.Response, error) {
		return s.gh.PullRequests.ListReviews(ctx, s.owner, s.name, n, &o)
	})
	in.Reviews = reviews
	if cut {
		partial(policies.NeedReviews, fmt.Sprintf("it has over %d reviews", maxListed))
	}
	return s.wrapIf(err, "reading reviews of %s#%d", s.repo, n)
}

// readFiles lists a PR's files, checked against its changed_files:
// GET /repos/{owner}/{repo}/pulls/{n}/files.
func (s *Session) readFiles(ctx context.Context, pr gate.Snapshot, in *ChangeInput, partial func(policies.Facts, string)) (err error) {
	in.Files, err = readCapped(maxFiles, pr.ChangedFiles, "files of a pull request, and this one changes", func(o gh.ListOptions) ([]*gh.CommitFile, *gh.Response, error) {
		return s.gh.PullRequests.ListFiles(ctx, s.owner, s.name, pr.Number, &o)
	}, func(why string) { partial(policies.NeedFiles, why) })
	return s.wrapIf(err, "reading files of %s#%d", s.repo, pr.Number)
}

// readCommits lists a PR's commits, checked against its commit count:
// GET /repos/{owner}/{repo}/pulls/{n}/commits.
func (s *Session) readCommits(ctx context.Context, pr gate.Snapshot, in *ChangeInput, partial func(policies.Facts, string)) (err error) {
	in.Commits, err = readCapped(maxCommits, pr.Commits, "commits of a pull request, and this one has", func(o gh.ListOptions) ([]*gh.RepositoryCommit, *gh.Response, error) {
		return s.gh.PullRequests.ListCommits(ctx, s.owner, s.name, pr.Number, &o)
	}, func(why string) { partial(policies.NeedCommits, why) })
	return s.wrapIf(err, "reading commits of %s#%d", s.repo, pr.Number)
}

// readCapped reads a list GitHub caps at max items, and tells partial why
// when it holds fewer than total, the count the PR reports (0: unknown,
// when a full list is taken as cut).
func readCapped[T any](max, total int, what string, list func(gh.ListOptions) ([]T, *gh.Response, error), partial func(why string)) ([]T, error) {
	items, cut, err := listAll(max, list)
	switch {
	case err != nil:
		return nil, err
	case total > len(items):
		partial(fmt.Sprintf("GitHub lists at most %d %s %d", max, what, total))
	case cut || total == 0 && len(items) >= max:
		partial(fmt.Sprintf("GitHub lists at most %d %s more", max, what))
	}
	return items, nil
}

// readChecks lists the check runs and commit statuses of head:
// GET /repos/{owner}/{repo}/commits/{ref}/check-runs and …/statuses.
func (s *Session) readChecks(ctx context.Context, head string, in *ChangeInput, partial func(policies.Facts, string)) error {
	runs, cutRuns, err := listAll(maxListed, func(o gh.ListOptions) ([]*gh.CheckRun, *gh.Response, error) {
		res, resp, err := s.gh.Checks.ListCheckRunsForRef(ctx, s.owner, s.name, head, &gh.ListCheckRunsOptions{ListOptions: o})
		if err != nil {
			return nil, resp, err
		}
		return res.CheckRuns, resp, nil
	})
	if err != nil {
		return s.wrap(err, "reading check runs of %s@%s", s.repo, head)
	}
	statuses, cutStatuses, err := listAll(maxListed, func(o gh.ListOptions) ([]*gh.RepoStatus, *gh.Response, error) {
		return s.gh.Repositories.ListStatuses(ctx, s.owner, s.name, head, &o)
	})
	if err != nil {
		return s.wrap(err, "reading commit statuses of %s@%s", s.repo, head)
	}
	in.CheckRuns, in.Statuses = runs, statuses
	if cutRuns || cutStatuses {
		partial(policies.NeedChecks, fmt.Sprintf("its head has over %d check runs or statuses", maxListed))
	}
	return nil
}

func (s *Session) wrapIf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return s.wrap(err, format, args...)
}

// listComments is comments, telling whether the list was cut at maxListed.
func (s *Session) listComments(ctx context.Context, n int) ([]*gh.IssueComment, bool, error) {
	cs, cut, err := listAll(maxListed, func(o gh.ListOptions) ([]*gh.IssueComment, *gh.Response, error) {
		return s.gh.Issues.ListComments(ctx, s.owner, s.name, n, &gh.IssueListCommentsOptions{ListOptions: o})
	})
	return cs, cut, s.wrapIf(err, "reading comments of %s#%d", s.repo, n)
}

// dismissesStale reports whether an approval rule counts approvals only
// for the SHA they approved: commands then need the time of the last push,
// which the head commit's date stands in for when the caller does not know
// it.
func dismissesStale(p *policies.Policy) bool {
	dismiss := false
	check := func(r *policies.ApprovalRule) { dismiss = dismiss || r.DismissStale }
	for i := range p.Approvals {
		p.Approvals[i].Walk(check)
	}
	if p.Hotfix != nil && p.Hotfix.Approval != nil {
		p.Hotfix.Approval.Walk(check)
	}
	return dismiss
}

// permissionLevel is GitHub's answer on a collaborator's permission. Its
// permission field has the old four levels (maintain shows as write,
// triage as read); role_name and user.permissions have the exact role.
type permissionLevel struct {
	Permission string `json:"permission"`
	RoleName   string `json:"role_name"`
	User       *struct {
		Permissions map[string]bool `json:"permissions"`
	} `json:"user"`
}

// role is the exact repository role of a permission answer.
func (pl permissionLevel) role() policies.Permission {
	if p, ok := policies.ParsePermission(pl.RoleName); ok {
		return p
	}
	if pl.User != nil {
		// Custom roles have their own names; their base role shows here.
		for _, k := range []struct {
			key  string
			perm policies.Permission
		}{{"admin", policies.PermAdmin}, {"maintain", policies.PermMaintain}, {"push", policies.PermWrite}, {"triage", policies.PermTriage}, {"pull", policies.PermRead}} {
			if pl.User.Permissions[k.key] {
				return k.perm
			}
		}
	}
	p, _ := policies.ParsePermission(pl.Permission)
	return p
}

// permission reads one login's role, once per session: GET
// /repos/{owner}/{repo}/collaborators/{username}/permission, conditional.
// Someone GitHub does not know has none.
func (s *Session) permission(ctx context.Context, login string) (policies.Permission, error) {
	key := strings.ToLower(login)
	s.mu.Lock()
	p, ok := s.perms[key]
	s.mu.Unlock()
	if ok {
		return p, nil
	}
	u := fmt.Sprintf("repos/%s/%s/collaborators/%s/permission", url.PathEscape(s.owner), url.PathEscape(s.name), url.PathEscape(login))
	req, err := s.gh.NewRequest("GET", u, nil)
	if err != nil {
		return 0, err
	}
	var pl permissionLevel
	_, err = s.gh.Do(ctx, req, &pl)
	switch {
	case isNotFound(err):
		p = policies.PermNone
	case err != nil:
		return 0, s.wrap(err, "reading the permission of %s on %s", login, s.repo)
	default:
		p = pl.role()
	}
	s.mu.Lock()
	s.perms[key] = p
	s.mu.Unlock()
	return p, nil
}

// teams lists the members of each team ("org/slug"): GET
// /orgs/{org}/teams/{team_slug}/members, conditional. A team that does
// not exist, or that the credentials cannot see, is left out: nobody
// approves through it, and a `when` that asks about it waits (its
// members are not known), as on GitLab.
func (s *Session) teams(ctx context.Context, teams []string) (policies.TeamMap, error) {
	out := policies.TeamMap{}
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(maxParallel)
	for _, team := range teams {
		g.Go(func() error {
			org, slug, _ := strings.Cut(team, "/")
			members, _, err := listAll(maxListed*10, func(o gh.ListOptions) ([]*gh.User, *gh.Response, error) {
				return s.gh.Teams.ListTeamMembersBySlug(ctx, org, slug, &gh.TeamListTeamMembersOptions{ListOptions: o})
			})
			if isNotFound(err) {
				return nil
			}
			if err != nil {
				return s.wrap(err, "reading the members of @%s", team)
			}
			logins := make([]string, 0, len(members))
			for _, m := range members {
				logins = append(logins, m.GetLogin())
			}
			mu.Lock()
			out[team] = logins
			mu.Unlock()
			return nil
		})
	}
	return out, g.Wait()
}

// codeOwners reads and parses the base branch's CODEOWNERS; nil when there
// is none.
func (s *Session) codeOwners(ctx context.Context, branch string) (*policies.CodeOwners, error) {
	// Where GitHub looks for the file, in its order.
	for _, path := range []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"} {
		content, _, found, err := s.readFile(ctx, path, branch)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		co, err := policies.ParseCodeOwners(content)
		if err != nil {
			return nil, fmt.Errorf("parsing %s of %s at %s: %w", path, s.repo, branch, err)
		}
		return co, nil
	}
	return nil, nil
}

// listAll reads every page of a list, 100 at a time, up to max items;
// cut tells that more pages were left unread.
func listAll[T any](max int, list func(gh.ListOptions) ([]T, *gh.Response, error)) (items []T, cut bool, err error) {
	opts := gh.ListOptions{PerPage: 100}
	all := []T{}
	for {
		page, resp, err := list(opts)
		if err != nil {
			return nil, false, err
		}
		all = append(all, page...)
		more := resp != nil && resp.NextPage != 0
		if !more || len(all) >= max {
			return all, more, nil
		}
		opts.Page = resp.NextPage
	}
}
