package gitlab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"
	"golang.org/x/sync/errgroup"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
)

// codeOwnersPaths are where GitLab looks for CODEOWNERS, in its order.
func codeOwnersPaths() []string {
	return []string{"CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"}
}

// Facts reads what p needs of the merge request, concurrently, and builds
// its Change. Notes are always read (their system notes time approvals
// and name pushers), so k's comments and reviews are not used.
func (p *project) Facts(ctx context.Context, snap gate.Snapshot, pol *policies.Policy, _ gate.Known) (gate.Facts, error) {
	needs := pol.Needs()
	in := ChangeInput{Change: snap, Repo: p.path, IsBot: p.a.isBot}
	iid := int64(snap.Number)
	g, gctx := errgroup.WithContext(ctx)
	if needs.Has(policies.NeedReviews) {
		g.Go(func() (err error) {
			// GET /projects/:id/merge_requests/:iid/approvals
			in.Approvals, _, err = p.a.gl.MergeRequests.GetMergeRequestApprovals(p.pid, iid, gl.WithContext(gctx))
			return wrapIf(err, "reading the approvals of %s", p.ref(snap.Number))
		})
	}
	g.Go(func() (err error) {
		in.Notes, err = p.notes(gctx, snap.Number)
		return err
	})
	if needs.Has(policies.NeedLabelEvents) && pol.Hotfix != nil && review.HasLabel(snap.Labels, pol.Hotfix.Label) {
		g.Go(func() (err error) {
			in.LabelEvents, err = listPages(func(o gl.ListOptions) ([]*gl.LabelEvent, *gl.Response, error) {
				// GET /projects/:id/merge_requests/:iid/resource_label_events
				return p.a.gl.ResourceLabelEvents.ListMergeRequestsLabelEvents(p.pid, iid, &gl.ListLabelEventsOptions{ListOptions: o}, gl.WithContext(gctx))
			})
			return wrapIf(err, "reading the label events of %s", p.ref(snap.Number))
		})
	}
	if needs.Has(policies.NeedFiles) || needs.Has(policies.NeedHeads) {
		g.Go(func() (err error) {
			in.Diffs, err = listPages(func(o gl.ListOptions) ([]*gl.MergeRequestDiff, *gl.Response, error) {
				return p.a.gl.MergeRequests.ListMergeRequestDiffs(p.pid, iid, &gl.ListMergeRequestDiffsOptions{ListOptions: o}, gl.WithContext(gctx))
			})
			return wrapIf(err, "reading the changed files of %s", p.ref(snap.Number))
		})
	}
	if needs.Has(policies.NeedCommits) {
		g.Go(func() (err error) {
			in.Commits, err = p.mrCommits(gctx, iid)
			return err
		})
	}
	if needs.Has(policies.NeedChecks) {
		g.Go(func() (err error) {
			// GET /projects/:id/repository/commits/:sha/statuses
			in.Statuses, _, err = p.a.gl.Commits.GetCommitStatuses(p.pid, snap.HeadSHA, &gl.GetCommitStatusesOptions{All: gl.Ptr(true)}, gl.WithContext(gctx))
			return wrapIf(err, "reading the statuses of %.7s on %s", snap.HeadSHA, p.ref(snap.Number))
		})
	}
	if needs.Has(policies.NeedTeams) {
		g.Go(func() (err error) {
			in.Teams, err = p.a.groups(gctx, pol.Teams())
			return err
		})
	}
	if needs.Has(policies.NeedCodeOwners) {
		g.Go(func() (err error) {
			in.CodeOwners, err = p.codeOwners(gctx, snap.Base)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return gate.Facts{}, err
	}
	return gate.Facts{Change: BuildChange(in), Content: diffDigest(in.Diffs)}, nil
}

// listPages reads every page of a list, 100 at a time.
func listPages[T any](list func(gl.ListOptions) ([]T, *gl.Response, error)) ([]T, error) {
	opt := gl.ListOptions{PerPage: 100}
	out := []T{}
	for {
		page, resp, err := list(opt)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if resp == nil || resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

func wrapIf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
}

// diffDigest digests what an MR changes: each file's paths, flags and diff.
// Two heads with the same digest change the same files the same way. ""
// when nothing was listed: such a head matches no other.
func diffDigest(diffs []*gl.MergeRequestDiff) string {
	if len(diffs) == 0 {
		return ""
	}
	lines := make([]string, 0, len(diffs))
	for _, d := range diffs {
		sum := sha256.Sum256([]byte(d.Diff))
		lines = append(lines, fmt.Sprintf("%s\x00%s\x00%t%t%t\x00%x", d.OldPath, d.NewPath, d.NewFile, d.RenamedFile, d.DeletedFile, sum[:8]))
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:16])
}

// groups reads the members of the groups a policy names as `@group/sub`
// entries, inherited ones included: GET /groups/:id/members/all. A group
// that does not exist (or the token cannot see) has no members.
func (a *App) groups(ctx context.Context, paths []string) (policies.TeamMap, error) {
	teams := policies.TeamMap{}
	for _, path := range paths {
		members, err := GroupMembers(ctx, a.gl, path)
		if err != nil {
			return nil, err
		}
		if len(members) > 0 {
			teams[path] = members
		}
	}
	return teams, nil
}

// GroupMembers lists the usernames of a group's members, inherited ones
// included, every page of GET /groups/:id/members/all; none for a group
// GitLab does not show.
func GroupMembers(ctx context.Context, c *gl.Client, path string) ([]string, error) {
	var out []string
	opt := &gl.ListGroupMembersOptions{ListOptions: gl.ListOptions{PerPage: 100}}
	for {
		members, resp, err := c.Groups.ListAllGroupMembers(path, opt, gl.WithContext(ctx))
		if IsNotFound(resp, err) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the members of the group %s: %w", path, err)
		}
		for _, m := range members {
			out = append(out, m.Username)
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// codeOwners reads the target branch's CODEOWNERS, nil when there is none.
func (p *project) codeOwners(ctx context.Context, branch string) (*policies.CodeOwners, error) {
	for _, path := range codeOwnersPaths() {
		data, _, found, err := p.ReadFile(ctx, path, branch)
		switch {
		case err != nil:
			return nil, err
		case !found:
			continue
		}
		co, err := policies.ParseCodeOwners(data)
		if err != nil {
			return nil, fmt.Errorf("parsing %s of %s: %w", path, p.path, err)
		}
		return co, nil
	}
	return nil, nil
}
