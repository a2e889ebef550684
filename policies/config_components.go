package policies

// ComponentConfig is one entry of `components`: a part of a monorepo with a
// version line of its own. Its commits are those that change a file under
// paths, or whose conventional scope is one of scopes.
type ComponentConfig struct {
	// Name identifies the component in labels (semver:NAME:minor), in
	// `--component NAME` and in deploy environments' `component:`.
	Name string `yaml:"name" json:"name"`
	// Paths are globs (`**` crosses directories) of the component's files,
	// e.g. [services/api/**].
	Paths []string `yaml:"paths,omitempty" json:"paths,omitempty"`
	// Scopes are conventional-commit scopes that name the component: a
	// commit `feat(api): …` belongs to it whatever files it changes. An
	// alternative to paths (or an addition); anyone writing a commit
	// chooses its scope, so paths are the stronger tie.
	Scopes []string `yaml:"scopes,omitempty" json:"scopes,omitempty"`
	// TagPrefix prefixes the component's version tags (default NAME/v, as
	// in api/v1.4.0). Each component needs its own, other than tags.prefix.
	TagPrefix *string `yaml:"tag_prefix,omitempty" json:"tag_prefix,omitempty"`
	// Semver overrides the release math of the top-level semver key for
	// this component.
	Semver *ComponentSemverConfig `yaml:"semver,omitempty" json:"semver,omitempty"`
	// Notes overrides the top-level notes key for this component.
	Notes *NotesConfig `yaml:"notes,omitempty" json:"notes,omitempty"`
}

// ComponentSemverConfig is a component's `semver`: the keys of the release
// math that a component may set for itself; the rest (labels, the PR
// rule, release lines) stay the policy's.
type ComponentSemverConfig struct {
	// Initial is the component's first version when it has no tag
	// (default: semver.initial).
	Initial string `yaml:"initial,omitempty" json:"initial,omitempty"`
	// Types maps conventional-commit types to bumps, over semver.types.
	Types map[string]string `yaml:"types,omitempty" json:"types,omitempty"`
	// PreMajorBreaking is the bump of a breaking change below 1.0.0:
	// major or minor (default: semver.pre_major_breaking).
	PreMajorBreaking string `yaml:"pre_major_breaking,omitempty" json:"pre_major_breaking,omitempty"`
	// PreMajorFeatures is the bump of a feature below 1.0.0: minor or
	// patch (default: semver.pre_major_features).
	PreMajorFeatures string `yaml:"pre_major_features,omitempty" json:"pre_major_features,omitempty"`
}
