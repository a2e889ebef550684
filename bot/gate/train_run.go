package gate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/announce"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// decider records the first decision of a piece of work; *store.Store
// implements it. A store without it runs no train (fail closed: a retried
// cut could otherwise cut the version after its own).
type decider interface {
	DecideOnce(ctx context.Context, key, note string) (string, error)
}

var _ decider = (*store.Store)(nil)

// trainRun is one phase of one train.
type trainRun struct {
	g             *Gate
	tj            trainJob
	repo          Repo
	r             Releaser
	p             *policies.Policy
	defaultBranch string
	now           time.Time
	train         policies.Train
}

// decision is what a train does, recorded before its first effect.
type decision struct {
	// Skip says why the train cuts nothing; empty when it cuts.
	Skip    string `json:"skip,omitempty"`
	Version string `json:"version,omitempty"`
	Tag     string `json:"tag,omitempty"`
	Branch  string `json:"branch,omitempty"`
	Head    string `json:"head,omitempty"`
	// Items are the PRs in it; Records the change records.
	Items   []string `json:"items,omitempty"`
	Records []string `json:"records,omitempty"`
}

// when formats a time in the schedule's timezone.
func (t *trainRun) when(at time.Time) string {
	return at.In(t.p.Trains.Location).Format("Mon 2 Jan 2006 15:04 MST")
}

// key names the train in decisions, announcements and the audit log.
func (t *trainRun) key() string {
	return t.tj.At.UTC().Format("20060102T150405Z")
}

// propose is what the train would cut now from the main line.
func (t *trainRun) propose(ctx context.Context) (decision, error) {
	from := t.p.Trains.From
	head, err := branchHead(ctx, t.r, from)
	if err != nil {
		return decision{}, err
	}
	if head == "" {
		return decision{Skip: fmt.Sprintf("the branch %s does not exist", from)}, nil
	}
	plan, commits, err := refs{t.r}.planCommits(ctx, t.p.Release, head, from, t.defaultBranch)
	switch {
	case isLineError(err):
		return decision{Skip: err.Error()}, nil
	case err != nil:
		return decision{}, err
	case plan.PreviousTag != "" && plan.Bump == policies.BumpNone:
		return decision{Skip: fmt.Sprintf("nothing to release: no change on %s since %s bumps the version", from, plan.PreviousTag)}, nil
	}
	d := decision{Version: plan.Next.String(), Tag: plan.NextTag, Head: head}
	if d.Branch, err = t.p.Trains.BranchFor(d.Version); err != nil {
		return decision{Skip: fmt.Sprintf("releases.branch does not render for %s: %v", d.Version, err)}, nil
	}
	d.Items, d.Records = trainContents(t.p, plan, commits)
	return d, nil
}

// trainContents lists the PRs a release holds ("#12 checkout") and the
// change records its commits name, each once.
func trainContents(p *policies.Policy, plan release.Plan, commits []policies.Commit) (items, records []string) {
	notes := release.BuildNotes(plan.NextTag, plan.PreviousTag, time.Time{}, commits)
	for _, s := range notes.Sections {
		for _, e := range s.Entries {
			line := e.Text
			if ref := e.Ref(); ref != "" {
				line = ref + " " + line
			}
			items = append(items, line)
		}
	}
	if p.ChangeRecord != nil {
		for _, c := range commits {
			for _, re := range p.ChangeRecord.Patterns {
				for _, id := range re.FindAllString(c.Message, -1) {
					if !slices.Contains(records, id) {
						records = append(records, id)
					}
				}
			}
		}
	}
	return items, records
}

