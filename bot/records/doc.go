// Package records asks change systems about change records: Jira (REST
// API v2, which Jira Cloud and Jira Data Center both serve) and ServiceNow
// (the Table API's change_request). Verifier turns their answers into the
// policies.Record facts the change_record rule reads, for the bot, the CLI
// and the Action alike; answers are kept briefly with their time, and a
// provider that cannot be asked leaves a record unverified with the
// reason, never approved. JiraWebhook receives Jira's issue events and
// queues a new evaluation of the open changes that cite the issue.
//
// Credentials come from the server's settings (Settings), never from a
// policy; they are bot.Secret values and never reach a log, an error or
// the audit trail.
//
// It must not import a host adapter, bot/gate or actions/.
package records
