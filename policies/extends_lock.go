package policies

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// lockedKey marks a rule or a mapping of a base policy that a policy
// extending it cannot weaken.
const lockedKey = "locked"

// lockableTypes are the mappings that take `locked: true`: rules and
// keys. The root takes `locked: [keys]`; `when` and deployment steps are
// locked with the rule or environment that holds them.
var lockableTypes = func() map[reflect.Type]bool {
	m := map[reflect.Type]bool{}
	for _, v := range []any{ApprovalConfig{}, ChangeRecordConfig{}, ReleaseNotesConfig{}, SemverConfig{}, TitleConfig{},
		HoldConfig{}, FreezeConfig{}, WindowConfig{}, OverrideConfig{}, ChecksConfig{}, HotfixConfig{}, TagsConfig{},
		DeployConfig{}, EnvironmentConfig{}, GateConfig{}, NotifyConfig{}, SlackConfig{}, NotesConfig{}} {
		m[reflect.TypeOf(v)] = true
	}
	return m
}()

// lockable reports whether a mapping of type t takes `locked: true`.
func lockable(t reflect.Type) bool { return lockableTypes[t] }

// decodeLocked decodes the value of a `locked` key inside the mapping at
// path.
func (d *configDecoder) decodeLocked(n *yaml.Node, path, keyPath string) {
	var locked bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&locked) != nil {
		d.errorf(n, keyPath, "want true or false, got %s", describeNode(n))
		return
	}
	if locked {
		d.locks[path] = Position{Line: n.Line, Column: n.Column}
	}
}

// lockMark is where a base locks a value.
type lockMark struct {
	At filePos
	// Implied names the lock that implies this one ("" for a lock as
	// written).
	Implied string
}

// rootLocks turns the root's `locked: [keys]` into locks.
func (l *layer) rootLocks(file string) []*FieldError {
	var errs []*FieldError
	var keys []string
	for _, f := range orderedFields(reflect.TypeFor[Config]()) {
		if f.name != "version" && f.name != "extends" && f.name != lockedKey {
			keys = append(keys, f.name)
		}
	}
	for i, k := range l.cfg.Locked {
		p := pathIndex(lockedKey, i)
		at := l.pos.lookup(p)
		if !slices.Contains(keys, k) {
			errs = append(errs, &FieldError{File: file, Line: at.Line, Column: at.Column, Path: p,
				Msg: fmt.Sprintf("%s is not a top-level key; allowed: %s", quoteValue(k), strings.Join(keys, ", "))})
			continue
		}
		l.locks[k] = lockMark{At: at}
	}
	return errs
}

// impliedLocks are base's locks and those they imply, without which a
// repository could walk around them: with anything locked, the gated
// `branches` cannot narrow and no command's role can be lowered; with an
// approval rule locked, `hotfix` (whose approvals replace the rules for
// hotfixes) cannot change.
func impliedLocks(base *layer) map[string]lockMark {
	out := make(map[string]lockMark, len(base.locks)+3)
	var first, approval string
	for p, l := range base.locks {
		out[p] = l
		if first == "" || p < first {
			first = p
		}
		if _, ok := underPath(p, "approvals"); ok && (approval == "" || p < approval) {
			approval = p
		}
	}
	if first == "" {
		return out
	}
	for _, k := range []string{"branches", "commands"} {
		if _, ok := out[k]; !ok {
			out[k] = lockMark{At: base.locks[first].At, Implied: first}
		}
	}
	if _, ok := out["hotfix"]; !ok && approval != "" {
		out["hotfix"] = lockMark{At: base.locks[approval].At, Implied: approval}
	}
	return out
}

// checkLock reports how merged weakens base at a locked path.
func (m *merger) checkLock(l lockMark, path, field string, b, merged reflect.Value) {
	for _, w := range weakenings(path, field, b, merged) {
		at := m.out.lookup(w.path)
		what := "locks it"
		if l.Implied != "" {
			what = fmt.Sprintf("locks %s, which locks this too", l.Implied)
		}
		m.errs = append(m.errs, &FieldError{File: at.File, Line: at.Line, Column: at.Column, Path: w.path,
			Msg: oneLine(fmt.Sprintf("%s; the base policy %s %s at %d:%d (a stricter value is fine)", w.msg, l.At.File, what, l.At.Line, l.At.Column))})
	}
}

// weakening is one way a locked value was weakened.
type weakening struct{ path, msg string }

