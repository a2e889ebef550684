package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Releases finds the version `/deploy ENV` deploys when none is given.
type Releases interface {
	// LatestRelease returns the tag of the repository's latest release.
	LatestRelease(ctx context.Context, repo string) (string, error)
}

// CommandRequest is a deployment command from a PR comment, with what the
// host adapter knows of it.
type CommandRequest struct {
	Host, Repo string
	Number     int
	Command    policies.Command
	Actor      policies.Actor
	// Change carries the actor's role (Permissions) and the PR's author,
	// as policies.Policy.Authorize needs them.
	Change *policies.Change
	// Dedupe identifies the command (comment ID and index), so a
	// redelivered comment decides nothing twice.
	Dedupe string
}

// IsCommand reports whether name is one of the deployment commands.
func IsCommand(name string) bool {
	switch name {
	case "deploy", "rollback", "approve-deploy", "reject-deploy":
		return true
	}
	return false
}

// Command runs /deploy ENV [VERSION], /rollback ENV, /approve-deploy ENV
// and /reject-deploy ENV REASON, authorised by the policy's commands:
// table (deploy and rollback need maintain by default). reply tells the
// commenter what happened or why nothing did; err is an infrastructure
// failure worth a retry.
func (o *Orchestrator) Command(ctx context.Context, r CommandRequest) (accepted bool, reply string, err error) {
	if r.Host == "" {
		r.Host = "github"
	}
	p, err := o.cfg.Policies.DeployPolicy(ctx, r.Host, r.Repo)
	if err != nil {
		return false, "", fmt.Errorf("reading the deploy policy of %s: %w", r.Repo, err)
	}
	change := r.Change
	if change == nil {
		change = &policies.Change{Permissions: map[string]policies.Permission{}}
	}
	if ok, why := p.Authorize(r.Command, r.Actor, change); !ok {
		return false, why, nil
	}
	args := strings.Fields(r.Command.Args)
	if len(args) == 0 {
		return false, fmt.Sprintf("name the environment: `/%s ENV`", r.Command.Name), nil
	}
	env := environment(p, args[0])
	if env == nil {
		return false, fmt.Sprintf("the policy has no environment %q", args[0]), nil
	}
	actor := Actor{Login: r.Actor.Login}
	switch r.Command.Name {
	case "deploy":
		version := ""
		if len(args) > 1 {
			version = args[1]
		} else if o.cfg.Releases != nil {
			if version, err = o.cfg.Releases.LatestRelease(ctx, r.Repo); err != nil {
				return false, "", fmt.Errorf("finding the latest release of %s: %w", r.Repo, err)
			}
		}
		if version == "" {
			return false, "give the version: `/deploy " + env.Name + " v1.2.3`", nil
		}
		_, started, err := o.start(ctx, p, StartRequest{Host: r.Host, Repo: r.Repo, Environment: env.Name, Version: version, Actor: actor,
			Trigger: fmt.Sprintf("/deploy by %s on #%d", actor, r.Number)})
		if err != nil {
			return false, "", err
		}
		if !started {
			return false, fmt.Sprintf("%s was deployed to %s before; a version deploys once per environment", version, env.Name), nil
		}
		return true, fmt.Sprintf("deploying %s to %s", version, env.Name), nil
	case "rollback":
		if _, err := o.Rollback(ctx, r.Host, r.Repo, env.Name, actor); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return false, env.Name + " has no successful deployment to roll back", nil
			}
			return false, err.Error(), nil
		}
		return true, "rolling back " + env.Name, nil
	case "approve-deploy", "reject-deploy":
		approve := r.Command.Name == "approve-deploy"
		reason := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.Command.Args), args[0]))
		if !approve && reason == "" {
			return false, "give the reason: `/reject-deploy " + env.Name + " REASON`", nil
		}
		id, err := o.Pending(ctx, r.Host, r.Repo, env.Name)
		if errors.Is(err, store.ErrNotFound) {
			return false, "no deployment to " + env.Name + " is waiting", nil
		}
		if err != nil {
			return false, "", err
		}
		if err := o.Decide(ctx, id, actor, approve, reason, "comment", r.Dedupe); err != nil {
			return false, "", err
		}
		// The gate checks the approver in the job; a refusal is audited.
		return true, "decision recorded for " + env.Name, nil
	}
	return false, "", fmt.Errorf("/%s is not a deployment command", r.Command.Name)
}
