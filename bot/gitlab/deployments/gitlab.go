// Package deployments is GitLab's side of Shipgate's deployments: the
// orchestrator's GitLab integrations (deploy.Policies, deploy.Pipelines,
// deploy.Mirror, deploy.Releases, deploy.Teams, deploy.Emails) on GitLab's
// API, and the processing of the Pipeline Hook jobs that the adapter's
// receiver queues (gitlab.KindPipeline), each pipeline read again through
// the API before the orchestrator sees it.
//
// It stands apart from bot/gitlab so that the orchestrator, which is built
// on it, can be handed to the adapter when the adapter is built
// (gitlab.Config.Deployer). It only makes host calls; what counts is
// decided in bot/deploy. It must not import bot/github, bot/slack or
// actions, and bot/gitlab must not import it.
//
// GitLab has no deployment protection rules: its protected environments
// and deployment approvals (Premium) are GitLab's own gates, which
// Shipgate's gates do not need; Integrations leaves Protection nil.
package deployments

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/gitlab"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
)

// Config configures the GitLab integration; the fields are gitlab.Config's.
type Config struct {
	URL         string
	Token       bot.Secret
	BotUsername string
	Transport   http.RoundTripper
	Tries       int
	Metrics     *bot.Metrics
}

// GitLab is the orchestrator's GitLab. It is safe for concurrent use.
type GitLab struct {
	gl *gl.Client
	id *gitlab.Identity
}

var (
	_ deploy.Policies  = (*GitLab)(nil)
	_ deploy.Pipelines = (*GitLab)(nil)
	_ deploy.Mirror    = (*GitLab)(nil)
	_ deploy.Releases  = (*GitLab)(nil)
	_ deploy.Teams     = (*GitLab)(nil)
	_ deploy.Emails    = (*GitLab)(nil)
)

// New builds the integration.
func New(cfg Config) (*GitLab, error) {
	if cfg.Token == "" {
		return nil, errors.New("gitlab deployments: a token with the api scope (SHIPGATE_GITLAB_TOKEN) is required")
	}
	client, err := gitlab.NewClient(cfg.URL, cfg.Token, cfg.Transport, cfg.Tries, cfg.Metrics)
	if err != nil {
		return nil, err
	}
	return &GitLab{gl: client, id: gitlab.NewIdentity(client, cfg.BotUsername)}, nil
}

// Integrations are the orchestrator's GitLab integrations (Config.Hosts).
func (g *GitLab) Integrations() deploy.HostIntegrations {
	return deploy.HostIntegrations{Policies: g, Mirror: g, Pipelines: g, Releases: g, Teams: g, Emails: g}
}

// Self implements deploy.Pipelines: the token's user (GET /user, once).
func (g *GitLab) Self(ctx context.Context) (string, error) { return g.id.Name(ctx) }

// DeployPolicy implements deploy.Policies: the policy of the project's
// default branch (GET /projects/:id/repository/files/.shipgate.yml/raw).
// A missing or invalid policy is an error: nothing deploys without one.
func (g *GitLab) DeployPolicy(ctx context.Context, _ policies.Host, repo string) (*policies.Policy, error) {
	data, resp, err := g.gl.RepositoryFiles.GetRawFile(repo, review.PolicyFile, &gl.GetRawFileOptions{}, gl.WithContext(ctx))
	switch {
	case gitlab.IsNotFound(resp, err):
		return nil, fmt.Errorf("%s has no %s on its default branch", repo, review.PolicyFile)
	case err != nil:
		return nil, fmt.Errorf("reading the policy of %s: %w", repo, err)
	}
	p, err := policies.Load(review.PolicyFile, data)
	if err != nil {
		return nil, fmt.Errorf("the policy of %s is invalid: %w", repo, err)
	}
	return p, nil
}
