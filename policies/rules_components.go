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

// componentLabelBump reads a label semver:NAME:BUMP of component name
// (compared without case), without building the label for each bump:
// Evaluate reads every label of a change for every component it touches.
func componentLabelBump(label, name string) (Bump, bool) {
	const pre = "semver:"
	if len(label) < len(pre)+len(name)+2 || label[len(pre)-1] != ':' || !strings.EqualFold(label[:len(pre)], pre) {
		return "", false
	}
	rest := label[len(pre):]
	if !strings.EqualFold(rest[:len(name)], name) || rest[len(name)] != ':' {
		return "", false
	}
	b := Bump(strings.ToLower(rest[len(name)+1:]))
	return b, b.Rank() >= 0
}

// ParseComponentSemver reads the arguments of `/semver COMPONENT BUMP`;
// ok is false for any other form (`/semver minor` is the repository's).
func ParseComponentSemver(args string) (component string, b Bump, ok bool) {
	f := strings.Fields(args)
	if len(f) != 2 || !componentName.MatchString(f[0]) {
		return "", "", false
	}
	b = Bump(strings.ToLower(f[1]))
	return f[0], b, b.Rank() >= 0
}

// componentCommand returns the latest authorised `/semver NAME BUMP` for
// component k as a declaration.
func (s *evaluation) componentCommand(k *Component) (declaration, bool) {
	for i := len(s.cmds) - 1; i >= 0; i-- {
		c := s.cmds[i]
		if c.Name != "semver" {
			continue
		}
		if name, b, ok := ParseComponentSemver(c.Args); ok && strings.EqualFold(name, k.Name) {
			return declaration{b, "/semver by", c.in.Author.Login}, true
		}
	}
	return declaration{}, false
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
	var seenBuf [16]bool // most monorepos have fewer: no allocation then
	seen := seenBuf[:]
	if len(s.p.Components) > len(seenBuf) {
		seen = make([]bool, len(s.p.Components))
	}
	m := dirMemo{on: treesOnly(s.p.Components)}
	for _, f := range s.c.Files {
		in := m.mark(s.p.Components, f.Path, seen)
		// A file moved out of (or into) a component changes the
		// repository's own line as well.
		if f.PreviousPath != "" && !m.mark(s.p.Components, f.PreviousPath, seen) {
			in = false
		}
		outside = outside || !in
	}
	s.eachScope(func(scope string) {
		for i := range s.p.Components {
			if k := &s.p.Components[i]; len(k.Scopes) > 0 && k.namedByScope(scope) {
				seen[i] = true
			}
		}
	})
	for i := range s.p.Components {
		if seen[i] {
			touched = append(touched, &s.p.Components[i])
		}
	}
	return touched, outside
}

// eachScope calls f with the conventional scope of the change's title
// and of each of its commits' headers; never when no component is named
// by scopes.
func (s *evaluation) eachScope(f func(scope string)) {
	if !s.p.componentNeeds().Has(NeedCommits) {
		return
	}
	if cc, err := conventional.ParseTitle(s.c.Title); err == nil && cc.Scope != "" {
		f(cc.Scope)
	}
	for _, c := range s.c.Commits {
		header, _, _ := strings.Cut(c.Message, "\n")
		if strings.IndexByte(header, '(') < 0 {
			continue // no scope: nothing to parse
		}
		if cc, err := conventional.ParseTitle(header); err == nil && cc.Scope != "" {
			f(cc.Scope)
		}
	}
}

// componentRow is the semver row of component k: the bump its labels
// declare, with the change's own declarations when it is the only
// component touched (alone), all agreeing.
func (s *evaluation) componentRow(k *Component, alone bool) Result {
	res := Result{Rule: "semver", Name: k.rowName}
	var buf [10]declaration
	decls := buf[:0]
	if cmd, ok := s.componentCommand(k); ok {
		// The bot keeps the labels in step with /semver NAME BUMP; the command wins.
		decls = append(decls, cmd)
	} else {
		for _, l := range s.c.Labels {
			if b, ok := componentLabelBump(l, k.Name); ok {
				decls = append(decls, declaration{b, "label", l})
			}
		}
	}
	breaking := false
	if alone {
		var ownBuf [5]declaration
		own, br := s.declarations(ownBuf[:])
		decls, breaking = append(decls, own...), br
	}
	b, why := agree(decls, breaking)
	switch {
	case b != "":
		res.Status, res.Message = Pass, k.rowLead+string(b)+", from "+decls[0].from()
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
	msg := "this change touches component " + k.Name + " but declares no bump for it: add one label of " + strings.Join(labels, ", ") +
		" (or comment `/semver " + k.Name + " major|minor|patch|none`)"
	if !alone {
		return msg + " (it touches several components, so each needs its own label)"
	}
	if s.p.Semver.ConventionalTitle {
		msg += ", or a conventional title such as `feat(" + k.Name + "): add X`"
	}
	return msg
}

// dirMemo remembers which components hold the files of the last two
// directories seen, when every component's globs are trees (dir/**): a
// file's match then depends on its directory alone, and a PR's files come
// sorted, directory by directory (two, for a tree and its tests).
// Evaluate reads every changed file against every component.
type dirMemo struct {
	on   bool
	dirs [2]dirAnswer
	next int // the slot the next directory takes
}

// dirAnswer is whether some component holds the files of dir.
type dirAnswer struct {
	dir        string
	any, valid bool
}

// mark sets seen for the components whose paths hold path and reports
// whether any does.
func (m *dirMemo) mark(ks []Component, path string, seen []bool) bool {
	for i := 1; i <= len(m.dirs); i++ { // the newest first
		if d := &m.dirs[(m.next+len(m.dirs)-i)%len(m.dirs)]; d.valid && d.holds(path) {
			return d.any // seen was set when the directory was first read
		}
	}
	dir := ""
	if m.on {
		if i := strings.LastIndexByte(path, '/'); i > 0 {
			dir = path[:i]
		}
	}
	any, reusable := false, dir != ""
	for i := range ks {
		if matchAny(ks[i].Paths, path) {
			seen[i], any = true, true
		}
		// A tree below dir (dir/sub/**) matches the file dir/sub itself
		// but not its siblings: the directory's answer is then not theirs.
		for j := 0; reusable && j < len(ks[i].Paths); j++ {
			g := &ks[i].Paths[j]
			reusable = !(len(g.prefix) > len(dir) && strings.HasPrefix(g.prefix, dir) && g.prefix[len(dir)] == '/')
		}
	}
	if reusable {
		m.dirs[m.next] = dirAnswer{dir: dir, any: any, valid: true}
		m.next = (m.next + 1) % len(m.dirs)
	}
	return any
}

// holds reports whether path is a file of the directory, with no slash
// after it: cheaper than cutting the directory out of path.
func (d *dirAnswer) holds(path string) bool {
	n := len(d.dir)
	if len(path) <= n+1 || path[n] != '/' || path[:n] != d.dir {
		return false
	}
	return strings.IndexByte(path[n+1:], '/') < 0
}

// treesOnly reports whether every glob of every component is a tree
// (dir/**), whose match depends on a file's directory alone.
func treesOnly(ks []Component) bool {
	for _, k := range ks {
		for _, g := range k.Paths {
			if g.literal != shapeTree {
				return false
			}
		}
	}
	return true
}
