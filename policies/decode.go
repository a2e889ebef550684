package policies

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// decodeBudget bounds the values decoded from one file, aliases expanded,
// so that a few lines of nested aliases cannot take the bot down.
const decodeBudget = 100_000

// configDecoder decodes a yaml.Node tree into Config by walking the Go
// types' `yaml` tags. yaml.v3's own KnownFields stops at the first unknown
// key and gives no column; this walker reports every problem with its
// position and key path and records where each value is.
type configDecoder struct {
	file string
	pos  Positions
	// bad holds the paths whose values could not be decoded.
	bad map[string]bool
	// locks holds the mappings marked `locked: true`, by path.
	locks Positions
	errs  []*FieldError
	// expanding holds the alias targets being decoded, to stop cycles.
	expanding map[*yaml.Node]bool
	// budget counts down the values still allowed.
	budget int
}

// errorf records a problem at node n for path.
func (d *configDecoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, &FieldError{File: d.file, Line: n.Line, Column: n.Column, Path: path, Msg: oneLine(fmt.Sprintf(format, args...))})
	d.bad[path] = true
}

// decode decodes n into v (settable) at path.
func (d *configDecoder) decode(n *yaml.Node, path string, v reflect.Value) {
	d.decodeAt(n, n, path, v)
}

// decodeAt decodes n into v; at is where the value is written (an alias
// of n, or n itself), which errors about the value as a whole point at.
func (d *configDecoder) decodeAt(n, at *yaml.Node, path string, v reflect.Value) {
	if _, seen := d.pos[path]; !seen {
		d.pos[path] = Position{Line: at.Line, Column: at.Column}
	}
	d.budget--
	if d.budget == 0 {
		d.errorf(at, path, "the policy is too large: over %d values once aliases are expanded", decodeBudget)
	}
	if d.budget <= 0 {
		return
	}
	if n.Kind == yaml.AliasNode {
		target := n.Alias
		if target == nil || d.expanding[target] {
			d.errorf(at, path, "alias *%s refers to a value that contains it", n.Value)
			return
		}
		d.expanding[target] = true
		d.decodeAt(target, at, path, v)
		delete(d.expanding, target)
		return
	}
	if n.ShortTag() == "!!null" {
		d.errorf(at, path, "want %s, got nothing (null); give a value or remove the key", describeType(v.Type()))
		return
	}
	if n.Kind == yaml.ScalarNode && v.Kind() == reflect.Struct {
		if sh, ok := v.Addr().Interface().(shorthand); ok {
			// A plain string stands for the mapping with one key set.
			d.decodeAt(n, at, path, v.FieldByName(sh.shorthandField()))
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.decodeAt(n, at, path, elem.Elem())
		v.Set(elem)
	case reflect.Struct:
		d.decodeStruct(n, at, path, v)
	case reflect.Slice:
		d.decodeSlice(n, at, path, v)
	case reflect.Map:
		d.decodeMap(n, at, path, v)
	case reflect.String, reflect.Int, reflect.Float64, reflect.Bool:
		d.decodeScalar(n, at, path, v)
	default:
		// Config holds no other kinds; a new one needs a case here.
		panic(fmt.Sprintf("policies: cannot decode into %s at %s", v.Type(), path))
	}
}

// decodeScalar decodes n into a string, an integer, a number or a bool,
// saying what it got when n is something else.
func (d *configDecoder) decodeScalar(n, at *yaml.Node, path string, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		switch tag := n.ShortTag(); {
		case n.Kind != yaml.ScalarNode:
			d.errorf(at, path, "want a string, got %s", describeNode(n))
		// An unquoted date-time is a timestamp to yaml.v3 but a string to
		// YAML 1.2 and JSON Schema: take its text.
		case tag == "!!str" || tag == "!!timestamp":
			v.SetString(n.Value)
		case tag == "!!int" || tag == "!!float" || tag == "!!bool":
			d.errorf(at, path, "want a string, got %s; quote it: %s", describeNode(n), strconv.Quote(n.Value))
		default:
			d.errorf(at, path, "want a string, got %s", describeNode(n))
		}
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.errorf(at, path, "want an integer, got %s", describeNode(n))
			return
		}
		v.SetInt(int64(i))
	case reflect.Float64:
		var f float64
		if tag := n.ShortTag(); n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || n.Decode(&f) != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.errorf(at, path, "want a number, got %s", describeNode(n))
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.errorf(at, path, "want true or false, got %s", describeNode(n))
			return
		}
		v.SetBool(b)
	}
}

// shorthand is a Config type that may also be written as a plain string,
// which sets one of its fields (a required check's name).
type shorthand interface {
	// shorthandField names the field a plain string sets.
	shorthandField() string
}

func (*RequiredCheckConfig) shorthandField() string { return "Name" }

// decodeStruct decodes a mapping into a struct by its fields' yaml tags.
func (d *configDecoder) decodeStruct(n, at *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode || n.ShortTag() != "!!map" {
		d.errorf(at, path, "want a mapping, got %s", describeNode(n))
		return
	}
	fields := yamlFields(v.Type())
	for _, e := range d.entries(n, path) {
		keyPath := pathKey(path, e.key.Value)
		f, ok := fields.byName[e.key.Value]
		if !ok && e.key.Value == lockedKey && lockable(v.Type()) {
			d.decodeLocked(e.value, path, keyPath)
			continue
		}
		if !ok {
			names := fields.names
			if lockable(v.Type()) {
				names = append(slices.Clip(names), lockedKey)
			}
			msg := fmt.Sprintf("unknown key %s", quoteValue(e.key.Value))
			if s := closestName(e.key.Value, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", quoteValue(s))
			}
			d.errorf(e.key, keyPath, "%s; allowed keys: %s", msg, strings.Join(names, ", "))
			continue
		}
		d.decode(e.value, keyPath, v.FieldByIndex(f))
	}
}

