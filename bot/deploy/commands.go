package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// Releases tells which versions `/deploy` may deploy.
type Releases interface {
	// LatestRelease returns the tag of the repository's latest release,
	// "" when it has none.
	LatestRelease(ctx context.Context, repo string) (string, error)
	// ValidatedTag returns the commit of tag and whether Shipgate
	// validated it as a release: the commit carries a successful
	// shipgate/tag status for the tag that Shipgate itself posted (anyone
	// with write access can post a status, so the creator counts).
	ValidatedTag(ctx context.Context, repo, tag string) (sha string, ok bool, err error)
	// ResolveRef returns the commit a branch, a tag or a SHA names; ok is
	// false when there is none.
	ResolveRef(ctx context.Context, repo, ref string) (sha string, ok bool, err error)
}

// CommandRequest is a deployment command from a PR comment, with what the
// host adapter knows of it.
type CommandRequest struct {
	Host    policies.Host
	Repo    string
	Number  int
	Command policies.Command
	Actor   policies.Actor
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

// refusal is a command refused for a reason the commenter can act on; its
// text is the reply.
type refusal string

func (r refusal) Error() string { return string(r) }

// Command runs /deploy ENV [VERSION], /rollback ENV, /approve-deploy ENV
// and /reject-deploy ENV REASON, authorised by the policy's commands:
// table (deploy and rollback need maintain by default). reply is Markdown
// for a comment: what happened, or why nothing did and what would work.
// An internal failure is logged under an error ID, and the reply says
// that something failed and where to look, never the raw error; err is
// always nil.
func (o *Orchestrator) Command(ctx context.Context, r CommandRequest) (accepted bool, reply string, err error) {
	if r.Host == "" {
		r.Host = policies.GitHub
	}
	reply, err = o.command(ctx, r)
	var ref refusal
	switch {
	case err == nil:
		return true, reply, nil
	case errors.As(err, &ref):
		return false, string(ref), nil
	}
	id := bot.NewErrorID()
	o.cfg.Logger.Error().Err(err).Str(bot.FieldErrorID, id).Str(bot.FieldRepo, r.Repo).Int(bot.FieldNumber, r.Number).
		Str("command", r.Command.Name).Msg("a deployment command failed")
	return false, fmt.Sprintf("Shipgate could not carry it out: something failed on its side (error ID `%s`; Shipgate's log has the details under that ID). "+
		"Nothing changed; comment the command again later", id), nil
}

// command runs r; a refusal error is the reply to a command refused.
func (o *Orchestrator) command(ctx context.Context, r CommandRequest) (string, error) {
	p, err := o.policy(ctx, r.Host, r.Repo)
	if err != nil {
		return "", err
	}
	change := r.Change
	if change == nil {
		change = &policies.Change{Permissions: map[string]policies.Permission{}}
	}
	if ok, why := p.Authorize(r.Command, r.Actor, change); !ok {
		return "", refusal(why)
	}
	args := strings.Fields(r.Command.Args)
	if len(args) == 0 {
		return "", refusal(fmt.Sprintf("name the environment: `/%s ENV`", r.Command.Name))
	}
	env := environment(p, args[0])
	if env == nil {
		return "", refusal(fmt.Sprintf("the policy has no environment %s; its environments: %s", templates.Inert(args[0]), envNames(p)))
	}
	actor := Actor{Login: r.Actor.Login}
	switch r.Command.Name {
	case "deploy":
		return o.deployCommand(ctx, p, r, env, actor, args[1:])
	case "rollback":
		if _, err := o.Rollback(ctx, r.Host, r.Repo, env.Name, actor); err != nil {
			return "", err
		}
		return "rolling back " + env.Name, nil
	case "approve-deploy", "reject-deploy":
		reason := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.Command.Args), args[0]))
		return o.decisionCommand(ctx, p, r, env, actor, reason)
	}
	return "", fmt.Errorf("/%s is not a deployment command", r.Command.Name)
}

func envNames(p *policies.Policy) string {
	names := make([]string, len(p.Deploy))
	for i, e := range p.Deploy {
		names[i] = e.Name
	}
	return strings.Join(names, ", ")
}

