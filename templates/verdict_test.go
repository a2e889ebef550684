package templates

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/golden"
	"github.com/shipgate/shipgate/policies"
)

// failing is a report on a PR that misses most things, with rule messages
// as the policy engine writes them (copied, so that these goldens test the
// templates and not the engine's wording).
var failing = Report{
	Kind: Evaluated, Repo: "acme/shop", Number: 42, HeadSHA: "0123456789abcdef", BaseBranch: "main",
	PolicyFile: ".shipgate.yml", PolicyRevision: "fedcba9876543210",
	Verdict: policies.Verdict{
		Conclusion: policies.Failure, Gated: true, Bump: policies.BumpNone,
		Results: []policies.Result{
			{Rule: "change_record", Name: "change_record", Status: policies.Fail, Message: "no change record: add an ID matching `[A-Z][A-Z0-9]+-\\d+` to the title, body, branch or commits"},
			{Rule: "approvals", Name: "reviewers", Status: policies.Wait, Message: "0 of 2 approvals from @acme/release-managers, alice"},
			{Rule: "release_notes", Name: "release_notes", Status: policies.Fail, Message: "no release note: add a ```release-note block | or the label release-note-none"},
			{Rule: "semver", Name: "semver", Status: policies.Pass, Message: "bump: minor"},
			{Rule: "approvals", Name: "dba", Status: policies.Skipped, Message: "does not apply to this change (when paths db/**)"},
			{Rule: "hold", Name: "hold", Status: policies.Pass, Message: "not on hold"},
		},
	},
}

func passing() Report {
	r := failing
	r.Verdict = policies.Verdict{
		Conclusion: policies.Success, Gated: true, Bump: policies.BumpMinor,
		ChangeRecords: []string{"SHOP-12", "CHG0001234"},
		ReleaseNote:   "Checkout accepts gift cards.\nCards expire after a year.",
		Results: []policies.Result{
			{Rule: "change_record", Name: "change_record", Status: policies.Pass, Message: "change record SHOP-12"},
			{Rule: "approvals", Name: "reviewers", Status: policies.Pass, Message: "approved by @alice, @bob"},
			{Rule: "hold", Name: "hold", Status: policies.Pass, Message: "not on hold"},
		},
	}
	return r
}

func pending() Report {
	r := passing()
	r.Verdict.Conclusion = policies.Pending
	r.Verdict.Results = append([]policies.Result(nil), r.Verdict.Results...)
	r.Verdict.Results[1] = policies.Result{Rule: "approvals", Name: "reviewers", Status: policies.Wait, Message: "1 of 2 approvals"}
	return r
}

func ungated() Report {
	r := failing
	r.BaseBranch = "experiments"
	r.Verdict = policies.Verdict{Conclusion: policies.Success, Gated: false, Bump: policies.BumpNone,
		Results: []policies.Result{{Rule: "hold", Name: "hold", Status: policies.Skipped, Message: "base branch experiments is not gated"}}}
	return r
}

var (
	noPolicy = Report{Kind: NoPolicy, Repo: "acme/shop", Number: 42, HeadSHA: "0123456789abcdef", BaseBranch: "main", PolicyFile: ".shipgate.yml"}
	invalid  = Report{Kind: InvalidPolicy, Repo: "acme/shop", Number: 42, HeadSHA: "0123456789abcdef", BaseBranch: "main",
		PolicyFile: ".shipgate.yml", PolicyRevision: "fedcba9876543210",
		PolicyErrors: []*policies.FieldError{
			{File: ".shipgate.yml", Line: 3, Column: 15, Path: "approvals[0].required", Msg: `"two" is not a number`},
			{File: ".shipgate.yml", Line: 7, Column: 1, Path: "relase_notes", Msg: "unknown key; allowed keys: release_notes, semver"},
		}}
	failed = Report{Kind: Failed, Repo: "acme/shop", Number: 42, HeadSHA: "0123456789abcdef", BaseBranch: "main", PolicyFile: ".shipgate.yml",
		Err: "reading reviews of acme/shop#42: GET /repos/acme/shop/pulls/42/reviews: 502 Bad Gateway"}
)

// onGitLab is r as the GitLab adapter fills it: a merge request.
func onGitLab(r Report) Report {
	r.Host = "gitlab"
	return r
}