// decodeSlice decodes a sequence.
func (d *configDecoder) decodeSlice(n, at *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode || n.ShortTag() != "!!seq" {
		msg := fmt.Sprintf("want %s, got %s", describeType(v.Type()), describeNode(n))
		if n.Kind == yaml.ScalarNode && v.Type().Elem().Kind() == reflect.String {
			msg += fmt.Sprintf("; write [%s]", strconv.Quote(n.Value))
		}
		d.errorf(at, path, "%s", msg)
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, pathIndex(path, i), s.Index(i))
	}
	v.Set(s)
}

// decodeMap decodes a mapping into a map with string keys.
func (d *configDecoder) decodeMap(n, at *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode || n.ShortTag() != "!!map" {
		d.errorf(at, path, "want %s, got %s", describeType(v.Type()), describeNode(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	for _, e := range d.entries(n, path) {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(e.value, pathKey(path, e.key.Value), elem)
		m.SetMapIndex(reflect.ValueOf(e.key.Value).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

// yamlEntry is one key and value of a mapping, after merges.
type yamlEntry struct {
	key, value *yaml.Node
}

// entries returns the keys of mapping n in order, with the keys of merged
// mappings (`<<: *defaults`) after them unless given explicitly. It reports
// duplicate and non-string keys and skips them.
func (d *configDecoder) entries(n *yaml.Node, path string) []yamlEntry {
	var out []yamlEntry
	first := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, val)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "keys must be plain strings, got %s", describeNode(k))
			continue
		}
		if prev, dup := first[k.Value]; dup {
			d.errorf(k, pathKey(path, k.Value), "duplicate key %s; it is first given at line %d, column %d",
				quoteValue(k.Value), prev.Line, prev.Column)
			continue
		}
		first[k.Value] = k
		out = append(out, yamlEntry{k, val})
	}
	for _, m := range merges {
		for _, e := range d.mergeEntries(m, path) {
			if _, given := first[e.key.Value]; !given {
				first[e.key.Value] = e.key
				out = append(out, e)
			}
		}
	}
	return out
}

// mergeEntries returns the entries a merge key brings in: a mapping, an
// alias of one, or a list of those (earlier ones win).
func (d *configDecoder) mergeEntries(m *yaml.Node, path string) []yamlEntry {
	d.budget--
	if d.budget <= 0 {
		return nil
	}
	switch m.Kind {
	case yaml.AliasNode:
		if m.Alias == nil || d.expanding[m.Alias] {
			d.errorf(m, path, "alias *%s refers to a value that contains it", m.Value)
			return nil
		}
		d.expanding[m.Alias] = true
		defer delete(d.expanding, m.Alias)
		return d.mergeEntries(m.Alias, path)
	case yaml.MappingNode:
		return d.entries(m, path)
	case yaml.SequenceNode:
		var out []yamlEntry
		for _, item := range m.Content {
			if item.Kind == yaml.SequenceNode {
				d.errorf(item, path, "a merge (<<) takes mappings or aliases of mappings, got a list inside the list")
				continue
			}
			out = append(out, d.mergeEntries(item, path)...)
		}
		return out
	}
	d.errorf(m, path, "a merge (<<) takes a mapping, an alias of one or a list of them, got %s", describeNode(m))
	return nil
}

// structFields lists a struct type's yaml keys in declaration order.
type structFields struct {
	names  []string
	byName map[string][]int
}

// yamlFields returns the keys of struct type t from its `yaml` tags.
func yamlFields(t reflect.Type) structFields {
	fs := structFields{byName: map[string][]int{}}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fs.names = append(fs.names, name)
		fs.byName[name] = f.Index
	}
	return fs
}

// describeType says what a value of Go type t looks like in YAML.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct:
		return "a mapping"
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.String:
			return "a list of strings"
		case reflect.Struct:
			return "a list of mappings"
		}
	case reflect.Map:
		if t.Elem().Kind() == reflect.String {
			return "a mapping of strings to strings"
		}
	}
	return t.String()
}

// describeNode says what a YAML node is, with its value when short.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	switch n.ShortTag() {
	case "!!str":
		return "the string " + quoteValue(v)
	case "!!int":
		return "the integer " + v
	case "!!float":
		return "the number " + v
	case "!!bool":
		return "the boolean " + v
	case "!!null":
		return "nothing (null)"
	case "!!timestamp":
		return "the timestamp " + v
	}
	return fmt.Sprintf("the value %s tagged %s", quoteValue(v), n.Tag)
}

// closestName returns the name in names nearest to s when it is close
// enough to be a likely typo, else "".
func closestName(s string, names []string) string {
	s = strings.ToLower(s)
	best, bestDist := "", min(len(s)/3+1, 3)+1
	for _, n := range names {
		if d := editDistance(s, strings.ToLower(n)); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein (optimal string alignment)
// distance, so that a swap of two letters counts once.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// quoteValue quotes a value from the policy for a message: in plain double
// quotes as the user would write it ("CHG\d{7}"), or Go-escaped when it
// holds quotes or control characters.
func quoteValue(s string) string {
	for _, r := range s {
		if r == '"' || unicode.IsControl(r) || r == utf8.RuneError {
			return strconv.Quote(s)
		}
	}
	return `"` + s + `"`
}
