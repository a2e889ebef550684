package policies

import (
	"strings"

	"github.com/shipgate/shipgate/policies/conventional"
)

// componentNeeds returns the facts the components' semver rows read: the
// changed files (which components a change touches) and, for components
// named by scopes, the commits.
func (p *Policy) componentNeeds() Facts {
	var f Facts
	for _, k := range p.Components {
		if len(k.Paths) > 0 {
			f |= NeedFiles
		}
		if len(k.Scopes) > 0 {
			f |= NeedCommits
		}
	}
	return f
}

// ComponentLabel is the label that declares a component's bump:
// semver:NAME:BUMP, e.g. semver:api:minor.
func ComponentLabel(name string, b Bump) string {
	return "semver:" + name + ":" + string(b)
}

// componentSemver appends one semver row per component the change
// touches, each with the bump it declares. componentsOnly is true when
// every changed file is a component's, so that no bump of the
// repository's own line is asked for. A change touching one component
// may declare its bump as the repository's (a conventional title, a
// semver label, /semver); one touching several needs a label
// semver:NAME:BUMP per component, as one title cannot say two bumps.
// Without the whole file list, which components are touched is not
// known: the row waits.
func (s *evaluation) componentSemver(out []Result) (_ []Result, componentsOnly bool) {
	if len(s.p.Components) == 0 {
		return out, false
	}
	why, partial := s.incomplete(NeedFiles)
	if s.c.Files == nil && !partial {
		why, partial = "the changed files were not read", true
	}
	if partial && s.p.componentNeeds().Has(NeedFiles) {
		return append(out, Result{Rule: "semver", Name: "semver", Status: Wait,
			Message: "which components this change touches is not known: " + why}), true
	}
	touched, outside := s.touchedComponents()
	for _, k := range touched {
		out = append(out, s.componentRow(k, len(touched) == 1))
	}
	return out, len(touched) > 0 && !outside
}

// touchedComponents returns the components the change touches, in policy
// order, and whether some changed file is no component's.
func (s *evaluation) touchedComponents() (touched []*Component, outside bool) {
	scopes := s.changeScopes()
	seen := make([]bool, len(s.p.Components))
	for _, f := range s.c.Files {
		for i := range s.p.Components {
			if k := &s.p.Components[i]; len(k.Paths) > 0 && k.touches(f) {
				seen[i] = true
			}
		}
		// A file moved out of (or into) a component changes the
		// repository's own line as well.
		outside = outside || s.p.componentOf(f.Path) == nil || (f.PreviousPath != "" && s.p.componentOf(f.PreviousPath) == nil)
	}
	for i := range s.p.Components {
		k := &s.p.Components[i]
		for _, sc := range scopes {
			if len(k.Scopes) > 0 && k.namedByScope(sc) {
				seen[i] = true
			}
		}
		if seen[i] {
			touched = append(touched, k)
		}
	}
	return touched, outside
}

// changeScopes returns the conventional scopes of the change's title and
// commits; none when no component is named by scopes.
func (s *evaluation) changeScopes() []string {
	if !s.p.componentNeeds().Has(NeedCommits) {
		return nil
	}
	var scopes []string
	if cc, err := conventional.ParseTitle(s.c.Title); err == nil && cc.Scope != "" {
		scopes = append(scopes, cc.Scope)
	}
	for _, c := range s.c.Commits {
		if cc, err := conventional.Parse(c.Message); err == nil && cc.Scope != "" {
			scopes = append(scopes, cc.Scope)
		}
	}
	return scopes
}

// componentRow is the semver row of component k: the bump its labels
// declare, with the change's own declarations when it is the only
// component touched (alone), all agreeing.
func (s *evaluation) componentRow(k *Component, alone bool) Result {
	res := Result{Rule: "semver", Name: "semver (" + k.Name + ")"}
	var decls []declaration
	for _, b := range [...]Bump{BumpMajor, BumpMinor, BumpPatch, BumpNone} {
		if l := ComponentLabel(k.Name, b); s.hasAnyLabel(l) {
			decls = append(decls, declaration{b, "label", l})
		}
	}
	breaking := false
	if alone {
		var buf [5]declaration
		own, br := s.declarations(buf[:])
		decls, breaking = append(decls, own...), br
	}
	b, why := agree(decls, breaking)
	switch {
	case b != "":
		res.Status, res.Message = Pass, k.Name+" ("+k.Release.TagPrefix+"…): "+string(b)+", from "+decls[0].from()
	case why != "":
		res.Status, res.Message = Fail, k.Name+": "+why
	default:
		res.Status, res.Message = Fail, s.missingComponentBump(k, alone)
	}
	return res
}

// missingComponentBump says how to declare component k's bump.
func (s *evaluation) missingComponentBump(k *Component, alone bool) string {
	labels := make([]string, 0, 4)
	for _, b := range [...]Bump{BumpMajor, BumpMinor, BumpPatch, BumpNone} {
		labels = append(labels, ComponentLabel(k.Name, b))
	}
	msg := "this change touches component " + k.Name + " but declares no bump for it: add one label of " + strings.Join(labels, ", ")
	if !alone {
		return msg + " (it touches several components, so each needs its own label)"
	}
	if s.p.Semver.ConventionalTitle {
		msg += ", or a conventional title such as `feat(" + k.Name + "): add X`"
	}
	return msg
}

// componentOf returns the first component whose paths hold path, nil
// when none does.
func (p *Policy) componentOf(path string) *Component {
	for i := range p.Components {
		if matchAny(p.Components[i].Paths, path) {
			return &p.Components[i]
		}
	}
	return nil
}
