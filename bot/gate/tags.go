package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// TagKind is the kind of a host's tag jobs: a tag pushed or created, to
// validate, report (commit status TagStatus and the audit log), release
// when the policy says tags.release, and deploy. The names are those
// queued before the gate existed.
func TagKind(h policies.Host) string {
	if h == policies.GitLab {
		return "gitlab.tag"
	}
	return "github.tag"
}

// TagKey is the ordering key of a tag's jobs, so that the push and the
// create of one tag are handled in order and the second changes nothing.
func TagKey(h policies.Host, repo, tag string) string {
	return string(h) + ":" + repo + "@refs/tags/" + tag
}

// TagPush is the payload of a tag job. Its fields are named as the
// adapters named them before the gate (a GitHub TagEvent, a GitLab
// Event), so that a job queued then decodes as one.
type TagPush struct {
	V    int           `json:"v"`
	Host policies.Host `json:"host,omitempty"`
	// Event is the host event ("push", "create", "tag_push").
	Event      string `json:"event,omitempty"`
	DeliveryID string `json:"delivery_id,omitempty"`
	// Installation (GitHub) or ProjectID (GitLab) locate the repository:
	// the Scope of Host.Repo.
	Installation int64  `json:"installation,omitempty"`
	ProjectID    int64  `json:"project_id,omitempty"`
	Repo         string `json:"repo"`
	Tag          string `json:"tag"`
	// DefaultBranch is where the tag policy is read from (a tag cannot
	// bring its own policy); "" when the payload did not say.
	DefaultBranch string `json:"default_branch,omitempty"`
	// Sender pushed or created the tag.
	Sender string `json:"sender,omitempty"`
}

// TagJob is the job of a tag push.
func TagJob(t TagPush) store.Job {
	t.V = Version
	b, err := json.Marshal(t)
	if err != nil {
		panic(fmt.Sprintf("gate: encoding a tag push: %v", err)) // plain structs always encode
	}
	return store.Job{Kind: TagKind(t.Host), Key: TagKey(t.Host, t.Repo, t.Tag), Payload: b}
}

// processTags handles a batch of one tag's jobs: the push and the create
// of a tag come as two deliveries, and only the first does the work.
func (g *Gate) processTags(ctx context.Context, jobs []store.Job) error {
	var t TagPush
	for _, j := range jobs {
		if err := json.Unmarshal(j.Payload, &t); err == nil && t.Repo != "" && t.Tag != "" {
			break // any of them: they name the same tag
		}
	}
	if t.Repo == "" || t.Tag == "" {
		zerolog.Ctx(ctx).Error().Msg("unreadable tag job payload: skipped")
		return nil
	}
	l := zerolog.Ctx(ctx).With().Str(bot.FieldHost, string(g.host)).Str(bot.FieldRepo, t.Repo).Str("tag", t.Tag).
		Str(bot.FieldDelivery, t.DeliveryID).Logger()
	ctx = l.WithContext(ctx)
	repo, err := g.cfg.Host.Repo(ctx, t.Repo, max(t.Installation, t.ProjectID))
	if err != nil {
		return err
	}
	r, ok := repo.(Releaser)
	if !ok {
		l.Info().Msg("the host does not release: tag not checked")
		return nil
	}
	return g.cfg.Host.Classify(g.handleTag(ctx, repo, r, t))
}

// handleTag validates a tag with the default branch's policy, releases it
// when the policy asks for releases, reports it, and starts its
// deployments. A repository without a policy is left alone: it has not
// opted in.
func (g *Gate) handleTag(ctx context.Context, repo Repo, r Releaser, t TagPush) error {
	log := zerolog.Ctx(ctx)
	sha, found, err := r.TagCommit(ctx, t.Tag)
	if err != nil || !found {
		if err == nil {
			log.Info().Msg("tag gone before it was checked: nothing to do")
		}
		return err
	}
	if done, err := r.TagReported(ctx, t.Tag, sha); err != nil || done {
		if done {
			log.Info().Str(bot.FieldSHA, sha).Msg("tag already reported: nothing to do")
		}
		return err
	}
	branch := t.DefaultBranch
	if branch == "" {
		if branch, err = r.DefaultBranch(ctx); err != nil {
			return err
		}
	}
	lp, err := LoadPolicy(ctx, repo, review.PolicyFile, branch)
	switch {
	case err != nil:
		return err
	case lp.Missing:
		log.Info().Str("branch", branch).Msg("no policy on the default branch: tag not checked")
		return nil
	case lp.Invalid != nil:
		rep := review.TagReport{Tag: t.Tag, SHA: sha,
			PolicyError: fmt.Sprintf("the policy %s on %s is invalid: fix it, then delete and push the tag again", review.PolicyFile, branch)}
		return g.reportTag(ctx, r, t, rep)
	}
	scope := max(t.Installation, t.ProjectID)
	if err := ScheduleTrain(ctx, g.cfg.Acceptor, g.host, t.Repo, scope, lp.Policy, g.cfg.Now()); err != nil {
		return err
	}
	if err := ScheduleFreezeNotice(ctx, g.cfg.Acceptor, g.host, t.Repo, scope, lp.Policy, g.cfg.Now()); err != nil {
		return err
	}
	rep, t, rel, err := g.judgeTag(ctx, repo, r, lp.Policy, t, sha, branch)
	if err != nil {
		return err
	}
	if err := g.announceTag(ctx, lp.Policy, t.Repo, rep, rel, t.Sender); err != nil {
		return err
	}
	if err := g.reportTag(ctx, r, t, rep); err != nil {
		return err
	}
	if rep.Valid() && g.cfg.Deployer != nil {
		// A validated tag starts its release's deployments (DESIGN: one per
		// environment and version; a second event changes nothing).
		if err := g.cfg.Deployer.Release(ctx, g.host, t.Repo, t.Tag, sha, deploy.Actor{Login: t.Sender}); err != nil {
			return fmt.Errorf("starting the deployments of %s on %s: %w", t.Tag, t.Repo, err)
		}
	}
	return nil
}

