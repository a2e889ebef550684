package policies

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// loadErrorLines loads src as p.yml and returns its errors, one string each.
func loadErrorLines(t *testing.T, src string) []string {
	t.Helper()
	p, err := Load("p.yml", []byte(src))
	if err == nil {
		t.Fatalf("Load succeeded, want errors; policy: %+v", p)
	}
	if p != nil {
		t.Errorf("Load returned a policy with an error")
	}
	var lines []string
	for _, fe := range FieldErrors(err) {
		lines = append(lines, fe.Error())
	}
	if got := strings.Join(lines, "\n"); got != err.Error() {
		t.Errorf("err.Error() and FieldErrors differ:\n%s\n---\n%s", err, got)
	}
	return lines
}

// loadPolicyOK loads src as p.yml and fails the test on error.
func loadPolicyOK(t *testing.T, src string) *Policy {
	t.Helper()
	p, err := Load("p.yml", []byte(src))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return p
}

func TestLoadReportsEachKindOfErrorWithItsPlace(t *testing.T) {
	// Sources start after "version: 1\n", so their first line is line 2.
	tests := []struct {
		name string
		src  string
		want string
	}{
		// Decoding.
		{"an unknown key suggests the closest one and lists the allowed keys",
			"branchs: [main]\n",
			`p.yml:2:1: branchs: unknown key "branchs" (did you mean "branches"?); allowed keys: version, extends, locked, branches, change_record, approvals, release_notes, semver, title, hold, freeze, checks, hotfix, tags, commands, deploy, notify, notes, releases, components`},
		{"an unknown key unlike any other only lists the allowed keys",
			"approvals:\n  - colour: red\n",
			`p.yml:3:5: approvals[0].colour: unknown key "colour"; allowed keys: name, when, required, from, codeowners, allow_author, allow_contributor, dismiss_stale, any_of, all_of, locked`},
		{"swapped letters count as a likely typo",
			"hold: {lable: x}\n",
			`p.yml:2:8: hold.lable: unknown key "lable" (did you mean "label"?); allowed keys: label, locked`},
		{"a mapping where a list of strings belongs",
			"approvals:\n  - from: {alice: true}\n",
			`p.yml:3:11: approvals[0].from: want a list of strings, got a mapping`},
		{"a single string where a list belongs shows the list to write",
			"branches: main\n",
			`p.yml:2:11: branches: want a list of strings, got the string "main"; write ["main"]`},
		{"a number where a string belongs says how to quote it",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - github_workflow: {workflow: d.yml, inputs: {canary: 10}}\n",
			`p.yml:6:63: deploy.environments[0].steps[0].github_workflow.inputs.canary: want a string, got the integer 10; quote it: "10"`},
		{"a quoted number is not an integer",
			"approvals:\n  - required: \"2\"\n",
			`p.yml:3:15: approvals[0].required: want an integer, got the string "2"`},
		{"yes is not a boolean",
			"approvals:\n  - codeowners: yes\n",
			`p.yml:3:17: approvals[0].codeowners: want true or false, got the string "yes"`},
		{"an empty value is an error, not a default",
			"hold:\n",
			`p.yml:2:6: hold: want a mapping, got nothing (null); give a value or remove the key`},
		{"a list where a mapping belongs",
			"semver: [major]\n",
			`p.yml:2:9: semver: want a mapping, got a list`},
		{"a duplicate key names the first one",
			"branches: [main]\nbranches: [dev]\n",
			`p.yml:3:1: branches: duplicate key "branches"; it is first given at line 2, column 1`},
		{"a duplicate key inside a list item has the item's path",
			"approvals:\n  - name: a\n    name: b\n",
			`p.yml:4:5: approvals[0].name: duplicate key "name"; it is first given at line 3, column 5`},
		{"an alias of its own list is not a string",
			"branches: &b [*b]\n",
			`p.yml:2:15: branches[0]: want a string, got a list`},
		{"a mapping that merges itself is a cycle",
			"hold: &h {<<: *h}\n",
			`p.yml:2:15: hold: alias *h refers to a value that contains it`},
		{"a key that is not a string",
			"semver:\n  labels: {[a]: b}\n",
			`p.yml:3:12: semver.labels: keys must be plain strings, got a list`},
		{"a custom tag is not a string",
			"branches: [!foo main]\n",
			`p.yml:2:12: branches[0]: want a string, got the value "main" tagged !foo`},
		{"a map key needing quotes is quoted in the path",
			"semver: {labels: {\"big one\": x}}\n",
			`p.yml:2:30: semver.labels["big one"]: "big one" is not allowed; allowed values: major, minor, patch, none`},

		// Syntax and shape.
		{"a YAML syntax error has the line of the construct",
			"branches: [main\n",
			`p.yml:2: invalid YAML: did not find expected ',' or ']'`},
		{"a tab in the indentation",
			"hold:\n\tlabel: x\n",
			`p.yml:3: invalid YAML: found character that cannot start any token`},
		{"an undefined alias is found in the text",
			"branches: *nope\n",
			`p.yml:2:11: alias *nope refers to no anchor; define it first with &nope`},
		{"a control character is found in the text",
			"hold: {label: \"a\x01\"}\n",
			`p.yml:2:17: invalid YAML: control characters are not allowed`},
		{"a second document is refused",
			"---\nversion: 1\n",
			`p.yml:2:1: a policy is one YAML document; remove this second document and the --- before it`},
		{"a second version key is a duplicate",
			"version: 2\n",
			`p.yml:2:1: version: duplicate key "version"; it is first given at line 1, column 1`},

		// Rules.
		{"an invalid regular expression quotes RE2's reason",
			"change_record: {patterns: ['(']}\n",
			"p.yml:2:28: change_record.patterns[0]: invalid regular expression \"(\": missing closing ): `(` (RE2 syntax: no look-around or back-references)"},
		{"look-around is not RE2",
			"change_record: {patterns: ['CHG(?=\\d)']}\n",
			"p.yml:2:28: change_record.patterns[0]: invalid regular expression \"CHG(?=\\d)\": invalid or unsupported Perl syntax: `(?=` (RE2 syntax: no look-around or back-references)"},
		{"a change record needs patterns",
			"change_record: {sources: [title]}\n",
			`p.yml:2:16: change_record.patterns: missing; give the regular expressions of change-record IDs, e.g. ['[A-Z][A-Z0-9]+-\d+']`},
		{"an unknown change-record source lists the sources",
			"change_record: {patterns: [X], sources: [title, bodyy]}\n",
			`p.yml:2:49: change_record.sources[1]: "bodyy" is not allowed; allowed values: title, body, branch, commits`},
		{"a change-record source listed twice",
			"change_record: {patterns: [X], sources: [body, body]}\n",
			`p.yml:2:48: change_record.sources[1]: "body" is listed twice`},
		{"an invalid glob",
			"branches: [\"release/[\"]\n",
			`p.yml:2:12: branches[0]: invalid glob "release/[": check its [ ] and { } pairs and \ escapes`},
		{"an invalid glob in a condition",
			"approvals:\n  - when: {paths: [\"db/{a\"]}\n",
			`p.yml:3:20: approvals[0].when.paths[0]: invalid glob "db/{a": check its [ ] and { } pairs and \ escapes`},
		{"a malformed team",
			"approvals:\n  - from: [\"@acme/\"]\n",
			`p.yml:3:12: approvals[0].from[0]: "@acme/" is not a team: write @org/team`},
		{"a login with a slash",
			"approvals:\n  - from: [acme/dba]\n",
			`p.yml:3:12: approvals[0].from[0]: "acme/dba" is not a login; teams are written @org/team`},
		{"a Slack user cannot approve a pull request",
			"approvals:\n  - from: [\"slack:U123\"]\n",
			`p.yml:3:12: approvals[0].from[0]: "slack:U123" is a Slack entry, which only deploy gates and freeze overrides take; here write a login or @org/team`},
		{"an empty approver",
			"approvals:\n  - from: [\"\"]\n",
			`p.yml:3:12: approvals[0].from[0]: empty entry; want a login or @org/team`},
		{"required below 1",
			"approvals:\n  - required: 0\n",
			`p.yml:3:15: approvals[0].required: 0 is out of range; allowed: 1 to 100`},
		{"required above 100",
			"approvals:\n  - required: 101\n",
			`p.yml:3:15: approvals[0].required: 101 is out of range; allowed: 1 to 100`},
		{"required more than the people listed",
			"approvals:\n  - {required: 3, from: [alice, Alice, bob]}\n",
			`p.yml:3:16: approvals[0].required: 3 approvals can never be given: from lists only 2 people and no team; lower required or add approvers`},
		{"duplicate rule names",
			"approvals:\n  - name: dba\n  - name: DBA\n",
			`p.yml:4:11: approvals[1].name: duplicate rule name "DBA" (also approvals[0]); names must differ`},
		{"a rule named like another's default name",
			"approvals:\n  - required: 1\n  - name: approvals[0]\n",
			`p.yml:4:11: approvals[1].name: duplicate rule name "approvals[0]" (also approvals[0]); names must differ`},
		{"a bad fenced-block name",
			"release_notes: {block: \"release note\"}\n",
			"p.yml:2:24: release_notes.block: \"release note\" cannot follow ``` as a fenced block's info string; use letters, digits, '.', '_', '+' and '-', e.g. release-note"},
		{"an unknown bump in semver.labels",
			"semver: {labels: {huge: x}}\n",
			`p.yml:2:25: semver.labels.huge: "huge" is not allowed; allowed values: major, minor, patch, none`},
		{"two bumps with one label",
			"semver: {labels: {major: big, minor: big}}\n",
			`p.yml:2:38: semver.labels.minor: label "big" is also the label of major; each bump needs its own label`},
		{"an unknown bump in semver.types",
			"semver: {types: {feat: large}}\n",
			`p.yml:2:24: semver.types.feat: "large" is not allowed; allowed values: major, minor, patch, none`},
		{"a conventional type in capitals",
			"semver: {types: {Feat: minor}}\n",
			`p.yml:2:24: semver.types.Feat: "Feat" is not a conventional-commit type; write it in lower case, e.g. feat, fix, docs`},
		{"pre_major_breaking is major or minor",
			"semver: {pre_major_breaking: patch}\n",
			`p.yml:2:30: semver.pre_major_breaking: "patch" is not allowed; allowed values: major, minor`},
		{"pre_major_features is minor or patch",
			"semver: {pre_major_features: major}\n",
			`p.yml:2:30: semver.pre_major_features: "major" is not allowed; allowed values: minor, patch`},
		{"the initial version has no prefix",
			"semver: {initial: v0.1.0}\n",
			`p.yml:2:19: semver.initial: "v0.1.0" is not a strict semantic version; write MAJOR.MINOR.PATCH without prefix, e.g. 0.1.0`},
		{"a semver condition without a PR rule",
			"semver: {when: {branches: [main]}, initial: 1.0.0}\n",
			`p.yml:2:16: semver.when: limits the semver PR rule, which needs labels or conventional_title: true to declare a bump`},
		{"a tag prefix with a space",
			"tags: {prefix: \"release \"}\n",
			`p.yml:2:16: tags.prefix: "release " is not a usable tag prefix; use letters, digits, '.', '_', '-' and '/' ("" for none)`},
		{"a title type in capitals",
			"title: {types: [Feat]}\n",
			`p.yml:2:17: title.types[0]: "Feat" is not a conventional-commit type; write it in lower case, e.g. feat, fix, docs`},
		{"a scope with a space",
			"title: {scopes: [\"a b\"]}\n",
			`p.yml:2:18: title.scopes[0]: "a b" is not a scope; a scope is one word without spaces or parentheses`},
		{"checks need names",
			"checks: {required: []}\n",
			`p.yml:2:20: checks.required: missing; list the check names that must succeed, e.g. [build, {name: test, app: github-actions}]`},
		{"a check listed twice",
			"checks: {required: [build, build]}\n",
			`p.yml:2:28: checks.required[1]: check "build" is listed twice`},
		{"hotfix needs branches",
			"hotfix: {merge_back_to: main}\n",
			`p.yml:2:9: hotfix.branches: missing; give the head-branch globs that may be hotfixes, e.g. ["hotfix/*"]`},
		{"merge_back_to is a branch, not a glob",
			"hotfix: {branches: [\"hotfix/*\"], merge_back_to: \"release/*\"}\n",
			`p.yml:2:49: hotfix.merge_back_to: "release/*" is not a branch name: it holds a space or one of ~ ^ : ? * [ \`},
		{"hotfix approvals are checked like approval rules",
			"hotfix: {branches: [\"hotfix/*\"], approvals: {required: 0}}\n",
			`p.yml:2:56: hotfix.approvals.required: 0 is out of range; allowed: 1 to 100`},
		{"an unknown command suggests the closest",
			"commands: {aprove: admin}\n",
			`p.yml:2:20: commands.aprove: unknown command "aprove" (did you mean "approve"?); commands: approve, lgtm, hold, unhold, release-note, release-note-none, semver, change, hotfix, override-freeze, recheck, help, merge-back, release, deploy, rollback, approve-deploy, reject-deploy`},
		{"a command written with its slash",
			"commands: {\"/hold\": write}\n",
			`p.yml:2:21: commands["/hold"]: unknown command "/hold" (did you mean "hold"?); commands: approve, lgtm, hold, unhold, release-note, release-note-none, semver, change, hotfix, override-freeze, recheck, help, merge-back, release, deploy, rollback, approve-deploy, reject-deploy`},
		{"an unknown role lists the roles",
			"commands: {hold: boss}\n",
			`p.yml:2:18: commands.hold: "boss" is not a role; allowed roles: read, triage, write, maintain, admin`},
		{"none is not a role for a command",
			"commands: {deploy: none}\n",
			`p.yml:2:20: commands.deploy: "none" is not a role; allowed roles: read, triage, write, maintain, admin`},
		{"a Slack channel without #",
			"notify: {slack: {channel: releases}}\n",
			`p.yml:2:27: notify.slack.channel: "releases" is not a Slack channel; write #name (lower case) or a channel ID such as C0123ABCD`},
		{"a Slack user ID in lower case",
			"notify: {slack: {users: {alice: u123}}}\n",
			`p.yml:2:33: notify.slack.users.alice: "u123" is not a Slack user ID; want U… or W… in capitals, e.g. U0123ABCD (Slack: profile → ⋮ → Copy member ID)`},
		{"a Slack users key that is a team",
			"notify: {slack: {users: {\"@acme/sre\": U1234}}}\n",
			`p.yml:2:39: notify.slack.users["@acme/sre"]: "@acme/sre" is not a GitHub login; keys are logins, e.g. alice: U0123ABCD`},

		// Freeze windows.
		{"a window mixing forms",
			"freeze:\n  windows:\n    - {name: w, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z, cron: \"0 16 * * FRI\"}\n",
			`p.yml:4:7: freeze.windows[0]: mixes a fixed window (start, end) with a recurring one (cron with duration or end_cron); keep one form`},
		{"a date without time",
			"freeze:\n  windows:\n    - {name: w, start: 2026-12-20, end: 2027-01-04T00:00:00Z}\n",
			`p.yml:4:24: freeze.windows[0].start: "2026-12-20" is not an RFC 3339 date-time; write e.g. 2026-12-20T00:00:00Z or 2026-12-20T00:00:00+01:00`},
		{"a fixed window without end",
			"freeze:\n  windows:\n    - {name: w, start: 2026-12-20T00:00:00Z}\n",
			`p.yml:4:7: freeze.windows[0].end: missing; a fixed window needs both start and end`},
		{"a window that ends before it starts",
			"freeze:\n  windows:\n    - {name: w, start: 2026-12-20T00:00:00Z, end: 2026-12-20T00:00:00Z}\n",
			`p.yml:4:51: freeze.windows[0].end: 2026-12-20T00:00:00Z is not after start 2026-12-20T00:00:00Z`},
		{"a timezone on a fixed window",
			"freeze:\n  windows:\n    - {name: w, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z, timezone: Europe/Berlin}\n",
			`p.yml:4:83: freeze.windows[0].timezone: has no effect on a fixed window; give start and end with their UTC offset, e.g. 2026-12-20T00:00:00+01:00`},
		{"an invalid cron expression",
			"freeze:\n  windows:\n    - {name: w, cron: \"0 16 * *\", duration: 1h}\n",
			`p.yml:4:23: freeze.windows[0].cron: invalid cron expression "0 16 * *": expected exactly 5 fields, found 4: [0 16 * *]; write five fields (minute hour day-of-month month day-of-week), e.g. "0 16 * * FRI", or @daily, @weekly, @monthly, @yearly`},
		{"@every is not a calendar schedule",
			"freeze:\n  windows:\n    - {name: w, cron: \"@every 1h\", duration: 1h}\n",
			`p.yml:4:23: freeze.windows[0].cron: "@every 1h": @every is not anchored to the calendar; write five fields (minute hour day-of-month month day-of-week), e.g. "0 16 * * FRI", or @daily, @weekly, @monthly, @yearly`},
		{"a timezone inside the cron expression",
			"freeze:\n  windows:\n    - {name: w, cron: \"CRON_TZ=UTC 0 16 * * FRI\", duration: 1h}\n",
			`p.yml:4:23: freeze.windows[0].cron: "CRON_TZ=UTC 0 16 * * FRI": give the timezone in the window's timezone key, not in the cron expression`},
		{"a cron expression that never fires",
			"freeze:\n  windows:\n    - {name: w, cron: \"0 0 30 2 *\", duration: 1h}\n",
			`p.yml:4:23: freeze.windows[0].cron: cron expression "0 0 30 2 *" never fires (no such date)`},
		{"duration and end_cron together",
			"freeze:\n  windows:\n    - {name: w, cron: \"0 16 * * FRI\", duration: 1h, end_cron: \"0 8 * * MON\"}\n",
			`p.yml:4:63: freeze.windows[0].end_cron: give either duration or end_cron, not both`},
		{"a cron window with no end",
			"freeze:\n  windows:\n    - {name: w, cron: \"0 16 * * FRI\"}\n",
			`p.yml:4:7: freeze.windows[0]: a cron window needs duration (e.g. 64h) or end_cron (e.g. "0 8 * * MON")`},
		{"a duration without cron",
			"freeze:\n  windows:\n    - {name: w, duration: 1h}\n",
			`p.yml:4:7: freeze.windows[0].cron: missing; duration and end_cron need a cron expression for the start`},
		{"a bad duration",
			"freeze:\n  windows:\n    - {name: w, cron: \"0 16 * * FRI\", duration: 64}\n",
			`p.yml:4:49: freeze.windows[0].duration: want a string, got the integer 64; quote it: "64"`},
		{"a duration without unit",
			"freeze:\n  windows:\n    - {name: w, cron: \"0 16 * * FRI\", duration: \"64\"}\n",
			`p.yml:4:49: freeze.windows[0].duration: "64" is not a positive duration; write e.g. 30s, 15m, 1h30m or 2d (d = 24h)`},
		{"an unknown timezone",
			"freeze:\n  windows:\n    - {name: w, cron: \"0 16 * * FRI\", duration: 1h, timezone: Europe/Berln}\n",
			`p.yml:4:63: freeze.windows[0].timezone: unknown timezone "Europe/Berln"; use an IANA name such as Europe/Berlin, America/New_York or UTC`},
		{"Local is not a timezone for a policy",
			"freeze:\n  windows:\n    - {name: w, cron: \"0 16 * * FRI\", duration: 1h, timezone: Local}\n",
			`p.yml:4:63: freeze.windows[0].timezone: unknown timezone "Local"; use an IANA name such as Europe/Berlin, America/New_York or UTC`},
		{"an empty window",
			"freeze:\n  windows:\n    - {name: w}\n",
			`p.yml:4:7: freeze.windows[0]: empty window; give start and end, or cron with duration or end_cron`},
		{"a window without name",
			"freeze:\n  windows:\n    - {cron: \"0 16 * * FRI\", duration: 1h}\n",
			`p.yml:4:7: freeze.windows[0].name: missing; every window needs a name, shown when it freezes a change`},
		{"windows with one name",
			"freeze:\n  windows:\n    - {name: w, cron: \"0 16 * * FRI\", duration: 1h}\n    - {name: w, cron: \"0 16 * * SAT\", duration: 1h}\n",
			`p.yml:5:14: freeze.windows[1].name: duplicate window name "w" (also freeze.windows[0])`},
		{"freeze without windows",
			"freeze: {windows: []}\n",
			`p.yml:2:19: freeze.windows: missing; add at least one window, e.g. {name: weekend, cron: "0 16 * * FRI", duration: 64h}`},
		{"an override without approvers",
			"freeze:\n  windows: [{name: w, cron: \"@daily\", duration: 1h}]\n  override: {approvals: 1}\n",
			`p.yml:4:13: freeze.override.from: missing; list who may override a freeze: logins, @org/team, slack:U… or slack:S…`},
		{"an override without a count",
			"freeze:\n  windows: [{name: w, cron: \"@daily\", duration: 1h}]\n  override: {from: [\"@acme/cab\"]}\n",
			`p.yml:4:13: freeze.override.approvals: missing; say how many approvals an override needs (1 to 100)`},
		{"an override may name Slack users, but enough of them",
			"freeze:\n  windows: [{name: w, cron: \"@daily\", duration: 1h}]\n  override: {approvals: 2, from: [\"slack:U1234\"]}\n",
			`p.yml:4:25: freeze.override.approvals: 2 approvals can never be given: from lists only 1 person and no team; lower required or add approvers`},

		// Deployments.
		{"deploy without environments",
			"deploy: {environments: []}\n",
			`p.yml:2:24: deploy.environments: missing; list the environments in order, e.g. - {name: staging, on: release, steps: [...]}`},
		{"an environment without name",
			"deploy:\n  environments:\n    - steps: [{wait: 1m}]\n",
			`p.yml:4:7: deploy.environments[0].name: missing; every environment needs a name, as in /deploy NAME`},
		{"an environment name with a space",
			"deploy:\n  environments:\n    - {name: \"prod eu\", steps: [{wait: 1m}]}\n",
			`p.yml:4:14: deploy.environments[0].name: "prod eu" is not an environment name; use letters, digits, '.', '_' and '-' (it is typed as /deploy NAME)`},
		{"environment names differing only in case",
			"deploy:\n  environments:\n    - {name: prod, steps: [{wait: 1m}]}\n    - {name: Prod, steps: [{wait: 1m}]}\n",
			`p.yml:5:14: deploy.environments[1].name: duplicate environment "Prod" (also deploy.environments[0], names compare without case)`},
		{"on is release or nothing",
			"deploy:\n  environments:\n    - {name: prod, on: push, steps: [{wait: 1m}]}\n",
			`p.yml:4:24: deploy.environments[0].on: "push" is not allowed; allowed values: release (start on each release), or leave it out (start by /deploy or after another environment)`},
		{"after an unknown environment",
			"deploy:\n  environments:\n    - {name: staging, steps: [{wait: 1m}]}\n    - {name: prod, after: stagin, steps: [{wait: 1m}]}\n",
			`p.yml:5:27: deploy.environments[1].after: unknown environment "stagin" (did you mean "staging"?); environments: staging, prod`},
		{"after itself",
			"deploy:\n  environments:\n    - {name: prod, after: prod, steps: [{wait: 1m}]}\n",
			`p.yml:4:27: deploy.environments[0].after: "prod" cannot come after itself`},
		{"environments waiting for each other",
			"deploy:\n  environments:\n    - {name: a, after: c, steps: [{wait: 1m}]}\n    - {name: b, after: a, steps: [{wait: 1m}]}\n    - {name: c, after: b, steps: [{wait: 1m}]}\n",
			`p.yml:4:24: deploy.environments[0].after: environments wait for each other in a cycle: a → b → c → a`},
		{"an environment without steps",
			"deploy:\n  environments:\n    - {name: prod}\n",
			`p.yml:4:7: deploy.environments[0].steps: missing; list the steps that deploy to prod, e.g. - github_workflow: {workflow: deploy.yml}`},
		{"an empty step",
			"deploy:\n  environments:\n    - {name: prod, steps: [{}]}\n",
			`p.yml:4:28: deploy.environments[0].steps[0]: empty step; give exactly one of github_workflow, gitlab_pipeline, webhook, health_check, wait, approval, metric_check, canary`},
		{"a step with two keys",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - {wait: 1m, webhook: {url: \"https://x.example\"}}\n",
			`p.yml:6:11: deploy.environments[0].steps[0]: a step has exactly one key, got webhook and wait; split it into 2 steps`},
		{"an unknown step key",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - sleep: 1m\n",
			`p.yml:6:11: deploy.environments[0].steps[0].sleep: unknown key "sleep"; allowed keys: github_workflow, gitlab_pipeline, webhook, health_check, wait, approval, metric_check, canary`},
		{"a workflow path instead of a file name",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - github_workflow: {workflow: .github/workflows/deploy.yml}\n",
			`p.yml:6:39: deploy.environments[0].steps[0].github_workflow.workflow: ".github/workflows/deploy.yml" is not a workflow; want the file name in .github/workflows (e.g. deploy.yml) or a numeric workflow ID`},
		{"a workflow without file",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - github_workflow: {ref: main}\n",
			`p.yml:6:28: deploy.environments[0].steps[0].github_workflow.workflow: missing; name the workflow file in .github/workflows, e.g. deploy.yml`},
		{"shipgate_id is Shipgate's input",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - github_workflow: {workflow: d.yml, inputs: {shipgate_id: x}}\n",
			`p.yml:6:68: deploy.environments[0].steps[0].github_workflow.inputs.shipgate_id: shipgate_id is set by Shipgate on every run (declare it in the workflow's inputs and run-name); remove it here`},
		{"SHIPGATE_ variables are Shipgate's",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - gitlab_pipeline: {variables: {SHIPGATE_ID: x}}\n",
			`p.yml:6:54: deploy.environments[0].steps[0].gitlab_pipeline.variables.SHIPGATE_ID: variables named SHIPGATE_… are set by Shipgate on every pipeline (SHIPGATE_ID, SHIPGATE_VERSION, SHIPGATE_ENVIRONMENT); remove it here`},
		{"a template with an unknown field suggests one",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - github_workflow: {workflow: d.yml, inputs: {v: \"{{.version}}\"}}\n",
			`p.yml:6:58: deploy.environments[0].steps[0].github_workflow.inputs.v: template "{{.version}}": unknown field .version (did you mean .Version?); fields: .Version, .PreviousVersion, .Environment, .Repo, .SHA`},
		{"a template with a syntax error",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - github_workflow: {workflow: d.yml, ref: \"{{.Version\"}\n",
			`p.yml:6:51: deploy.environments[0].steps[0].github_workflow.ref: invalid template "{{.Version": 1: unclosed action`},
		{"a template with an unknown function",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - gitlab_pipeline: {ref: \"{{upper .Version}}\"}\n",
			`p.yml:6:34: deploy.environments[0].steps[0].gitlab_pipeline.ref: invalid template "{{upper .Version}}": 1: function "upper" not defined`},
		{"a template that fails on sample data",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - gitlab_pipeline: {ref: \"{{index .Version 9}}\"}\n",
			`p.yml:6:34: deploy.environments[0].steps[0].gitlab_pipeline.ref: template "{{index .Version 9}}" fails on sample data: 1:2: at <index .Version 9>: error calling index: index out of range: 9; fields: .Version, .PreviousVersion, .Environment, .Repo, .SHA`},
		{"range is not allowed in a template",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - gitlab_pipeline: {ref: \"{{range 3}}x{{end}}\"}\n",
			`p.yml:6:34: deploy.environments[0].steps[0].gitlab_pipeline.ref: template "{{range 3}}x{{end}}": range is not allowed in step templates`},
		{"a GitLab variable name with a dash",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - gitlab_pipeline: {variables: {deploy-env: x}}\n",
			`p.yml:6:53: deploy.environments[0].steps[0].gitlab_pipeline.variables.deploy-env: "deploy-env" is not a variable name; use letters, digits and _`},
		{"a webhook URL that is not absolute",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - webhook: {url: \"{{.Environment}}.example.com/hook\"}\n",
			`p.yml:6:26: deploy.environments[0].steps[0].webhook.url: "{{.Environment}}.example.com/hook" is not an absolute http(s) URL (with sample data it reads "prod.example.com/hook"); write e.g. https://{{.Environment}}.example.com/healthz`},
		{"a health check over ftp",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - health_check: {url: \"ftp://x.example\"}\n",
			`p.yml:6:31: deploy.environments[0].steps[0].health_check.url: "ftp://x.example" is not an absolute http(s) URL; write e.g. https://{{.Environment}}.example.com/healthz`},
		{"a secret_env that is not a variable name",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - webhook: {url: \"https://x.example\", secret_env: \"$SECRET\"}\n",
			`p.yml:6:59: deploy.environments[0].steps[0].webhook.secret_env: "$SECRET" is not an environment variable name; use letters, digits and _, e.g. DEPLOY_HOOK_SECRET`},
		{"a health check expecting a non-status",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - health_check: {url: \"https://x.example\", expect: 42}\n",
			`p.yml:6:60: deploy.environments[0].steps[0].health_check.expect: 42 is not an HTTP status; allowed: 100 to 599`},
		{"negative retries",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - health_check: {url: \"https://x.example\", retries: -1}\n",
			`p.yml:6:61: deploy.environments[0].steps[0].health_check.retries: -1 is out of range; allowed: 0 to 10000`},
		{"a negative wait",
			"deploy:\n  environments:\n    - name: prod\n      steps:\n        - wait: -5m\n",
			`p.yml:6:17: deploy.environments[0].steps[0].wait: "-5m" is not a positive duration; write e.g. 30s, 15m, 1h30m or 2d (d = 24h)`},
		{"a gate without approvers",
			"deploy:\n  environments:\n    - name: prod\n      approval: {required: 1}\n      steps: [{wait: 1m}]\n",
			`p.yml:5:17: deploy.environments[0].approval.from: missing; list who may approve: logins, @org/team, slack:U… or slack:S…`},
		{"a gate counts a person once across GitHub and Slack",
			"notify: {slack: {users: {alice: U1111}}}\ndeploy:\n  environments:\n    - name: prod\n      approval: {required: 2, from: [alice, \"slack:U1111\"]}\n      steps: [{wait: 1m}]\n",
			`p.yml:6:28: deploy.environments[0].approval.required: 2 approvals can never be given: from lists only 1 person and no team; lower required or add approvers`},
		{"a gate with a bad expiry",
			"deploy:\n  environments:\n    - name: prod\n      steps: [{approval: {from: [alice], expires: forever}}]\n",
			`p.yml:5:51: deploy.environments[0].steps[0].approval.expires: "forever" is not a positive duration; write e.g. 30s, 15m, 1h30m or 2d (d = 24h)`},
		{"a hidden notes type that is no conventional type",
			"notes:\n  hide: [docs, Chore]\n",
			`p.yml:3:16: notes.hide[1]: "Chore" is not a conventional-commit type; write a lowercase word such as docs, chore, ci or test`},
		{"a hidden notes type listed twice",
			"notes: {hide: [ci, ci]}\n",
			`p.yml:2:20: notes.hide[1]: "ci" is listed twice`},
		{"a gate channel without #",
			"deploy:\n  environments:\n    - name: prod\n      approval: {from: [alice], slack_channel: releases}\n      steps: [{wait: 1m}]\n",
			`p.yml:5:48: deploy.environments[0].approval.slack_channel: "releases" is not a Slack channel; write #name (lower case) or a channel ID such as C0123ABCD`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadErrorLines(t, "version: 1\n"+tt.src)
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), tt.want)
			}
		})
	}
}

func TestLoadSaysWhatToAddToAnEmptyOrUnversionedFile(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"an empty file", "",
			"p.yml:1:1: version: the policy is empty; start it with the line \"version: 1\", then add rules (see `shipgate policy schema`)"},
		{"a file of comments", "# policy\n\n",
			"p.yml:1:1: version: the policy is empty; start it with the line \"version: 1\", then add rules (see `shipgate policy schema`)"},
		{"a file with only a document marker", "---\n",
			"p.yml:1:1: version: the policy is empty; start it with the line \"version: 1\", then add rules (see `shipgate policy schema`)"},
		{"a policy without version", "# policy\nbranches: [main]\n",
			`p.yml:2:1: version: missing; add the line "version: 1" at the top of the file`},
		{"a policy of another version", "version: 2\n",
			`p.yml:1:10: version: unsupported version 2; the only version is 1`},
		{"a quoted version", "version: \"1\"\n",
			`p.yml:1:10: version: want an integer, got the string "1"`},
		{"a list instead of a policy", "- version: 1\n",
			`p.yml:1:1: want a mapping of policy keys (version: 1, approvals: ..., ...), got a list`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadErrorLines(t, tt.src)
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), tt.want)
			}
		})
	}
}

func TestLoadReportsEveryErrorAtOnceInFileOrder(t *testing.T) {
	src := `version: 1
branches: main
approvals:
  - name: reviewers
    requried: 2
    from: [alice, "slack:U1"]
semver:
  labels: {huge: x}
commands: {hold: boss}
freeze:
  windows:
    - {name: w, cron: "0 16 * * FRY", duration: 64x}
`
	want := []string{
		`p.yml:2:11: branches: want a list of strings, got the string "main"; write ["main"]`,
		`p.yml:5:5: approvals[0].requried: unknown key "requried" (did you mean "required"?); allowed keys: name, when, required, from, codeowners, allow_author, allow_contributor, dismiss_stale, any_of, all_of, locked`,
		`p.yml:6:19: approvals[0].from[1]: "slack:U1" is a Slack entry, which only deploy gates and freeze overrides take; here write a login or @org/team`,
		`p.yml:8:18: semver.labels.huge: "huge" is not allowed; allowed values: major, minor, patch, none`,
		`p.yml:9:18: commands.hold: "boss" is not a role; allowed roles: read, triage, write, maintain, admin`,
		`p.yml:12:23: freeze.windows[0].cron: invalid cron expression "0 16 * * FRY": "FRY" is neither a number nor a name (JAN…DEC, SUN…SAT); write five fields (minute hour day-of-month month day-of-week), e.g. "0 16 * * FRI", or @daily, @weekly, @monthly, @yearly`,
		`p.yml:12:49: freeze.windows[0].duration: "64x" is not a positive duration; write e.g. 30s, 15m, 1h30m or 2d (d = 24h)`,
	}
	got := loadErrorLines(t, src)
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoadDoesNotRepeatADecodingErrorAsAMissingValue(t *testing.T) {
	// change_record decodes to nothing; "patterns: missing" would only
	// repeat the real problem.
	got := loadErrorLines(t, "version: 1\nchange_record: [x]\n")
	want := []string{`p.yml:2:16: change_record: want a mapping, got a list`}
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoadAppliesEveryDefault(t *testing.T) {
	p := loadPolicyOK(t, `version: 1
change_record: {patterns: ['X-\d+']}
approvals: [{}]
release_notes: {}
semver: {conventional_title: true}
title: {}
hold: {}
freeze:
  windows: [{name: nightly, cron: "@daily", duration: 1h}]
hotfix: {branches: ["hotfix/*"], approvals: {}}
tags: {}
deploy:
  environments:
    - name: prod
      approval: {from: [alice]}
      steps:
        - github_workflow: {workflow: deploy.yml}
        - gitlab_pipeline: {}
        - health_check: {url: "https://x.example/healthz"}
notify: {}
`)
	if p.File != "p.yml" {
		t.Errorf("File = %q", p.File)
	}
	if p.Branches != nil {
		t.Errorf("Branches = %v, want nil (all branches)", p.Branches)
	}
	if got := p.ChangeRecord.Sources; !slices.Equal(got, []string{"title", "body", "branch", "commits"}) {
		t.Errorf("change_record.sources = %v", got)
	}
	a := p.Approvals[0]
	if a.Name != "approvals" || a.Required != 1 || a.From != nil || a.CodeOwners || a.AllowAuthor || a.AllowContributor || !a.DismissStale {
		t.Errorf("approval rule = %+v", a)
	}
	if rn := p.ReleaseNotes; rn.Block != "release-note" || rn.NoneLabel != "" || rn.Fragments != nil {
		t.Errorf("release_notes = %+v", rn)
	}
	if s := p.Semver; len(s.Labels) != 0 || !s.ConventionalTitle {
		t.Errorf("semver = %+v", s)
	}
	if !reflect.DeepEqual(p.Release, DefaultReleaseSettings()) {
		t.Errorf("release settings = %+v, want %+v", p.Release, DefaultReleaseSettings())
	}
	if p.Title == nil || p.Title.Types != nil || p.Title.Scopes != nil {
		t.Errorf("title = %+v, want the rule with the rule's default types", p.Title)
	}
	if p.Hold.Label != "do-not-merge/hold" {
		t.Errorf("hold.label = %q", p.Hold.Label)
	}
	w := p.Freeze.Windows[0]
	if w.Location != time.UTC || w.Duration != time.Hour || w.EndSchedule != nil {
		t.Errorf("window = %+v", w)
	}
	if p.Freeze.Override != nil {
		t.Errorf("override = %+v, want none", p.Freeze.Override)
	}
	if h := p.Hotfix; h.Approval.Name != "hotfix" || h.Approval.Required != 1 || h.MergeBackTo != "" {
		t.Errorf("hotfix = %+v, approval %+v", h, h.Approval)
	}
	for _, spec := range Commands {
		if p.Commands[spec.Name] != spec.Role {
			t.Errorf("commands.%s = %v, want %v", spec.Name, p.Commands[spec.Name], spec.Role)
		}
	}
	if len(p.Commands) != len(Commands) {
		t.Errorf("%d commands, want %d", len(p.Commands), len(Commands))
	}
	env := p.Deploy[0]
	if env.On != "" || env.After != "" || env.Rollback != nil {
		t.Errorf("environment = %+v", env)
	}
	if g := env.Approval; g.Required != 1 || g.Expires != 24*time.Hour || g.SlackChannel != "" {
		t.Errorf("gate = %+v", g)
	}
	if wf := env.Steps[0].GitHubWorkflow; wf.Ref != nil || wf.Inputs != nil || wf.Timeout != time.Hour {
		t.Errorf("github_workflow = %+v", wf)
	}
	if pl := env.Steps[1].GitLabPipeline; pl.Ref != nil || pl.Variables != nil || pl.Timeout != time.Hour {
		t.Errorf("gitlab_pipeline = %+v", pl)
	}
	if hc := env.Steps[2].HealthCheck; hc.Expect != 200 || hc.Interval != 10*time.Second || hc.Retries != 30 || hc.Timeout != 5*time.Second {
		t.Errorf("health_check = %+v", hc)
	}
	if p.Notify.SlackChannel != "" || p.Notify.SlackUsers != nil {
		t.Errorf("notify = %+v", p.Notify)
	}
}

func TestLoadLeavesUnconfiguredRulesOff(t *testing.T) {
	p := loadPolicyOK(t, "version: 1\n")
	if p.ChangeRecord != nil || p.Approvals != nil || p.ReleaseNotes != nil || p.Semver != nil || p.Title != nil ||
		p.Freeze != nil || p.Checks != nil || p.Hotfix != nil || p.Deploy != nil {
		t.Errorf("policy = %+v, want only the always-on rules", p)
	}
	if p.Hold.Label != "do-not-merge/hold" || !reflect.DeepEqual(p.Release, DefaultReleaseSettings()) {
		t.Errorf("hold %+v, release %+v", p.Hold, p.Release)
	}
}

func TestLoadNamesApprovalRules(t *testing.T) {
	p := loadPolicyOK(t, "version: 1\napprovals:\n  - required: 1\n  - name: dba\n  - required: 2\n")
	var names []string
	for _, a := range p.Approvals {
		names = append(names, a.Name)
	}
	if want := []string{"approvals[0]", "dba", "approvals[2]"}; !slices.Equal(names, want) {
		t.Errorf("names = %v, want %v", names, want)
	}
}

func TestLoadTakesWhatTheFormatAllows(t *testing.T) {
	p := loadPolicyOK(t, `version: 1
approvals:
  - &base
    name: reviewers
    required: 2
    from: ["@acme/release-managers", "@alice"]
    when: {labels: [needs-review], authors: ["@acme/contractors", bob]}
  - <<: *base
    name: dba
    required: 1
semver:
  labels: {major: "semver:major", none: "semver:none"}
  types: {docs: patch, feat: major}
  pre_major_breaking: minor
  pre_major_features: patch
  initial: 1.0.0-rc.1
tags: {prefix: "", branches: [main], release: true}
commands: {approve: maintain, deploy: admin}
freeze:
  windows:
    - {name: year-end, start: 2026-12-20T00:00:00Z, end: "2027-01-04T00:00:00+01:00"}
    - {name: weekend, cron: "0 16 * * FRI", duration: 2d16h, timezone: Europe/Berlin}
    - {name: gitlab, cron: "0 18 * * FRI", end_cron: "0 8 * * MON", timezone: America/New_York}
  override: {approvals: 1, from: ["@acme/cab", "slack:S0CAB"]}
deploy:
  environments:
    - name: staging
      on: release
      steps:
        - github_workflow: {workflow: "1234", ref: "{{.SHA}}", inputs: {v: "{{.Version}}", prev: "{{if .PreviousVersion}}{{.PreviousVersion}}{{else}}none{{end}}"}}
        - webhook: {url: "https://hooks.example.com/{{.Repo}}/{{.Environment}}", secret_env: HOOK_SECRET}
        - wait: 1d
    - name: production
      after: staging
      approval: {required: 2, from: [alice, "slack:U0BOB"], slack_channel: C0123ABC, expires: 2h}
      steps: [{approval: {from: ["slack:S0SRE"]}}]
      rollback: [{gitlab_pipeline: {ref: "{{.PreviousVersion}}", variables: {TARGET: "{{.Environment}}"}}}]
notify:
  slack: {channel: "#releases", users: {alice: U0ALICE, bob: W0BOB}}
`)
	if a := p.Approvals[1]; a.Name != "dba" || a.Required != 1 || len(a.From) != 2 || a.From[1].Login != "alice" || a.When.Authors[0].Team != "acme/contractors" {
		t.Errorf("merged rule = %+v", a)
	}
	if got := p.Semver.Labels; len(got) != 2 || got[BumpMajor] != "semver:major" || got[BumpNone] != "semver:none" {
		t.Errorf("semver labels = %v", got)
	}
	rs := p.Release
	if rs.Types["docs"] != BumpPatch || rs.Types["feat"] != BumpMajor || rs.Types["fix"] != BumpPatch ||
		rs.PreMajorBreaking != BumpMinor || rs.PreMajorFeatures != BumpPatch || rs.Initial != "1.0.0-rc.1" ||
		rs.TagPrefix != "" || rs.TagBranches[0].Pattern != "main" || !rs.CreateRelease {
		t.Errorf("release settings = %+v", rs)
	}
	if p.Commands["approve"] != PermMaintain || p.Commands["deploy"] != PermAdmin || p.Commands["hold"] != PermTriage {
		t.Errorf("commands = %v", p.Commands)
	}
	ws := p.Freeze.Windows
	if !ws[0].End.Equal(time.Date(2027, 1, 3, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("year-end ends %v", ws[0].End)
	}
	if ws[1].Duration != 64*time.Hour || ws[1].Location.String() != "Europe/Berlin" {
		t.Errorf("weekend = %+v", ws[1])
	}
	if ws[2].EndSchedule == nil || ws[2].Location.String() != "America/New_York" {
		t.Errorf("gitlab window = %+v", ws[2])
	}
	if o := p.Freeze.Override; o.Approvals != 1 || o.From[1].SlackGroup != "S0CAB" {
		t.Errorf("override = %+v", o)
	}
	staging, production := p.Deploy[0], p.Deploy[1]
	if staging.Steps[2].Wait != 24*time.Hour {
		t.Errorf("wait = %v", staging.Steps[2].Wait)
	}
	if g := production.Approval; g.Required != 2 || g.Expires != 2*time.Hour || g.SlackChannel != "C0123ABC" {
		t.Errorf("gate = %+v", g)
	}
	data := StepTemplateData{Version: "2.0.0", PreviousVersion: "1.9.0", Environment: "staging", Repo: "acme/app", SHA: "abc"}
	for _, tc := range []struct {
		name string
		run  func(*strings.Builder) error
		want string
	}{
		{"ref", func(b *strings.Builder) error { return staging.Steps[0].GitHubWorkflow.Ref.Execute(b, data) }, "abc"},
		{"inputs.prev", func(b *strings.Builder) error { return staging.Steps[0].GitHubWorkflow.Inputs["prev"].Execute(b, data) }, "1.9.0"},
		{"webhook url", func(b *strings.Builder) error { return staging.Steps[1].Webhook.URL.Execute(b, data) }, "https://hooks.example.com/acme/app/staging"},
		{"rollback ref", func(b *strings.Builder) error { return production.Rollback[0].GitLabPipeline.Ref.Execute(b, data) }, "1.9.0"},
	} {
		var b strings.Builder
		if err := tc.run(&b); err != nil || b.String() != tc.want {
			t.Errorf("%s = %q, %v; want %q", tc.name, b.String(), err, tc.want)
		}
	}
	if p.Notify.SlackUsers["bob"] != "W0BOB" || p.Notify.SlackChannel != "#releases" {
		t.Errorf("notify = %+v", p.Notify)
	}
}

func TestLoadReadsTheDesignSketch(t *testing.T) {
	data, err := os.ReadFile("testdata/design-sketch.shipgate.yml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load("testdata/design-sketch.shipgate.yml", data)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(p.Approvals) != 2 || p.Approvals[0].Name != "reviewers" || p.Approvals[0].Required != 2 || !p.Approvals[0].CodeOwners ||
		!p.Approvals[0].DismissStale || p.Approvals[1].When.Paths[0].Pattern != "db/migrations/**" {
		t.Errorf("approvals = %+v", p.Approvals)
	}
	if len(p.ChangeRecord.Patterns) != 2 || !p.ChangeRecord.Patterns[1].MatchString("CHG0001234") {
		t.Errorf("change_record = %+v", p.ChangeRecord)
	}
	if p.ReleaseNotes.Fragments.Pattern != ".changes/*.md" || p.ReleaseNotes.NoneLabel != "release-note-none" {
		t.Errorf("release_notes = %+v", p.ReleaseNotes)
	}
	if len(p.Semver.Labels) != 4 || !p.Semver.ConventionalTitle {
		t.Errorf("semver = %+v", p.Semver)
	}
	if len(p.Freeze.Windows) != 2 || p.Freeze.Override.From[0].Team != "acme/cab" {
		t.Errorf("freeze = %+v", p.Freeze)
	}
	if p.Hotfix.MergeBackTo != "main" || p.Hotfix.Approval.Required != 1 {
		t.Errorf("hotfix = %+v", p.Hotfix)
	}
	if len(p.Deploy) != 2 || p.Deploy[1].After != "staging" || p.Deploy[1].Steps[1].Wait != 15*time.Minute ||
		p.Deploy[1].Approval.SlackChannel != "#releases" || len(p.Deploy[1].Rollback) != 1 {
		t.Errorf("deploy = %+v", p.Deploy)
	}
	if p.Notify.SlackChannel != "#releases" || p.Release.TagPrefix != "v" {
		t.Errorf("notify %+v, release %+v", p.Notify, p.Release)
	}
}

func TestDecodeRecordsThePositionOfEveryValue(t *testing.T) {
	_, pos, err := Decode("p.yml", []byte("version: 1\napprovals:\n  - name: a\n    from: [alice, \"@acme/dba\"]\nsemver:\n  labels: {\"big one\": x}\n"))
	if err != nil {
		t.Fatalf("Decode checks shapes, not values: %v", err)
	}
	for path, want := range map[string]Position{
		"":                         {1, 1},
		"version":                  {1, 10},
		"approvals":                {3, 3},
		"approvals[0]":             {3, 5},
		"approvals[0].name":        {3, 11},
		"approvals[0].from[1]":     {4, 19},
		`semver.labels["big one"]`: {6, 23},
	} {
		if got := pos[path]; got != want {
			t.Errorf("pos[%q] = %v, want %v", path, got, want)
		}
	}
	if got := pos.Lookup("approvals[0].required"); got != (Position{3, 5}) {
		t.Errorf("a missing key falls back to its mapping: got %v", got)
	}
}

func TestCompileWithoutPositionsStillNamesThePath(t *testing.T) {
	zero := 0
	_, err := Compile("policy", &Config{Approvals: []ApprovalConfig{{Required: &zero}}}, nil)
	var got []string
	for _, fe := range FieldErrors(err) {
		got = append(got, fe.Error())
	}
	want := []string{
		`policy: version: missing; add the line "version: 1" at the top of the file`,
		`policy: approvals[0].required: 0 is out of range; allowed: 1 to 100`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFieldErrorLeavesOutWhatIsUnknown(t *testing.T) {
	for _, tt := range []struct {
		e    FieldError
		want string
	}{
		{FieldError{File: "f", Line: 3, Column: 7, Path: "a.b", Msg: "bad"}, "f:3:7: a.b: bad"},
		{FieldError{File: "f", Line: 3, Msg: "bad"}, "f:3: bad"},
		{FieldError{File: "f", Path: "a", Msg: "bad"}, "f: a: bad"},
		{FieldError{Msg: "bad"}, "bad"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestFieldErrorsUnpacksWrappedAndJoinedErrors(t *testing.T) {
	a, b := &FieldError{Msg: "a"}, &FieldError{Msg: "b"}
	err := errors.Join(a, loadTestWrap(b), errors.New("other"))
	if got := FieldErrors(err); len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("FieldErrors = %v", got)
	}
	if FieldErrors(nil) != nil {
		t.Error("FieldErrors(nil) is not nil")
	}
}

// loadTestWrap wraps err once.
func loadTestWrap(err error) error { return &loadTestWrapped{err} }

type loadTestWrapped struct{ err error }

func (w *loadTestWrapped) Error() string { return "wrapped: " + w.err.Error() }
func (w *loadTestWrapped) Unwrap() error { return w.err }

func TestPathParentStripsOneSegment(t *testing.T) {
	for path, want := range map[string]string{
		"version":                     "",
		"approvals[0]":                "approvals",
		"approvals[0].from[1]":        "approvals[0].from",
		`semver.labels["a.b[c]"]`:     "semver.labels",
		`x["q\"uote"].y`:              `x["q\"uote"]`,
		"deploy.environments[2].name": "deploy.environments[2]",
	} {
		if got := pathParent(path); got != want {
			t.Errorf("pathParent(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestLoadRefusesAliasBombs(t *testing.T) {
	// 100 environments × 100 steps × 1000 inputs: a billion values from a
	// few kilobytes.
	var b strings.Builder
	b.WriteString("version: 1\ndeploy:\n  environments:\n    - &e {name: a, steps: [&s {github_workflow: {workflow: d.yml, inputs: {")
	for i := range 1000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "k%d: v", i)
	}
	b.WriteString("}}}" + strings.Repeat(", *s", 99) + "]}\n")
	b.WriteString(strings.Repeat("    - *e\n", 99))
	got := loadErrorLines(t, b.String())
	want := "p.yml:4:3500: deploy.environments[0].steps[99].github_workflow.inputs.k392: the policy is too large: over 100000 values once aliases are expanded"
	if len(got) != 1 || got[0] != want {
		t.Errorf("errors:\n%.2000s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}

func TestLoadNotesHide(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"without notes the default types are hidden", "version: 1\n", []string{"docs", "chore", "ci", "test"}},
		{"notes.hide replaces the default", "version: 1\nnotes: {hide: [chore, build]}\n", []string{"chore", "build"}},
		{"an empty notes.hide shows every type", "version: 1\nnotes: {hide: []}\n", []string{}},
		{"notes without hide keep the default", "version: 1\nnotes: {}\n", []string{"docs", "chore", "ci", "test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Load("p.yml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.Release.NotesHide, tt.want) {
				t.Errorf("NotesHide = %q, want %q", p.Release.NotesHide, tt.want)
			}
		})
	}
}