// fieldRules say, per "Type.key", which changes of a locked value are
// stricter; any other change of a locked value is refused.
var fieldRules = map[string]func(path string, b, m reflect.Value) []weakening{
	"ApprovalConfig.required":   atLeast(1),
	"GateConfig.required":       atLeast(1),
	"OverrideConfig.approvals":  atLeast(0),
	"ApprovalConfig.from":       fewerPeople,
	"GateConfig.from":           fewerPeople,
	"OverrideConfig.from":       fewerPeople,
	"Config.branches":           moreOrAll,
	"WindowConfig.branches":     moreOrAll,
	"WindowConfig.environments": moreOrAll,
	"ChangeRecordConfig.sections": func(path string, b, m reflect.Value) []weakening {
		return missing(path, "drops the required sections", b, m)
	},
	"ChecksConfig.required": func(path string, b, m reflect.Value) []weakening {
		return missing(path, "drops required checks", b, m)
	},
	"ApprovalConfig.codeowners":            stays(true, false),
	"ApprovalConfig.dismiss_stale":         stays(true, true),
	"HotfixConfig.codeowners":              stays(true, true),
	"HotfixConfig.merge_back_every_change": stays(true, true),
	"TagsConfig.reviewed":                  stays(true, false),
	"ApprovalConfig.allow_author":          stays(false, false),
	"ApprovalConfig.allow_contributor":     stays(false, false),
	"Config.commands":                      rolesNotLowered,
}

// weakenings compares a locked value of the base (b) with the merged one.
func weakenings(path, field string, b, m reflect.Value) []weakening {
	if rule := fieldRules[field]; rule != nil {
		return rule(path, b, m)
	}
	if strings.HasSuffix(field, ".when") {
		return whenNotNarrower(path, b.Interface().(*When), m.Interface().(*When))
	}
	if b.Kind() == reflect.Pointer && !b.IsNil() && !m.IsNil() {
		b, m = b.Elem(), m.Elem()
	}
	switch {
	case b.Kind() == reflect.Struct:
		var out []weakening
		name := b.Type().Name()
		for _, f := range orderedFields(b.Type()) {
			if name == "Config" && (f.name == "extends" || f.name == lockedKey) {
				continue
			}
			out = append(out, weakenings(pathKey(path, f.name), name+"."+f.name, b.FieldByIndex(f.index), m.FieldByIndex(f.index))...)
		}
		return out
	case b.Kind() == reflect.Slice && mergedByName[field]:
		return namedItems(path, b, m)
	case reflect.DeepEqual(b.Interface(), m.Interface()):
		return nil
	}
	return []weakening{{path, fmt.Sprintf("changes a locked value (the base has %s)", describeValue(b))}}
}

// namedItems compares each item of a locked list of rules with the merged
// item of its name (merging keeps every base item, at its index).
func namedItems(path string, b, m reflect.Value) []weakening {
	var out []weakening
	for i := 0; i < b.Len() && i < m.Len(); i++ {
		out = append(out, weakenings(pathIndex(path, i), "", b.Index(i), m.Index(i))...)
	}
	return out
}

// atLeast refuses a lower count; def is the count when none is given.
func atLeast(def int) func(string, reflect.Value, reflect.Value) []weakening {
	count := func(v reflect.Value) int {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return def
			}
			v = v.Elem()
		}
		return int(v.Int())
	}
	return func(path string, b, m reflect.Value) []weakening {
		if cb, cm := count(b), count(m); cm < cb {
			return []weakening{{path, fmt.Sprintf("lowers %s from %d to %d", lastKey(path), cb, cm)}}
		}
		return nil
	}
}

// fewerPeople refuses approvers the locked list does not have (an empty
// list allows anyone, so any list is as strict).
func fewerPeople(path string, b, m reflect.Value) []weakening {
	base, merged := b.Interface().([]string), m.Interface().([]string)
	if len(base) == 0 {
		return nil
	}
	if len(merged) == 0 {
		return []weakening{{path, "lets anyone approve where the base names who may"}}
	}
	var extra []string
	for _, p := range merged {
		if !slices.Contains(base, p) {
			extra = append(extra, p)
		}
	}
	if len(extra) > 0 {
		return []weakening{{path, "adds approvers the base does not allow: " + strings.Join(extra, ", ")}}
	}
	return nil
}

// moreOrAll refuses a narrower list of globs (an empty list means all).
func moreOrAll(path string, b, m reflect.Value) []weakening {
	base, merged := b.Interface().([]string), m.Interface().([]string)
	if len(merged) == 0 {
		return nil
	}
	if len(base) == 0 {
		return []weakening{{path, fmt.Sprintf("narrows %s to %s where the base means all", lastKey(path), strings.Join(merged, ", "))}}
	}
	return missing(path, "narrows "+lastKey(path), b, m)
}

