package deployments

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/gitlab"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// orchestrator is what the hooks need of bot/deploy.
type orchestrator interface {
	RunUpdated(ctx context.Context, host policies.Host, deliveryID, repo string, run deploy.WorkflowRun) error
}

var _ orchestrator = (*deploy.Orchestrator)(nil)

// Hooks hands gitlab.KindPipeline jobs to the orchestrator. The hook only
// says that a pipeline moved: the pipeline is read again through the API
// (ReadPipeline), in the project the hook names, and the orchestrator
// judges what GitLab shows, never what the hook claims. The webhook's
// token is the same for every project that sends to Shipgate, so whoever
// set up one project's webhook could write any hook.
type Hooks struct {
	GitLab       *GitLab
	Orchestrator orchestrator
}

var _ bot.Processor = Hooks{}

// Kinds implements bot.Processor.
func (Hooks) Kinds() []string { return []string{gitlab.KindPipeline} }

// Process implements bot.Processor. A batch holds one pipeline's hooks:
// the pipeline is read once, as it is now, under the newest delivery.
func (h Hooks) Process(ctx context.Context, b store.Batch) error {
	var last gitlab.PipelineHook
	for _, j := range b.Jobs {
		if err := json.Unmarshal(j.Payload, &last); err != nil {
			return bot.Permanent(fmt.Errorf("decoding pipeline job %d: %w", j.ID, err))
		}
	}
	run, found, err := h.GitLab.ReadPipeline(ctx, last.Repo, last.Pipeline)
	if err != nil {
		return err
	}
	if !found {
		zerolog.Ctx(ctx).Warn().Str(bot.FieldRepo, last.Repo).Int64("pipeline", last.Pipeline).Str(bot.FieldDelivery, last.DeliveryID).
			Msg("a Pipeline Hook names a pipeline GitLab does not show: ignored")
		return nil
	}
	return h.Orchestrator.RunUpdated(ctx, policies.GitLab, last.DeliveryID, last.Repo, run)
}
