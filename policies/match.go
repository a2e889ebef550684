package policies

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hmarr/codeowners"
)

// NewGlob checks and wraps a glob pattern.
func NewGlob(pattern string) (Glob, error) {
	if pattern == "" {
		return Glob{}, fmt.Errorf("empty glob")
	}
	if !doublestar.ValidatePattern(pattern) {
		return Glob{}, fmt.Errorf("invalid glob %q", pattern)
	}
	return newGlob(pattern), nil
}

// newGlob wraps a pattern known to be valid.
func newGlob(pattern string) Glob {
	const meta = `*?[{\`
	g := Glob{Pattern: pattern}
	if i := strings.IndexAny(pattern, meta); i >= 0 {
		// A slash next to ** may match nothing ("a/**" matches "a",
		// "**/b" matches "b"), so it is left out of the literals.
		g.prefix = strings.TrimSuffix(pattern[:i], "/")
		g.suffix = strings.TrimPrefix(pattern[strings.LastIndexAny(pattern, meta)+1:], "/")
	}
	if rest, ok := strings.CutPrefix(pattern, "**/"); ok && rest != "" && !strings.Contains(rest, "/") && !strings.Contains(rest, "**") {
		g.base = rest
	}
	switch {
	case g.base != "" && g.suffix != "" && g.base == "*"+g.suffix && !strings.ContainsAny(g.suffix, meta):
		g.literal = shapeAnyWithSuffix
	case strings.HasSuffix(pattern, "/**") && g.prefix == strings.TrimSuffix(pattern, "/**") && !strings.ContainsAny(g.prefix, meta):
		g.literal = shapeTree
	}
	return g
}

// Match reports whether name matches the glob.
func (g *Glob) Match(name string) bool {
	if !strings.HasPrefix(name, g.prefix) || !strings.HasSuffix(name, g.suffix) {
		return false
	}
	switch g.literal {
	case shapeAnyWithSuffix:
		return !strings.HasSuffix(name, "/")
	case shapeTree:
		return len(name) == len(g.prefix) || name[len(g.prefix)] == '/'
	}
	if g.base != "" && name != "" && !strings.HasSuffix(name, "/") {
		ok, _ := doublestar.Match(g.base, name[strings.LastIndexByte(name, '/')+1:])
		return ok
	}
	ok, _ := doublestar.Match(g.Pattern, name)
	return ok
}

// matchAny reports whether name matches one of the globs.
func matchAny(globs []Glob, name string) bool {
	for i := range globs {
		if globs[i].Match(name) {
			return true
		}
	}
	return false
}

// ParsePrincipal parses one `from:` entry: login, `@org/team`, `slack:U…`
// or `slack:S…`.
func ParsePrincipal(s string) (Principal, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Principal{}, fmt.Errorf("empty entry")
	case strings.HasPrefix(s, "slack:"):
		id := strings.TrimPrefix(s, "slack:")
		switch {
		case len(id) > 1 && (id[0] == 'U' || id[0] == 'W'):
			return Principal{SlackUser: id}, nil
		case len(id) > 1 && id[0] == 'S':
			return Principal{SlackGroup: id}, nil
		}
		return Principal{}, fmt.Errorf("%q is not a Slack user (slack:U…) or user group (slack:S…)", s)
	case strings.HasPrefix(s, "@"):
		team := strings.TrimPrefix(s, "@")
		if i := strings.Index(team, "/"); i <= 0 || i == len(team)-1 {
			// "@alice" is accepted as the login alice.
			if !strings.Contains(team, "/") && team != "" {
				return Principal{Login: team}, nil
			}
			return Principal{}, fmt.Errorf("%q is not a team: write @org/team", s)
		}
		return Principal{Team: team}, nil
	case strings.ContainsAny(s, " \t/"):
		return Principal{}, fmt.Errorf("%q is not a login; teams are written @org/team", s)
	}
	return Principal{Login: s}, nil
}

// Includes reports whether actor is this principal, directly or through a
// team. Slack principals never match a host login.
func (p Principal) Includes(login string, teams Membership) bool {
	switch {
	case p.Login != "":
		return sameLogin(p.Login, login)
	case p.Team != "":
		return teams != nil && teams.IsMember(p.Team, login)
	}
	return false
}

// includesAny reports whether one of the principals includes login.
func includesAny(ps []Principal, login string, teams Membership) bool {
	for _, p := range ps {
		if p.Includes(login, teams) {
			return true
		}
	}
	return false
}

// CodeOwners is a parsed CODEOWNERS file. hmarr/codeowners parses it;
// matching uses doublestar globs, which are several times faster than the
// parser's regular expressions and keep Evaluate within its budget.
type CodeOwners struct {
	rules []ownerRule
}

// ownerRule is one CODEOWNERS line as globs.
type ownerRule struct {
	glob Glob
	// tree also matches everything below a matched directory (glob/**); a
	// pattern whose last segment has a wildcard (docs/*) matches one level.
	tree   *Glob
	owners []Principal
}

// ParseCodeOwners parses a CODEOWNERS file's content.
func ParseCodeOwners(content []byte) (*CodeOwners, error) {
	rules, err := codeowners.ParseFile(bytes.NewReader(content))
	if err != nil {
		return nil, fmt.Errorf("parsing CODEOWNERS: %w", err)
	}
	c := &CodeOwners{rules: make([]ownerRule, 0, len(rules))}
	for _, r := range rules {
		pattern := r.RawPattern()
		anchored := strings.HasPrefix(pattern, "/")
		pattern = strings.TrimPrefix(pattern, "/")
		dirOnly := strings.HasSuffix(pattern, "/")
		pattern = strings.TrimSuffix(pattern, "/")
		if strings.Contains(pattern, "/") {
			anchored = true
		}
		if !anchored && !strings.HasPrefix(pattern, "**") {
			pattern = "**/" + pattern
		}
		last := pattern[strings.LastIndex(pattern, "/")+1:]
		rule := ownerRule{glob: newGlob(pattern), owners: ownersOf(r.Owners)}
		switch {
		case dirOnly:
			rule.glob = newGlob(pattern + "/**")
		case !strings.ContainsAny(last, "*?["):
			tree := newGlob(pattern + "/**")
			rule.tree = &tree
		}
		c.rules = append(c.rules, rule)
	}
	return c, nil
}

func ownersOf(os []codeowners.Owner) []Principal {
	var out []Principal
	for _, o := range os {
		switch o.Type {
		case codeowners.TeamOwner:
			out = append(out, Principal{Team: strings.TrimPrefix(o.Value, "@")})
		case codeowners.UsernameOwner:
			out = append(out, Principal{Login: strings.TrimPrefix(o.Value, "@")})
		}
	}
	return out
}

// Owners returns the owners of path as principals (users and teams; e-mail
// owners are dropped as no review can be tied to them). The last matching
// line wins, as on GitHub and GitLab; nil means no owners.
func (c *CodeOwners) Owners(path string) []Principal {
	if i := c.match(path); i >= 0 {
		return c.rules[i].owners
	}
	return nil
}

// match returns the index of the rule that owns path, or -1.
func (c *CodeOwners) match(path string) int {
	if c == nil {
		return -1
	}
	path = strings.TrimPrefix(path, "/")
	for i := len(c.rules) - 1; i >= 0; i-- {
		r := &c.rules[i]
		if r.glob.Match(path) || (r.tree != nil && r.tree.Match(path)) {
			return i
		}
	}
	return -1
}