// missing refuses a list that lacks items of the locked one.
func missing(path, what string, b, m reflect.Value) []weakening {
	var gone []string
	for i := 0; i < b.Len(); i++ {
		found := false
		for j := 0; j < m.Len() && !found; j++ {
			found = reflect.DeepEqual(b.Index(i).Interface(), m.Index(j).Interface())
		}
		if !found {
			gone = append(gone, describeValue(b.Index(i)))
		}
	}
	if len(gone) > 0 {
		return []weakening{{path, what + ": leaves out " + strings.Join(gone, ", ")}}
	}
	return nil
}

// stays refuses a bool that leaves the strict value; def is the value
// when none is given.
func stays(strict, def bool) func(string, reflect.Value, reflect.Value) []weakening {
	value := func(v reflect.Value) bool {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return def
			}
			v = v.Elem()
		}
		return v.Bool()
	}
	return func(path string, b, m reflect.Value) []weakening {
		if value(b) == strict && value(m) != strict {
			return []weakening{{path, fmt.Sprintf("turns %s %s", lastKey(path), map[bool]string{true: "on", false: "off"}[value(m)])}}
		}
		return nil
	}
}

// rolesNotLowered refuses a command whose minimum role is lower than the
// base's (a role written as a default counts as the default).
func rolesNotLowered(path string, b, m reflect.Value) []weakening {
	base, merged := b.Interface().(map[string]string), m.Interface().(map[string]string)
	var out []weakening
	for name, role := range merged {
		spec, ok := LookupCommand(name)
		r, okRole := ParsePermission(role)
		if !ok || !okRole {
			continue // Compile reports it
		}
		was := spec.Role
		if br, ok := ParsePermission(base[name]); ok {
			was = br
		}
		if r < was {
			out = append(out, weakening{pathKey(path, name), fmt.Sprintf("lowers the role of /%s from %s to %s", name, was, r)})
		}
	}
	slices.SortFunc(out, func(a, b weakening) int { return strings.Compare(a.path, b.path) })
	return out
}

// whenNotNarrower refuses a `when` that lets the rule apply to fewer
// changes: a facet the base does not limit, or fewer entries in one.
func whenNotNarrower(path string, b, m *When) []weakening {
	if m == nil {
		return nil
	}
	if b == nil {
		b = &When{}
	}
	var out []weakening
	facets := []struct {
		key  string
		b, m []string
	}{{"branches", b.Branches, m.Branches}, {"paths", b.Paths, m.Paths}, {"labels", b.Labels, m.Labels}, {"authors", b.Authors, m.Authors},
		{"authors_in", b.AuthorsIn, m.AuthorsIn}, {"title", b.Title, m.Title}}
	for _, f := range facets {
		if len(f.m) == 0 {
			continue
		}
		wp := pathKey(path, f.key)
		if len(f.b) == 0 {
			out = append(out, weakening{wp, fmt.Sprintf("limits the locked rule to %s %s; the base applies it to all", f.key, strings.Join(f.m, ", "))})
			continue
		}
		out = append(out, missing(wp, "narrows when."+f.key, reflect.ValueOf(f.b), reflect.ValueOf(f.m))...)
	}
	// A line count or a `not` can only be kept as the base wrote it: each
	// other value leaves some changes out.
	if !reflect.DeepEqual(b.ChangedLines, m.ChangedLines) {
		out = append(out, weakening{pathKey(path, "changed_lines"), "limits the locked rule by changed_lines; keep the base's"})
	}
	if !reflect.DeepEqual(b.Not, m.Not) {
		out = append(out, weakening{pathKey(path, "not"), "limits the locked rule with not; keep the base's"})
	}
	return out
}

// lastKey is the last key of a path.
func lastKey(path string) string {
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		return strings.Trim(path[i+1:], `"]`)
	}
	return path
}

// describeValue shows a config value in a message.
func describeValue(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "nothing"
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return quoteValue(v.String())
	case reflect.Struct:
		if n := itemName(v); n != "" {
			return quoteValue(n)
		}
		return "its own value"
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 {
			return "nothing"
		}
	}
	return fmt.Sprint(v.Interface())
}

// unresolvedExtends refuses a policy whose `extends` was not merged (a
// policy loaded by Load, which reads no base): judging it without its base
// would be judging a weaker policy.
func (c *policyCompiler) unresolvedExtends(cfg *Config) {
	if cfg.Extends != "" {
		c.errorf("extends", "the base policy %s is not merged here: load the policy with its bases (shipgate policy validate and check read them; the CLI reads owner/repo bases with a token)", quoteValue(cfg.Extends))
	}
}
