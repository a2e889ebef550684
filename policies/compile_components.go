package policies

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// componentName matches a component's name: it is typed in labels
// (semver:NAME:minor), so no colon, space or slash.
var componentName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// components compiles `components`. rs is the policy's release math, which
// each component starts from.
func (c *policyCompiler) components(list []ComponentConfig, rs ReleaseSettings) []Component {
	if len(list) == 0 {
		return nil
	}
	out := make([]Component, 0, len(list))
	names := map[string]int{}
	prefixes := map[string]string{rs.TagPrefix: "tags.prefix"}
	for i, kc := range list {
		path := pathIndex("components", i)
		k := Component{Name: kc.Name, Paths: c.globs(pathKey(path, "paths"), kc.Paths), rowName: "semver (" + kc.Name + ")"}
		c.componentName(path, kc.Name, names, i)
		for j, s := range kc.Scopes {
			if s == "" || strings.ContainsAny(s, " \t(),") {
				c.errorf(pathIndex(pathKey(path, "scopes"), j), "%s is not a scope; a scope is one word without spaces, commas or parentheses, as in feat(api)", quoteValue(s))
				continue
			}
			k.Scopes = append(k.Scopes, s)
		}
		if len(kc.Paths) == 0 && len(kc.Scopes) == 0 {
			c.errorf(path, "component %s has neither paths nor scopes; add paths: [dir/**] (or scopes: [%s]) to say which commits are its", quoteValue(kc.Name), kc.Name)
		}
		k.Release = c.componentRelease(path, kc, rs, prefixes)
		k.rowLead = kc.Name + " (" + k.Release.TagPrefix + "…): "
		out = append(out, k)
	}
	c.prefixesApart(prefixes)
	for i := range out {
		out[i].Release.Component = &out[i] // the settings' commits are the component's
	}
	return out
}

// prefixesApart checks that no tag can be a version of two lines: when
// one prefix starts another, what follows it must not be able to start a
// version (api/ and api/v are apart, v and v2/v too; v and v1. are not:
// v1.2.0 would be both). So
// a tag names one line, the one Policy.ReleaseOf picks. prefixes maps each
// prefix to where it was written.
func (c *policyCompiler) prefixesApart(prefixes map[string]string) {
	for _, long := range slices.Sorted(maps.Keys(prefixes)) {
		for _, short := range slices.Sorted(maps.Keys(prefixes)) {
			rest, ok := strings.CutPrefix(long, short)
			if !ok || !mayStartVersion(rest) {
				continue
			}
			at := prefixes[long]
			if at != "tags.prefix" {
				at = pathKey(at, "tag_prefix")
			}
			c.errorf(at, "tag prefix %s starts with %s (%s) followed by a digit, so a tag such as %s1.0.0 would be a version of both lines; end it with a letter or a '/', e.g. %sv",
				quoteValue(long), quoteValue(short), prefixes[short], long, strings.TrimRight(long, "0123456789."))
		}
	}
}

// componentName checks a component's name and that it is the only one of
// its name (compared without case); names maps lower-cased names to
// their index.
func (c *policyCompiler) componentName(path, name string, names map[string]int, i int) {
	at := pathKey(path, "name")
	switch prev, dup := names[strings.ToLower(name)]; {
	case name == "":
		c.errorf(at, "missing; every component needs a name, as in labels semver:NAME:minor")
	case !componentName.MatchString(name):
		c.errorf(at, "%s is not a component name; use letters, digits, '.', '_' and '-' (it is written in labels such as semver:NAME:minor)", quoteValue(name))
	case dup:
		c.errorf(at, "duplicate component %s (also components[%d], names compare without case)", quoteValue(name), prev)
	default:
		names[strings.ToLower(name)] = i
	}
}

