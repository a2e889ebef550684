// Package mergequeue judges the groups of GitHub's merge queue, for the
// bot and the Action alike: it names the pull requests a group holds,
// judges each one as the bot judges a pull request (bot/gate's Check on
// bot/github), and publishes one check run `shipgate: <base>` on the
// group's commit, which the queue requires as it requires it of pull
// requests. The bot queues a job per group (jobs.go).
package mergequeue
