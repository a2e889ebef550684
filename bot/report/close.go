package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/announce"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// AuditKind is the audit event of a closed release.
const AuditKind = "release.report"

// EventReport is the deploy.Notice event of the report's Slack line.
const EventReport = "release_report"

// Store is what closing a release reads and writes. *store.Store
// implements it.
type Store interface {
	DeploymentHistory(ctx context.Context, f store.HistoryFilter) ([]store.Deployment, error)
	GetDeployment(ctx context.Context, id string) (store.Deployment, error)
	LatestVerdict(ctx context.Context, host policies.Host, repo string, number int) ([]byte, error)
	CommandsOf(ctx context.Context, host policies.Host, repo string, number int) ([]store.CommandRecord, error)
	PutReleaseReport(ctx context.Context, r store.ReleaseReport) error
	AppendAudit(ctx context.Context, e store.AuditEvent) (int64, error)
}

var _ Store = (*store.Store)(nil)

// Host is what closing a release asks a code host.
type Host interface {
	// ReleaseCommits returns tag's commits since previous, newest first,
	// each with the number of the PR (MR) that brought it when there is
	// one. previous is "" for a first release.
	ReleaseCommits(ctx context.Context, repo, previous, tag string) ([]policies.Commit, error)
	// AttachReport makes section the report section of tag's release
	// notes (report.WithSection), editing them only when they change; a
	// tag without a release is no error (attached is false).
	AttachReport(ctx context.Context, repo, tag, section string) (attached bool, err error)
}

// PolicySource reads a repository's deploy policy; *deploy.Orchestrator
// implements it.
type PolicySource interface {
	DeployPolicy(ctx context.Context, host policies.Host, repo string) (*policies.Policy, error)
}

var _ PolicySource = (*deploy.Orchestrator)(nil)

// Closer closes releases: it is the bot.Processor of
// deploy.KindReleaseEnded jobs.
type Closer struct {
	Store Store
	// Hosts are the code hosts' sides; a host not listed gives a report
	// without its commits, saying so.
	Hosts map[policies.Host]Host
	// Notifier posts the summary in the deployment's Slack thread; nil
	// posts nothing.
	Notifier deploy.Notifier
	// Announcer announces the report where the policy routes
	// notify.slack.events' release_report, with the Policies it reads the
	// policy from; nil announces nothing.
	Announcer announce.Announcer
	Policies  PolicySource
	Logger    zerolog.Logger
}

var _ bot.Processor = (*Closer)(nil)

// Kinds implements bot.Processor.
func (c *Closer) Kinds() []string { return []string{deploy.KindReleaseEnded} }

