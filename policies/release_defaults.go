package policies

// Release defaults applied when `.shipgate.yml` leaves a key out, and used
// as they are when a repository has no policy file.
const (
	// DefaultInitialVersion is the first version when no tag exists.
	DefaultInitialVersion = "0.1.0"
	// DefaultTagPrefix prefixes version tags (v1.2.3).
	DefaultTagPrefix = "v"
)

// DefaultNotesHide returns the conventional types that release notes
// leave out unless `notes.hide` says otherwise: changes users do not see.
func DefaultNotesHide() []string { return []string{"docs", "chore", "ci", "test"} }

// DefaultReleaseSettings returns the release math of a repository without a
// `semver`/`tags` configuration: feat bumps minor; fix, perf and revert bump
// patch; other types bump nothing; below 1.0.0 a breaking change bumps major
// and a feature bumps minor; the first version is 0.1.0 and tags are
// prefixed with "v". Each call returns a fresh Types map that the caller may
// change.
func DefaultReleaseSettings() ReleaseSettings {
	return ReleaseSettings{
		Types: map[string]Bump{
			"feat":   BumpMinor,
			"fix":    BumpPatch,
			"perf":   BumpPatch,
			"revert": BumpPatch,
		},
		PreMajorBreaking: BumpMajor,
		PreMajorFeatures: BumpMinor,
		Initial:          DefaultInitialVersion,
		TagPrefix:        DefaultTagPrefix,
		NotesHide:        DefaultNotesHide(),
		EmptyRelease:     BumpNone,
	}
}
