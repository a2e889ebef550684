package gate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// BranchCutter is a Repo that can create branches: a release train with
// releases.branch needs it (GitHub and GitLab). Without it such a train is refused,
// with the reason, and cuts nothing.
type BranchCutter interface {
	// CreateBranch creates branch at sha; a branch already at sha is no
	// error, one elsewhere is ErrBranchExists.
	CreateBranch(ctx context.Context, branch, sha string) error
}

// ErrBranchExists is BranchCutter.CreateBranch's error for a branch that
// exists at another commit: it is left alone.
var ErrBranchExists = errors.New("the branch exists at another commit")

// TrainKind is the kind of a host's release-train jobs.
func TrainKind(h policies.Host) string { return string(h) + ".train" }

// Train job phases.
const (
	phaseAnnounce = "announce"
	phaseCut      = "cut"
)

// trainJob is a TrainKind job's payload: one phase of the train scheduled
// At (in the schedule's timezone).
type trainJob struct {
	V     int           `json:"v"`
	Host  policies.Host `json:"host"`
	Repo  string        `json:"repo"`
	Scope int64         `json:"scope,omitempty"`
	Phase string        `json:"phase"`
	At    time.Time     `json:"at"`
}

// Train timing.
const (
	// trainCatchUp is how late a train may still leave (Shipgate was
	// down when it was due): later, it is skipped and said so, rather than
	// cut days after anyone expected it.
	trainCatchUp = 24 * time.Hour
	// trainRecheck is how often a train held by a freeze with no known end
	// looks again (the policy may have changed).
	trainRecheck = time.Hour
)

// ScheduleTrain queues the next train of p after now: its cut at its
// scheduled time, and its plan's announcement releases.announce before it
// leaves. Each job is named by the repository, the phase, the train's time
// and when it is due, so that scheduling again (every evaluation of a
// change into the main line does) is a duplicate, a restart loses nothing
// and replicas queue it once. A policy without trains schedules nothing.
func ScheduleTrain(ctx context.Context, q bot.Acceptor, host policies.Host, repo string, scope int64, p *policies.Policy, now time.Time) error {
	if p == nil || p.Trains == nil || p.Trains.Schedule == nil {
		return nil
	}
	at := p.Trains.Next(now)
	if at.IsZero() {
		return nil
	}
	tj := trainJob{Host: host, Repo: repo, Scope: scope, At: at}
	if err := queueTrain(ctx, q, tj, phaseCut, at, at); err != nil {
		return err
	}
	if tr := p.Trains.Train(at, p.Freeze); p.Trains.Announce > 0 && !tr.Leaves.IsZero() {
		// Named by when it is due, not by now: inside the announce
		// window every evaluation would otherwise queue another
		// announcement job, each planning the train again on the host.
		due := tr.Leaves.Add(-p.Trains.Announce)
		return queueTrain(ctx, q, tj, phaseAnnounce, due, later(now, due))
	}
	return nil
}

// later is the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// queueTrain queues phase of the train tj, named by when it is due and
// run at runAt (due, or now when due has passed).
func queueTrain(ctx context.Context, q bot.Acceptor, tj trainJob, phase string, due, runAt time.Time) error {
	tj.V, tj.Phase = Version, phase
	payload, err := json.Marshal(tj)
	if err != nil {
		return err
	}
	// The key is the phase of one train: a job waits for the earlier
	// jobs of its key, and one train's cut must not hold up the next
	// train's announcement.
	key := fmt.Sprintf("train:%s:%s:%s:%d", tj.Host, tj.Repo, phase, tj.At.Unix())
	id := fmt.Sprintf("%s@%d", key, due.Unix())
	_, err = q.Accept(ctx, store.Delivery{Host: "shipgate", ID: id, Event: "train", Action: phase, Payload: payload},
		store.Job{Kind: TrainKind(tj.Host), Key: key, Payload: payload, RunAt: runAt})
	if err != nil {
		return fmt.Errorf("scheduling the %s of the train of %s at %s: %w", phase, tj.Repo, tj.At.Format(time.RFC3339), err)
	}
	return nil
}

// processTrains runs a batch of jobs of one phase of one train, in order.
func (g *Gate) processTrains(ctx context.Context, jobs []store.Job) error {
	for _, j := range jobs {
		var tj trainJob
		if err := json.Unmarshal(j.Payload, &tj); err != nil || tj.Repo == "" || tj.At.IsZero() {
			zerolog.Ctx(ctx).Error().Int64(bot.FieldJob, j.ID).Msg("unreadable train job payload: skipped")
			continue
		}
		l := zerolog.Ctx(ctx).With().Str(bot.FieldHost, string(g.host)).Str(bot.FieldRepo, tj.Repo).
			Str("phase", tj.Phase).Time("train", tj.At).Logger()
		if err := g.cfg.Host.Classify(g.runTrain(l.WithContext(ctx), tj)); err != nil {
			return err
		}
	}
	return nil
}

// runTrain runs one phase of a train under the policy of the default
// branch as it is now (a train the policy no longer schedules is dropped),
// and schedules the next train.
func (g *Gate) runTrain(ctx context.Context, tj trainJob) error {
	log := zerolog.Ctx(ctx)
	repo, err := g.cfg.Host.Repo(ctx, tj.Repo, tj.Scope)
	if err != nil {
		return err
	}
	r, ok := repo.(Releaser)
	if !ok {
		log.Info().Msg("the host does not release: no train")
		return nil
	}
	defaultBranch, err := r.DefaultBranch(ctx)
	if err != nil {
		return err
	}
	lp, err := LoadPolicy(ctx, repo, review.PolicyFile, defaultBranch)
	if err != nil {
		return err
	}
	p, now := lp.Policy, g.cfg.Now()
	if p != nil && tj.Phase == phaseFreeze {
		return g.announceFreezes(ctx, tj, p)
	}
	if p == nil || p.Trains == nil {
		log.Info().Msg("the default branch's policy has no valid releases schedule: no train")
		return nil
	}
	if err := ScheduleTrain(ctx, g.cfg.Acceptor, g.host, tj.Repo, tj.Scope, p, now); err != nil {
		return err
	}
	if !p.Trains.Next(tj.At.Add(-time.Nanosecond)).Equal(tj.At) {
		log.Info().Msg("the schedule changed since this train was planned: dropped")
		return nil
	}
	t := trainRun{g: g, tj: tj, repo: repo, r: r, p: p, defaultBranch: defaultBranch, now: now}
	t.train = p.Trains.Train(tj.At, p.Freeze)
	if tj.Phase == phaseAnnounce {
		return t.announcePlan(ctx)
	}
	return t.cut(ctx)
}
