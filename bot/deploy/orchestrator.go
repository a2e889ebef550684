package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// KindEvent is the job kind of every deployment job (start, timer, run
// update, decision); the ordering key is the deployment's.
const KindEvent = "deploy.event"

// deliveryHost is the store.Delivery host of the jobs the orchestrator
// queues itself (timers, follow-ups); their delivery IDs make each one
// idempotent.
const deliveryHost = "shipgate"

// Store is what the orchestrator keeps in the database. *store.Store
// implements it.
type Store interface {
	bot.Acceptor
	CreateDeployment(ctx context.Context, d store.Deployment) (bool, error)
	GetDeployment(ctx context.Context, id string) (store.Deployment, error)
	UpdateDeployment(ctx context.Context, d store.Deployment) (int64, error)
	LatestDeployment(ctx context.Context, host policies.Host, repo, environment string, states ...string) (store.Deployment, error)
	ClaimStepKey(ctx context.Context, key, deploymentID string) (bool, error)
	StepKeyDeployment(ctx context.Context, key string) (string, error)
	AppendAudit(ctx context.Context, e store.AuditEvent) (int64, error)
}

var _ Store = (*store.Store)(nil)

// Policies gives the policy deployments follow: the repository's
// .shipgate.yml on its default branch.
type Policies interface {
	DeployPolicy(ctx context.Context, host policies.Host, repo string) (*policies.Policy, error)
}

// Mirror mirrors deployments to the host: GitHub's and GitLab's
// Deployments APIs. States are GitHub's names, which each host maps onto
// its own.
type Mirror interface {
	// CreateDeployment creates a deployment of ref to environment and
	// returns its ID (GitHub: POST /repos/{repo}/deployments; GitLab: POST
	// /projects/:id/deployments, status created).
	CreateDeployment(ctx context.Context, repo, ref, environment, description string) (int64, error)
	// SetDeploymentStatus moves a deployment to queued, in_progress,
	// success, failure or inactive (superseded; GitLab keeps no such
	// state and ignores it).
	SetDeploymentStatus(ctx context.Context, repo string, id int64, state, description string) error
}

// ProtectionRules answers GitHub custom deployment protection rules.
// GitLab has none: its protected environments and deployment approvals
// (Premium) are GitLab's own gates, which Shipgate neither needs nor
// answers.
type ProtectionRules interface {
	// ReviewProtectionRule approves or rejects ("approved", "rejected") the
	// run waiting on environment (POST …/actions/runs/{id}/deployment_protection_rule).
	ReviewProtectionRule(ctx context.Context, repo string, runID int64, environment, state, comment string) error
}

// Teams answers team membership for `@org/team` approvers: GitHub teams,
// GitLab groups (`@group/subgroup`).
type Teams interface {
	IsTeamMember(ctx context.Context, team, login string) (bool, error)
}

// SlackGroups answers Slack user-group membership for `slack:S…` approvers.
type SlackGroups interface {
	InSlackGroup(ctx context.Context, group, user string) (bool, error)
}

// HostIntegrations are what the orchestrator reaches on one code host.
// Policies is required; a nil integration disables what needs it (a step
// that needs it fails, saying so).
type HostIntegrations struct {
	Policies Policies
	Mirror   Mirror
	// Workflows runs github_workflow steps (GitHub); Pipelines runs
	// gitlab_pipeline steps (GitLab).
	Workflows Workflows
	Pipelines Pipelines
	// Protection answers GitHub's deployment protection rules.
	Protection ProtectionRules
	Teams      Teams
	// Emails gives the addresses the host vouches for as a login's, which
	// link it to a Slack user (with Config.Directory).
	Emails Emails
	// Releases gives the default version of `/deploy ENV` and checks the
	// versions it is given.
	Releases Releases
	// Notes gives a release's notes, which a change request carries
	// (changerequest.go); nil: the change request says none were read.
	Notes ReleaseNotes
}

// Config configures an Orchestrator. Store and one host are required; a
// nil integration disables what needs it.
type Config struct {
	Store Store
	// Hosts are the code hosts deployments run on. A deployment, command
	// or run of a host not listed is refused.
	Hosts    map[policies.Host]HostIntegrations
	Notifier Notifier
	Groups   SlackGroups
	// Directory links a login to a Slack user by e-mail address (with the
	// host's Emails), beside notify.slack.users; without it only the
	// policy's mapping links them.
	Directory SlackDirectory
	// HTTPClient runs webhook and health_check steps.
	HTTPClient *http.Client
	// ChangeRequests opens the change requests environments ask for
	// (change_request); nil fails such deployments, saying why.
	ChangeRequests ChangeRequests
	// Getenv reads a webhook step's secret_env; nil means os.Getenv.
	Getenv func(string) string
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger zerolog.Logger
	// Wake, if set, is called after jobs were queued (bot.Workers.Wake).
	Wake func()
	// CloseReleases queues a KindReleaseEnded job when a release's
	// deployments end; a processor of that kind (bot/report) must run.
	CloseReleases bool
}

