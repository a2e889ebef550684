package deployments

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// KindDeployHook is the job kind of the webhooks the deployment
// orchestrator follows: workflow_run and deployment_protection_rule.
const KindDeployHook = "github.deploy_hook"

// deployHook is a KindDeployHook job's payload: the verified webhook.
type deployHook struct {
	Event      string          `json:"event"`
	DeliveryID string          `json:"delivery_id"`
	Payload    json.RawMessage `json:"payload"`
}

// DeployHookJob returns the job of a workflow_run (completed or
// in_progress) or deployment_protection_rule delivery; ok is false for
// every other event. The receiver's translate queues it.
func DeployHookJob(event, action, deliveryID string, payload []byte) (job store.Job, ok bool) {
	switch {
	case event == "workflow_run" && (action == "completed" || action == "in_progress"):
	case event == "deployment_protection_rule" && action == "requested":
	default:
		return store.Job{}, false
	}
	p, err := json.Marshal(deployHook{Event: event, DeliveryID: deliveryID, Payload: payload})
	if err != nil {
		return store.Job{}, false
	}
	return store.Job{Kind: KindDeployHook, Key: "github-deploy-hook:" + deliveryID, Payload: p}, true
}

// orchestrator is what the deploy hooks need of bot/deploy.
type orchestrator interface {
	WorkflowRunUpdated(ctx context.Context, deliveryID, repo string, run deploy.WorkflowRun) error
	Start(ctx context.Context, r deploy.StartRequest) (string, bool, error)
}

var _ orchestrator = (*deploy.Orchestrator)(nil)

// DeployHooks hands KindDeployHook jobs to the orchestrator: a workflow run
// moved, or a run waits on Shipgate's deployment protection rule.
type DeployHooks struct {
	Orchestrator orchestrator
	// Protection answers a waiting run when the orchestrator cannot, on
	// the job's last try: a protection rule is always answered (GitHub
	// would otherwise hold the run for 30 days). *App implements it.
	Protection deploy.ProtectionRules
}

var _ bot.Processor = DeployHooks{}

// Kinds implements bot.Processor.
func (DeployHooks) Kinds() []string { return []string{KindDeployHook} }

// Process implements bot.Processor.
func (h DeployHooks) Process(ctx context.Context, b store.Batch) error {
	for _, j := range b.Jobs {
		var hook deployHook
		if err := json.Unmarshal(j.Payload, &hook); err != nil {
			return bot.Permanent(fmt.Errorf("decoding deploy hook job %d: %w", j.ID, err))
		}
		switch hook.Event {
		case "workflow_run":
			ev, err := ParseWorkflowRun(hook.Payload)
			if err != nil {
				return bot.Permanent(err)
			}
			if err := h.Orchestrator.WorkflowRunUpdated(ctx, hook.DeliveryID, ev.Repo, ev.Run); err != nil {
				return err
			}
		case "deployment_protection_rule":
			ev, err := ParseProtectionRule(hook.Payload)
			if err != nil {
				return bot.Permanent(err)
			}
			_, _, err = h.Orchestrator.Start(ctx, deploy.StartRequest{Host: policies.GitHub, Repo: ev.Repo, Environment: ev.Environment,
				Version: ev.Ref, Kind: deploy.KindProtection, RunID: ev.RunID, Actor: deploy.Actor{Login: ev.Sender},
				Trigger: "deployment protection rule"})
			if err == nil {
				break
			}
			if j.Attempts+1 < j.MaxAttempts || h.Protection == nil {
				return err
			}
			comment := fmt.Sprintf("Shipgate could not check this deployment (%v). Fix the cause, then re-run the job.", err)
			if rerr := h.Protection.ReviewProtectionRule(ctx, ev.Repo, ev.RunID, ev.Environment, "rejected", comment); rerr != nil {
				return fmt.Errorf("rejecting run %d after the last try (%v): %w", ev.RunID, err, rerr)
			}
			zerolog.Ctx(ctx).Error().Err(err).Int64("run", ev.RunID).Msg("protection rule rejected after the last try")
		}
	}
	return nil
}
