package fakegithub

import (
	"net/url"
	"regexp"
	"strings"
)

// A pathTree matches request paths against templates in GitHub's style
// ("/repos/{owner}/{repo}/pulls/{pull_number}"). Both the fake's own routes
// and the operations of GitHub's REST API description live in one.
//
// GitHub lets a few parameters span several segments (a branch name such as
// "feature/x" in ".../commits/{ref}/check-runs", a file path); the API
// description marks them with x-multi-segment and the fake writes them
// "{ref...}". Matching works on the escaped path, split at "/" before
// unescaping, so a label "do-not-merge/hold" sent as "do-not-merge%2Fhold"
// stays one segment, as it does on GitHub.
type pathTree[T any] struct {
	root treeNode[T]
}

type treeNode[T any] struct {
	literal  map[string]*treeNode[T]
	patterns []*patternEdge[T] // segments mixing text and parameters: "{base}...{head}"
	params   []*paramEdge[T]   // one whole segment
	multis   []*paramEdge[T]   // one or more segments
	values   []T
}

type paramEdge[T any] struct {
	name string
	next *treeNode[T]
}

type patternEdge[T any] struct {
	re    *regexp.Regexp
	names []string
	next  *treeNode[T]
}

// pathParam is one captured parameter, unescaped.
type pathParam struct {
	name, value string
}

// templateParams finds the "{name}" parameters in a template segment, as
// [start, end, nameStart, nameEnd] index quadruples.
func templateParams(seg string) [][]int {
	var out [][]int
	for from := 0; ; {
		open := strings.IndexByte(seg[from:], '{')
		if open < 0 {
			return out
		}
		open += from
		end := strings.IndexByte(seg[open:], '}')
		if end < 0 {
			return out
		}
		end += open
		out = append(out, []int{open, end + 1, open + 1, end})
		from = end + 1
	}
}

// add registers value under template. Parameters named in multi (or written
// "{name...}") may span several segments.
func (t *pathTree[T]) add(template string, value T, multi map[string]bool) {
	n := &t.root
	for _, seg := range splitTemplate(template) {
		n = n.child(seg, multi)
	}
	n.values = append(n.values, value)
}

func (n *treeNode[T]) child(seg string, multi map[string]bool) *treeNode[T] {
	params := templateParams(seg)
	switch {
	case len(params) == 0:
		if n.literal == nil {
			n.literal = map[string]*treeNode[T]{}
		}
		c := n.literal[seg]
		if c == nil {
			c = &treeNode[T]{}
			n.literal[seg] = c
		}
		return c
	case len(params) == 1 && params[0][0] == 0 && params[0][1] == len(seg):
		name := seg[1 : len(seg)-1]
		edges := &n.params
		if strings.HasSuffix(name, "...") || multi[name] {
			name = strings.TrimSuffix(name, "...")
			edges = &n.multis
		}
		for _, e := range *edges {
			if e.name == name {
				return e.next
			}
		}
		e := &paramEdge[T]{name: name, next: &treeNode[T]{}}
		*edges = append(*edges, e)
		return e.next
	default:
		var re strings.Builder
		var names []string
		last := 0
		for _, p := range params {
			re.WriteString(regexp.QuoteMeta(seg[last:p[0]]))
			re.WriteString("(.+?)")
			names = append(names, seg[p[2]:p[3]])
			last = p[1]
		}
		re.WriteString(regexp.QuoteMeta(seg[last:]))
		expr := "^" + re.String() + "$"
		for _, e := range n.patterns {
			if e.re.String() == expr {
				return e.next
			}
		}
		e := &patternEdge[T]{re: regexp.MustCompile(expr), names: names, next: &treeNode[T]{}}
		n.patterns = append(n.patterns, e)
		return e.next
	}
}

// match calls visit for every template matching the escaped path segs, most
// specific first (literal segments, then mixed segments, then one-segment
// parameters, then multi-segment ones taking as few segments as they can),
// until visit returns true. The params slice is only valid during visit.
func (t *pathTree[T]) match(segs []string, visit func(v T, params []pathParam) bool) {
	t.root.match(segs, nil, visit)
}

func (n *treeNode[T]) match(segs []string, params []pathParam, visit func(T, []pathParam) bool) bool {
	if len(segs) == 0 {
		for _, v := range n.values {
			if visit(v, params) {
				return true
			}
		}
		return false
	}
	seg, rest := segs[0], segs[1:]
	plain, err := url.PathUnescape(seg)
	if err != nil {
		return false
	}
	if c := n.literal[plain]; c != nil && c.match(rest, params, visit) {
		return true
	}
	if plain == "" {
		return false // a parameter is never empty
	}
	for _, e := range n.patterns {
		m := e.re.FindStringSubmatch(plain)
		if m == nil {
			continue
		}
		p := params
		for i, name := range e.names {
			p = append(p, pathParam{name, m[i+1]})
		}
		if e.next.match(rest, p, visit) {
			return true
		}
	}
	for _, e := range n.params {
		if e.next.match(rest, append(params, pathParam{e.name, plain}), visit) {
			return true
		}
	}
	for _, e := range n.multis {
		value := plain
		for i := 0; ; i++ {
			if e.next.match(segs[i+1:], append(params, pathParam{e.name, value}), visit) {
				return true
			}
			if i+1 >= len(segs) {
				break
			}
			next, err := url.PathUnescape(segs[i+1])
			if err != nil || next == "" {
				break
			}
			value += "/" + next
		}
	}
	return false
}

// splitTemplate splits "/a/{b}/c" into its segments.
func splitTemplate(p string) []string {
	return strings.Split(strings.TrimPrefix(p, "/"), "/")
}

// splitPath splits an escaped request path ("/repos/o/r/labels/a%2Fb") into
// its still-escaped segments.
func splitPath(escaped string) []string {
	return strings.Split(strings.TrimPrefix(escaped, "/"), "/")
}
