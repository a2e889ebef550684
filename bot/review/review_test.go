package review

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
	"github.com/shipgate/shipgate/templates"
)

func TestOutcomes(t *testing.T) {
	rep := templates.Report{Repo: "acme/shop", Number: 1, BaseBranch: "main", PolicyFile: PolicyFile}
	_, loadErr := policies.Load(PolicyFile, []byte("version: 1\nbogus: true\n"))
	tests := []struct {
		name       string
		o          Outcome
		conclusion Conclusion
		comment    bool
		titleHas   string
	}{
		{"no policy is neutral and silent", NoPolicy(rep), Neutral, false, "No Shipgate policy"},
		{"an invalid policy fails with a comment", InvalidPolicy(rep, loadErr), Failure, true, "invalid"},
		{"a failed evaluation fails and says why", Failed(rep, errors.New("boom")), Failure, false, "could not evaluate"},
		{"a passing gated verdict needs no comment", Evaluated(rep, policies.Verdict{Gated: true, Conclusion: policies.Success}), Success, false, "hold"},
		{"a pending gated verdict asks for a comment", Evaluated(rep, policies.Verdict{Gated: true, Conclusion: policies.Pending}), Pending, true, "Waiting"},
		{"an ungated verdict needs no comment", Evaluated(rep, policies.Verdict{Conclusion: policies.Success}), Success, false, "not gated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.o.Conclusion != tt.conclusion || tt.o.Comment != tt.comment || !strings.Contains(tt.o.Title(0), tt.titleHas) {
				t.Errorf("got %s comment=%v %q", tt.o.Conclusion, tt.o.Comment, tt.o.Title(0))
			}
			body, err := tt.o.CommentBody(0)
			if err != nil || !strings.HasPrefix(body, templates.CommentMarker) {
				t.Errorf("comment body %q, %v", body, err)
			}
		})
	}
}

func TestTruncateKeepsRunesWhole(t *testing.T) {
	s := strings.Repeat("ä", 100)
	got := Truncate(s, 51)
	if len(got) > 51 || !utf8.ValidString(got) || !strings.HasSuffix(got, "(truncated)") {
		t.Errorf("Truncate = %q (%d bytes)", got, len(got))
	}
	if Truncate("short", 10) != "short" {
		t.Error("a short text changed")
	}
}

func TestTagReport(t *testing.T) {
	tests := []struct {
		name    string
		r       TagReport
		ok      bool
		descHas string
		outcome string
	}{
		{"a valid tag", TagReport{Tag: "v1.2.0"}, true, "valid version tag", "valid"},
		{"a released tag", TagReport{Tag: "v1.2.0", Released: true}, true, "released", "released"},
		{"problems name their kinds", TagReport{Tag: "v1.2", Problems: []release.Problem{{Kind: release.ProblemSemver, Message: "not semver"}}}, false, "(semver): not semver", "invalid"},
		{"a policy error", TagReport{Tag: "v1.2.0", PolicyError: "the policy is invalid"}, false, "was not checked", "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, desc := tt.r.Status()
			a := tt.r.Audit("gitlab", "acme/shop", "dave", "tag_push", "d1", time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
			if ok != tt.ok || !strings.Contains(desc, tt.descHas) || a.Outcome != tt.outcome {
				t.Errorf("Status %v %q, outcome %q", ok, desc, a.Outcome)
			}
		})
	}
}

func TestReplyCollectsRefusalsAndHelp(t *testing.T) {
	p := &policies.Policy{}
	ds := []Decision{
		{Command: policies.Command{Name: "approve"}, Accepted: true},
		{Command: policies.Command{Name: "hold"}, Reason: "needs triage"},
		{Command: policies.Command{Name: "help"}, Accepted: true, Help: true},
	}
	r, needed := Reply(p, "carol", ds, Features{})
	if !needed || len(r.Refusals) != 1 || r.Refusals[0].Command != "/hold" || len(r.Help) == 0 {
		t.Errorf("Reply = %+v, %v", r, needed)
	}
	if _, needed := Reply(p, "carol", ds[:1], Features{}); needed {
		t.Error("an accepted command alone needs a reply")
	}
}
