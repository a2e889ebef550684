// Package gate owns the per-change flow of the bot, written once for every
// code host: for a batch of one pull or merge request's events it loads
// the stored state, reads the policy from the base branch, records and
// decides the commands of new comments, fetches the facts the policy
// needs, evaluates, publishes the verdict (a check run or commit status
// named `shipgate: <base>`) and the sticky comment, and records the
// evaluation. It also judges a change on demand (Check, for the CLI, the
// Action and merge queues).
//
// It talks to a host through the small interfaces it declares (Host,
// Repo) and discovers optional abilities (Releaser) by type assertion;
// bot/github and bot/gitlab implement them with host calls only. Queue
// payloads are its own types (Event, Snapshot), versioned.
//
// It must not import a host SDK, a host adapter, or actions/.
package gate
