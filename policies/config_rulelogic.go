package policies

// LinesConfig is `when.changed_lines`: bounds on the lines a change adds
// plus the lines it deletes. Give over, under or both.
type LinesConfig struct {
	// Over holds when the change touches more than this many lines.
	Over *int `yaml:"over,omitempty" json:"over,omitempty" jsonschema:"minimum=0"`
	// Under holds when the change touches fewer than this many lines.
	Under *int `yaml:"under,omitempty" json:"under,omitempty" jsonschema:"minimum=1"`
}