// deployCommand runs `/deploy ENV [VERSION]`.
func (o *Orchestrator) deployCommand(ctx context.Context, p *policies.Policy, r CommandRequest, env *policies.Environment, actor Actor, args []string) (string, error) {
	asked := "latest"
	if len(args) > 0 {
		asked = args[0]
	}
	version, sha, trigger, err := o.deployable(ctx, p, o.on(r.Host).Releases, r.Repo, env.Name, asked)
	if err != nil {
		return "", err
	}
	if why := otherComponent(p, env, version, trigger, asked); why != "" {
		return "", refusal(why)
	}
	_, started, err := o.start(ctx, p, StartRequest{Host: r.Host, Repo: r.Repo, Environment: env.Name, Version: version, SHA: sha, Actor: actor,
		Trigger: fmt.Sprintf("/deploy %sby %s on #%d", trigger, actor, r.Number)})
	if err != nil {
		return "", err
	}
	if !started {
		return "", refusal(fmt.Sprintf("%s was deployed to %s before; a version deploys once per environment", templates.Inert(version), env.Name))
	}
	return fmt.Sprintf("deploying %s to %s", templates.Inert(version), env.Name), nil
}

// deployable checks what `/deploy` was asked to deploy: a release tag
// Shipgate validated, "latest" (the latest release, validated too), or,
// with deploy.allow_refs, a branch or a commit, which trigger says.
func (o *Orchestrator) deployable(ctx context.Context, p *policies.Policy, rel Releases, repo, env, asked string) (version, sha, trigger string, err error) {
	if rel == nil {
		return "", "", "", refusal("Shipgate cannot check versions here (no releases of this host are connected), so it deploys none")
	}
	version = asked
	if asked == "latest" {
		if version, err = rel.LatestRelease(ctx, repo); err != nil {
			return "", "", "", fmt.Errorf("finding the latest release of %s: %w", repo, err)
		}
		if version == "" {
			return "", "", "", refusal("the repository has no release yet; give the version: `/deploy " + env + " v1.2.3`")
		}
	}
	if !validRef(version) {
		return "", "", "", refusal(fmt.Sprintf("%s is not a tag, a branch or a commit name; give a release tag: `/deploy %s v1.2.3`", templates.Inert(version), env))
	}
	sha, ok, err := rel.ValidatedTag(ctx, repo, version)
	switch {
	case err != nil:
		return "", "", "", fmt.Errorf("checking the tag %s of %s: %w", version, repo, err)
	case ok:
		return version, sha, "", nil
	case !p.DeployAllowRefs:
		return "", "", "", refusal(fmt.Sprintf("%s is not a release tag that Shipgate validated; deploy one (`/deploy %s v1.2.3`, or `latest`), "+
			"or let maintainers deploy branches and commits with deploy.allow_refs: true", templates.Inert(version), env))
	}
	if sha, ok, err = rel.ResolveRef(ctx, repo, version); err != nil {
		return "", "", "", fmt.Errorf("resolving %s in %s: %w", version, repo, err)
	}
	if !ok {
		return "", "", "", refusal(fmt.Sprintf("%s names no tag, branch or commit of %s", templates.Inert(version), repo))
	}
	return version, sha, fmt.Sprintf("of %s, a ref and not a validated release (deploy.allow_refs), ", version), nil
}

// decisionCommand runs `/approve-deploy ENV [REASON]` and `/reject-deploy
// ENV REASON`: the decision is judged now, so that a refusal is the reply
// (and audited), and queued once accepted.
func (o *Orchestrator) decisionCommand(ctx context.Context, p *policies.Policy, r CommandRequest, env *policies.Environment, actor Actor, reason string) (string, error) {
	approve := r.Command.Name == "approve-deploy"
	if !approve && reason == "" {
		return "", refusal("give the reason: `/reject-deploy " + env.Name + " REASON`")
	}
	id, err := o.Pending(ctx, r.Host, r.Repo, env.Name)
	if errors.Is(err, store.ErrNotFound) {
		return "", refusal("no deployment to " + env.Name + " is waiting")
	}
	if err != nil {
		return "", err
	}
	st, err := o.load(ctx, id)
	if err != nil {
		return "", err
	}
	d := decisionEvent{Actor: actor, Approve: approve, Reason: reason, Via: ViaComment}
	why, err := o.request(ctx, p, env, st, d, r.Dedupe)
	if err != nil {
		return "", err
	}
	if why != "" {
		return "", refusal(why)
	}
	if approve {
		return fmt.Sprintf("approval of the %s recorded", templates.Inert(st.String())), nil
	}
	return fmt.Sprintf("rejection of the %s recorded", templates.Inert(st.String())), nil
}
