package gitlab

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/rs/zerolog"
	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
	"github.com/shipgate/shipgate/templates"
)

// maxTagProbes caps the version tags tried, highest first, to find the
// one a new tag follows.
const maxTagProbes = 20

// processTag validates a pushed tag with the default branch's policy,
// releases it when the policy asks (tags.release), and reports it: the
// audit entry, then the commit status TagStatusName on the tagged commit;
// a validated tag then starts its release's deployments (once per
// environment and version: a second delivery starts nothing). A project
// without a policy is left alone: it has not opted in.
func (a *App) processTag(ctx context.Context, e Event) error {
	log := zerolog.Ctx(ctx).With().Str("tag", e.Tag).Str(bot.FieldSHA, e.SHA).Logger()
	ctx = log.WithContext(ctx)
	branch := e.DefaultBranch
	if branch == "" {
		// GET /projects/:id
		p, _, err := a.gl.Projects.GetProject(e.ProjectID, nil, gl.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("reading %s: %w", e.Repo, err)
		}
		branch = p.DefaultBranch
	}
	lp, err := gate.LoadPolicy(ctx, a.project(e.Repo, e.ProjectID), review.PolicyFile, branch)
	if err != nil {
		return err
	}
	if lp.Missing {
		log.Info().Str("branch", branch).Msg("no policy on the default branch: tag not checked")
		return nil
	}
	r := review.TagReport{Tag: e.Tag, SHA: e.SHA}
	if lp.Invalid != nil {
		r.PolicyError = fmt.Sprintf("the policy %s on %s is invalid: fix it, then delete and push the tag again", review.PolicyFile, branch)
		return a.reportTag(ctx, e, r)
	}
	st := lp.Policy.Release
	check, prev, err := a.tagCheck(ctx, e, st, branch)
	if err != nil {
		return err
	}
	r.Problems = release.ValidateTag(st, check)
	if r.Valid() {
		if e, r.Refused, err = a.confirmPusher(ctx, e); err != nil {
			return err
		}
	}
	if r.Valid() {
		if r.Refused, err = a.mayRelease(ctx, e, lp.Policy); err != nil {
			return err
		}
	}
	if r.Valid() && st.CreateRelease {
		if r.ReleaseURL, err = a.createRelease(ctx, e, st, prev, check.Commits); err != nil {
			return err
		}
		r.Released = true
	}
	if err := a.reportTag(ctx, e, r); err != nil {
		return err
	}
	if r.Valid() && a.cfg.Deployer != nil {
		if err := a.cfg.Deployer.Release(ctx, policies.GitLab, e.Repo, e.Tag, e.SHA, deploy.Actor{Login: e.Sender}); err != nil {
			return fmt.Errorf("starting the deployments of %s on %s: %w", e.Tag, e.Repo, err)
		}
	}
	return nil
}

// maxPushEvents bounds the push events read to find a tag's push.
const maxPushEvents = 100

// confirmPusher returns e with its sender as GitLab's events name who
// pushed the tag at its commit (GET /projects/:id/events?action=pushed,
// newest first), or why the push cannot be confirmed. The hook's
// user_username is only a claim: GitLab's webhook token is the same for
// every project that sends to Shipgate, so whoever set up one project's
// webhook could write a Tag Push Hook for another naming a Maintainer as
// the pusher. GitLab records the push event before it sends the hook.
func (a *App) confirmPusher(ctx context.Context, e Event) (Event, string, error) {
	p := a.project(e.Repo, e.ProjectID)
	evs, _, err := a.gl.Events.ListProjectVisibleEvents(p.pid, &gl.ListProjectVisibleEventsOptions{ListOptions: gl.ListOptions{PerPage: maxPushEvents},
		Action: gl.Ptr(gl.PushedEventType), Sort: gl.Ptr("desc")}, gl.WithContext(ctx))
	if err != nil {
		return e, "", fmt.Errorf("reading the pushes of %s: %w", e.Repo, err)
	}
	for _, ev := range evs {
		pd, pusher := ev.PushData, cmp.Or(ev.Author.Username, ev.AuthorUsername)
		if pd.RefType == "tag" && pd.Ref == e.Tag && pd.CommitTo == e.SHA && pd.Action == "created" && pusher != "" {
			if !strings.EqualFold(pusher, e.Sender) {
				zerolog.Ctx(ctx).Warn().Str("hook_user", e.Sender).Str("pusher", pusher).Msg("the Tag Push Hook names another pusher than GitLab's events: the events count")
			}
			e.Sender = pusher
			return e, "", nil
		}
	}
	return e, fmt.Sprintf("GitLab shows no push that created %s at %.7s, so who pushed it cannot be confirmed; delete the tag and push it again",
		templates.Inert(e.Tag), e.SHA), nil
}

// mayRelease says why a tag pushed by e's sender does not count as a
// release, "" when it does (review.ReleaseRefusal): a Developer may push
// tags unless they are protected, and releasing needs maintain by
// default.
func (a *App) mayRelease(ctx context.Context, e Event, p *policies.Policy) (string, error) {
	self, err := a.id.Name(ctx)
	if err != nil {
		return "", err
	}
	perm, err := a.project(e.Repo, e.ProjectID).Role(ctx, e.Sender)
	if err != nil {
		return "", err
	}
	return review.ReleaseRefusal(p, e.Sender, self, perm), nil
}