// announcePlan posts the train's plan ahead of time; a train with nothing
// to release announces nothing. A freeze that moved the departure since
// the announcement was queued moves the announcement with it.
func (t *trainRun) announcePlan(ctx context.Context) error {
	tr := t.train
	if tr.Leaves.IsZero() {
		return nil
	}
	if at := tr.Leaves.Add(-t.p.Trains.Announce); at.After(t.now.Add(time.Minute)) {
		return queueTrain(ctx, t.g.cfg.Acceptor, t.tj, phaseAnnounce, at, at)
	}
	d, err := t.propose(ctx)
	if err != nil {
		return err
	}
	if d.Skip != "" {
		zerolog.Ctx(ctx).Info().Str("why", d.Skip).Msg("train plan not announced: nothing to release")
		return nil
	}
	e := announce.Event{Kind: announce.TrainPlanned, Repo: t.tj.Repo, Key: t.key() + "/" + tr.Leaves.UTC().Format(time.RFC3339),
		Title: fmt.Sprintf("Release train %s leaves %s", d.Tag, t.when(tr.Leaves)), Items: d.Items}
	e.Lines = t.cutLines(d)
	if tr.Postponed() {
		e.Lines = append(e.Lines, fmt.Sprintf("scheduled %s, postponed by the freeze %s", t.when(tr.At), strings.Join(tr.FrozenBy, ", ")))
	}
	return t.g.announce(ctx, t.p, e)
}

// cutLines say what the train cuts, and the change records in it.
func (t *trainRun) cutLines(d decision) []string {
	var what []string
	if d.Branch != "" {
		what = append(what, "branch "+d.Branch)
	}
	if t.p.Trains.Tag {
		what = append(what, "tag "+d.Tag)
	}
	lines := []string{fmt.Sprintf("cuts %s from %s", strings.Join(what, " and "), t.p.Trains.From)}
	if len(d.Records) > 0 {
		lines = append(lines, "change records: "+strings.Join(d.Records, ", "))
	}
	return lines
}

// cut cuts the train when it may leave: postponed while a freeze holds
// it, skipped when nothing is releasable, else the branch and/or the tag
// of the version decided on its first try.
func (t *trainRun) cut(ctx context.Context) error {
	tr := t.train
	if tr.Leaves.IsZero() || tr.Leaves.After(t.now) {
		return t.postpone(ctx)
	}
	dec, ok := t.g.cfg.Store.(decider)
	if !ok {
		return fmt.Errorf("the train of %s at %s: the store cannot record decisions", t.tj.Repo, t.key())
	}
	d := decision{Skip: fmt.Sprintf("the train was due %s and Shipgate was not running then; the next train takes its changes", t.when(tr.Leaves))}
	if by := mergedInto(t.p, tr, t.now); !by.IsZero() {
		d = decision{Skip: fmt.Sprintf("the freeze held it until the train of %s left too: that train takes its changes", t.when(by))}
	} else if t.now.Sub(tr.Leaves) <= trainCatchUp {
		var err error
		if d, err = t.propose(ctx); err != nil {
			return err
		}
	}
	note, err := json.Marshal(d)
	if err != nil {
		return err
	}
	stored, err := dec.DecideOnce(ctx, fmt.Sprintf("train:%s:%s:%s", t.g.host, t.tj.Repo, t.key()), string(note))
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(stored), &d); err != nil {
		return fmt.Errorf("reading the decision of the train %s of %s: %w", t.key(), t.tj.Repo, err)
	}
	if d.Skip != "" {
		return t.skip(ctx, d.Skip)
	}
	return t.cutDecided(ctx, d)
}

// maxMerged bounds the trains mergedInto looks ahead at.
const maxMerged = 1000

// mergedInto is the time of the latest train after tr, due by now, that
// one freeze held until tr leaves too; zero when there is none. Trains a
// freeze held leave together at its end: only the last one cuts, rather
// than each racing to cut the same version.
func mergedInto(p *policies.Policy, tr policies.Train, now time.Time) time.Time {
	var last time.Time
	// Bounded: a train every minute held for weeks gives way to one
	// maxMerged trains later, which gives way in its turn.
	at := p.Trains.Next(tr.At)
	for n := 0; n < maxMerged && !at.IsZero() && !at.After(now); n, at = n+1, p.Trains.Next(at) {
		if !p.Trains.Train(at, p.Freeze).Leaves.Equal(tr.Leaves) {
			break
		}
		last = at
	}
	return last
}

