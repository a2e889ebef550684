package policies

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Load parses, strictly decodes and compiles a `.shipgate.yml`. file names
// the policy in messages (and in Policy.File). On failure the error joins
// every problem found, each a *FieldError with file:line:column and key
// path; FieldErrors unpacks them. Load is the one parse path behind the
// check run, the CLI and the Action.
func Load(file string, data []byte) (*Policy, error) {
	cfg, pos, bad, _, errs := decodeConfig(file, data)
	return compileDecoded(file, cfg, pos, bad, errs)
}

// compileDecoded compiles what decodeConfig returned; errs are the
// decoder's.
func compileDecoded(file string, cfg *Config, pos Positions, bad map[string]bool, errs []*FieldError) (*Policy, error) {
	if cfg == nil {
		return nil, joinFieldErrors(errs)
	}
	c := &policyCompiler{file: file, pos: pos, bad: bad}
	p := c.compile(cfg)
	errs = append(errs, c.errs...)
	if len(errs) > 0 {
		return nil, joinFieldErrors(errs)
	}
	return p, nil
}

// Decode parses data strictly into a Config and records the position of
// every key path, without validating values; Compile does that. Unknown
// keys, duplicate keys, wrong types and YAML syntax errors are all
// reported, as *FieldErrors joined together. The Config returned with an
// error is partial (nil after a syntax error).
func Decode(file string, data []byte) (*Config, Positions, error) {
	cfg, pos, _, _, errs := decodeConfig(file, data)
	return cfg, pos, joinFieldErrors(errs)
}

// FieldError is one problem in a policy file, located by line, column and
// key path.
type FieldError struct {
	// File is the policy's path as given to Load.
	File string
	// Line and Column are 1-based. Column is 0 when only the line is known
	// (YAML syntax errors); both are 0 when nothing is known (a Config
	// compiled without Positions, or a syntax error YAML did not place).
	Line, Column int
	// Path is the key path, e.g. `approvals[0].from[1]`; empty for
	// syntax errors.
	Path string
	// Msg says what is wrong, with the bad value and the allowed values.
	Msg string
}

