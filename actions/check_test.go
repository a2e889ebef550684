package actions

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/golden"
)

// basePolicy is the policy at the base commit of the pull requests.
const basePolicy = `version: 1
branches: [main]
change_record:
  patterns: ['[A-Z][A-Z0-9]+-\d+']
  sources: [title, body]
approvals:
  - name: reviewers
    required: 1
release_notes:
  block: release-note
semver:
  labels: {major: "semver:major", minor: "semver:minor", patch: "semver:patch", none: "semver:none"}
`

// Base commits: the policy is read at the PR's base commit, not at the
// tip of main, which moved on with a policy that requires nothing.
const (
	baseSHA = "1111111111111111111111111111111111111111"
	tipSHA  = "2222222222222222222222222222222222222222"
)

// checkRunner is a pull_request run for PR number, whose workspace holds
// the PR's own, permissive policy.
func checkRunner(t *testing.T, number int, pr fakegithub.PR, policyAtBase string) *runner {
	t.Helper()
	r := prRunner(t, number, pr, policyAtBase)
	return r.prEvent("pull_request", number, r.fake.PullRequestEvent(testRepo, number, "synchronize", pr.Author))
}

// prRunner is a runner with PR number into main, whose base commit holds
// policyAtBase ("" for none) while main's tip and the workspace hold the
// PR's own, permissive policy; give it its event with prEvent.
func prRunner(t *testing.T, number int, pr fakegithub.PR, policyAtBase string) *runner {
	t.Helper()
	r := newRunner(t)
	r.fake.SetBranch(testRepo, "main", tipSHA)
	r.fake.SetFile(testRepo, tipSHA, ".shipgate.yml", "version: 1\n")
	if policyAtBase != "" {
		r.fake.SetFile(testRepo, baseSHA, ".shipgate.yml", policyAtBase)
	}
	pr.Number, pr.Base, pr.BaseSHA = number, "main", baseSHA
	r.fake.AddPR(testRepo, pr)
	r.ws.write(".shipgate.yml", "version: 1\n") // the PR weakens the policy: ignored
	return r
}