// cutDecided makes the cuts d decided; each is idempotent, so a retry
// redoes what a failure left undone.
func (t *trainRun) cutDecided(ctx context.Context, d decision) error {
	lines := t.cutLines(d)
	if d.Branch != "" {
		bc, ok := t.repo.(BranchCutter)
		if !ok {
			return t.skip(ctx, fmt.Sprintf("this host cannot create the branch %s yet: use releases.tag without releases.branch", d.Branch))
		}
		err := bc.CreateBranch(ctx, d.Branch, d.Head)
		if errors.Is(err, ErrBranchExists) {
			return t.skip(ctx, fmt.Sprintf("the branch %s exists at another commit: left alone, nothing cut", d.Branch))
		}
		if err != nil {
			return err
		}
	}
	if t.p.Trains.Tag {
		self, err := t.g.cfg.Host.Identify(ctx)
		if err != nil {
			return err
		}
		by := releasedBy{actor: self, event: "release_train", deliveryID: "train:" + t.key()}
		refusal, err := t.g.releaseAt(ctx, t.repo, t.r, t.p, d.Tag, d.Head, t.p.Trains.From, t.defaultBranch, by)
		if err != nil {
			return err
		}
		if refusal != "" {
			lines = append(lines, "tag not created: "+refusal)
		}
	}
	if err := t.audit(ctx, "cut", d); err != nil {
		return err
	}
	e := announce.Event{Kind: announce.TrainCut, Repo: t.tj.Repo, Key: t.key(), Title: fmt.Sprintf("Release train %s cut", d.Tag),
		Lines: lines, Items: d.Items}
	zerolog.Ctx(ctx).Info().Str("version", d.Version).Str("branch", d.Branch).Msg("release train cut")
	return t.g.announce(ctx, t.p, e)
}

// postpone holds the train while a freeze covers it: announced once, and
// looked at again when the freeze ends (or every trainRecheck when it has
// no known end).
func (t *trainRun) postpone(ctx context.Context) error {
	tr := t.train
	until, runAt := "its end (it has none the schedule reaches)", t.now.Add(trainRecheck)
	if !tr.Leaves.IsZero() {
		until, runAt = t.when(tr.Leaves), tr.Leaves
	}
	if err := queueTrain(ctx, t.g.cfg.Acceptor, t.tj, phaseCut, runAt, runAt); err != nil {
		return err
	}
	why := fmt.Sprintf("the freeze %s holds it until %s", strings.Join(tr.FrozenBy, ", "), until)
	if err := t.audit(ctx, "postponed", decision{Skip: why}); err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Time("until", tr.Leaves).Msg("release train postponed by a freeze")
	return t.g.announce(ctx, t.p, announce.Event{Kind: announce.TrainPostponed, Repo: t.tj.Repo,
		Key: t.key() + "/" + tr.Leaves.UTC().Format(time.RFC3339), Title: "Release train of " + t.when(tr.At) + " postponed", Reason: why})
}

// skip records and announces a train that cuts nothing.
func (t *trainRun) skip(ctx context.Context, why string) error {
	if err := t.audit(ctx, "skipped", decision{Skip: why}); err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Str("why", why).Msg("release train skipped")
	return t.g.announce(ctx, t.p, announce.Event{Kind: announce.TrainSkipped, Repo: t.tj.Repo, Key: t.key(),
		Title: "Release train of " + t.when(t.train.At) + " skipped", Reason: why})
}

// audit appends the train's outcome to the audit log.
func (t *trainRun) audit(ctx context.Context, outcome string, d decision) error {
	detail, err := json.Marshal(struct {
		At     time.Time `json:"at"`
		Leaves time.Time `json:"leaves,omitzero"`
		decision
	}{t.train.At, t.train.Leaves, d})
	if err != nil {
		return err
	}
	_, err = t.g.cfg.Store.AppendAudit(ctx, store.AuditEvent{At: t.now, Host: t.g.host, Repo: t.tj.Repo, Kind: AuditTrain,
		Actor: "shipgate", Subject: "train " + t.key(), Outcome: outcome, Detail: detail, DeliveryID: "train:" + t.key()})
	if err != nil {
		return fmt.Errorf("auditing the train %s of %s: %w", t.key(), t.tj.Repo, err)
	}
	return nil
}

// AuditTrain is the audit kind of release trains: cut, postponed, skipped.
const AuditTrain = "train"
