package slack

import (
	"context"
	"fmt"

	sl "github.com/slack-go/slack"

	"github.com/shipgate/shipgate/bot/announce"
)

var _ announce.Poster = (*Slack)(nil)

// PostAnnouncement implements announce.Poster (chat.postMessage); text is
// mrkdwn already made inert by its template.
func (s *Slack) PostAnnouncement(ctx context.Context, channel, text string) (string, error) {
	_, ts, err := s.client.PostMessageContext(ctx, channel, sl.MsgOptionText(text, false))
	if err != nil {
		return "", fmt.Errorf("posting to %s: %w", channel, err)
	}
	return ts, nil
}
