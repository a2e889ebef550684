// Package actions is Shipgate's GitHub Action runtime (`shipgate action`,
// the entry point of the image action.yml runs), on
// github.com/sethvargo/go-githubactions. It owns the Action's contract
// with the runner: the inputs and outputs declared in action.yml (one
// table, Inputs and Outputs, that a test compares with the file), the
// runner's variables (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH,
// GITHUB_REPOSITORY, GITHUB_WORKSPACE, GITHUB_REF, GITHUB_SHA,
// GITHUB_API_URL, GITHUB_SERVER_URL, GITHUB_RUN_ID), outputs written to
// GITHUB_OUTPUT, a Markdown report to GITHUB_STEP_SUMMARY, annotations as
// workflow commands, and the verdict of check as the commit status
// `shipgate: <base>`; and the Action's commands (check, version, notes,
// release) as data, run by Run.
//
// It decides nothing itself: the policy is judged by policies, the Change
// is built and releases are published by bot/github (the same code the bot
// runs), versions and notes come from githistory and policies/release (the
// same code as the CLI), and text is rendered by templates.
//
// It must not be imported by bot/ or any package under it, nor by
// policies, templates or githistory: only cmd/shipgate wires it.
package actions
