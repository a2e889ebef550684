package gate

import (
	"context"
	"errors"
	"fmt"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/announce"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/hostapi"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Store is the part of bot/store the gate uses; *store.Store implements it.
type Store interface {
	GetPR(ctx context.Context, host policies.Host, repo string, number int) (store.PRState, error)
	PutPR(ctx context.Context, p store.PRState) error
	// RecordCommand records a command once per comment ID and index;
	// inserted is false when it was recorded before.
	RecordCommand(ctx context.Context, c store.CommandRecord) (inserted bool, err error)
	CommandsOf(ctx context.Context, host policies.Host, repo string, number int) ([]store.CommandRecord, error)
	SaveEvaluation(ctx context.Context, e store.Evaluation) (int64, error)
	AppendAudit(ctx context.Context, e store.AuditEvent) (int64, error)
	RecordHead(ctx context.Context, host policies.Host, repo string, number int, h store.Head) error
	Heads(ctx context.Context, host policies.Host, repo string, number int) ([]store.Head, error)
	OpenPRsWithHead(ctx context.Context, host policies.Host, repo, sha string) ([]store.PRState, error)
}

var _ Store = (*store.Store)(nil)

// Deployer is what the gate asks of the deployment orchestrator: start the
// environments of a release cut by `/release`, and run the deployment
// commands of comments. *deploy.Orchestrator implements it.
type Deployer interface {
	Release(ctx context.Context, host policies.Host, repo, version, sha string, actor deploy.Actor) error
	Command(ctx context.Context, r deploy.CommandRequest) (accepted bool, reply string, err error)
}

var _ Deployer = (*deploy.Orchestrator)(nil)

// Config configures a Gate. Host, Store and Acceptor are required.
type Config struct {
	Host     Host
	Store    Store
	Acceptor bot.Acceptor
	// Deployer runs the deployment commands; nil answers them "not
	// enabled", and a release cut by /release starts nothing.
	Deployer Deployer
	// Announcer announces release events (notify.slack.events); nil
	// announces nothing.
	Announcer announce.Announcer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger is used where a context carries none.
	Logger zerolog.Logger
	// Records verifies the change records a change cites when its policy
	// asks (change_record.verify); nil: the rule says verification was
	// not done, and waits.
	Records RecordVerifier
	// Legacy reads a change job's payload written before payloads had a
	// version (the host's own format then); nil skips such jobs.
	Legacy func(payload []byte) (Event, error)
}

// Gate is the bot.Processor of one host's change jobs (JobKind). It is safe
// for concurrent use; the worker never runs two batches of one change at
// once.
type Gate struct {
	cfg  Config
	host policies.Host
	seen *lru.Cache[string, seen]
	// bases are the sets of bases recorded per repository (recordBases).
	bases *lru.Cache[string, struct{}]
}

var _ bot.Processor = (*Gate)(nil)

// New checks cfg and returns the host's Gate.
func New(cfg Config) (*Gate, error) {
	var errs []error
	if cfg.Host == nil {
		errs = append(errs, errors.New("gate: a Host is required"))
	}
	if cfg.Store == nil {
		errs = append(errs, errors.New("gate: a Store is required"))
	}
	if cfg.Acceptor == nil {
		errs = append(errs, errors.New("gate: an Acceptor is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	bases, _ := lru.New[string, struct{}](4096)
	return &Gate{cfg: cfg, host: cfg.Host.Name(), seen: newSeen(), bases: bases}, nil
}

// JobKind is the kind of a host's change jobs. The names are those queued
// before the gate existed, so that jobs queued then still run.
func JobKind(h policies.Host) string {
	if h == policies.GitLab {
		return "gitlab.mr"
	}
	return "github.pr"
}

// Key is the ordering key of a change's jobs ("github:OWNER/REPO#N",
// "gitlab:GROUP/PROJECT!N"), so that one change's events are handled in
// order and never concurrently.
func Key(h policies.Host, repo string, number int) string {
	if h == policies.GitLab {
		return fmt.Sprintf("gitlab:%s!%d", repo, number)
	}
	return fmt.Sprintf("github:%s#%d", repo, number)
}

// Job is the change job of e.
func Job(e Event) store.Job {
	return store.Job{Kind: JobKind(e.Host), Key: Key(e.Host, e.Repo, e.Number), Payload: Encode(e)}
}

// Rechecker returns the review.ChangeJob of host: a new evaluation of a
// change, for reason, caused by the delivery cause.
func Rechecker(host policies.Host) func(repo string, number int, reason, cause string) (store.Job, error) {
	return func(repo string, number int, reason, cause string) (store.Job, error) {
		return Job(Event{Kind: KindRecheck, Action: reason, DeliveryID: cause, Host: host, Repo: repo, Number: number}), nil
	}
}

// Kinds implements bot.Processor: a host's change jobs, tag jobs,
// change-record retries and release-train jobs.
func (g *Gate) Kinds() []string {
	return []string{JobKind(g.host), TagKind(g.host), RecordRetryKind(g.host), TrainKind(g.host)}
}

// Process implements bot.Processor: a batch holds the jobs of one change,
// oldest first. It runs the commands of the batch's new comments in order,
// then judges the change's latest state once and publishes the verdict.
//
// A failure comes back as an error, classified once by the host (a
// *bot.RetryError when the host said when to try again), so that the worker
// retries the batch; when a job of the batch is on its last try, the change
// first gets a failing verdict that says Shipgate could not judge it, and
// why.
func (g *Gate) Process(ctx context.Context, b store.Batch) error {
	switch b.Jobs[0].Kind {
	case TagKind(g.host):
		return g.processTags(ctx, b.Jobs)
	case RecordRetryKind(g.host):
		return g.processRecordRetries(ctx, b.Jobs)
	case TrainKind(g.host):
		return g.processTrains(ctx, b.Jobs)
	}
	events := g.decodeJobs(ctx, b.Jobs)
	if len(events) == 0 {
		return nil
	}
	last := events[len(events)-1]
	log := zerolog.Ctx(ctx)
	if log.GetLevel() == zerolog.Disabled {
		log = &g.cfg.Logger
	}
	l := log.With().Str(bot.FieldHost, string(g.host)).Str(bot.FieldRepo, last.Repo).Int(bot.FieldNumber, last.Number).
		Str(bot.FieldDelivery, last.DeliveryID).Str(bot.FieldEvent, last.Kind).Str(bot.FieldAction, last.Action).Logger()
	ctx = l.WithContext(ctx)
	var calls hostapi.CallCount
	ctx = hostapi.WithCallCount(ctx, &calls)
	began := g.cfg.Now()
	w := &work{g: g, events: events, number: last.Number, retry: retried(b.Jobs)}
	err := w.run(ctx)
	ev := l.Info()
	if err != nil {
		ev = l.Warn().Err(err)
	}
	ev.Int("events", len(events)).Int64("api_calls", calls.Calls.Load()).Int64("api_not_modified", calls.NotModified.Load()).
		Dur("took", g.cfg.Now().Sub(began)).Msg("change processed")
	if err != nil && bot.LastAttempt(b.Jobs) {
		w.publishFailure(context.WithoutCancel(ctx), err)
	}
	return g.cfg.Host.Classify(err)
}

// decodeJobs reads the payloads of jobs, of the current format or the
// host's earlier one, leaving out (and logging) any that cannot be read: a
// retry would not make them readable.
func (g *Gate) decodeJobs(ctx context.Context, jobs []store.Job) []Event {
	out := make([]Event, 0, len(jobs))
	for _, j := range jobs {
		e, legacy, err := decode(j.Payload)
		switch {
		case legacy && g.cfg.Legacy == nil:
			err = errors.New("a payload of an earlier format, which this host does not read")
		case legacy:
			e, err = g.cfg.Legacy(j.Payload)
		}
		if err == nil && (e.Repo == "" || e.Number == 0) {
			err = errors.New("no repository or change number")
		}
		if err != nil {
			zerolog.Ctx(ctx).Error().Err(err).Int64(bot.FieldJob, j.ID).Msg("unreadable job payload: skipped")
			continue
		}
		e.Host = g.host
		out = append(out, e)
	}
	return out
}

// retried reports whether the batch holds a job tried before.
func retried(jobs []store.Job) bool {
	for _, j := range jobs {
		if j.Attempts > 0 {
			return true
		}
	}
	return false
}
