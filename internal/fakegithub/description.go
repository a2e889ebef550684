package fakegithub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// descriptionFile is where GitHub's REST API description lives inside the
// shared fixtures folder (see ../shared/fixtures/PROVENANCE.md).
const descriptionFile = "github/openapi/api.github.com.json"

// The parsed description is the package's only shared state: the file is
// 13 MB and every test of the process checks against the same one. Only the
// operations' paths, parameters and compiled request-body schemas are kept.
var description struct {
	once sync.Once
	api  *apiDescription
	err  error
}

// loadDescription returns GitHub's REST API description, parsed once per
// process. A nil description with a nil error means the file is absent.
func loadDescription() (*apiDescription, error) {
	description.once.Do(func() {
		path, err := findDescription()
		if err != nil || path == "" {
			description.err = err
			return
		}
		description.api, description.err = parseDescription(path)
	})
	return description.api, description.err
}

// findDescription locates the description: under $SHIPGATE_FIXTURES when it
// is set, else in ../shared/fixtures beside the module root (the first
// folder above the working directory holding a go.mod). It returns "" with
// a nil error when there is no such file.
func findDescription() (string, error) {
	dir := os.Getenv("SHIPGATE_FIXTURES")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("finding the module root: %w", err)
		}
		for {
			if _, err := os.Stat(filepath.Join(wd, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(wd)
			if parent == wd {
				return "", nil
			}
			wd = parent
		}
		dir = filepath.Join(wd, "..", "shared", "fixtures")
	}
	p := filepath.Join(dir, filepath.FromSlash(descriptionFile))
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("reading GitHub's API description: %w", err)
	}
	return p, nil
}

// apiDescription is what conformance checking needs of the description.
type apiDescription struct {
	paths      pathTree[*apiPath]
	operations int
}

// apiPath is one path template with its operations by method.
type apiPath struct {
	template string
	methods  map[string]*apiOperation
}

// apiOperation is one operation: its ID, parameters and request body.
type apiOperation struct {
	id         string
	method     string
	template   string
	pathParams map[string]*apiParam
	query      []*apiParam
	queryNames map[string]bool
	body       *apiBody // nil when the operation takes none
}

// apiParam is a path or query parameter and the schema of its value.
type apiParam struct {
	name     string
	required bool
	schema   paramSchema
}

// paramSchema is the part of a parameter's schema that a query string can
// violate.
type paramSchema struct {
	Type    string       `json:"type"`
	Enum    []any        `json:"enum"`
	Minimum *float64     `json:"minimum"`
	Maximum *float64     `json:"maximum"`
	Items   *paramSchema `json:"items"`
}

// apiBody is an operation's request body.
type apiBody struct {
	required     bool
	contentTypes []string
	schema       *jsonschema.Schema // the application/json schema; nil when there is none
}