// Error returns "FILE:LINE:COLUMN: PATH: MESSAGE", leaving out the parts
// that are unknown.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// FieldErrors returns the *FieldErrors in err, which may be one of them or
// a join of them (as Load returns), in order. It returns nil when err holds
// none.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *FieldError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// joinFieldErrors sorts errs by position (unplaced ones first, as they are
// about the whole file) and joins them; nil when there are none.
func joinFieldErrors(errs []*FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	slices.SortStableFunc(errs, func(a, b *FieldError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return errors.Join(joined...)
}

// Position is where a value starts in the policy file, 1-based.
type Position struct {
	Line, Column int
}

// Positions maps key paths (`approvals[0].from[1]`, `semver.labels.major`)
// to the position of their value. The root mapping is the path "".
type Positions map[string]Position

// Lookup returns the position of path, or of its nearest ancestor present
// (so that a missing key points at the mapping that lacks it); the zero
// Position when none is known.
func (p Positions) Lookup(path string) Position {
	for {
		if at, ok := p[path]; ok {
			return at
		}
		if path == "" {
			return Position{}
		}
		path = pathParent(path)
	}
}

// pathPlainKey matches keys written as `.key` in paths; others are quoted
// as `["key"]`.
var pathPlainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// pathKey returns the path of key inside the mapping at parent.
func pathKey(parent, key string) string {
	if !pathPlainKey.MatchString(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// pathIndex returns the path of the i-th item of the list at parent.
func pathIndex(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// pathParent strips the last segment of a path built by pathKey and
// pathIndex.
func pathParent(path string) string {
	last := 0
	inQuote := false
	for i := 0; i < len(path); i++ {
		switch ch := path[i]; {
		case inQuote && ch == '\\':
			i++
		case ch == '"':
			inQuote = !inQuote
		case !inQuote && (ch == '.' || ch == '['):
			last = i
		}
	}
	return path[:last]
}

// decodeConfig parses data and decodes it into a Config. It returns the
// paths whose values could not be decoded (so that Compile does not report
// them twice), and the paths of the mappings marked `locked: true` (see
// extends). cfg is nil when there is nothing to compile.
func decodeConfig(file string, data []byte) (cfg *Config, pos Positions, bad map[string]bool, locks Positions, errs []*FieldError) {
	pos = Positions{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, pos, nil, nil, []*FieldError{emptyPolicyError(file)}
		}
		return nil, pos, nil, nil, []*FieldError{syntaxError(file, data, err)}
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, pos, nil, nil, []*FieldError{{File: file, Line: extra.Line, Column: extra.Column,
			Msg: "a policy is one YAML document; remove this second document and the --- before it"}}
	case !errors.Is(err, io.EOF):
		return nil, pos, nil, nil, []*FieldError{syntaxError(file, data, err)}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, pos, nil, nil, []*FieldError{emptyPolicyError(file)}
		}
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, pos, nil, nil, []*FieldError{emptyPolicyError(file)}
	}
	d := &configDecoder{file: file, pos: pos, bad: map[string]bool{}, locks: map[string]Position{}, expanding: map[*yaml.Node]bool{}, budget: decodeBudget}
	cfg = new(Config)
	if root.Kind != yaml.MappingNode && root.Kind != yaml.AliasNode {
		d.errorf(root, "", "want a mapping of policy keys (version: 1, approvals: ..., ...), got %s", describeNode(root))
		return nil, pos, nil, nil, d.errs
	}
	d.decode(root, "", reflect.ValueOf(cfg).Elem())
	if d.budget <= 0 {
		// The Config is cut short: compiling it would only add noise.
		return nil, pos, nil, nil, d.errs
	}
	return cfg, pos, d.bad, d.locks, d.errs
}

// emptyPolicyError says what an empty policy must start with.
func emptyPolicyError(file string) *FieldError {
	return &FieldError{File: file, Line: 1, Column: 1, Path: "version",
		Msg: `the policy is empty; start it with the line "version: 1", then add rules (see ` + "`shipgate policy schema`" + `)`}
}

// yamlLineMessage splits yaml.v3's "yaml: line N: message".
var yamlLineMessage = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserProblems are yaml.v3's parser (not scanner) errors. yaml.v3
// reports their line 0-based (it adds 1 for scanner errors only), at the
// start of the construct being parsed.
var yamlParserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// yamlUnknownAnchor matches yaml.v3's error for an undefined alias.
var yamlUnknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// syntaxError turns a yaml.v3 parse error into a FieldError, placed as
// well as yaml.v3 allows: it gives a line (0-based for parser errors, left
// out on the first line) and never a column. Errors of the reader (bad
// UTF-8, control characters) and undefined aliases carry no position, so
// it is found in data.
func syntaxError(file string, data []byte, err error) *FieldError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &FieldError{File: file}
	parserProblem := func(m string) bool { return slices.Contains(yamlParserProblems, m) }
	if m := yamlLineMessage.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if parserProblem(msg) {
			e.Line++
		}
		// At the end of the input the mark may sit on the line after the
		// last one.
		lastLine, _ := lineColumn(data, len(data))
		if lastLine > 1 && len(data) > 0 && (data[len(data)-1] == '\n' || data[len(data)-1] == '\r') {
			lastLine-- // a final line break starts no line
		}
		e.Line = min(e.Line, lastLine)
	} else if m := yamlUnknownAnchor.FindStringSubmatch(msg); m != nil {
		e.Msg = fmt.Sprintf("alias *%s refers to no anchor; define it first with &%s", m[1], m[1])
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			e.Line, e.Column = lineColumn(data, i)
		}
		return e
	} else if i := yamlBadCharacter(data); i >= 0 {
		e.Line, e.Column = lineColumn(data, i)
	} else if parserProblem(msg) || !strings.Contains(msg, " event ") && !strings.HasPrefix(msg, "attempted") {
		// Scanner and parser errors leave the line out when it is the
		// first one (0-based line 0).
		e.Line = 1
	}
	e.Msg = "invalid YAML: " + msg
	return e
}

// yamlBadCharacter returns the offset of the first byte YAML does not
// accept (invalid UTF-8 or a non-printable character), or -1.
func yamlBadCharacter(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return i
		case r == '\t' || r == '\n' || r == '\r' || r == 0x85,
			r >= 0x20 && r <= 0x7E,
			r >= 0xA0 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD && (r != 0xFEFF || i == 0),
			r >= 0x10000 && r <= 0x10FFFF:
		default:
			return i
		}
		i += size
	}
	return -1
}

// lineColumn returns the 1-based line and column (in characters) of byte
// offset i of data, counting line breaks as YAML does: \n, \r\n, a lone
// \r, and U+0085, U+2028 and U+2029.
func lineColumn(data []byte, i int) (line, column int) {
	line, column = 1, 1
	for j := 0; j < i; {
		r, size := utf8.DecodeRune(data[j:])
		switch {
		case r == '\r' && j+1 < len(data) && data[j+1] == '\n' && j+1 < i:
			size++
			fallthrough
		case r == '\n' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029:
			line, column = line+1, 1
		default:
			column++
		}
		j += size
	}
	return line, column
}
