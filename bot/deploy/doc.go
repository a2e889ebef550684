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
// Hosts and Slack are reached through the narrow interfaces declared here
// (Mirror, Workflows, Releases, ProtectionRules, Teams, Emails, Notifier,
// SlackGroups, SlackDirectory), implemented in bot/github and bot/slack.
//
// Nothing outside Shipgate moves a deployment: a workflow run counts for a
// step only if it carries the step's random shipgate_id and Shipgate's own
// dispatch made it (runs.go); a person counts once across GitHub and
// Slack, and an approval that may be the starter's is refused
// (identity.go, decide.go). This package must not import bot/github,
// bot/gitlab, bot/slack, actions, or any host SDK.
package deploy