// Orchestrator runs deployments. It is a bot.Processor of KindEvent jobs.
type Orchestrator struct {
	cfg Config
	// links caches the Slack users found for logins by e-mail.
	links *linkCache
}

var _ bot.Processor = (*Orchestrator)(nil)

// on returns the integrations of host; none (all nil) for a host not
// configured.
func (o *Orchestrator) on(host policies.Host) HostIntegrations { return o.cfg.Hosts[host] }

// ErrHostNotEnabled is returned for a deployment of a host Shipgate does
// not deploy on (Config.Hosts).
var ErrHostNotEnabled = errors.New("deployments are not enabled on this host")

// policy reads the deploy policy of repo on host.
func (o *Orchestrator) policy(ctx context.Context, host policies.Host, repo string) (*policies.Policy, error) {
	src := o.on(host).Policies
	if src == nil {
		return nil, fmt.Errorf("reading the deploy policy of %s on %s: %w", repo, host, ErrHostNotEnabled)
	}
	p, err := src.DeployPolicy(ctx, host, repo)
	if err != nil {
		return nil, fmt.Errorf("reading the deploy policy of %s: %w", repo, err)
	}
	return p, nil
}

// DeployPolicy reads the deploy policy of repo on host, as deployments
// do: the release report routes its announcement by it.
func (o *Orchestrator) DeployPolicy(ctx context.Context, host policies.Host, repo string) (*policies.Policy, error) {
	return o.policy(ctx, host, repo)
}

