package bot_test

import (
	"time"

	"github.com/shipgate/shipgate/internal/testbed"
)

// The steps of the both-hosts table, as verbs on change 1.

func openChange(c testbed.Change) func(testbed.Host, *state) {
	return func(h testbed.Host, s *state) {
		if c.SHA == "" {
			c.SHA = s.head
		}
		h.Open(1, c)
	}
}

func commentBy(who, body string) func(testbed.Host, *state) {
	return func(h testbed.Host, s *state) { s.comment = h.Comment(1, who, body) }
}

func approveBy(who string) func(testbed.Host, *state) {
	return func(h testbed.Host, _ *state) { h.Approve(1, who) }
}

func describeBy(who, body string) func(testbed.Host, *state) {
	return func(h testbed.Host, _ *state) { h.Describe(1, body, who) }
}

func retargetBy(who, base string) func(testbed.Host, *state) {
	return func(h testbed.Host, _ *state) { h.Retarget(1, base, who) }
}

func mergeBy(who string) func(testbed.Host, *state) {
	return func(h testbed.Host, _ *state) { h.Merge(1, who) }
}

func closeBy(who string) func(testbed.Host, *state) {
	return func(h testbed.Host, _ *state) { h.Close(1, who) }
}

// history puts a linear history on main: init (tagged v1.0.0), then the
// commits given as sha → message, in order.
func history(commits ...string) func(testbed.Host, *state) {
	return func(h testbed.Host, _ *state) {
		h.Commit(shaInit, "chore: init", "alice")
		h.Tag("v1.0.0", shaInit)
		for i := 0; i+1 < len(commits); i += 2 {
			h.Commit(commits[i], commits[i+1], "dave")
		}
	}
}

func pushTagBy(who, tag, sha string) func(testbed.Host, *state) {
	return func(h testbed.Host, s *state) {
		s.tagSHA = sha
		h.PushTag(tag, sha, who)
	}
}

// on runs a step on replica i of a cluster: another process with its own
// in-memory state, on the same store.
func on(i int, do func(testbed.Host, *state)) func(testbed.Host, *state) {
	return func(h testbed.Host, s *state) { h.Replica(i); do(h, s) }
}

func steps(s ...step) []step { return s }

const (
	shaInit = "0000000000000000000000000000000000000001"
	shaFix  = "0000000000000000000000000000000000000002"
	shaFeat = "0000000000000000000000000000000000000003"
	shaNext = "0000000000000000000000000000000000000004"
)

// declaredHotfixPolicy asks two approvals of a change into a release line, one of
// a declared hotfix.
const declaredHotfixPolicy = `version: 1
branches: [main, "release/*"]
approvals:
  - name: reviewers
    required: 2
hotfix:
  branches: ["hotfix/*"]
  into: ["release/*"]
  label: hotfix
  approvals:
    name: hotfix-reviewers
    required: 1
`

func labelBy(who, label string) func(testbed.Host, *state) {
	return func(h testbed.Host, _ *state) { h.Label(1, label, who) }
}

// deployPolicy releases valid tags and deploys them to staging, then,
// with alice's approval, to production; each environment soaks a minute.
const deployPolicy = lifecyclePolicy + `deploy:
  environments:
    - name: staging
      on: release
      steps:
        - wait: 1m
    - name: production
      after: staging
      approval: {required: 1, from: [alice]}
      steps:
        - wait: 1m
`

func advance(d time.Duration) func(testbed.Host, *state) {
	return func(h testbed.Host, _ *state) { h.Advance(d) }
}

