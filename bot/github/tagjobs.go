package github

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v62/github"
	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
	"github.com/shipgate/shipgate/templates"
)

// KindTag is a tag pushed or created (push with a refs/tags/ ref, create
// with ref_type tag): validate it, report the result as the commit status
// TagContext and in the audit log, and release it when the policy says
// tags.release. Key: KeyTag, so that the push and the create of one tag
// are handled in order and the second changes nothing.
const KindTag = "github.tag"

// TagContext is the commit status context of a tag's validation.
const TagContext = "shipgate/tag"

// KeyTag is the ordering key of a tag's jobs, "github:OWNER/REPO@refs/tags/TAG".
func KeyTag(repo, tag string) string { return "github:" + repo + "@refs/tags/" + tag }

// TagEvent is the payload of a KindTag job, translated once from the
// webhook.
type TagEvent struct {
	// Event is "push" or "create"; DeliveryID the delivery.
	Event      string `json:"event"`
	DeliveryID string `json:"delivery_id,omitempty"`
	// Installation is the App installation (0 with a token).
	Installation int64  `json:"installation,omitempty"`
	Repo         string `json:"repo"`
	// Tag is the tag's name, without refs/tags/.
	Tag string `json:"tag"`
	// DefaultBranch is where the tag policy is read from (DESIGN: the
	// default branch, so that a tag cannot bring its own policy).
	DefaultBranch string `json:"default_branch"`
	// Sender pushed or created the tag.
	Sender string `json:"sender,omitempty"`
}

