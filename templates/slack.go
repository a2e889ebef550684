package templates

import (
	"embed"
	"io"
	"text/template"
)

//go:embed slack_*.tmpl
var slackFS embed.FS

// slack holds the Slack templates (mrkdwn), parsed once.
// Every value a Slack template prints goes through mrkdwn (Mrkdwn): user
// text must not mention or link.
var slack = template.Must(template.New("slack").Funcs(template.FuncMap{
	"mrkdwn": Mrkdwn,
	"emoji": func(status string) string {
		switch status {
		case "succeeded":
			return ":white_check_mark:"
		case "failed":
			return ":x:"
		case "waiting", "queued":
			return ":hourglass_flowing_sand:"
		}
		return ":arrows_counterclockwise:"
	},
}).ParseFS(slackFS, "slack_*.tmpl"))

// SlackDeployment is the one Slack message of a deployed version.
type SlackDeployment struct {
	Repo, Version string
	// Release is true when a release started it ("release created").
	Release      bool
	Environments []SlackEnvironment
	// Gate is the gate waiting for decisions (its buttons are shown).
	Gate *SlackGate
	// Decisions are the decisions given, "approved by alice at …".
	Decisions []string
}

// SlackEnvironment is one environment's line in the message.
type SlackEnvironment struct {
	// Name is the environment; Status running, waiting, succeeded, failed.
	Name, Status, Detail string
}

// SlackGate is a gate asking for decisions.
type SlackGate struct {
	Environment string
	Required    int
	From        string
	Override    bool
}

// SlackThreadLine is one reply in a deployment message's thread.
type SlackThreadLine struct {
	// Event is a deploy notice event (started, step, succeeded, failed,
	// rolled_back, approval_requested, override_requested, decided).
	Event, Line string
}

// SlackMessage renders the message text (mrkdwn).
func SlackMessage(w io.Writer, d SlackDeployment) error {
	return slack.ExecuteTemplate(w, "slack_deployment", d)
}

// SlackThread renders a thread reply (mrkdwn).
func SlackThread(w io.Writer, l SlackThreadLine) error {
	return slack.ExecuteTemplate(w, "slack_thread", l)
}
