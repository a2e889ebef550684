package fakegithub

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// conformance is the verdict on one request against GitHub's description.
type conformance struct {
	operation string   // the operation ID; "" when none matched
	problems  []string // reasons GitHub would reject the request
	ignored   []string // query parameters GitHub does not know (and ignores)
}

// check says whether GitHub would accept the request: an operation's
// path template matches the path (the fake's base already stripped), the
// method exists for it, path and query parameters have the declared type
// and enum, required ones are present, and a JSON body validates against
// the operation's request-body schema.
func (api *apiDescription) check(method string, segs []string, query url.Values, contentType string, body []byte) conformance {
	var (
		op      *apiOperation
		params  []pathParam
		matched []*apiPath
	)
	api.paths.match(segs, func(p *apiPath, pp []pathParam) bool {
		matched = append(matched, p)
		if o := p.methods[method]; o != nil {
			op, params = o, append([]pathParam(nil), pp...)
			return true
		}
		return false
	})
	if op == nil {
		if len(matched) == 0 {
			return conformance{problems: []string{"no operation of GitHub's REST API has this path"}}
		}
		var allowed []string
		for _, p := range matched {
			for m := range p.methods {
				allowed = append(allowed, m+" "+p.template)
			}
		}
		sort.Strings(allowed)
		return conformance{problems: []string{fmt.Sprintf("GitHub has no %s here; the path matches %s", method, strings.Join(allowed, ", "))}}
	}
	c := conformance{operation: op.id}
	for _, p := range params {
		if ap := op.pathParams[p.name]; ap != nil {
			if err := ap.schema.check(p.value); err != nil {
				c.problems = append(c.problems, fmt.Sprintf("path parameter %s=%q: %v", p.name, p.value, err))
			}
		}
	}
	for _, ap := range op.query {
		values, present := query[ap.name]
		if !present {
			if ap.required {
				c.problems = append(c.problems, fmt.Sprintf("query parameter %s is required", ap.name))
			}
			continue
		}
		for _, v := range values {
			if err := ap.schema.check(v); err != nil {
				c.problems = append(c.problems, fmt.Sprintf("query parameter %s=%q: %v", ap.name, v, err))
			}
		}
	}
	for _, name := range sortedKeys(query) {
		if !op.queryNames[name] {
			c.ignored = append(c.ignored, name)
		}
	}
	if p := op.checkBody(contentType, body); p != "" {
		c.problems = append(c.problems, p)
	}
	return c
}

func (op *apiOperation) checkBody(contentType string, body []byte) string {
	if op.body == nil {
		return "" // GitHub ignores a body it does not take
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		if op.body.required {
			return "a request body is required"
		}
		return ""
	}
	if op.body.schema == nil {
		return "" // not JSON (a Markdown or binary upload): not checked
	}
	if mt, _, err := mime.ParseMediaType(contentType); contentType != "" && (err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json"))) {
		return fmt.Sprintf("the body is sent as %q; GitHub takes application/json here", contentType)
	}
	v, err := decodeJSON(body)
	if err != nil {
		return fmt.Sprintf("the body is not valid JSON (GitHub answers 400 Problems parsing JSON): %v", err)
	}
	if v == nil { // go-github sends null for nil options; GitHub takes it as no body
		if op.body.required {
			return "a request body is required (null was sent)"
		}
		return ""
	}
	if acceptedBeyondDescription(op.id, v) {
		return ""
	}
	if err := op.body.schema.Validate(v); err != nil {
		return "the body does not match the request schema: " + describeValidation(err, v)
	}
	return ""
}

// acceptedBeyondDescription lists bodies GitHub accepts that its
// description does not: the description's text for "add labels" and "set
// labels" says a bare array of label names may be sent (go-github does
// exactly that), but its schema only lists the {"labels": […]} object.
func acceptedBeyondDescription(operation string, body any) bool {
	switch operation {
	case "issues/add-labels", "issues/set-labels":
		list, ok := body.([]any)
		if !ok {
			return false
		}
		for _, v := range list {
			if _, ok := v.(string); !ok {
				return false
			}
		}
		return operation == "issues/set-labels" || len(list) > 0
	}
	return false
}

// describeValidation flattens a schema validation error on instance into
// one line: `at /conclusion ("passed"): value must be one of …; at /output: …`.
func describeValidation(err error, instance any) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	var parts []string
	var walk func(u jsonschema.OutputUnit)
	walk = func(u jsonschema.OutputUnit) {
		if u.Error != nil {
			loc := u.InstanceLocation
			if loc == "" {
				loc = "/"
			}
			if v, ok := lookupPointer(instance, u.InstanceLocation); ok {
				switch v.(type) {
				case map[string]any, []any:
				default:
					b, _ := json.Marshal(v)
					loc += " (" + string(b) + ")"
				}
			}
			parts = append(parts, "at "+loc+": "+u.Error.String())
		}
		for _, e := range u.Errors {
			walk(e)
		}
	}
	walk(*ve.BasicOutput())
	if len(parts) > 1 {
		parts = parts[1:] // the first is the summary "doesn't validate with …"
	}
	return strings.Join(parts, "; ")
}

// lookupPointer finds the value at a JSON pointer ("/output/title").
func lookupPointer(v any, ptr string) (any, bool) {
	if ptr == "" {
		return v, true
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[tok]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// check validates one query or path value against the parameter schema.
func (s paramSchema) check(v string) error {
	switch s.Type {
	case "array":
		if s.Items == nil {
			return nil
		}
		for _, part := range strings.Split(v, ",") {
			if err := s.Items.check(part); err != nil {
				return err
			}
		}
		return nil
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errors.New("not an integer")
		}
		return s.checkRange(float64(n))
	case "number":
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return errors.New("not a number")
		}
		return s.checkRange(n)
	case "boolean":
		if v != "true" && v != "false" {
			return errors.New("not true or false")
		}
	}
	if len(s.Enum) > 0 {
		for _, e := range s.Enum {
			if fmt.Sprint(e) == v {
				return nil
			}
		}
		return fmt.Errorf("not one of %v", s.Enum)
	}
	return nil
}

func (s paramSchema) checkRange(n float64) error {
	if s.Minimum != nil && n < *s.Minimum {
		return fmt.Errorf("below the minimum %v", *s.Minimum)
	}
	if s.Maximum != nil && n > *s.Maximum {
		return fmt.Errorf("above the maximum %v", *s.Maximum)
	}
	return nil
}

func sortedKeys(q url.Values) []string {
	out := make([]string, 0, len(q))
	for k := range q {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