// componentRelease builds a component's release math from the policy's
// (rs): its tag prefix (default NAME/v, unique: prefixes maps the
// prefixes taken to where), semver overrides and notes.
func (c *policyCompiler) componentRelease(path string, kc ComponentConfig, rs ReleaseSettings, prefixes map[string]string) ReleaseSettings {
	out := rs
	out.Types = maps.Clone(rs.Types)
	out.NotesHide = slices.Clone(rs.NotesHide)
	out.TagPrefix = kc.Name + "/v"
	at := pathKey(path, "tag_prefix")
	if kc.TagPrefix != nil {
		out.TagPrefix = *kc.TagPrefix
	}
	switch p := out.TagPrefix; {
	case p == "" || !tagPrefix.MatchString(p) || strings.Contains(p, "..") || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "-"):
		c.errorf(at, "%s is not a usable component tag prefix; use letters, digits, '.', '_', '-' and '/', not empty, e.g. %s/v", quoteValue(p), kc.Name)
	case prefixes[p] != "":
		c.errorf(at, "tag prefix %s is also that of %s; each version line needs its own prefix, e.g. %s/v", quoteValue(p), prefixes[p], kc.Name)
	default:
		prefixes[p] = path
	}
	c.componentSemver(pathKey(path, "semver"), kc.Semver, &out)
	c.notesAt(pathKey(path, "notes"), kc.Notes, &out)
	return out
}

// componentSemver applies a component's semver overrides to rs.
func (c *policyCompiler) componentSemver(path string, s *ComponentSemverConfig, rs *ReleaseSettings) {
	if s == nil {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(s.Types)) {
		at := pathKey(pathKey(path, "types"), k)
		if !conventionalType.MatchString(k) {
			c.errorf(at, "%s is not a conventional-commit type; write it in lower case, e.g. feat, fix, docs", quoteValue(k))
			continue
		}
		if b, ok := c.bump(at, s.Types[k], bumpNames...); ok {
			rs.Types[k] = b
		}
	}
	if s.PreMajorBreaking != "" {
		if b, ok := c.bump(pathKey(path, "pre_major_breaking"), s.PreMajorBreaking, "major", "minor"); ok {
			rs.PreMajorBreaking = b
		}
	}
	if s.PreMajorFeatures != "" {
		if b, ok := c.bump(pathKey(path, "pre_major_features"), s.PreMajorFeatures, "minor", "patch"); ok {
			rs.PreMajorFeatures = b
		}
	}
	if s.Initial != "" {
		if _, err := semver.StrictNewVersion(s.Initial); err != nil {
			c.errorf(pathKey(path, "initial"), "%s is not a strict semantic version; write MAJOR.MINOR.PATCH without prefix, e.g. 0.1.0", quoteValue(s.Initial))
		} else {
			rs.Initial = s.Initial
		}
	}
}

// environmentComponents sets each deploy environment's component and
// checks it: a component of the policy, and the component of the
// environment it comes after (a release of one component must not run
// another's environments).
func (c *policyCompiler) environmentComponents(envs []EnvironmentConfig, p *Policy) {
	byName := map[string]string{}
	for _, ec := range envs {
		byName[strings.ToLower(ec.Name)] = ec.Component
	}
	for i, ec := range envs {
		path := pathKey(pathIndex("deploy.environments", i), "component")
		if ec.Component != "" {
			k, ok := p.Component(ec.Component)
			if !ok {
				c.errorf(path, "%s is not a component of this policy; allowed values: %s", quoteValue(ec.Component), orNone(p.ComponentNames()))
				continue
			}
			if i < len(p.Deploy) && p.Deploy[i].Name == ec.Name {
				p.Deploy[i].Component = k.Name
			}
		}
		if prev, ok := byName[strings.ToLower(ec.After)]; ec.After != "" && ok && !strings.EqualFold(prev, ec.Component) {
			c.errorf(path, "environment %s deploys %s but comes after %s, which deploys %s; chain only environments of one component",
				quoteValue(ec.Name), componentLabel(ec.Component), quoteValue(ec.After), componentLabel(prev))
		}
	}
}

// componentLabel names a component, or the repository's own line for "".
func componentLabel(name string) string {
	if name == "" {
		return "the repository's own tags"
	}
	return "component " + quoteValue(name)
}

// orNone joins names, or says there are none.
func orNone(names []string) string {
	if len(names) == 0 {
		return "none (add a components key first)"
	}
	return strings.Join(names, ", ")
}

// mayStartVersion reports whether s can begin a semantic version: a digit
// first, then only characters a version holds.
func mayStartVersion(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || b == '.' || b == '-' || b == '+') {
			return false
		}
	}
	return true
}
