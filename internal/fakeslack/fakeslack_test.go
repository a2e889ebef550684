package fakeslack

import (
	"context"
	"testing"

	"github.com/slack-go/slack"
)

func TestRealClientPostsUpdatesAndIsCheckedForItsToken(t *testing.T) {
	ctx := context.Background()
	s := New(t, "xoxb-good")
	c := slack.New("xoxb-good", slack.OptionAPIURL(s.URL()))
	ch, ts, err := c.PostMessageContext(ctx, "#releases", slack.MsgOptionText("hello", false))
	if err != nil || ch != "#releases" || ts == "" {
		t.Fatalf("postMessage = %q %q %v", ch, ts, err)
	}
	if _, _, err := c.PostMessageContext(ctx, ch, slack.MsgOptionText("in thread", false), slack.MsgOptionTS(ts)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText("edited", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PostEphemeralContext(ctx, ch, "U1", slack.MsgOptionText("psst", false)); err != nil {
		t.Fatal(err)
	}
	s.SetGroup("S1", "U1", "U2")
	if users, err := c.GetUserGroupMembersContext(ctx, "S1"); err != nil || len(users) != 2 {
		t.Fatalf("usergroups.users.list = %v, %v", users, err)
	}
	msgs := s.Messages()
	if len(msgs) != 1 || msgs[0].Text != "edited" || msgs[0].Edits != 1 {
		t.Fatalf("messages: %+v", msgs)
	}
	if th := s.Thread(ts); len(th) != 1 || th[0] != "in thread" {
		t.Fatalf("thread: %q", th)
	}
	if e := s.Ephemerals(); len(e) != 1 || e[0].User != "U1" {
		t.Fatalf("ephemerals: %+v", e)
	}
	bad := slack.New("xoxb-bad", slack.OptionAPIURL(s.URL()))
	if _, _, err := bad.PostMessageContext(ctx, "#releases", slack.MsgOptionText("x", false)); err == nil || err.Error() != "invalid_auth" {
		t.Fatalf("a wrong token: %v, want invalid_auth", err)
	}
}
