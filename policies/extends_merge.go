package policies

import (
	"reflect"
	"strings"
)

// mergedByName are the lists whose items are merged by their `name`
// (Type.key): a repository's item of a base item's name is merged into it,
// its other items are added after the base's. Every other list is
// replaced whole by the repository's.
var mergedByName = map[string]bool{
	"Config.approvals":          true,
	"FreezeConfig.windows":      true,
	"DeployConfig.environments": true,
}

// merger merges a repository's layer (top) over its base: mappings are
// merged key by key (deeply), lists of rules by name, other lists and
// scalars are the repository's when it gives them. Base values keep their
// paths (a base item keeps its index), so locks stay where they are.
type merger struct {
	base, top *layer
	out       filePositions
	// moves maps a top path to its merged path, where they differ.
	moves map[string]string
	// locked are the base's locks, implied ones included, by path.
	locked map[string]lockMark
	errs   []*FieldError
}

// mergeLayers merges top over base and checks base's locks.
func mergeLayers(base, top *layer) (*layer, []*FieldError) {
	m := &merger{base: base, top: top, out: filePositions{}, moves: map[string]string{}, locked: impliedLocks(base)}
	v := m.merge("", "", "", reflect.ValueOf(base.cfg).Elem(), reflect.ValueOf(top.cfg).Elem())
	if len(m.errs) > 0 {
		return nil, m.errs
	}
	cfg := v.Addr().Interface().(*Config)
	cfg.Extends, cfg.Locked = "", nil
	out := &layer{cfg: cfg, pos: m.out, locks: map[string]lockMark{}}
	for p, l := range base.locks {
		out.locks[p] = l
	}
	for p, l := range top.locks {
		out.locks[m.moved(p)] = l
	}
	return out, nil
}

// merge merges the values at mpath (base, merged) and tpath (top); field
// is the "Type.key" that holds them.
func (m *merger) merge(mpath, tpath, field string, b, t reflect.Value) reflect.Value {
	_, inBase := m.base.pos[mpath]
	_, inTop := m.top.pos[tpath]
	var out reflect.Value
	switch {
	case !inTop:
		out = b
		m.copyPositions(m.base.pos, mpath, mpath)
	case !inBase:
		out = t
		m.copyPositions(m.top.pos, tpath, mpath)
	default:
		out = m.both(mpath, tpath, field, b, t)
	}
	if inTop {
		if mpath != tpath {
			m.moves[tpath] = mpath
		}
		if l, ok := m.locked[mpath]; ok && !m.lockedAbove(mpath) {
			m.checkLock(l, mpath, field, b, out)
		}
	}
	return out
}

// both merges two values given in both files.
func (m *merger) both(mpath, tpath, field string, b, t reflect.Value) reflect.Value {
	m.out[mpath] = m.top.pos[tpath]
	out := reflect.New(b.Type()).Elem()
	switch b.Kind() {
	case reflect.Pointer:
		if b.IsNil() || t.IsNil() {
			return t
		}
		elem := m.both(mpath, tpath, field, b.Elem(), t.Elem())
		p := reflect.New(b.Type().Elem())
		p.Elem().Set(elem)
		return p
	case reflect.Struct:
		name := b.Type().Name()
		for _, f := range orderedFields(b.Type()) {
			if name == "Config" && (f.name == "extends" || f.name == "locked") {
				continue // resolved here, not merged
			}
			out.FieldByIndex(f.index).Set(m.merge(pathKey(mpath, f.name), pathKey(tpath, f.name), name+"."+f.name,
				b.FieldByIndex(f.index), t.FieldByIndex(f.index)))
		}
		return out
	case reflect.Map:
		out = reflect.MakeMap(b.Type())
		for _, k := range b.MapKeys() {
			out.SetMapIndex(k, b.MapIndex(k))
		}
		for _, k := range t.MapKeys() {
			out.SetMapIndex(k, t.MapIndex(k))
		}
		for _, k := range out.MapKeys() {
			key := k.String()
			out.SetMapIndex(k, m.merge(pathKey(mpath, key), pathKey(tpath, key), field+"[]", mapValue(b, k), mapValue(t, k)))
		}
		return out
	case reflect.Slice:
		if mergedByName[field] {
			return m.byName(mpath, tpath, b, t)
		}
	}
	m.copyPositions(m.top.pos, tpath, mpath)
	return t
}

