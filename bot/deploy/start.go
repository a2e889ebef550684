package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// StartRequest asks for a deployment.
type StartRequest struct {
	Host              policies.Host
	Repo, Environment string
	// Version is the tag to deploy; SHA its commit, when known.
	Version, SHA string
	// Kind is KindDeploy (the default), KindRollback or KindProtection.
	Kind string
	// RolledBack is, for a rollback, the version it replaces.
	RolledBack string
	// Actor started it and may not approve it.
	Actor Actor
	// Trigger says why ("release", "/deploy", "after staging").
	Trigger string
	// RunID is, for a protection rule, the run waiting on it.
	RunID int64
}

// Start creates the deployment of a version to an environment, mirrors it
// to the host as queued, and queues its first advance. One deployment per
// environment, version and kind: started is false when it exists already,
// and nothing changes.
func (o *Orchestrator) Start(ctx context.Context, r StartRequest) (id string, started bool, err error) {
	if r.Host == "" {
		r.Host = policies.GitHub
	}
	p, err := o.policy(ctx, r.Host, r.Repo)
	if err != nil {
		return "", false, err
	}
	return o.start(ctx, p, r)
}

// start is Start under the policy p, already read.
func (o *Orchestrator) start(ctx context.Context, p *policies.Policy, r StartRequest) (id string, started bool, err error) {
	if r.Kind == "" {
		r.Kind = KindDeploy
	}
	if r.Host == "" {
		r.Host = policies.GitHub
	}
	env := environment(p, r.Environment)
	if env == nil {
		if pr := o.on(r.Host).Protection; r.Kind == KindProtection && pr != nil {
			// A protection rule is always answered, and fails closed.
			err := pr.ReviewProtectionRule(ctx, r.Repo, r.RunID, r.Environment, "rejected",
				fmt.Sprintf("Shipgate rejected: the policy of %s has no deployment environment %s", r.Repo, r.Environment))
			return "", false, err
		}
		return "", false, fmt.Errorf("starting a deployment to %s: %w", r.Environment, ErrNoEnvironment)
	}
	instance := r.Version
	switch r.Kind {
	case KindProtection:
		instance = fmt.Sprintf("run-%d", r.RunID)
	case KindRollback:
		instance = r.RolledBack + "->" + r.Version
	}
	id = DeploymentID(r.Host, r.Repo, env.Name, instance, r.Kind)
	now := o.cfg.Now()
	st := &State{ID: id, Kind: r.Kind, Host: r.Host, Repo: r.Repo, Environment: env.Name, Version: r.Version, SHA: r.SHA,
		RolledBack: r.RolledBack, StartedBy: r.Actor, Trigger: r.Trigger, Status: StatusRunning, Attempt: 1, CreatedAt: now, now: now,
		SlackChannel: p.Notify.SlackChannel}
	if prev, err := o.cfg.Store.LatestDeployment(ctx, r.Host, r.Repo, env.Name, StatusSucceeded); err == nil {
		if prev.Version != r.Version {
			st.PreviousVersion = prev.Version
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", false, err
	}
	if r.Kind == KindRollback {
		st.PreviousVersion = r.Version
	}
	if r.Kind == KindProtection {
		st.Protect = &ProtectionRun{RunID: r.RunID}
	}
	plan := o.plan(r.Host, p, env, r.Kind)
	st.Steps = make([]StepState, len(plan))
	for i, s := range plan {
		// Named from the start, so the whole plan can be shown.
		st.Steps[i].Name = s.Name()
	}
	data, err := json.Marshal(st)
	if err != nil {
		return "", false, fmt.Errorf("encoding deployment %s: %w", id, err)
	}
	created, err := o.cfg.Store.CreateDeployment(ctx, store.Deployment{ID: id, Host: r.Host, Repo: r.Repo, Environment: env.Name,
		Version: r.Version, State: storedState(st), Data: data, CreatedAt: now})
	if err != nil {
		return id, false, err
	}
	if !created {
		// Queue the start again (once per deployment, by its delivery
		// ID): a caller retried after a crash between the two writes
		// must not leave the deployment without a job.
		return id, false, o.schedule(ctx, st, now, "start:"+id)
	}
	st.revision = 1
	o.audit(ctx, st, "deploy.start", r.Actor, r.Kind, r.Trigger)
	o.notify(ctx, st, Notice{Event: EventStarted, Line: fmt.Sprintf("%s started by %s (%s)", st, r.Actor, r.Trigger)})
	o.flush(ctx, st)
	return id, true, o.schedule(ctx, st, now, "start:"+id)
}

// ErrNoEnvironment is returned when the policy has no such environment.
var ErrNoEnvironment = errors.New("the policy has no such deployment environment")

// Release starts the `on: release` environments for a validated tag; later
// calls for the same tag change nothing.
func (o *Orchestrator) Release(ctx context.Context, host policies.Host, repo, version, sha string, actor Actor) error {
	p, err := o.policy(ctx, host, repo)
	if err != nil {
		return err
	}
	var errs []error
	for _, env := range p.ReleaseEnvironments(version) { // a component's tag starts its own environments only
		if _, _, err := o.start(ctx, p, StartRequest{Host: host, Repo: repo, Environment: env.Name, Version: version, SHA: sha, Actor: actor, Trigger: "release " + version}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Rollback starts, by hand, the rollback of an environment to the version
// deployed before its current one. An environment with nothing to roll
// back to is a refusal, whose text says so.
func (o *Orchestrator) Rollback(ctx context.Context, host policies.Host, repo, environment string, actor Actor) (string, error) {
	cur, err := o.cfg.Store.LatestDeployment(ctx, host, repo, environment, StatusSucceeded)
	if errors.Is(err, store.ErrNotFound) {
		return "", refusal(environment + " has no successful deployment to roll back")
	}
	if err != nil {
		return "", fmt.Errorf("finding what %s runs: %w", environment, err)
	}
	var st State
	if err := json.Unmarshal(cur.Data, &st); err != nil {
		return "", fmt.Errorf("decoding deployment %s: %w", cur.ID, err)
	}
	target := st.PreviousVersion
	if st.Kind == KindRollback || target == "" {
		return "", refusal(fmt.Sprintf("%s runs %s and Shipgate knows no earlier successful version to roll back to; deploy one with `/deploy %s VERSION`",
			environment, templates.Inert(cur.Version), environment))
	}
	id, _, err := o.Start(ctx, StartRequest{Host: host, Repo: repo, Environment: environment, Version: target, Kind: KindRollback,
		RolledBack: cur.Version, Actor: actor, Trigger: "/rollback by " + actor.String()})
	return id, err
}

// Decide queues a decision on the deployment's current gate; the job checks
// the decider and applies it (an unauthorised decider is told, privately,
// and nothing changes). dedupe identifies the request (a Slack action, a
// comment) so a replay has no second effect.
func (o *Orchestrator) Decide(ctx context.Context, id string, actor Actor, approve bool, reason, via, dedupe string) error {
	payload, err := json.Marshal(event{Type: "decision", ID: id, Decision: &decisionEvent{Actor: actor, Approve: approve, Reason: reason, Via: via}})
	if err != nil {
		return err
	}
	return o.enqueue(ctx, store.Delivery{Host: deliveryHost, ID: "decision:" + dedupe, Event: "deploy", Action: "decision", Payload: payload},
		store.Job{Kind: KindEvent, Key: key(id), Payload: payload})
}

// Pending returns the running deployment of an environment (the one a
// `/approve-deploy ENV` means).
func (o *Orchestrator) Pending(ctx context.Context, host policies.Host, repo, environment string) (string, error) {
	d, err := o.cfg.Store.LatestDeployment(ctx, host, repo, environment, StatusRunning)
	if err != nil {
		return "", err
	}
	return d.ID, nil
}

// WorkflowRunUpdated is RunUpdated for a GitHub workflow_run webhook.
func (o *Orchestrator) WorkflowRunUpdated(ctx context.Context, deliveryID, repo string, run WorkflowRun) error {
	return o.RunUpdated(ctx, policies.GitHub, deliveryID, repo, run)
}

// runDelivery names the delivery of a run's update: the host's delivery
// ID, which the hosts draw from one space (UUIDs), kept apart per host
// (GitHub's as they were).
func runDelivery(host policies.Host, deliveryID string) string {
	if host == policies.GitHub {
		return "run:" + deliveryID
	}
	return "run:" + string(host) + ":" + deliveryID
}

// RunUpdated queues a CI run's update (a workflow_run webhook, a GitLab
// Pipeline Hook) of repo on host for the deployment step whose key the run
// carries (IDsOf); the job checks that the run is Shipgate's own start
// before it moves the step. A run that carries no key is not a
// deployment's and is ignored; one whose key no step has (a guess, or a
// stale copy) is ignored and audited.
func (o *Orchestrator) RunUpdated(ctx context.Context, host policies.Host, deliveryID, repo string, run WorkflowRun) error {
	run = located(run, host, repo)
	ids := IDsOf(run)
	for _, marker := range ids {
		id, err := o.cfg.Store.StepKeyDeployment(ctx, marker)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		payload, err := json.Marshal(event{Type: "run", ID: id, Run: &run, Marker: marker})
		if err != nil {
			return err
		}
		return o.enqueue(ctx, store.Delivery{Host: deliveryHost, ID: runDelivery(host, deliveryID), Event: "run", Action: run.Status, Payload: payload},
			store.Job{Kind: KindEvent, Key: key(id), Payload: payload})
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := o.cfg.Store.AppendAudit(ctx, store.AuditEvent{At: o.cfg.Now(), Host: host, Repo: repo, Kind: AuditRunMismatch,
		Actor: orDefault(run.Actor, "unknown"), Subject: fmt.Sprintf("run %d of %s", run.ID, orDefault(run.Path, repo)),
		Outcome: fmt.Sprintf("ignored: no deployment step has the shipgate_id %s", strings.Join(ids, ", ")), DeliveryID: deliveryID})
	return err
}
