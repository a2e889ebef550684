package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Job kinds that re-evaluate the PRs an event may change the verdict of,
// when the event does not name them.
const (
	// KindHeadChanged is a commit status posted on a commit (Jenkins and
	// other CI report that way): the open PRs whose head it is are
	// evaluated again. Key: KeyHead.
	KindHeadChanged = "github.head_changed"
	// KindTeamChanged is a team's membership that changed: the open PRs of
	// the organisation's repositories are evaluated again (a policy may
	// name the team). Key: "github:ORG@teams".
	KindTeamChanged = "github.team_changed"
)

// KeyHead is the ordering key of a commit's jobs, "github:OWNER/REPO@SHA".
func KeyHead(repo, sha string) string { return "github:" + repo + "@" + sha }

// statusJobs translates a status webhook into a KindHeadChanged job;
// Shipgate's own statuses (the Action's verdicts, tag validations) change
// nothing.
func statusJobs(base Event, sha, context string) ([]store.Job, string, error) {
	switch {
	case sha == "":
		return nil, "", fmt.Errorf("reading the status payload: no sha")
	case review.IsVerdictCheck(context) || context == gate.TagStatus:
		return nil, "Shipgate's own status", nil
	}
	e := base
	e.HeadSHA = sha
	return []store.Job{{Kind: KindHeadChanged, Key: KeyHead(e.Repo, sha), Payload: mustJSON(e)}}, "", nil
}

// teamJobs translates a membership or team webhook into a
// KindTeamChanged job for the organisation.
func teamJobs(base Event, org string) ([]store.Job, string, error) {
	if org == "" {
		return nil, "no organisation in the payload", nil
	}
	e := base
	e.Branch = org // the organisation whose repositories to re-evaluate
	return []store.Job{{Kind: KindTeamChanged, Key: "github:" + org + "@teams", Payload: mustJSON(e)}}, "", nil
}

// headChanged queues an evaluation of every open PR whose head is the
// job's commit: those the store knows, else those GitHub lists for it
// (GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls).
func (s *Server) headChanged(ctx context.Context, jobs []store.Job) error {
	for _, e := range decodeJobs(ctx, jobs) {
		known, err := s.cfg.Store.OpenPRsWithHead(ctx, policies.GitHub, e.Repo, e.HeadSHA)
		if err != nil {
			return err
		}
		prs := make([]gate.Snapshot, 0, len(known))
		for _, st := range known {
			prs = append(prs, gate.Snapshot{Number: st.Number, HeadSHA: st.HeadSHA})
		}
		if len(prs) == 0 {
			if prs, err = s.openPRsOn(ctx, e); err != nil {
				return err
			}
		}
		queued, err := s.queueAll(ctx, "status:"+e.DeliveryID, e, "status", prs)
		if err != nil {
			return err
		}
		zerolog.Ctx(ctx).Info().Str(bot.FieldRepo, e.Repo).Str(bot.FieldSHA, e.HeadSHA).Int("queued", queued).Msg("status posted: pull requests on the commit queued")
	}
	return nil
}

// openPRsOn lists the open PRs whose head is e.HeadSHA.
func (s *Server) openPRsOn(ctx context.Context, e Event) ([]gate.Snapshot, error) {
	return s.cfg.App.OpenPRsOn(ctx, e.Installation, e.Repo, e.HeadSHA)
}

// teamChanged queues an evaluation of every open PR the store knows in the
// organisation's repositories.
func (s *Server) teamChanged(ctx context.Context, jobs []store.Job) error {
	for _, e := range decodeJobs(ctx, jobs) {
		org := e.Branch
		repos, err := s.cfg.Store.KnownRepos(ctx, policies.GitHub)
		if err != nil {
			return err
		}
		for _, repo := range repos {
			if owner, _, _ := strings.Cut(repo, "/"); !strings.EqualFold(owner, org) {
				continue
			}
			open, err := s.cfg.Store.OpenPRsOf(ctx, policies.GitHub, repo)
			if err != nil {
				return err
			}
			prs := make([]gate.Snapshot, 0, len(open))
			for _, st := range open {
				prs = append(prs, gate.Snapshot{Number: st.Number, HeadSHA: st.HeadSHA})
			}
			cause := e
			cause.Repo = repo
			if _, err := s.queueAll(ctx, "team:"+e.DeliveryID+":"+repo, cause, "team_changed", prs); err != nil {
				return err
			}
		}
	}
	return nil
}

// queueAll queues an evaluation of each PR at once, for reason, as one
// delivery of the adapter's own (a retry queues nothing twice). Each job
// reads its PR.
func (s *Server) queueAll(ctx context.Context, deliveryID string, cause Event, reason string, prs []gate.Snapshot) (int, error) {
	r := gate.Rechecks{Host: policies.GitHub, Repo: cause.Repo, Scope: cause.Installation, DeliveryID: deliveryID,
		Reason: reason, Sender: cause.Sender, Changes: prs}
	return r.Queue(ctx, s.cfg.Acceptor, s.cfg.Now())
}
