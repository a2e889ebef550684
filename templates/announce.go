package templates

import (
	"io"
	"net/url"
	"strings"
)

// SlackAnnouncement is a release event's message (bot/announce): one
// layout for every event, so that a channel reads the same whatever it
// announces.
type SlackAnnouncement struct {
	// Emoji leads the message (a Slack emoji code such as :rocket:).
	Emoji string
	// Title says what happened ("Release v1.4.0 published"); Repo where.
	Title, Repo string
	// Lines are sentences below the title (who, why, when).
	Lines []string
	// Items are listed with bullets (the PRs of a train).
	Items []string
	// Text is shown as a preformatted block (release notes, a report).
	Text  string
	Links []SlackLink
}

// SlackLink is a link at the foot of an announcement.
type SlackLink struct {
	Label, URL string
}

// SlackAnnounce renders an announcement (mrkdwn). Links whose URL is not
// plain http(s), or holds characters that end a Slack link, are left out:
// a URL comes from a host's answer, never from user text, but a bad one
// must not turn into a mention or another link.
func SlackAnnounce(w io.Writer, a SlackAnnouncement) error {
	kept := a.Links[:0:0]
	for _, l := range a.Links {
		if safeLink(l.URL) {
			kept = append(kept, l)
		}
	}
	a.Links = kept
	// A fence in the text would end its block early.
	a.Text = strings.ReplaceAll(a.Text, "```", "`\u200b``")
	return slack.ExecuteTemplate(w, "slack_announce", a)
}

// safeLink reports whether u can sit in a Slack link as it is.
func safeLink(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "https" || p.Scheme == "http") && p.Host != "" && !strings.ContainsAny(u, "<>| \n\r")
}
