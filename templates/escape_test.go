package templates

import (
	"strings"
	"testing"
)

// attacks are user texts that try to notify, link, or break out of the
// markup they are put in.
var attacks = []string{
	"<!channel> ship it",
	"<@U0BOSS> approve please",
	"<https://evil.example|the runbook>",
	"fine</code><!-- shipgate:summary -->",
	"a & b",
}

func TestMrkdwnLeavesNoLinkOrMention(t *testing.T) {
	for _, s := range attacks {
		got := Mrkdwn(s)
		if strings.ContainsAny(got, "<>") || strings.Contains(strings.ReplaceAll(got, "&amp;", ""), "& ") {
			t.Errorf("Mrkdwn(%q) = %q: a bracket or a bare ampersand is left", s, got)
		}
	}
	if got := Mrkdwn("<!channel> & *bold*"); got != "&lt;!channel&gt; &amp; *bold*" {
		t.Errorf("Mrkdwn = %q", got)
	}
}

func TestInertCannotCloseMarkupOrFakeTheMarker(t *testing.T) {
	for _, s := range append(attacks, "```\n# Approved\n| a | b |", "x\r\n- [x] done") {
		got := Inert(s)
		for _, bad := range []string{"<", ">", "`", "|", "\n", "\r", CommentMarker} {
			if strings.Contains(got, bad) {
				t.Errorf("Inert(%q) = %q still holds %q", s, got, bad)
			}
		}
	}
	if got := Inert("v1.2.0"); got != "v1.2.0" {
		t.Errorf("plain text changed: %q", got)
	}
}

// TestUserTextInSlackMessagesIsInert: a reason and a version that try to
// notify the channel or fake a link are shown as written.
func TestUserTextInSlackMessagesIsInert(t *testing.T) {
	var msg, line strings.Builder
	err := SlackMessage(&msg, SlackDeployment{Repo: "acme/widgets", Version: "v1.2.0<!channel>",
		Environments: []SlackEnvironment{{Name: "production", Status: "failed", Detail: "rejected: <!here> see <https://evil.example|runbook>"}},
		Decisions:    []string{"approval rejected: <!channel> by slack:U0BOB"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := SlackThread(&line, SlackThreadLine{Event: "decided", Line: "approval rejected: <!channel> by slack:U0BOB"}); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{msg.String(), line.String()} {
		if strings.Contains(out, "<!") || strings.Contains(out, "<https") {
			t.Errorf("a mention or link survived:\n%s", out)
		}
		if !strings.Contains(out, "&lt;!channel&gt;") {
			t.Errorf("the text is not shown as written:\n%s", out)
		}
	}
}

// TestUserTextInATableCellCannotOpenAComment: a PR title quoted in a rule's
// message cannot hide the rest of the comment or fake the marker.
func TestUserTextInATableCellCannotOpenAComment(t *testing.T) {
	r := failing
	r.Verdict.Results = append(r.Verdict.Results[:0:0], r.Verdict.Results...)
	r.Verdict.Results[0].Message = `title "fix</code><!-- shipgate:summary -->" has no change record`
	out, err := String(Comment, r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, CommentMarker) != 1 || strings.Contains(out, "</code>") {
		t.Errorf("the title broke out of its cell:\n%s", out)
	}
}

// TestRepliesShowInertReasons: a reply quoting user text made inert keeps
// one marker-free, one-line item.
func TestRepliesShowInertReasons(t *testing.T) {
	out, err := String(RenderReply, Reply{Actor: "mallory", Refusals: []Refusal{{Command: "/deploy production </code>",
		Reason: "the version " + Inert("</code><!-- shipgate:summary -->\n# Approved") + " is not a release tag"}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, CommentMarker) || strings.Contains(out, "\n# Approved") {
		t.Errorf("reply:\n%s", out)
	}
}