// tagCheck gathers what release.ValidateTag needs: every tag, the
// branches holding the commit, the default branch, and the previous stable
// version the commit descends from (returned as prev, "" when none) with
// the commits since.
func (a *App) tagCheck(ctx context.Context, e Event, st policies.ReleaseSettings, defaultBranch string) (check release.TagCheck, prev string, err error) {
	check = release.TagCheck{Name: e.Tag, Commit: e.SHA, Default: defaultBranch}
	opt := &gl.ListTagsOptions{ListOptions: gl.ListOptions{PerPage: 100}}
	for {
		// GET /projects/:id/repository/tags
		tags, resp, err := a.gl.Tags.ListTags(e.ProjectID, opt, gl.WithContext(ctx))
		if err != nil {
			return check, "", fmt.Errorf("listing the tags of %s: %w", e.Repo, err)
		}
		for _, t := range tags {
			sha := t.Target
			if t.Commit != nil {
				sha = t.Commit.ID
			}
			check.AllTags = append(check.AllTags, release.Tag{Name: t.Name, SHA: sha})
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	// GET /projects/:id/repository/commits/:sha/refs?type=branch
	refs, _, err := a.gl.Commits.GetCommitRefs(e.ProjectID, e.SHA, &gl.GetCommitRefsOptions{Type: gl.Ptr("branch"),
		ListOptions: gl.ListOptions{PerPage: 100}}, gl.WithContext(ctx))
	if err != nil {
		return check, "", fmt.Errorf("reading the branches holding %s in %s: %w", e.SHA, e.Repo, err)
	}
	for _, ref := range refs {
		check.OnBranches = append(check.OnBranches, ref.Name)
	}
	v, err := release.ParseTag(st.TagPrefix, e.Tag)
	if err != nil {
		return check, "", nil // ValidateTag reports the name
	}
	for i, c := range release.PreviousCandidates(st.TagPrefix, check.AllTags, &v) {
		if i == maxTagProbes {
			break
		}
		// GET /projects/:id/repository/compare?from=TAG&to=SHA: the tag is
		// an ancestor when nothing of it is missing from SHA.
		back, _, err := a.gl.Repositories.Compare(e.ProjectID, &gl.CompareOptions{From: gl.Ptr(e.SHA), To: gl.Ptr(c.Name), Straight: gl.Ptr(true)}, gl.WithContext(ctx))
		if err != nil {
			return check, "", fmt.Errorf("comparing %s with %s in %s: %w", c.Name, e.SHA, e.Repo, err)
		}
		if len(back.Commits) > 0 {
			continue
		}
		fwd, _, err := a.gl.Repositories.Compare(e.ProjectID, &gl.CompareOptions{From: gl.Ptr(c.Name), To: gl.Ptr(e.SHA), Straight: gl.Ptr(true)}, gl.WithContext(ctx))
		if err != nil {
			return check, "", fmt.Errorf("comparing %s with %s in %s: %w", c.Name, e.SHA, e.Repo, err)
		}
		check.Reachable = []release.Tag{c}
		check.Commits = make([]policies.Commit, 0, len(fwd.Commits))
		for j := len(fwd.Commits) - 1; j >= 0; j-- { // newest first, as git log
			cm := fwd.Commits[j]
			check.Commits = append(check.Commits, policies.Commit{SHA: cm.ID, Message: cm.Message, AuthorName: cm.AuthorName,
				Time: deref(cm.CommittedDate)})
		}
		return check, c.Name, nil
	}
	return check, "", nil
}

// createRelease creates the tag's release with generated notes:
// POST /projects/:id/releases. It returns the release's web address.
func (a *App) createRelease(ctx context.Context, e Event, st policies.ReleaseSettings, prev string, commits []policies.Commit) (string, error) {
	notes := release.BuildNotes(e.Tag, prev, a.cfg.Now(), commits)
	web := strings.TrimSuffix(strings.TrimSuffix(a.gl.BaseURL().String(), "/"), "/api/v4")
	notes.LinkChanges(web, e.Repo, "-/merge_requests", "!")
	body, err := templates.String(templates.Notes, any(notes))
	if err != nil {
		return "", err
	}
	rel, resp, err := a.gl.Releases.CreateRelease(e.ProjectID, &gl.CreateReleaseOptions{
		TagName: gl.Ptr(e.Tag), Name: gl.Ptr(e.Tag), Description: gl.Ptr(body),
	}, gl.WithContext(ctx))
	switch {
	case resp != nil && resp.StatusCode == 409:
		zerolog.Ctx(ctx).Info().Msg("release exists already: kept")
		return fmt.Sprintf("%s/%s/-/releases/%s", web, e.Repo, e.Tag), nil
	case err != nil:
		return "", fmt.Errorf("creating the release %s of %s: %w", e.Tag, e.Repo, err)
	}
	if rel.Links.Self != "" {
		return rel.Links.Self, nil
	}
	return fmt.Sprintf("%s/%s/-/releases/%s", web, e.Repo, e.Tag), nil
}

// reportTag appends the audit entry, then sets the commit status. In that
// order a retry may audit twice but never loses the record.
func (a *App) reportTag(ctx context.Context, e Event, r review.TagReport) error {
	if _, err := a.cfg.Store.AppendAudit(ctx, r.Audit(policies.GitLab, e.Repo, e.Sender, "tag_push", e.DeliveryID, a.cfg.Now())); err != nil {
		return fmt.Errorf("auditing the tag %s of %s: %w", r.Tag, e.Repo, err)
	}
	ok, desc := r.Status()
	state := gl.Failed
	if ok {
		state = gl.Success
	}
	if err := a.project(e.Repo, e.ProjectID).setStatus(ctx, r.SHA, TagStatusName, state, desc, r.ReleaseURL); err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Bool("valid", r.Valid()).Bool("released", r.Released).Msg("tag checked")
	return nil
}