// Raw forms, decoded from the file in one pass; responses and examples,
// most of the file, are skipped.
type (
	rawDescription struct {
		Paths      map[string]rawPathItem `json:"paths"`
		Components struct {
			Parameters map[string]rawParam        `json:"parameters"`
			Schemas    map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	rawPathItem struct {
		Parameters []rawParam    `json:"parameters"`
		Get        *rawOperation `json:"get"`
		Put        *rawOperation `json:"put"`
		Post       *rawOperation `json:"post"`
		Delete     *rawOperation `json:"delete"`
		Options    *rawOperation `json:"options"`
		Head       *rawOperation `json:"head"`
		Patch      *rawOperation `json:"patch"`
		Trace      *rawOperation `json:"trace"`
	}
	rawParam struct {
		Ref          string      `json:"$ref"`
		Name         string      `json:"name"`
		In           string      `json:"in"`
		Required     bool        `json:"required"`
		Schema       paramSchema `json:"schema"`
		MultiSegment bool        `json:"x-multi-segment"`
	}
	rawOperation struct {
		OperationID string     `json:"operationId"`
		Parameters  []rawParam `json:"parameters"`
		RequestBody *struct {
			Required bool `json:"required"`
			Content  map[string]struct {
				Schema json.RawMessage `json:"schema"`
			} `json:"content"`
		} `json:"requestBody"`
	}
)

// operations lists the path item's operations by method.
func (p *rawPathItem) operations() map[string]*rawOperation {
	out := map[string]*rawOperation{}
	for m, op := range map[string]*rawOperation{
		"GET": p.Get, "PUT": p.Put, "POST": p.Post, "DELETE": p.Delete,
		"OPTIONS": p.Options, "HEAD": p.Head, "PATCH": p.Patch, "TRACE": p.Trace,
	} {
		if op != nil {
			out[m] = op
		}
	}
	return out
}

// schemaURL names the in-memory JSON Schema resource holding a component
// schema or an operation's request body, converted from OpenAPI 3.0. One
// small resource each keeps compiling fast.
func schemaURL(kind, name string) string {
	return "mem:///" + kind + "/" + url.PathEscape(name) + ".json"
}

func parseDescription(path string) (*apiDescription, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading GitHub's API description: %w", err)
	}
	var raw rawDescription
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parsing GitHub's API description %s: %w", path, err)
	}
	api := &apiDescription{}
	bodies := map[string]any{}   // operation ID -> converted schema
	refs := map[string]bool{}    // component schemas the bodies use
	var withBody []*apiOperation // operations with a JSON body schema
	templates := make([]string, 0, len(raw.Paths))
	for t := range raw.Paths {
		templates = append(templates, t)
	}
	sort.Strings(templates) // deterministic insertion order
	for _, template := range templates {
		item := raw.Paths[template]
		p := &apiPath{template: template, methods: map[string]*apiOperation{}}
		multi := map[string]bool{}
		ops := item.operations()
		methods := make([]string, 0, len(ops))
		for m := range ops {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, m := range methods {
			ro := ops[m]
			op := &apiOperation{
				id: ro.OperationID, method: m, template: template,
				pathParams: map[string]*apiParam{}, queryNames: map[string]bool{},
			}
			for _, rp := range append(append([]rawParam{}, item.Parameters...), ro.Parameters...) {
				if rp.Ref != "" {
					name := strings.TrimPrefix(rp.Ref, "#/components/parameters/")
					c, ok := raw.Components.Parameters[name]
					if !ok {
						return nil, fmt.Errorf("%s: unresolved parameter %s", op.id, rp.Ref)
					}
					rp = c
				}
				ap := &apiParam{name: rp.Name, required: rp.Required, schema: rp.Schema}
				switch rp.In {
				case "path":
					op.pathParams[rp.Name] = ap
					if rp.MultiSegment {
						multi[rp.Name] = true
					}
				case "query":
					op.query = append(op.query, ap)
					op.queryNames[rp.Name] = true
				}
			}
			if rb := ro.RequestBody; rb != nil {
				op.body = &apiBody{required: rb.Required}
				for ct := range rb.Content {
					op.body.contentTypes = append(op.body.contentTypes, ct)
				}
				sort.Strings(op.body.contentTypes)
				if c, ok := rb.Content["application/json"]; ok && len(c.Schema) > 0 {
					var s any
					if err := json.Unmarshal(c.Schema, &s); err != nil {
						return nil, fmt.Errorf("parsing the body schema of %s: %w", op.id, err)
					}
					bodies[op.id] = convertSchema(s, refs)
					withBody = append(withBody, op)
				}
			}
			p.methods[m] = op
			api.operations++
		}
		api.paths.add(template, p, multi)
	}
	if err := compileBodies(raw.Components.Schemas, bodies, refs, withBody); err != nil {
		return nil, err
	}
	return api, nil
}

// compileBodies converts the component schemas the request bodies use and
// compiles one schema per operation.
func compileBodies(components map[string]json.RawMessage, bodies map[string]any, refs map[string]bool, ops []*apiOperation) error {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	done := map[string]bool{}
	for pending := keys(refs); len(pending) > 0; pending = pending[1:] {
		name := pending[0]
		if done[name] {
			continue
		}
		done[name] = true
		rawSchema, ok := components[name]
		if !ok {
			return fmt.Errorf("GitHub's API description: unresolved schema #/components/schemas/%s", name)
		}
		var s any
		if err := json.Unmarshal(rawSchema, &s); err != nil {
			return fmt.Errorf("parsing schema %s: %w", name, err)
		}
		more := map[string]bool{}
		if err := c.AddResource(schemaURL("schemas", name), convertSchema(s, more)); err != nil {
			return fmt.Errorf("loading schema %s: %w", name, err)
		}
		for _, m := range keys(more) {
			if !done[m] {
				pending = append(pending, m)
			}
		}
	}
	for _, op := range ops {
		u := schemaURL("operations", op.id)
		if err := c.AddResource(u, bodies[op.id]); err != nil {
			return fmt.Errorf("loading the request-body schema of %s: %w", op.id, err)
		}
		s, err := c.Compile(u)
		if err != nil {
			return fmt.Errorf("compiling the request-body schema of %s: %w", op.id, err)
		}
		op.body.schema = s
	}
	return nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// convertSchema turns an OpenAPI 3.0 Schema Object into JSON Schema draft 4,
// keeping only the keywords that validate and recording the component
// schemas it refers to in refs:
//   - nullable: true adds "null" to type (and to enum);
//   - $ref siblings are dropped, as OpenAPI 3.0 ignores them, and
//     "#/components/schemas/x" becomes the resource of x;
//   - annotations (description, example, default, readOnly, x-…) are dropped;
//   - a pattern Go's regexp cannot compile is dropped rather than guessed;
//   - an empty required list is dropped (draft 4 forbids it).
func convertSchema(v any, refs map[string]bool) any {
	s, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if ref, ok := s["$ref"].(string); ok {
		if rest, ok := strings.CutPrefix(ref, "#/components/schemas/"); ok {
			name, inner, _ := strings.Cut(rest, "/")
			refs[name] = true
			ref = schemaURL("schemas", name)
			if inner != "" {
				ref += "#/" + inner
			}
		}
		return map[string]any{"$ref": ref}
	}
	out := map[string]any{}
	for k, val := range s {
		switch k {
		case "type", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
			"multipleOf", "minLength", "maxLength", "minItems", "maxItems", "uniqueItems",
			"minProperties", "maxProperties":
			out[k] = val
		case "enum":
			out[k] = append([]any(nil), val.([]any)...)
		case "required":
			if r, ok := val.([]any); ok && len(r) > 0 {
				out[k] = r
			}
		case "pattern":
			if p, ok := val.(string); ok {
				if _, err := regexp.Compile(p); err == nil {
					out[k] = p
				}
			}
		case "properties":
			props := map[string]any{}
			for name, ps := range val.(map[string]any) {
				props[name] = convertSchema(ps, refs)
			}
			out[k] = props
		case "items", "not":
			out[k] = convertSchema(val, refs)
		case "additionalProperties":
			if b, ok := val.(bool); ok {
				out[k] = b
			} else {
				out[k] = convertSchema(val, refs)
			}
		case "allOf", "anyOf", "oneOf":
			list := val.([]any)
			conv := make([]any, len(list))
			for i, sub := range list {
				conv[i] = convertSchema(sub, refs)
			}
			out[k] = conv
		}
	}
	if nullable, _ := s["nullable"].(bool); nullable {
		if t, ok := out["type"].(string); ok {
			out["type"] = []any{t, "null"}
		} else if _, typed := out["type"]; !typed {
			// No type: only the combinators constrain the value; let null through.
			return map[string]any{"anyOf": []any{map[string]any{"type": "null"}, out}}
		}
		if e, ok := out["enum"].([]any); ok && !containsNil(e) {
			out["enum"] = append(e, nil)
		}
	}
	return out
}

func containsNil(list []any) bool {
	for _, v := range list {
		if v == nil {
			return true
		}
	}
	return false
}

// decodeJSON decodes a request body for validation, keeping numbers exact.
func decodeJSON(body []byte) (any, error) {
	return jsonschema.UnmarshalJSON(bytes.NewReader(body))
}