// Process implements bot.Processor. Each step is idempotent, so a job
// retried after a failure of the host repeats nothing: the report is
// replaced with the same content, the Slack line is posted once (the
// notifier remembers it), the release section is edited in place.
func (c *Closer) Process(ctx context.Context, b store.Batch) error {
	for _, j := range b.Jobs {
		var e deploy.ReleaseEnded
		if err := json.Unmarshal(j.Payload, &e); err != nil {
			return bot.Permanent(fmt.Errorf("decoding release job %d: %w", j.ID, err))
		}
		if err := c.close(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

func (c *Closer) close(ctx context.Context, e deploy.ReleaseEnded) error {
	f, ended, err := c.facts(ctx, e)
	if err != nil {
		return err
	}
	r := Build(f)
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding the report of %s: %w", e.Version, err)
	}
	if err := c.Store.PutReleaseReport(ctx, store.ReleaseReport{Host: e.Host, Repo: e.Repo, Version: e.Version, Status: r.Status, Data: data, ClosedAt: r.ClosedAt}); err != nil {
		return err
	}
	if c.Notifier != nil {
		text, err := Slack(r)
		if err != nil {
			return err
		}
		if err := c.Notifier.Notify(ctx, deploy.Notice{Event: EventReport, State: ended, Line: text}); err != nil {
			c.Logger.Warn().Err(err).Str(bot.FieldRepo, e.Repo).Msg("posting the release report in Slack")
		}
	}
	attached := false
	if h := c.Hosts[e.Host]; h != nil {
		md, err := Markdown(r)
		if err != nil {
			return err
		}
		if attached, err = h.AttachReport(ctx, e.Repo, e.Version, md); err != nil {
			return fmt.Errorf("attaching the report of %s to its release: %w", e.Version, err)
		}
	}
	if err := c.announce(ctx, e, r); err != nil {
		return err
	}
	detail, _ := json.Marshal(map[string]any{"deployment": e.Deployment, "status": r.Status, "lead_time": r.LeadTime, "attached": attached})
	_, err = c.Store.AppendAudit(ctx, store.AuditEvent{At: r.ClosedAt, Host: e.Host, Repo: e.Repo, Kind: AuditKind, Actor: "shipgate",
		Subject: e.Version, Outcome: r.Status, Detail: detail})
	return err
}

// announce announces the report of e's release once per ending
// deployment (the announcer keeps it from a retried job).
func (c *Closer) announce(ctx context.Context, e deploy.ReleaseEnded, r Report) error {
	if c.Announcer == nil || c.Policies == nil {
		return nil
	}
	p, err := c.Policies.DeployPolicy(ctx, e.Host, e.Repo)
	if err != nil {
		return err
	}
	text, err := Slack(r)
	if err != nil {
		return err
	}
	return c.Announcer.Announce(ctx, announce.Event{Kind: announce.ReleaseReport, Repo: e.Repo, Key: e.Version + ":" + e.Deployment,
		Notify: p.Notify, Title: fmt.Sprintf("Release %s closed: %s", e.Version, r.Status), Text: text})
}

// facts gathers what the report of e's release is built from, and the
// deployment that ended it.
func (c *Closer) facts(ctx context.Context, e deploy.ReleaseEnded) (Facts, *deploy.State, error) {
	rows, err := c.Store.DeploymentHistory(ctx, store.HistoryFilter{Host: e.Host, Repo: e.Repo})
	if err != nil {
		return Facts{}, nil, err
	}
	f := Facts{Host: e.Host, Repo: e.Repo, Version: e.Version, Ended: e.Deployment, PRs: map[int]PR{}}
	endedAt := -1
	for _, row := range rows {
		var st deploy.State
		if err := json.Unmarshal(row.Data, &st); err != nil {
			return Facts{}, nil, fmt.Errorf("decoding deployment %s: %w", row.ID, err)
		}
		if (st.Kind == deploy.KindDeploy && st.Version == e.Version) || (st.Kind == deploy.KindRollback && st.RolledBack == e.Version) {
			if st.ID == e.Deployment {
				endedAt = len(f.Deployments)
			}
			f.Deployments = append(f.Deployments, st)
		}
	}
	if endedAt < 0 {
		return Facts{}, nil, bot.Permanent(fmt.Errorf("closing %s of %s: the deployment %s is not one of it", e.Version, e.Repo, e.Deployment))
	}
	ended := &f.Deployments[endedAt]
	// The report's time is the end of the deployment that closed it, so
	// that a retried job renders the same report.
	f.Now = ended.EndedAt
	f.Previous = previousVersion(f.Deployments, ended)
	h := c.Hosts[e.Host]
	if h == nil {
		f.Incomplete = fmt.Sprintf("the commits of %s were not read: Shipgate has no %s integration", e.Version, e.Host)
		return f, ended, nil
	}
	if f.Commits, err = h.ReleaseCommits(ctx, e.Repo, f.Previous, e.Version); err != nil {
		return Facts{}, nil, fmt.Errorf("reading the commits of %s since %s: %w", e.Version, f.Previous, err)
	}
	return f, ended, c.prs(ctx, &f)
}

// previousVersion is the version the release replaced where it ended.
func previousVersion(deps []deploy.State, ended *deploy.State) string {
	if ended.Kind == deploy.KindRollback {
		return ended.Version
	}
	if ended.PreviousVersion != "" {
		return ended.PreviousVersion
	}
	for _, d := range deps {
		if d.Kind == deploy.KindDeploy && d.PreviousVersion != "" {
			return d.PreviousVersion
		}
	}
	return ""
}

// prs reads the store's records of the PRs the commits name.
func (c *Closer) prs(ctx context.Context, f *Facts) error {
	for _, cm := range f.Commits {
		if cm.PR == 0 {
			continue
		}
		if _, done := f.PRs[cm.PR]; done {
			continue
		}
		var pr PR
		switch raw, err := c.Store.LatestVerdict(ctx, f.Host, f.Repo, cm.PR); {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			var v policies.Verdict
			if err := json.Unmarshal(raw, &v); err == nil {
				pr.Verdict = &v
			}
		}
		cmds, err := c.Store.CommandsOf(ctx, f.Host, f.Repo, cm.PR)
		if err != nil {
			return err
		}
		pr.Commands = cmds
		f.PRs[cm.PR] = pr
	}
	return nil
}