// prEvent makes the run an event on PR number, with GitHub's ref and
// merge commit of a pull request's runs.
func (r *runner) prEvent(name string, number int, payload any) *runner {
	r.t.Helper()
	return r.event(name, "refs/pull/"+strconv.Itoa(number)+"/merge", "3333333333333333333333333333333333333333", r.fake.Payload(payload))
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		pr       fakegithub.PR
		review   bool   // bob approves
		policy   string // at the base commit; "" for none
		inputs   map[string]string
		wantCode int
		wantOut  map[string]string
		// wantAnnotations are prefixes of the annotations, in order.
		wantAnnotations []string
		golden          string
	}{
		{
			name:     "a pull request that misses the policy fails the step with one annotation per rule",
			pr:       fakegithub.PR{Title: "Add export", Author: "alice"},
			policy:   basePolicy,
			wantCode: 1,
			wantOut:  map[string]string{"conclusion": "failure", "bump": "none", "change-records": "", "notes": ""},
			wantAnnotations: []string{
				"::error title=Shipgate%3A change_record::no change record found",
				"::error title=Shipgate%3A release_notes::no release note",
				"::error title=Shipgate%3A semver::no version bump declared",
			},
			golden: "check_failure",
		},
		{
			name: "a pull request that meets the policy passes and sets its outputs",
			pr: fakegithub.PR{Title: "WID-12 Add export", Author: "alice", Labels: []string{"semver:minor"},
				Body: "Why: customers asked.\n\n```release-note\nExport to CSV.\n```\n"},
			review:  true,
			policy:  basePolicy,
			wantOut: map[string]string{"conclusion": "success", "bump": "minor", "change-records": "WID-12", "notes": "Export to CSV."},
			golden:  "check_success",
		},
		{
			name:     "a pending policy fails the step by default",
			pr:       fakegithub.PR{Title: "WID-12 Add export", Author: "alice"},
			policy:   "version: 1\nchecks:\n  required: [ci]\n",
			wantCode: 1,
			wantOut:  map[string]string{"conclusion": "pending"},
			golden:   "check_pending",
		},
		{
			name:    "a pending policy passes with fail-on-pending false",
			pr:      fakegithub.PR{Title: "WID-12 Add export", Author: "alice"},
			policy:  "version: 1\nchecks:\n  required: [ci]\n",
			inputs:  map[string]string{"fail-on-pending": "false"},
			wantOut: map[string]string{"conclusion": "pending"},
		},
		{
			name:     "an invalid policy at the base is annotated on its lines",
			pr:       fakegithub.PR{Title: "WID-12 Add export", Author: "alice"},
			policy:   "version: 1\napprovals:\n  - name: reviewers\n    required: two\n",
			wantCode: 2,
			wantOut:  map[string]string{"conclusion": "failure"},
			wantAnnotations: []string{
				"::error col=15,file=.shipgate.yml,line=4,title=Invalid Shipgate policy::approvals[0].required: ",
			},
			golden: "check_invalid_policy",
		},
		{
			name:    "no policy at the base is neutral",
			pr:      fakegithub.PR{Title: "Add export", Author: "alice"},
			wantOut: map[string]string{"conclusion": "neutral"},
			golden:  "check_no_policy",
		},
		{
			name:     "a bad fail-on-pending is an error naming the input",
			pr:       fakegithub.PR{Title: "Add export", Author: "alice"},
			policy:   basePolicy,
			inputs:   map[string]string{"fail-on-pending": "maybe"},
			wantCode: 2,
			wantOut:  map[string]string{},
			wantAnnotations: []string{
				`::error::input fail-on-pending is "maybe": want true or false`,
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			number := 40 + i
			r := checkRunner(t, number, tt.pr, tt.policy)
			if tt.review {
				r.fake.SetPermission(testRepo, "bob", "write")
				r.fake.AddReview(testRepo, number, fakegithub.Review{Author: "bob", State: "APPROVED"})
			}
			for k, v := range tt.inputs {
				r.input(k, v)
			}
			res := r.run()
			if res.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s", res.code, tt.wantCode, res.stdout)
			}
			for k, want := range tt.wantOut {
				if got, ok := res.outputs[k]; !ok || got != want {
					t.Errorf("output %s = %q (set: %v), want %q", k, got, ok, want)
				}
			}
			if len(tt.wantOut) == 0 && len(res.outputs) > 0 {
				t.Errorf("outputs = %v, want none", res.outputs)
			}
			got := annotations(res.stdout)
			if len(got) != len(tt.wantAnnotations) {
				t.Fatalf("annotations:\n%s\nwant %d starting %q", strings.Join(got, "\n"), len(tt.wantAnnotations), tt.wantAnnotations)
			}
			for j, want := range tt.wantAnnotations {
				if !strings.HasPrefix(got[j], want) {
					t.Errorf("annotation %d = %q, want it to start %q", j, got[j], want)
				}
			}
			if tt.golden != "" {
				golden.Assert(t, tt.golden, []byte(r.scrub(res.summary)))
			}
		})
	}
}

func TestCheckHasNothingToDoOutsidePullRequests(t *testing.T) {
	r := newRunner(t)
	r.event("push", "refs/heads/main", tipSHA, map[string]any{"ref": "refs/heads/main"})
	res := r.run()
	if res.code != 0 || len(res.outputs) != 0 {
		t.Fatalf("exit %d, outputs %v; want 0 and none", res.code, res.outputs)
	}
	want := "::notice::nothing to do: a push run has no pull request to check; run the check command on pull_request, pull_request_target, pull_request_review, issue_comment or merge_group"
	if !slices.Contains(annotations(res.stdout), want) {
		t.Errorf("log lacks %q:\n%s", want, res.stdout)
	}
	golden.Assert(t, "check_not_applicable", []byte(res.summary))
	if n := len(r.fake.Requests()); n != 0 {
		t.Errorf("%d API requests, want none", n)
	}
}

func TestCheckUsesTheBotsChangeBuilderAndReadsThePolicyAtTheBaseCommit(t *testing.T) {
	r := checkRunner(t, 7, fakegithub.PR{Title: "Add export", Author: "alice"}, basePolicy)
	res := r.run()
	if res.code != 1 {
		t.Fatalf("exit %d, want 1 (the base policy, not the tip's or the workspace's)", res.code)
	}
	var routes []string
	for _, req := range r.fake.Requests() {
		routes = append(routes, req.String())
	}
	wantFirst := []string{
		"GET /repos/acme/widgets/pulls/7",
		"GET /repos/acme/widgets/contents/.shipgate.yml?ref=" + baseSHA,
	}
	if len(routes) < 2 || !slices.Equal(routes[:2], wantFirst) {
		t.Errorf("requests = %q, want them to start %q", routes, wantFirst)
	}
}
