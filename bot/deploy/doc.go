// Package deploy owns Shipgate's deployment orchestrator: the durable state
// machine that takes a version through a policy's deploy.environments —
// freeze windows, approval gates, steps, rollback — and mirrors it to the
// host and to Slack.
//
// A deployment is one environment and one version (store.Deployment, its
// State as JSON). It moves only inside queue jobs of kind KindEvent keyed by
// the deployment, so one deployment is never advanced concurrently; every
// transition is saved (compare-and-swap on the revision) and audited. Timers
// are queue jobs with a RunAt in the future: they survive restarts with the
// time that was left. Steps are values (see plan.go) with
// Run(ctx, *State) (Result, error); asynchronous steps answer Waiting.
//
// The code hosts and Slack are reached through the narrow interfaces
// declared here (Policies, Mirror, Workflows, Pipelines, Releases,
// ProtectionRules, Teams, Emails, Notifier, SlackGroups, SlackDirectory):
// each host's are given in Config.Hosts (bot/github, bot/gitlab/deployments)
// and every deployment, command and run reaches the integrations of its
// own host (State.Host). bot/slack implements the Slack side.
//
// Nothing outside Shipgate moves a deployment: a CI run (a GitHub workflow
// run, a GitLab pipeline) counts for a step only if it carries the step's
// random key and Shipgate's own start made it, in the step's repository
// (ci.go, runs.go: one check for both hosts); a person counts once across
// the host and Slack, and an approval that may be the starter's is refused
// (identity.go, decide.go). This package must not import bot/github,
// bot/gitlab, bot/slack, actions, or any host SDK.
package deploy
