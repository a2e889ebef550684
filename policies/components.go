package policies

import (
	"strings"

	"github.com/shipgate/shipgate/policies/conventional"
)

// Component is one compiled entry of `components`: a part of a monorepo
// with a version line of its own.
type Component struct {
	Name string
	// Paths are the component's files; a commit or a change that touches
	// one of them is the component's.
	Paths []Glob
	// Scopes are the conventional scopes that name the component (compared
	// without case).
	Scopes []string
	// Release is the component's release math: the policy's, with the
	// component's tag prefix, semver and notes keys, and Component set to
	// this component so that every user of the settings keeps its commits
	// only (ReleaseSettings.Own).
	Release ReleaseSettings
	// rowName names the component's semver row in a verdict; rowLead
	// starts its message ("api (api/v…): ").
	rowName, rowLead string
}

// Component returns the component called name (compared without case).
func (p *Policy) Component(name string) (*Component, bool) {
	for i := range p.Components {
		if strings.EqualFold(p.Components[i].Name, name) {
			return &p.Components[i], true
		}
	}
	return nil, false
}

// ComponentNames lists the components' names in policy order, for
// messages that say which names exist.
func (p *Policy) ComponentNames() []string {
	names := make([]string, len(p.Components))
	for i, k := range p.Components {
		names[i] = k.Name
	}
	return names
}

// KnownComponents names the declared components for a message about an
// unknown one ("api, web"), or says how to declare some when there are
// none.
func (p *Policy) KnownComponents() string {
	if len(p.Components) == 0 {
		return "none: declare them under the components key"
	}
	return strings.Join(p.ComponentNames(), ", ")
}

// ReleaseOf returns the release settings of the version line a tag belongs
// to: the component with the longest tag prefix the name starts with, else
// the repository's own line (p.Release). A tag of a component is thus
// validated, released and deployed as that component's.
func (p *Policy) ReleaseOf(tag string) ReleaseSettings {
	best := -1
	for i, k := range p.Components {
		if strings.HasPrefix(tag, k.Release.TagPrefix) && (best < 0 || len(k.Release.TagPrefix) > len(p.Components[best].Release.TagPrefix)) {
			best = i
		}
	}
	if best < 0 {
		return p.Release
	}
	return p.Components[best].Release
}

// Owns reports whether commit c belongs to the component: its
// conventional scope (or one of a comma-separated list) is one of
// Scopes, or it changed a file under Paths. A commit whose files were not
// read (Paths nil) belongs to every component with paths: counting a
// commit too many can ask for a larger bump, never let a smaller one pass.
func (k *Component) Owns(c Commit) bool {
	if len(k.Scopes) > 0 && k.ownsScope(c.Message) {
		return true
	}
	if len(k.Paths) == 0 {
		return false
	}
	if c.Paths == nil {
		return true
	}
	for _, path := range c.Paths {
		if matchAny(k.Paths, path) {
			return true
		}
	}
	return false
}

// ownsScope reports whether a conventional message's scope names the
// component.
func (k *Component) ownsScope(message string) bool {
	cc, err := conventional.Parse(message)
	if err != nil || cc.Scope == "" {
		return false
	}
	return k.namedByScope(cc.Scope)
}

// namedByScope reports whether scope (or one of a comma-separated list)
// is one of the component's scopes.
func (k *Component) namedByScope(scope string) bool {
	for rest, more := scope, true; more; {
		var s string
		s, rest, more = strings.Cut(rest, ",")
		if containsFold(k.Scopes, strings.TrimSpace(s)) {
			return true
		}
	}
	return false
}

// Own keeps the commits of the settings' version line: a component's
// (Component.Owns), every commit for the repository's own line. It
// returns commits itself when it keeps them all.
func (s ReleaseSettings) Own(commits []Commit) []Commit {
	k := s.Component
	if k == nil {
		return commits
	}
	out := make([]Commit, 0, len(commits))
	for _, c := range commits {
		if k.Owns(c) {
			out = append(out, c)
		}
	}
	return out
}

// NeedsCommitPaths reports whether the settings' commits must carry their
// files (Commit.Paths) to be kept or dropped rightly: those of a
// component with paths.
func (s ReleaseSettings) NeedsCommitPaths() bool {
	return s.Component != nil && len(s.Component.Paths) > 0
}

// LineName names the settings' version line for messages: "component
// api" or "the repository".
func (s ReleaseSettings) LineName() string {
	if s.Component == nil {
		return "the repository"
	}
	return "component " + s.Component.Name
}

// ReleaseEnvironments returns the environments that a release of tag
// starts: those with `on: release` and no `after` whose component is the
// tag's (ReleaseOf), "" for the repository's own tags.
func (p *Policy) ReleaseEnvironments(tag string) []Environment {
	want := ""
	if k := p.ReleaseOf(tag).Component; k != nil {
		want = k.Name
	}
	var out []Environment
	for _, env := range p.Deploy {
		if env.On == "release" && env.After == "" && strings.EqualFold(env.Component, want) {
			out = append(out, env)
		}
	}
	return out
}

// NotesHideOf returns the conventional types that the release notes of
// tag leave out: its version line's (a component's notes key, else
// notes.hide), DefaultNotesHide for a nil p (no policy file).
func (p *Policy) NotesHideOf(tag string) []string {
	if p == nil {
		return DefaultNotesHide()
	}
	return p.ReleaseOf(tag).NotesHide
}
