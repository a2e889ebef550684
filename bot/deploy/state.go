package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// Deployment kinds.
const (
	// KindDeploy deploys a version through an environment's steps.
	KindDeploy = "deploy"
	// KindRollback redeploys the previous successful version through the
	// environment's rollback steps.
	KindRollback = "rollback"
	// KindProtection answers a GitHub deployment protection rule after the
	// environment's freeze windows and gate.
	KindProtection = "protection"
)

// Deployment states (store.Deployment.State).
const (
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Step states.
const (
	stepRunning = "running"
	stepDone    = "done"
	stepFailed  = "failed"
	stepSkipped = "skipped"
)

// Actor is a person acting on a deployment: a host login, a Slack user, or
// both once mapped through notify.slack.users.
type Actor struct {
	Login     string `json:"login,omitempty"`
	SlackUser string `json:"slack_user,omitempty"`
}

// String names the actor for messages and the audit log ("alice",
// "slack:U123").
func (a Actor) String() string {
	if a.Login != "" {
		return a.Login
	}
	if a.SlackUser != "" {
		return "slack:" + a.SlackUser
	}
	return "shipgate"
}

// Decision is one approval or rejection given on a gate.
type Decision struct {
	// Person is who decided, once per person (a login when known, else
	// "slack:U…").
	Person string `json:"person"`
	// Login and SlackUser are the decider's identities as Shipgate knew
	// them then; a later decision by either counts as the same person's.
	Login     string    `json:"login,omitempty"`
	SlackUser string    `json:"slack_user,omitempty"`
	Approve   bool      `json:"approve"`
	Reason    string    `json:"reason,omitempty"`
	At        time.Time `json:"at"`
	// Via is ViaSlack, ViaComment or ViaWeb.
	Via string `json:"via"`
}

// StepState is what a step has done so far, persisted with the deployment.
type StepState struct {
	Name      string    `json:"name"`
	Status    string    `json:"status,omitempty"`
	StartedAt time.Time `json:"started_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	// Until is when a wait ends or a gate expires; set once, so a restart
	// never restarts a timer.
	Until time.Time `json:"until,omitzero"`
	// Tries counts a step's tries (health checks, webhook calls, metric
	// queries); Misses the metric queries in a row that gave no value.
	Tries  int `json:"tries,omitempty"`
	Misses int `json:"misses,omitempty"`
	// Key is the idempotency key of the step's attempt (a workflow's
	// shipgate_id, a webhook's Idempotency-Key): random (newKey), and saved
	// before it is used, so that a crash after the use finds it again.
	Key string `json:"key,omitempty"`
	// Dispatch is what a workflow step dispatched, which its run must
	// match; Claimed tells that the key was claimed in the store, just
	// before the dispatch.
	Dispatch *Dispatch `json:"dispatch,omitempty"`
	Claimed  bool      `json:"claimed,omitempty"`
	// Unconfirmed tells that the key was claimed by a process that may have
	// died before its dispatch reached GitHub; Redispatched that the one
	// dispatch again, under the same key, was made.
	Unconfirmed  bool `json:"unconfirmed,omitempty"`
	Redispatched bool `json:"redispatched,omitempty"`
	// CheckAt is when a workflow step next asks the API about its run, in
	// case the run's webhooks are lost; events before it ask nothing.
	CheckAt time.Time `json:"check_at,omitzero"`
	// Ignored are the runs that carried the step's key but were not
	// Shipgate's dispatch; each is audited once.
	Ignored []int64 `json:"ignored,omitempty"`
	// RunID, RunStatus, Conclusion and URL follow a workflow run.
	RunID      int64  `json:"run_id,omitempty"`
	RunStatus  string `json:"run_status,omitempty"`
	Conclusion string `json:"conclusion,omitempty"`
	URL        string `json:"url,omitempty"`
	// Decisions are the approvals and rejections of a gate.
	Decisions []Decision `json:"decisions,omitempty"`
	// Requested tells that the gate's approvers were asked.
	Requested bool `json:"requested,omitempty"`
	// Message is the step's last word (why it failed, what it waits for).
	Message string `json:"message,omitempty"`
}

// ProtectionRun is the GitHub workflow run waiting on a protection rule.
type ProtectionRun struct {
	RunID int64 `json:"run_id"`
	// Answered records that the callback was answered.
	Answered bool   `json:"answered,omitempty"`
	State    string `json:"state,omitempty"`
}

// State is a deployment's persisted state. Steps read and change it; the
// orchestrator saves it after every transition.
type State struct {
	ID          string        `json:"id"`
	Kind        string        `json:"kind"`
	Host        policies.Host `json:"host"`
	Repo        string        `json:"repo"`
	Environment string        `json:"environment"`
	// Version is the tag deployed (for a rollback: the version redeployed).
	Version string `json:"version"`
	// PreviousVersion is the last version deployed successfully to the
	// environment before this one (for a rollback: the version redeployed,
	// as DESIGN.md's `.PreviousVersion` names it).
	PreviousVersion string `json:"previous_version,omitempty"`
	// RolledBack is, for a rollback, the version it replaces.
	RolledBack string `json:"rolled_back,omitempty"`
	SHA        string `json:"sha,omitempty"`
	// StartedBy may not approve the deployment's gates.
	StartedBy Actor  `json:"started_by"`
	Trigger   string `json:"trigger"`
	Status    string `json:"status"`
	// Step is the index of the current step of the plan; Attempt counts
	// the deployment's attempts (idempotency keys include it).
	Step    int         `json:"step"`
	Attempt int         `json:"attempt"`
	Steps   []StepState `json:"steps"`
	// HostDeploymentID is the GitHub deployment mirroring this one;
	// Mirrored the last status Shipgate set on it, saved before it is set.
	HostDeploymentID int64  `json:"host_deployment_id,omitempty"`
	Mirrored         string `json:"mirrored,omitempty"`
	// Message says why the deployment failed.
	Message string         `json:"message,omitempty"`
	Protect *ProtectionRun `json:"protection,omitempty"`
	// Change is the deployment's change request (change_request).
	Change *ChangeState `json:"change_request,omitempty"`
	// SlackChannel is the policy's notify.slack.channel when it started.
	SlackChannel string    `json:"slack_channel,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	EndedAt      time.Time `json:"ended_at,omitzero"`

	// revision is the store revision read; now the clock of this run;
	// effects the audit events and notices waiting for the next save.
	revision int64
	now      time.Time
	effects  []func(context.Context)
}

// Now is the time of the current run of the state machine; steps use it
// rather than a clock of their own.
func (s *State) Now() time.Time { return s.now }

// Current returns the current step's state, nil when the plan is done.
func (s *State) Current() *StepState {
	if s.Step < 0 || s.Step >= len(s.Steps) {
		return nil
	}
	return &s.Steps[s.Step]
}

// Done reports whether the deployment has ended.
func (s *State) Done() bool { return s.Status == StatusSucceeded || s.Status == StatusFailed }

// DeploymentID names the deployment of a version to an environment; one
// per environment and version (and kind: a rollback is its own).
func DeploymentID(host policies.Host, repo, env, version, kind string) string {
	id := fmt.Sprintf("%s:%s:%s:%s", host, repo, env, version)
	if kind != KindDeploy {
		id += ":" + kind
	}
	return id
}

// key is the queue ordering key of a deployment's jobs.
func key(id string) string { return "deploy:" + id }

// String describes the deployment for messages ("v1.2.0 to staging").
func (s *State) String() string {
	what := s.Version + " to " + s.Environment
	switch s.Kind {
	case KindRollback:
		return "rollback of " + s.Environment + " to " + s.Version
	case KindProtection:
		return "protection rule for " + s.Environment + " (run " + fmt.Sprint(s.protectRun()) + ")"
	}
	return what
}

func (s *State) protectRun() int64 {
	if s.Protect == nil {
		return 0
	}
	return s.Protect.RunID
}

// personOf is how a person counts once: a login when known, else the
// Slack user.
func personOf(a Actor) string {
	if a.Login != "" {
		return strings.ToLower(a.Login)
	}
	return "slack:" + a.SlackUser
}