// New checks cfg and returns an Orchestrator.
func New(cfg Config) (*Orchestrator, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("deploy: a Store is required"))
	}
	if len(cfg.Hosts) == 0 {
		errs = append(errs, errors.New("deploy: at least one host is required"))
	}
	for h, in := range cfg.Hosts {
		if in.Policies == nil {
			errs = append(errs, fmt.Errorf("deploy: %s needs a Policies source", h))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Orchestrator{cfg: cfg, links: &linkCache{}}, nil
}

// event is a KindEvent job's payload.
type event struct {
	// Type is "advance" (start, timer), "run" (a CI run moved) or
	// "decision".
	Type     string         `json:"type"`
	ID       string         `json:"id"`
	Run      *WorkflowRun   `json:"run,omitempty"`
	Marker   string         `json:"marker,omitempty"`
	Decision *decisionEvent `json:"decision,omitempty"`
}

type decisionEvent struct {
	Actor   Actor  `json:"actor"`
	Approve bool   `json:"approve"`
	Reason  string `json:"reason,omitempty"`
	Via     string `json:"via"`
}

// Kinds implements bot.Processor.
func (o *Orchestrator) Kinds() []string { return []string{KindEvent} }

// Process implements bot.Processor: it applies each job's event to its
// deployment and advances the deployment as far as it goes.
func (o *Orchestrator) Process(ctx context.Context, b store.Batch) error {
	for _, j := range b.Jobs {
		var e event
		if err := json.Unmarshal(j.Payload, &e); err != nil {
			return bot.Permanent(fmt.Errorf("decoding deployment job %d: %w", j.ID, err))
		}
		if err := o.handle(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// handle applies e, reading the deployment again when a concurrent job
// (a timer beside an event) saved it first.
func (o *Orchestrator) handle(ctx context.Context, e event) error {
	var err error
	for range 5 {
		if err = o.handleOnce(ctx, e); !errors.Is(err, store.ErrStale) {
			return err
		}
	}
	return err
}

// handleOnce applies e to the deployment as stored now. The audit events
// and notices of the transition go out only once it is saved (see
// effects), so a transition redone after ErrStale reports once.
func (o *Orchestrator) handleOnce(ctx context.Context, e event) error {
	st, err := o.load(ctx, e.ID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return bot.Permanent(err)
		}
		return err
	}
	if err := o.apply(ctx, st, e); err != nil {
		return err
	}
	o.flush(ctx, st)
	return nil
}

func (o *Orchestrator) apply(ctx context.Context, st *State, e event) error {
	if st.Done() {
		// A change request left open by a crash is closed now.
		if err := o.closeChange(ctx, st); err != nil {
			return err
		}
		if e.Decision != nil {
			o.refuse(ctx, st, e.Decision.Actor, fmt.Sprintf("the %s has ended (%s); nothing to decide", st, st.Status))
		}
		return nil
	}
	p, err := o.policy(ctx, st.Host, st.Repo)
	if err != nil {
		return err
	}
	env := environment(p, st.Environment)
	if env == nil {
		o.fail(ctx, st, fmt.Sprintf("the policy has no environment %s any more", st.Environment))
		return o.save(ctx, st)
	}
	plan := o.plan(st.Host, p, env, st.Kind)
	switch {
	case e.Run != nil:
		if moved, err := o.runEvent(ctx, st, plan, e); err != nil || !moved {
			return err
		}
	case e.Decision != nil:
		if !o.decide(ctx, p, st, plan, *e.Decision) {
			return nil
		}
	}
	return o.advance(ctx, p, env, st, plan)
}

// runEvent applies a CI run's webhook to the current step: moved is true
// when the run is the step's own start. A run that carries the step's key
// without being it is audited (once) and changes nothing else; a run of
// another step or attempt is ignored.
func (o *Orchestrator) runEvent(ctx context.Context, st *State, plan []Step, e event) (moved bool, err error) {
	cur := st.Current()
	if cur == nil || st.Step >= len(plan) || cur.Key != e.Marker || cur.Conclusion != "" {
		return false, nil
	}
	cs, ok := plan[st.Step].(*ciStep)
	if !ok {
		return false, nil
	}
	cs.ensureDispatch(st, cur)
	if moved, err = cs.adopt(ctx, st, cur, *e.Run); err != nil || moved {
		return moved, err
	}
	return false, o.save(ctx, st)
}

// advance runs the plan from the current step until a step waits or the
// deployment ends, saving after every transition.
func (o *Orchestrator) advance(ctx context.Context, p *policies.Policy, env *policies.Environment, st *State, plan []Step) error {
	if len(st.Steps) != len(plan) {
		// The policy changed under a running deployment: keep the
		// progress of the steps that remain and name them afresh.
		steps := make([]StepState, len(plan))
		copy(steps, st.Steps)
		st.Steps = steps
	}
	if err := o.ensureMirror(ctx, st); err != nil {
		return err
	}
	for st.Step < len(plan) {
		s, cur := plan[st.Step], &st.Steps[st.Step]
		cur.Name = s.Name()
		if cur.Status == "" {
			cur.Status, cur.StartedAt = stepRunning, st.now
			o.audit(ctx, st, "deploy.step", o.botActor(), cur.Name, "started")
			if st.Step == firstWorkStep(plan) {
				o.mirror(ctx, st, "in_progress", "deploying "+st.Version)
			}
		}
		res, err := s.Run(ctx, st)
		if err != nil {
			// Keep what the step recorded (its idempotency key) before
			// the job is retried.
			if serr := o.save(ctx, st); serr != nil {
				return errors.Join(err, serr)
			}
			return err
		}
		cur.Message = res.Message
		switch res.Outcome {
		case Waiting:
			if !res.RecheckAt.IsZero() {
				// One timer per step attempt and instant: a step that
				// answers the same RecheckAt again (a gate woken by a
				// refused click) schedules nothing new.
				if err := o.schedule(ctx, st, res.RecheckAt, fmt.Sprintf("timer:%s:%d:%d:%d", st.ID, st.Step, st.Attempt, res.RecheckAt.UnixMicro())); err != nil {
					return err
				}
			}
			return o.save(ctx, st)
		case Failed:
			return o.stepFailed(ctx, p, env, st, cur, res)
		default:
			cur.Status, cur.EndedAt = stepDone, st.now
			if res.Outcome == Skipped {
				cur.Status = stepSkipped
			}
			o.audit(ctx, st, "deploy.step", o.botActor(), cur.Name, cur.Status+": "+res.Message)
			if res.Outcome == Done {
				o.notify(ctx, st, Notice{Event: EventStep, Line: fmt.Sprintf("%s: %s", cur.Name, res.Message)})
			}
			st.Step++
			if err := o.save(ctx, st); err != nil {
				return err
			}
		}
	}
	return o.succeeded(ctx, p, st)
}

// stepFailed ends st with its failed step: a rollback when the policy has
// one, its change request closed, and its release closed unless a
// rollback goes on.
func (o *Orchestrator) stepFailed(ctx context.Context, p *policies.Policy, env *policies.Environment, st *State, cur *StepState, res Result) error {
	cur.Status, cur.EndedAt = stepFailed, st.now
	o.audit(ctx, st, "deploy.step", o.botActor(), cur.Name, "failed: "+res.Message)
	o.fail(ctx, st, fmt.Sprintf("%s: %s", cur.Name, res.Message))
	if err := o.save(ctx, st); err != nil {
		return err
	}
	rollingBack, err := o.afterFailure(ctx, p, env, st)
	if err != nil {
		return err
	}
	if err := o.closeChange(ctx, st); err != nil || rollingBack {
		return err
	}
	return o.releaseEnded(ctx, p, st)
}

// succeeded ends st once its last step is done: the deployment it
// supersedes made inactive, what follows it started, its change request
// closed and, at the last environment, its release closed.
func (o *Orchestrator) succeeded(ctx context.Context, p *policies.Policy, st *State) error {
	superseded := o.supersedes(ctx, st)
	o.succeed(ctx, st)
	if err := o.save(ctx, st); err != nil {
		return err
	}
	if superseded != nil {
		o.mirror(ctx, superseded, "inactive", "superseded by "+st.Version)
		o.flush(ctx, superseded)
	}
	if err := o.afterSuccess(ctx, p, st); err != nil {
		return err
	}
	if err := o.closeChange(ctx, st); err != nil {
		return err
	}
	return o.releaseEnded(ctx, p, st)
}

// ensureMirror creates the host deployment, queued, when the deployment
// first runs (before its freeze and gate), and saves its ID at once. A
// crash between the two repeats the creation on the retry; a failure of
// the host is logged and the deployment goes on unmirrored.
func (o *Orchestrator) ensureMirror(ctx context.Context, st *State) error {
	m := o.on(st.Host).Mirror
	if st.Kind == KindProtection || m == nil || st.HostDeploymentID != 0 || st.Step > 0 || (len(st.Steps) > 0 && st.Steps[0].Status != "") {
		return nil
	}
	hid, err := m.CreateDeployment(ctx, st.Repo, st.Version, st.Environment, truncate(fmt.Sprintf("Shipgate: %s (%s)", st, st.Trigger), 140))
	if err != nil {
		o.log(ctx, st).Warn().Err(err).Msg("creating the host deployment")
		return nil
	}
	st.HostDeploymentID = hid
	o.mirror(ctx, st, "queued", "waiting for its freeze windows and gates")
	return o.save(ctx, st)
}

// firstWorkStep is the index of the first step after the freeze and the
// environment's gate: the deployment is in progress from there.
func firstWorkStep(plan []Step) int {
	for i, s := range plan {
		switch s.(type) {
		case *freezeStep, *gateStep, *changeStep:
			continue
		}
		return i
	}
	return len(plan)
}

func (o *Orchestrator) succeed(ctx context.Context, st *State) {
	st.Status, st.EndedAt = StatusSucceeded, st.now
	switch st.Kind {
	case KindProtection:
		o.answerProtection(ctx, st, "approved", "Shipgate approved: "+summary(st))
	default:
		o.mirror(ctx, st, "success", st.Version+" is live on "+st.Environment)
	}
	o.audit(ctx, st, "deploy."+st.Kind, o.botActor(), st.Environment, StatusSucceeded)
	ev := EventSucceeded
	if st.Kind == KindRollback {
		ev = EventRolledBack
	}
	o.notify(ctx, st, Notice{Event: ev, Line: fmt.Sprintf("%s succeeded", st)})
}

func (o *Orchestrator) fail(ctx context.Context, st *State, why string) {
	st.Status, st.EndedAt, st.Message = StatusFailed, st.now, why
	switch st.Kind {
	case KindProtection:
		o.answerProtection(ctx, st, "rejected", "Shipgate rejected: "+why)
	default:
		o.mirror(ctx, st, "failure", why)
	}
	o.audit(ctx, st, "deploy."+st.Kind, o.botActor(), st.Environment, StatusFailed+": "+why)
	o.notify(ctx, st, Notice{Event: EventFailed, Line: fmt.Sprintf("%s failed: %s", st, why)})
}

func summary(st *State) string {
	var parts []string
	for _, s := range st.Steps {
		if s.Message != "" && s.Status == stepDone {
			parts = append(parts, s.Message)
		}
	}
	if len(parts) == 0 {
		return "no freeze window is active and no gate is pending"
	}
	return strings.Join(parts, "; ")
}

// supersedes returns the environment's current successful deployment,
// which st replaces (its host deployment becomes inactive).
func (o *Orchestrator) supersedes(ctx context.Context, st *State) *State {
	if st.Kind == KindProtection {
		return nil
	}
	d, err := o.cfg.Store.LatestDeployment(ctx, st.Host, st.Repo, st.Environment, StatusSucceeded)
	if err != nil || d.ID == st.ID {
		return nil
	}
	var prev State
	if err := json.Unmarshal(d.Data, &prev); err != nil {
		return nil
	}
	prev.now = st.now
	return &prev
}

// afterSuccess marks the superseded deployment inactive and starts the
// environments that come after this one.
func (o *Orchestrator) afterSuccess(ctx context.Context, p *policies.Policy, st *State) error {
	if st.Kind == KindProtection {
		return nil
	}
	for _, env := range p.Deploy {
		if env.After == st.Environment && st.Kind == KindDeploy {
			if _, _, err := o.start(ctx, p, StartRequest{Host: st.Host, Repo: st.Repo, Environment: env.Name, Version: st.Version, SHA: st.SHA,
				Actor: st.StartedBy, Trigger: "after " + st.Environment}); err != nil {
				return err
			}
		}
	}
	return nil
}

// afterFailure starts the rollback of a failed deployment to the previous
// successful version; rollingBack tells that it did.
func (o *Orchestrator) afterFailure(ctx context.Context, p *policies.Policy, env *policies.Environment, st *State) (rollingBack bool, err error) {
	if st.Kind != KindDeploy || len(env.Rollback) == 0 || st.Step < firstWorkStep(o.plan(st.Host, p, env, st.Kind)) {
		// Nothing ran (a rejected gate, a freeze): nothing to undo.
		return false, nil
	}
	if st.PreviousVersion == "" {
		o.notify(ctx, st, Notice{Event: EventStep, Line: "No previous successful version of " + st.Environment + " to roll back to"})
		return false, nil
	}
	_, _, err = o.start(ctx, p, StartRequest{Host: st.Host, Repo: st.Repo, Environment: st.Environment, Version: st.PreviousVersion,
		Kind: KindRollback, RolledBack: st.Version, Actor: Actor{}, Trigger: "failure of " + st.Version})
	if err == nil && st.Change != nil {
		st.Change.RollbackTo = st.PreviousVersion
	}
	return err == nil, err
}

func environment(p *policies.Policy, name string) *policies.Environment {
	for i := range p.Deploy {
		if strings.EqualFold(p.Deploy[i].Name, name) {
			return &p.Deploy[i]
		}
	}
	return nil
}

// load reads a deployment's state.
func (o *Orchestrator) load(ctx context.Context, id string) (*State, error) {
	d, err := o.cfg.Store.GetDeployment(ctx, id)
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(d.Data, &st); err != nil {
		return nil, fmt.Errorf("decoding deployment %s: %w", id, err)
	}
	st.revision, st.now = d.Revision, o.cfg.Now()
	return &st, nil
}

// save writes st (compare-and-swap on its revision).
func (o *Orchestrator) save(ctx context.Context, st *State) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding deployment %s: %w", st.ID, err)
	}
	rev, err := o.cfg.Store.UpdateDeployment(ctx, store.Deployment{ID: st.ID, State: storedState(st), Revision: st.revision, Data: data, UpdatedAt: st.now})
	if err != nil {
		return err
	}
	st.revision = rev
	o.flush(ctx, st)
	return nil
}

// flush writes the audit events and sends the notices of the transitions
// saved so far.
func (o *Orchestrator) flush(ctx context.Context, st *State) {
	effects := st.effects
	st.effects = nil
	for _, fn := range effects {
		fn(ctx)
	}
}

// storedState keeps protection-rule answers out of the environment's
// version history.
func storedState(st *State) string {
	if st.Kind == KindProtection {
		return "protection-" + st.Status
	}
	return st.Status
}

// schedule queues an advance of st at `at`; deliveryID makes it happen
// once however often it is asked. A timer has an ordering key of its own:
// on the deployment's key it would hold back every event until it is due.
// A timer and an event may then run at once; the compare-and-swap in save
// makes the later one read again (see handle).
func (o *Orchestrator) schedule(ctx context.Context, st *State, at time.Time, deliveryID string) error {
	payload, err := json.Marshal(event{Type: "advance", ID: st.ID})
	if err != nil {
		return err
	}
	return o.enqueue(ctx, store.Delivery{Host: deliveryHost, ID: deliveryID, Event: "deploy", Action: "timer", Payload: payload},
		store.Job{Kind: KindEvent, Key: "timer:" + deliveryID, Payload: payload, RunAt: at})
}

func (o *Orchestrator) enqueue(ctx context.Context, d store.Delivery, j store.Job) error {
	if _, err := o.cfg.Store.Accept(ctx, d, j); err != nil {
		return fmt.Errorf("queueing %s: %w", d.ID, err)
	}
	if o.cfg.Wake != nil {
		o.cfg.Wake()
	}
	return nil
}

// mirror sets the host deployment's status once the transition is saved,
// and once per state: a transition redone after a crash or a stale save
// finds the state set (Mirrored) and sets nothing again. A crash between
// the save and the call loses that status rather than posting it twice;
// the deployment's next status still goes out. Failures are logged, never
// fatal (the mirror is a view).
func (o *Orchestrator) mirror(ctx context.Context, st *State, state, description string) {
	m := o.on(st.Host).Mirror
	if m == nil || st.HostDeploymentID == 0 || st.Mirrored == state {
		return
	}
	st.Mirrored = state
	repo, id, desc, log := st.Repo, st.HostDeploymentID, truncate(description, 140), o.log(ctx, st)
	st.effects = append(st.effects, func(ctx context.Context) {
		if err := m.SetDeploymentStatus(ctx, repo, id, state, desc); err != nil {
			log.Warn().Err(err).Str("state", state).Msg("setting the deployment status")
		}
	})
}

func (o *Orchestrator) answerProtection(ctx context.Context, st *State, state, comment string) {
	pr := o.on(st.Host).Protection
	if st.Protect == nil || st.Protect.Answered || pr == nil {
		return
	}
	if err := pr.ReviewProtectionRule(ctx, st.Repo, st.Protect.RunID, st.Environment, state, truncate(comment, 1000)); err != nil {
		o.log(ctx, st).Warn().Err(err).Msg("answering the protection rule")
		return
	}
	st.Protect.Answered, st.Protect.State = true, state
	o.audit(ctx, st, "deploy.protection_rule", o.botActor(), st.Environment, state)
}

// audit records an audit event of the current transition; it is appended
// when the transition is saved.
func (o *Orchestrator) audit(ctx context.Context, st *State, kind string, actor Actor, subject, outcome string) {
	ev := auditEvent(st, kind, actor, subject, outcome)
	log := o.log(ctx, st)
	st.effects = append(st.effects, func(ctx context.Context) {
		if _, err := o.cfg.Store.AppendAudit(ctx, ev); err != nil {
			log.Warn().Err(err).Str("audit", kind).Msg("appending the audit event")
		}
	})
}

// auditNow records an effect outside Shipgate (a workflow dispatched) at
// once: unlike a transition, it has happened whether or not the state that
// follows is saved, and a retry will not repeat it (its step key is spent).
func (o *Orchestrator) auditNow(ctx context.Context, st *State, kind string, actor Actor, subject, outcome string) {
	if _, err := o.cfg.Store.AppendAudit(ctx, auditEvent(st, kind, actor, subject, outcome)); err != nil {
		o.log(ctx, st).Warn().Err(err).Str("audit", kind).Msg("appending the audit event")
	}
}

func auditEvent(st *State, kind string, actor Actor, subject, outcome string) store.AuditEvent {
	detail, _ := json.Marshal(map[string]any{"deployment": st.ID, "version": st.Version, "step": st.Step, "attempt": st.Attempt})
	return store.AuditEvent{At: st.now, Host: st.Host, Repo: st.Repo, Kind: kind, Actor: actor.String(),
		Subject: st.Environment + "@" + st.Version + ": " + subject, Outcome: truncate(outcome, 500), Detail: detail}
}

func (o *Orchestrator) botActor() Actor { return Actor{} }

func (o *Orchestrator) log(ctx context.Context, st *State) *zerolog.Logger {
	l := o.cfg.Logger.With().Str(bot.FieldRepo, st.Repo).Str("deployment", st.ID).Logger()
	return &l
}

// truncate cuts s to at most n characters, ending with "…" when it cuts,
// without splitting a UTF-8 sequence: GitHub counts its limits (140 for a
// deployment status) in characters and refuses invalid UTF-8.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