func scenarios(target string) []scenario {
	ready := testbed.Change{Title: "feat: vouchers", Body: fixedDescription, Author: "dave", Labels: []string{"semver:minor"}}
	return []scenario{
		{name: "a change is fixed step by step", policy: lifecyclePolicy, steps: steps(
			step{"a change missing everything fails, and says what is missing", openChange(testbed.Change{Title: "feat: gift cards", Author: "dave", Head: "gift-cards"}),
				want{verdict: "failure", verdictHas: []string{"change_record", "release_notes", "semver"}}},
			step{"the author's own approval does not count", approveBy("dave"), want{verdict: "failure"}},
			step{"the description brings the change record and the release note", describeBy("dave", fixedDescription),
				want{verdict: "failure", verdictHas: []string{"semver"}}},
			step{"the author declares the bump: the label is the acknowledgement", commentBy("dave", "/semver minor"), want{verdict: "pending", labels: []string{"semver:minor"}, noReply: true}},
			step{"a reviewer's approval passes it", approveBy("alice"), want{verdict: "success"}},
		)},
		{name: "commands are authorised and answered", policy: lifecyclePolicy, steps: steps(
			step{"a ready change waits for its review", openChange(ready), want{verdict: "pending"}},
			step{"a reader's /hold is refused with the reason", commentBy("carol", "/hold"), want{verdict: "pending", replyHas: "/hold needs triage access"}},
			step{"a triager's /hold holds it", commentBy("erin", "/hold"), want{verdict: "failure", verdictHas: []string{"hold"}, noReply: true,
				labels: []string{"semver:minor", "do-not-merge/hold"}}},
			step{"an unknown command is answered with /help's pointer", commentBy("erin", "/frobnicate"), want{verdict: "failure", replyHas: "/frobnicate"}},
			step{"/unhold lifts it", commentBy("erin", "/unhold"), want{verdict: "pending", labels: []string{"semver:minor"}}},
			step{"/help lists the commands in its reply", commentBy("carol", "/help"), want{replyHas: "/hold"}},
			step{"/recheck, which changes nothing visible, gets a 👍", commentBy("carol", "/recheck"), want{verdict: "pending", acked: true, noReply: true}},
			step{"a reviewer approves", approveBy("bob"), want{verdict: "success"}},
		)},
		{name: "replicas publish from the stored state, not from their memories", policy: lifecyclePolicy, steps: steps(
			step{"replica 0 passes an approved change", on(0, func(h testbed.Host, s *state) { openChange(ready)(h, s); h.Drain(); h.Approve(1, "bob") }),
				want{verdict: "success"}},
			step{"replica 1 holds it", on(1, commentBy("erin", "/hold")), want{verdict: "failure", verdictHas: []string{"hold"}, noReply: true,
				labels: []string{"semver:minor", "do-not-merge/hold"}}},
			step{"replica 0, which last published success, keeps it held", on(0, approveBy("alice")), want{verdict: "failure", verdictHas: []string{"hold"}}},
			step{"replica 1 lifts the hold", on(1, commentBy("erin", "/unhold")), want{verdict: "success", labels: []string{"semver:minor"}}},
			step{"replica 0, which last published the hold, passes it", on(0, describeBy("dave", fixedDescription+"\n")), want{verdict: "success"}},
		)},
		{name: "a replica does not judge with what it saw before another replica's evaluation", policy: lifecyclePolicy, steps: steps(
			step{"replica 0 passes an approved change", on(0, func(h testbed.Host, s *state) { openChange(ready)(h, s); h.Drain(); h.Approve(1, "bob") }),
				want{verdict: "success"}},
			step{"replica 1 sees the approval withdrawn", on(1, func(h testbed.Host, _ *state) { h.Unapprove(1, "bob") }), want{verdict: "pending"}},
			step{"replica 0, which saw the approval, judges the next event without it", on(0, describeBy("dave", fixedDescription+"\n")), want{verdict: "pending"}},
		)},
		{name: "a retargeted or closed change withdraws its verdict", policy: lifecyclePolicy, steps: steps(
			step{"an approved change passes into main", func(h testbed.Host, s *state) { openChange(ready)(h, s); h.Drain(); h.Approve(1, "alice") },
				want{verdict: "success"}},
			step{"retargeted, its verdict for main is withdrawn", retargetBy("dave", "experiments"), want{verdict: "failure", verdictHas: []string{"now targets experiments"}}},
			step{"back on main and closed, it is withdrawn again", func(h testbed.Host, s *state) { retargetBy("dave", "main")(h, s); h.Drain(); closeBy("dave")(h, s) },
				want{verdict: "failure", verdictHas: []string{"closed without merging"}}},
		)},
		{name: "a hotfix is declared by someone allowed to, never by its branch name", policy: declaredHotfixPolicy, steps: steps(
			step{"a hotfix branch into a release line with one approval is no hotfix yet", func(h testbed.Host, s *state) {
				s.base = "release/1.1"
				h.SetPolicy("release/1.1", declaredHotfixPolicy) // read from the base
				openChange(testbed.Change{Title: "fix: crash", Author: "dave", Head: "hotfix/crash", Base: "release/1.1"})(h, s)
				h.Drain()
				h.Approve(1, "alice")
			}, want{verdict: "pending", verdictHas: []string{"reviewers"}}},
			step{"the hotfix label added by a developer declares nothing", labelBy("dave", "hotfix"), want{verdict: "pending"}},
			step{"removed and added again by a maintainer, it declares the hotfix, which one approval passes", func(h testbed.Host, s *state) {
				h.Unlabel(1, "hotfix", "bob")
				h.Drain()
				h.Label(1, "hotfix", "bob")
			}, want{verdict: "success", labels: []string{"hotfix"}}},
		)},
		{name: "a merged change is released by /release", policy: lifecyclePolicy, steps: steps(
			step{"main has a history and v1.0.0", history(shaFix, "fix: rounding"), want{}},
			step{"an approved change is merged", func(h testbed.Host, s *state) {
				openChange(ready)(h, s)
				h.Drain()
				h.Approve(1, "alice")
				h.Drain()
				mergeBy("bob")(h, s)
			}, want{verdict: "success"}},
			step{"a developer's /release is refused", commentBy("dave", "/release"), want{replyHas: "needs maintain access", tags: []string{}}},
			step{"a maintainer's /release cuts the next minor", func(h testbed.Host, s *state) { s.tagSHA = s.head; commentBy("bob", "/release")(h, s) },
				want{acked: true, tags: []string{"v1.1.0"}, released: []string{"v1.1.0"}, tagVerdict: "success", tagHas: "released"}},
		)},
		{name: "a pushed tag is checked, and released only when a maintainer pushed it", policy: lifecyclePolicy, steps: steps(
			step{"main has a fix and a feature since v1.0.0", history(shaFix, "fix: rounding", shaFeat, "feat: vouchers"), want{}},
			step{"a patch where a feature needs a minor fails", pushTagBy("bob", "v1.0.1", shaFeat), want{tagVerdict: "failure", tagHas: "bump"}},
			step{"a name that is not a version fails", pushTagBy("bob", "nightly", shaFeat), want{tagVerdict: "failure", tagHas: "semver"}},
			step{"a valid tag pushed by a developer is no release", pushTagBy("dave", "v1.1.0", shaFeat),
				want{tagVerdict: "failure", tagHas: "is not a release", released: []string{}}},
		)},
		{name: "a release is deployed through staging and an approval gate", policy: deployPolicy, steps: steps(
			step{"main has a feature since v1.0.0, and a change is open to talk on", func(h testbed.Host, s *state) {
				history(shaFix, "fix: rounding", shaFeat, "feat: vouchers")(h, s)
				openChange(ready)(h, s)
			}, want{deployments: "|"}},
			step{"a maintainer's v1.1.0 is released and deployed to staging", pushTagBy("bob", "v1.1.0", shaFeat),
				want{tagVerdict: "success", released: []string{"v1.1.0"}, deployments: "v1.1.0 running|"}},
			step{"staging soaks, and production waits for its approval", advance(2 * time.Minute), want{deployments: "v1.1.0 succeeded|v1.1.0 running"}},
			step{"who pushed the tag started the deployment, and cannot approve it", commentBy("bob", "/approve-deploy production"),
				want{replyHas: "bob started this deployment and cannot approve it", deployments: "v1.1.0 succeeded|v1.1.0 running"}},
			step{"someone not in the gate cannot approve it", commentBy("dave", "/approve-deploy production"),
				want{replyHas: "alice", deployments: "v1.1.0 succeeded|v1.1.0 running"}},
			step{"without the approval, production does not move", advance(2 * time.Minute), want{deployments: "v1.1.0 succeeded|v1.1.0 running",
				mirror: []string{"staging created", "staging running", "staging success", "production created"}}},
			step{"alice approves it from a comment", commentBy("alice", "/approve-deploy production"), want{deployments: "v1.1.0 succeeded|v1.1.0 running",
				mirror: []string{"staging created", "staging running", "staging success", "production created", "production running"}}},
			step{"production soaks and succeeds", advance(2 * time.Minute), want{deployments: "v1.1.0 succeeded|v1.1.0 succeeded",
				mirror: []string{"staging created", "staging running", "staging success", "production created", "production running", "production success"}}},
		)},
		{name: "a failed deployment rolls back to the version before", policy: lifecyclePolicy + `deploy:
  environments:
    - name: staging
      on: release
      steps:
        - webhook: {url: "` + target + `/deploy"}
      rollback:
        - webhook: {url: "` + target + `/rollback"}
`, steps: steps(
			step{"main has a fix and a feature since v1.0.0", history(shaFix, "fix: rounding", shaFeat, "feat: vouchers"), want{}},
			step{"v1.1.0 is released and deployed to staging", pushTagBy("bob", "v1.1.0", shaFeat), want{deployments: "v1.1.0 succeeded|",
				mirror: []string{"staging created", "staging running", "staging success"}}},
			step{"v1.2.0 fails to deploy, and staging rolls back to v1.1.0", func(h testbed.Host, s *state) {
				h.Commit(shaNext, "feat: gift cards", "dave")
				pushTagBy("bob", "v1.2.0", shaNext)(h, s)
			}, want{deployments: "v1.1.0 succeeded|", mirror: []string{"staging created", "staging running", "staging success",
				"staging created", "staging running", "staging failed", "staging created", "staging running", "staging success"}}},
		)},
		{name: "a valid tag pushed by a maintainer is released", policy: lifecyclePolicy, steps: steps(
			step{"main has a fix and a feature since v1.0.0", history(shaFix, "fix: rounding", shaFeat, "feat: vouchers"), want{}},
			step{"v1.1.0 is released", pushTagBy("bob", "v1.1.0", shaFeat), want{tagVerdict: "success", tagHas: "released", released: []string{"v1.1.0"}}},
		)},
	}
}