// judgeTag validates the tag at sha, checks that its pusher (confirmed by
// the host where its events can be forged) may release, and publishes its
// release when the policy creates releases. It returns t with its pusher
// as the host names them, and the release (with the commits since the
// previous version) the tag makes when it is valid.
func (g *Gate) judgeTag(ctx context.Context, repo Repo, r Releaser, p *policies.Policy, t TagPush, sha, branch string) (review.TagReport, TagPush, Release, error) {
	rep := review.TagReport{Tag: t.Tag, SHA: sha}
	st := p.ReleaseOf(t.Tag) // a component's tag is judged on its own line
	check, prev, hasPrev, err := refs{r}.tagCheck(ctx, st, t.Tag, sha, branch, "")
	if err != nil {
		return rep, t, Release{}, err
	}
	rep.Previous, rep.Notes = contents(t.Tag, prev, hasPrev, check.Commits, g.cfg.Now())
	if pc, ok := r.(PusherConfirmer); ok && len(release.ValidateTag(st, check)) == 0 {
		var pusher string
		if pusher, rep.Refused, err = pc.ConfirmPusher(ctx, t.Tag, sha, t.Sender); err != nil {
			return rep, t, Release{}, err
		}
		if pusher != "" {
			t.Sender = pusher
		}
	}
	if rep.Problems = release.ValidateTag(st, check); rep.Valid() {
		if rep.Refused, err = g.mayRelease(ctx, repo, p, t.Sender); err != nil {
			return rep, t, Release{}, err
		}
	}
	if rep.Valid() {
		// The main line's next tag waits for its hotfixes' merge-backs, and
		// (tags.reviewed) for every commit to have passed the gate.
		if rep.Refused, err = g.releaseRefusal(ctx, r, p, st, t.Repo, check); err != nil {
			return rep, t, Release{}, err
		}
	}
	if !rep.Valid() {
		return rep, t, Release{}, nil
	}
	v, _ := release.ParseTag(st.TagPrefix, t.Tag) // valid: it parses
	rel := Release{Tag: t.Tag, SHA: sha, Prerelease: v.IsPrerelease(), Commits: check.Commits}
	if hasPrev {
		rel.Previous = prev.Name
	}
	if !st.CreateRelease {
		return rep, t, rel, nil
	}
	if rep.ReleaseURL, err = r.PublishRelease(ctx, p, rel); err != nil {
		return rep, t, rel, err
	}
	rep.Released = true
	return rep, t, rel, nil
}

// contents are the previous version and the notes of the commits since
// it, which the audit event of a tag keeps for the dashboard.
func contents(tag string, prev release.Tag, hasPrev bool, commits []policies.Commit, now time.Time) (string, *release.Notes) {
	previous := ""
	if hasPrev {
		previous = prev.Name
	}
	notes := release.BuildNotes(tag, previous, now, commits)
	return previous, &notes
}

// mayRelease says why a tag pushed by pusher does not count as a release,
// "" when it does (review.ReleaseRefusal), reading the pusher's role.
func (g *Gate) mayRelease(ctx context.Context, repo Repo, p *policies.Policy, pusher string) (string, error) {
	self, err := g.cfg.Host.Identify(ctx)
	if err != nil {
		return "", err
	}
	perm := policies.PermNone
	if pusher != "" && !policies.SameLogin(pusher, self) {
		if perm, err = repo.Role(ctx, pusher); err != nil {
			return "", err
		}
	}
	return review.ReleaseRefusal(p, pusher, self, perm), nil
}

// reportTag appends the audit event, then sets the commit status
// TagStatus on the tagged commit. In that order a retry after a failure
// may audit twice but never loses the record; the status is what marks the
// tag as done.
func (g *Gate) reportTag(ctx context.Context, r Releaser, t TagPush, rep review.TagReport) error {
	audit := rep.Audit(g.host, t.Repo, t.Sender, t.Event, t.DeliveryID, g.cfg.Now())
	if _, err := g.cfg.Store.AppendAudit(ctx, audit); err != nil {
		return fmt.Errorf("auditing the tag %s of %s: %w", rep.Tag, t.Repo, err)
	}
	ok, desc := rep.Status()
	if err := r.SetTagStatus(ctx, rep.SHA, ok, desc, rep.ReleaseURL); err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Str(bot.FieldSHA, rep.SHA).Str("outcome", audit.Outcome).Msg("tag checked")
	return nil
}
