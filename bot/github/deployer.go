package github

import (
	"context"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
)

// Deployer is what the adapter asks of the deployment orchestrator: start
// the environments a validated release starts, and run the deployment
// commands of PR comments. *deploy.Orchestrator implements it.
type Deployer interface {
	// Release starts every `on: release` environment for version; a
	// version already started changes nothing.
	Release(ctx context.Context, host policies.Host, repo, version, sha string, actor deploy.Actor) error
	// Command runs /deploy, /rollback, /approve-deploy or /reject-deploy
	// and says what happened or why nothing did.
	Command(ctx context.Context, r deploy.CommandRequest) (accepted bool, reply string, err error)
}

var _ Deployer = (*deploy.Orchestrator)(nil)

// SetDeployer connects the deployment orchestrator, which is itself built
// on the App (it uses the App's deployments and workflows). Call it once,
// before the workers start; without it the deployment commands are
// answered "not enabled" and releases start nothing.
func (a *App) SetDeployer(d Deployer) { a.deployer = d }

// features are the command families this adapter runs.
func (a *App) features() review.Features {
	return review.Features{Releases: true, Deployments: a.deployer != nil}
}