// tagHook is what tagJobs reads of a push or create payload.
type tagHook struct {
	Ref          string    `json:"ref"`
	RefType      string    `json:"ref_type"`
	Deleted      bool      `json:"deleted"`
	Sender       *hookUser `json:"sender"`
	Installation *struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Repository *struct {
		FullName      string `json:"full_name"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
}

// tagJobs translates a push of a tag or a create of a tag into its
// KindTag job; ignored says why a delivery queues nothing.
func tagJobs(event, deliveryID string, payload []byte) (jobs []store.Job, ignored string, err error) {
	var p tagHook
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, "", fmt.Errorf("reading the %s payload: %w", event, err)
	}
	if p.Repository == nil || p.Repository.FullName == "" {
		return nil, "", fmt.Errorf("reading the %s payload: no repository", event)
	}
	tag := p.Ref
	switch event {
	case "push":
		var ok bool
		if tag, ok = strings.CutPrefix(p.Ref, "refs/tags/"); !ok {
			return nil, "push of " + p.Ref + ", not a tag", nil
		}
		if p.Deleted {
			return nil, "tag deleted", nil
		}
	case "create":
		if p.RefType != "tag" {
			return nil, "created a " + p.RefType + ", not a tag", nil
		}
	default:
		return nil, "event " + event + " is not a tag event", nil
	}
	if tag == "" {
		return nil, "", fmt.Errorf("reading the %s payload: no tag name", event)
	}
	e := TagEvent{
		Event: event, DeliveryID: deliveryID, Repo: p.Repository.FullName, Tag: tag,
		DefaultBranch: p.Repository.DefaultBranch, Sender: p.Sender.login(),
	}
	if p.Installation != nil {
		e.Installation = p.Installation.ID
	}
	return []store.Job{{Kind: KindTag, Key: KeyTag(e.Repo, tag), Payload: mustJSON(e)}}, "", nil
}

// processTags handles a batch of one tag's jobs: the push and the create
// of a tag come as two deliveries, and only the first does the work.
func (a *App) processTags(ctx context.Context, jobs []store.Job) error {
	var e TagEvent
	for _, j := range jobs {
		if err := json.Unmarshal(j.Payload, &e); err == nil && e.Repo != "" && e.Tag != "" {
			break // any of them: they name the same tag
		}
	}
	if e.Repo == "" || e.Tag == "" {
		zerolog.Ctx(ctx).Error().Msg("unreadable tag job payload: skipped")
		return nil
	}
	log := zerolog.Ctx(ctx).With().Str(bot.FieldHost, string(policies.GitHub)).Str(bot.FieldHandler, KindTag).
		Str(bot.FieldRepo, e.Repo).Str("tag", e.Tag).Str(bot.FieldDelivery, e.DeliveryID).Logger()
	if log.GetLevel() == zerolog.Disabled {
		log = a.cfg.Logger.With().Str(bot.FieldHost, string(policies.GitHub)).Str(bot.FieldHandler, KindTag).
			Str(bot.FieldRepo, e.Repo).Str("tag", e.Tag).Logger()
	}
	ctx = log.WithContext(ctx)
	s, err := a.session(ctx, e.Installation, e.Repo)
	if err != nil {
		return err
	}
	return a.handleTag(ctx, s, e)
}

// handleTag validates a tag with the default branch's policy, reports it,
// and releases it when the policy asks for releases. A repository without
// a policy is left alone: it has not opted in.
func (a *App) handleTag(ctx context.Context, s *session, e TagEvent) error {
	log := zerolog.Ctx(ctx)
	r := &Releases{s: s}
	sha, found, err := r.tagCommit(ctx, e.Tag)
	switch {
	case err != nil:
		return err
	case !found:
		log.Info().Msg("tag gone before it was checked: nothing to do")
		return nil
	}
	if done, err := s.tagReported(ctx, e.Tag, sha); err != nil || done {
		if done {
			log.Info().Str(bot.FieldSHA, sha).Msg("tag already reported: nothing to do")
		}
		return err
	}
	branch, err := s.defaultBranch(ctx, e.DefaultBranch)
	if err != nil {
		return err
	}
	lp, err := gate.LoadPolicy(ctx, s, PolicyFile, branch)
	if err != nil {
		return err
	}
	if lp.Missing {
		log.Info().Str("branch", branch).Msg("no policy on the default branch: tag not checked")
		return nil
	}
	o := review.TagReport{Tag: e.Tag, SHA: sha}
	if lp.Invalid != nil {
		o.PolicyError = fmt.Sprintf("the policy %s on %s is invalid: fix it, then delete and push the tag again", PolicyFile, branch)
		return a.reportTag(ctx, s, e, o)
	}
	st := lp.Policy.Release
	check, prev, hasPrev, err := s.tagCheck(ctx, st, e.Tag, sha, branch, "")
	if err != nil {
		return err
	}
	o.Problems = release.ValidateTag(st, check)
	if o.Valid() {
		if o.Refused, err = a.mayRelease(ctx, s, lp.Policy, e.Sender); err != nil {
			return err
		}
	}
	if o.Valid() && st.CreateRelease {
		v, _ := release.ParseTag(st.TagPrefix, e.Tag) // valid: it parses
		previous := ""
		if hasPrev {
			previous = prev.Name
		}
		pub, err := r.publish(ctx, lp.Policy, e.Tag, previous, sha, v.IsPrerelease(), check.Commits)
		if err != nil {
			return err
		}
		o.ReleaseURL, o.Released = pub.URL, true
	}
	if err := a.reportTag(ctx, s, e, o); err != nil {
		return err
	}
	if o.Valid() && a.deployer != nil {
		// A validated tag starts its release's deployments (DESIGN: one per
		// environment and version; a second event changes nothing).
		if err := a.deployer.Release(ctx, policies.GitHub, e.Repo, e.Tag, sha, deploy.Actor{Login: e.Sender}); err != nil {
			return fmt.Errorf("starting the deployments of %s on %s: %w", e.Tag, e.Repo, err)
		}
	}
	return nil
}

// mayRelease says why a tag pushed by pusher does not count as a release,
// "" when it does (review.ReleaseRefusal), reading the pusher's role.
func (a *App) mayRelease(ctx context.Context, s *session, p *policies.Policy, pusher string) (string, error) {
	self, err := a.Self(ctx)
	if err != nil {
		return "", err
	}
	perm := policies.PermNone
	if pusher != "" && !strings.EqualFold(pusher, self) {
		if perm, err = s.permission(ctx, pusher); err != nil {
			return "", err
		}
	}
	return review.ReleaseRefusal(p, pusher, self, perm), nil
}

// publish renders the notes of tag and creates or updates its release.
func (r *Releases) publish(ctx context.Context, p *policies.Policy, tag, previous, sha string, prerelease bool, commits []policies.Commit) (Published, error) {
	notes, err := r.Notes(ctx, p, tag, previous, commits, r.s.a.cfg.Now())
	if err != nil {
		return Published{}, err
	}
	body, err := templates.String(templates.Notes, any(notes))
	if err != nil {
		return Published{}, err
	}
	return r.PublishRelease(ctx, Release{Tag: tag, Target: sha, Body: body, Prerelease: prerelease})
}

// defaultBranch returns the repository's default branch: known when the
// payload named it, else from GET /repos/{owner}/{repo}.
func (s *session) defaultBranch(ctx context.Context, known string) (string, error) {
	if known != "" {
		return known, nil
	}
	repo, _, err := s.gh.Repositories.Get(ctx, s.owner, s.name)
	if err != nil {
		return "", s.wrap(err, "reading %s", s.repo)
	}
	return repo.GetDefaultBranch(), nil
}

// tagReported reports whether Shipgate already published the status of
// this tag on its commit (an earlier delivery, the push or the create).
func (s *session) tagReported(ctx context.Context, tag, sha string) (bool, error) {
	st, err := s.tagStatus(ctx, tag, sha)
	return st != nil, err
}

// tagStatus returns the newest TagContext status of tag on its commit
// that Shipgate itself posted, nil when there is none: GET
// /repos/{owner}/{repo}/commits/{ref}/statuses. Statuses by anyone else
// are ignored: anyone with write access can post one of that name.
func (s *session) tagStatus(ctx context.Context, tag, sha string) (*gh.RepoStatus, error) {
	self, err := s.a.Self(ctx)
	if err != nil {
		return nil, err
	}
	statuses, _, err := s.gh.Repositories.ListStatuses(ctx, s.owner, s.name, sha, &gh.ListOptions{PerPage: 100})
	if err != nil {
		return nil, s.wrap(err, "reading the statuses of %.7s in %s", sha, s.repo)
	}
	for _, st := range statuses {
		if st.GetContext() == TagContext && strings.HasPrefix(st.GetDescription(), tag+" ") && strings.EqualFold(st.GetCreator().GetLogin(), self) {
			return st, nil
		}
	}
	return nil, nil
}

// reportTag appends the audit event, then publishes the commit status
// TagContext on the tagged commit (POST /repos/{owner}/{repo}/statuses/
// {sha}), both as review.TagReport words them for every host. In that
// order, a retry after a failure may audit twice but never loses the
// record; the status is what marks the tag as done.
func (a *App) reportTag(ctx context.Context, s *session, e TagEvent, r review.TagReport) error {
	audit := r.Audit(policies.GitHub, s.repo, e.Sender, e.Event, e.DeliveryID, a.cfg.Now())
	if _, err := a.cfg.Store.AppendAudit(ctx, audit); err != nil {
		return fmt.Errorf("auditing the tag %s of %s: %w", r.Tag, s.repo, err)
	}
	ok, desc := r.Status()
	state := "success"
	if !ok {
		state = "failure"
	}
	status := &gh.RepoStatus{State: gh.String(state), Context: gh.String(TagContext), Description: gh.String(statusDescription(desc))}
	if r.ReleaseURL != "" {
		status.TargetURL = gh.String(r.ReleaseURL)
	}
	if _, _, err := s.gh.Repositories.CreateStatus(ctx, s.owner, s.name, r.SHA, status); err != nil {
		return s.wrap(err, "reporting the tag %s on %.7s in %s", r.Tag, r.SHA, s.repo)
	}
	zerolog.Ctx(ctx).Info().Str(bot.FieldSHA, r.SHA).Str("outcome", audit.Outcome).Msg("tag checked")
	return nil
}

// statusDescription fits s into a commit status description (GitHub
// allows 140 characters), cut on a rune boundary and ending with "…".
func statusDescription(s string) string {
	const max = 140
	if len([]rune(s)) <= max {
		return s
	}
	return string([]rune(s)[:max-1]) + "…"
}