// mapValue is m[k], or the zero value when absent.
func mapValue(m, k reflect.Value) reflect.Value {
	if v := m.MapIndex(k); v.IsValid() {
		return v
	}
	return reflect.New(m.Type().Elem()).Elem()
}

// byName merges two lists of named mappings: the base's items in order,
// each merged with the top's item of its name, then the top's others.
func (m *merger) byName(mpath, tpath string, b, t reflect.Value) reflect.Value {
	out := reflect.MakeSlice(b.Type(), 0, b.Len()+t.Len())
	topIndex := map[string]int{}
	for j := 0; j < t.Len(); j++ {
		if n := itemName(t.Index(j)); n != "" {
			if _, dup := topIndex[n]; !dup {
				topIndex[n] = j
			}
		}
	}
	used := map[int]bool{}
	for i := 0; i < b.Len(); i++ {
		bi, ip := b.Index(i), pathIndex(mpath, i)
		if j, ok := topIndex[itemName(bi)]; ok && itemName(bi) != "" {
			used[j] = true
			out = reflect.Append(out, m.merge(ip, pathIndex(tpath, j), "", bi, t.Index(j)))
			continue
		}
		m.copyPositions(m.base.pos, ip, ip)
		out = reflect.Append(out, bi)
	}
	for j := 0; j < t.Len(); j++ {
		if used[j] {
			continue
		}
		ip, tp := pathIndex(mpath, out.Len()), pathIndex(tpath, j)
		m.copyPositions(m.top.pos, tp, ip)
		if ip != tp {
			m.moves[tp] = ip
		}
		out = reflect.Append(out, t.Index(j))
	}
	return out
}

// itemName is the Name field of a list item ("" when it has none).
func itemName(v reflect.Value) string {
	if f := v.FieldByName("Name"); f.IsValid() && f.Kind() == reflect.String {
		return f.String()
	}
	return ""
}

// copyPositions copies the positions of from and below it in src to the
// same places under to.
func (m *merger) copyPositions(src filePositions, from, to string) {
	for p, at := range src {
		if rest, ok := underPath(p, from); ok {
			m.out[to+rest] = at
		}
	}
}

// underPath reports whether p is path or below it, and the rest of p.
func underPath(p, path string) (string, bool) {
	if path == "" {
		return p, true
	}
	rest, ok := strings.CutPrefix(p, path)
	if !ok || rest != "" && rest[0] != '.' && rest[0] != '[' {
		return "", false
	}
	return rest, true
}

// moved is the merged path of a top path.
func (m *merger) moved(p string) string {
	best, to := -1, ""
	for from, dst := range m.moves {
		if rest, ok := underPath(p, from); ok && len(from) > best {
			best, to = len(from), dst+rest
		}
	}
	if best < 0 {
		return p
	}
	return to
}

// lockedAbove reports whether a mapping holding path is locked too (its
// check covers path).
func (m *merger) lockedAbove(path string) bool {
	for p := path; p != ""; {
		p = pathParent(p)
		if _, ok := m.locked[p]; ok && p != path {
			return true
		}
	}
	return false
}

// yamlField is a struct field and its key.
type yamlField struct {
	name  string
	index []int
}

// orderedFields lists the keys of struct type t in declaration order.
func orderedFields(t reflect.Type) []yamlField {
	fs := yamlFields(t)
	out := make([]yamlField, len(fs.names))
	for i, n := range fs.names {
		out[i] = yamlField{n, fs.byName[n]}
	}
	return out
}
