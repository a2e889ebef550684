package policies

// ReleasesConfig is the `releases` key: a release train that leaves on a
// schedule. At each scheduled time the bot computes the next version of
// the main line (`from`) and, when something is releasable, cuts the
// release branch and/or the tag; a train that falls in a freeze window
// waits until the window ends.
type ReleasesConfig struct {
	// Schedule is when trains leave.
	Schedule TrainScheduleConfig `yaml:"schedule" json:"schedule"`
	// Branch is the release branch cut for each train, a Go template with
	// .Version (without tag prefix), e.g. "release/{{.Version}}". Empty:
	// no branch (then tag must be true).
	Branch string `yaml:"branch,omitempty" json:"branch,omitempty"`
	// From is the main line a train is cut from (default main).
	From string `yaml:"from,omitempty" json:"from,omitempty"`
	// Tag: also create the version tag (tags.prefix + version) on the cut
	// commit (default false).
	Tag bool `yaml:"tag,omitempty" json:"tag,omitempty"`
	// Announce is how long before a train leaves its plan (version, PRs,
	// change records) is posted to Slack, e.g. 24h. Empty: not announced.
	Announce string `yaml:"announce,omitempty" json:"announce,omitempty"`
}

// TrainScheduleConfig is `releases.schedule`.
type TrainScheduleConfig struct {
	// Cron is when trains leave: five fields (minute hour day-of-month
	// month day-of-week), e.g. "0 10 * * TUE", or @daily, @weekly.
	Cron string `yaml:"cron" json:"cron"`
	// Timezone the cron expression is read in, an IANA name (default UTC).
	Timezone string `yaml:"timezone,omitempty" json:"timezone,omitempty"`
}
