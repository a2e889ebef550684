package policies

// SlackEventConfig is one entry of `notify.slack.events`: the key names
// the event (release_published, tag_refused, freeze, freeze_override,
// hotfix_declared, train, merge_back_open, release_report), the value says
// where it goes.
type SlackEventConfig struct {
	// Channel is where the event is announced (default
	// notify.slack.channel).
	Channel string `yaml:"channel,omitempty" json:"channel,omitempty"`
}