func TestVerdictGolden(t *testing.T) {
	reports := []struct {
		name string
		r    Report
	}{
		{"failure", failing},
		{"success", passing()},
		{"pending", pending()},
		{"ungated", ungated()},
		{"no_policy", noPolicy},
		{"invalid_policy", invalid},
		{"failed", failed},
		{"gitlab_no_policy", onGitLab(noPolicy)},
		{"gitlab_failed", onGitLab(failed)},
	}
	for _, tt := range reports {
		t.Run(tt.name, func(t *testing.T) {
			check, err := String(CheckSummary, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "verdict_check_"+tt.name+".md", []byte("# "+tt.r.Title()+"\n\n"+check))
			comment, err := String(Comment, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(comment, CommentMarker+"\n") {
				t.Errorf("the comment does not start with the marker:\n%s", comment)
			}
			golden.Assert(t, "verdict_comment_"+tt.name+".md", []byte(comment))
		})
	}
}

func TestCommentLeavesOutTheHeadSHA(t *testing.T) {
	a, b := passing(), passing()
	b.HeadSHA = "ffffffffffffffff"
	ca, _ := String(Comment, a)
	cb, _ := String(Comment, b)
	if ca != cb {
		t.Errorf("a push alone changes the comment:\n%s\n---\n%s", ca, cb)
	}
}

func TestReplyGolden(t *testing.T) {
	help := []HelpEntry{
		{Command: "approve", Args: "[cancel]", Who: "write access; not the author", Help: "approve the change (not your own); `cancel` withdraws it"},
		{Command: "hold", Args: "[cancel]", Who: "triage access", Help: "block merging until `/hold cancel` or `/unhold`"},
		{Command: "semver", Args: "major|minor|patch|none", Who: "write access, or the author", Help: "declare the version bump"},
	}
	replies := []struct {
		name string
		r    Reply
	}{
		{"refused", Reply{Actor: "dave", Refusals: []Refusal{{Command: "/approve", Reason: "@dave, you opened this change and cannot approve it yourself; ask a reviewer"}}}},
		{"several", Reply{Actor: "erin", Refusals: []Refusal{
			{Command: "/hold", Reason: "/hold needs triage access to the repository; @erin has read"},
			{Command: "/deploy staging", Reason: "deployments are not enabled yet on this Shipgate"},
			{Command: "/frobnicate", Reason: "/frobnicate is not a Shipgate command; /help lists the commands"},
		}}},
		{"help", Reply{Actor: "frank", Help: help}},
		{"help_and_refused", Reply{Actor: "frank", Help: help, Refusals: []Refusal{{Command: "/semver huge", Reason: "use `/semver major|minor|patch|none`"}}}},
	}
	for _, tt := range replies {
		t.Run(tt.name, func(t *testing.T) {
			got, err := String(RenderReply, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "verdict_reply_"+tt.name+".md", []byte(got))
		})
	}
}

func TestTitles(t *testing.T) {
	tests := []struct {
		name string
		r    Report
		want string
	}{
		{"a failure names the failing rules", failing, "2 of 6 rules need work: change_record, release_notes"},
		{"a success counts the rules that hold", passing(), "All 3 applicable rules hold"},
		{"pending names what it waits on", pending(), "Waiting on reviewers"},
		{"an ungated branch says so", ungated(), "Base branch experiments is not gated: nothing to check"},
		{"no policy names the branch", noPolicy, "No Shipgate policy on main"},
		{"an invalid policy counts its errors", invalid, "The policy .shipgate.yml is invalid (2 errors)"},
		{"a failed evaluation says so", failed, "Shipgate could not evaluate this pull request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Title(); got != tt.want {
				t.Errorf("Title() = %q, want %q", got, tt.want)
			}
			if strings.Contains(tt.r.Title(), "\n") {
				t.Error("the title has a line break")
			}
		})
	}
}

func TestCellKeepsTextInItsCell(t *testing.T) {
	if got, want := cell("a | b\r\nc"), `a \| b<br>c`; got != want {
		t.Errorf("cell = %q, want %q", got, want)
	}
	if got, want := code("use `x`"), "`` use `x` ``"; got != want {
		t.Errorf("code = %q, want %q", got, want)
	}
}

func TestCommentQuotesTheReleaseNoteSoThatNoLineIsACommand(t *testing.T) {
	r := passing()
	r.Verdict.ReleaseNote = "Fixes login.\n/approve\n  /hold cancel\n<!-- shipgate:summary -->\n</details>\n/lgtm"
	body, err := String(Comment, r)
	if err != nil {
		t.Fatal(err)
	}
	if cmds := policies.ParseCommands(body); len(cmds) != 0 {
		t.Errorf("the sticky comment holds commands %v:\n%s", cmds, body)
	}
	if n := strings.Count(body, CommentMarker); n != 1 || !strings.HasPrefix(body, CommentMarker) {
		t.Errorf("the marker appears %d times, want once at the start:\n%s", n, body)
	}
	if !strings.Contains(body, "> /approve") || strings.Count(body, "</details>") != 1 {
		t.Errorf("the note is not quoted, or closes the details:\n%s", body)
	}
}

func TestWithdrawnSaysWhyTheVerdictNoLongerApplies(t *testing.T) {
	r := Report{Kind: Withdrawn, Repo: "acme/shop", Number: 42, HeadSHA: "0123456789abcdef", BaseBranch: "main", Err: "now targets develop"}
	if got, want := r.Title(), "No verdict for main: #42 now targets develop"; got != want {
		t.Errorf("Title() = %q, want %q", got, want)
	}
	for _, tmpl := range []func(Report) (string, error){
		func(r Report) (string, error) { return String(CheckSummary, r) },
		func(r Report) (string, error) { return String(Comment, r) },
	} {
		out, err := tmpl(r)
		if err != nil || !strings.Contains(out, "which now targets develop: that verdict no longer applies") {
			t.Errorf("rendered %q, %v", out, err)
		}
	}
}
