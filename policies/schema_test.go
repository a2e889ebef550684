package policies

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	// Registers the -update flag that rewrites generated test files.
	_ "github.com/shipgate/shipgate/internal/golden"
)

// committedSchema is the schema's copy for editors and docs.
const committedSchema = "../schema/shipgate.schema.json"

func TestSchemaMatchesTheCommittedCopy(t *testing.T) {
	got, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.MkdirAll("../schema", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(committedSchema, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(committedSchema)
	if err != nil {
		t.Fatalf("reading the committed schema (go test ./policies -run TestSchemaMatchesTheCommittedCopy -update writes it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with the Config types; regenerate it with\n  go test ./policies -run TestSchemaMatchesTheCommittedCopy -update", committedSchema)
	}
}

// schemaDoc is the generated schema decoded as JSON.
func schemaDoc(t *testing.T) map[string]any {
	t.Helper()
	b, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestSchemaHasExactlyTheKeysOfEveryConfigType(t *testing.T) {
	doc := schemaDoc(t)
	defs, _ := doc["$defs"].(map[string]any)
	if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" || doc["$id"] != SchemaID || doc["title"] == "" || doc["description"] == "" {
		t.Errorf("schema header: $schema %v, $id %v, title %v", doc["$schema"], doc["$id"], doc["title"])
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] {
			return
		}
		seen[typ] = true
		obj := doc
		if typ != reflect.TypeFor[Config]() {
			obj, _ = defs[typ.Name()].(map[string]any)
		}
		if obj == nil {
			t.Errorf("no schema for %s", typ.Name())
			return
		}
		if alts, ok := obj["oneOf"].([]any); ok {
			// A type with a shorthand (a bare string) is one of two forms:
			// the mapping form holds the keys.
			for _, alt := range alts {
				if m, _ := alt.(map[string]any); m["properties"] != nil {
					obj = m
				}
			}
		}
		if obj["additionalProperties"] != false {
			t.Errorf("%s allows unknown keys", typ.Name())
		}
		props, _ := obj["properties"].(map[string]any)
		fields := yamlFields(typ)
		for _, name := range fields.names {
			if _, ok := props[name]; !ok {
				t.Errorf("%s.%s is missing from the schema", typ.Name(), name)
			}
			walk(typ.FieldByIndex(fields.byName[name]).Type)
		}
		for name := range props {
			if _, ok := fields.byName[name]; !ok && (name != lockedKey || !lockable(typ)) {
				t.Errorf("the schema has %s.%s, which Config does not", typ.Name(), name)
			}
		}
	}
	walk(reflect.TypeFor[Config]())
	for name := range defs {
		found := false
		for typ := range seen {
			found = found || typ.Name() == name
		}
		if !found {
			t.Errorf("the schema defines %s, which Config does not use", name)
		}
	}
}

// compiledSchema compiles the generated schema with an independent
// validator.
func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("compiling the policy schema: %v", err)
	}
	return s
}

// yamlAsJSON converts YAML to the values a JSON decoder gives, the way an
// editor's YAML language server sees the file (timestamps are strings).
func yamlAsJSON(t *testing.T, src []byte) any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	var conv func(n *yaml.Node) any
	conv = func(n *yaml.Node) any {
		switch n.Kind {
		case yaml.DocumentNode:
			return conv(n.Content[0])
		case yaml.AliasNode:
			return conv(n.Alias)
		case yaml.MappingNode:
			m := map[string]any{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				m[n.Content[i].Value] = conv(n.Content[i+1])
			}
			return m
		case yaml.SequenceNode:
			s := []any{}
			for _, item := range n.Content {
				s = append(s, conv(item))
			}
			return s
		}
		switch n.ShortTag() {
		case "!!int", "!!float":
			return json.Number(n.Value)
		case "!!bool":
			return n.Value == "true"
		case "!!null":
			return nil
		}
		return n.Value
	}
	return conv(&doc)
}

func TestSchemaAcceptsTheExamplePolicies(t *testing.T) {
	s := compiledSchema(t)
	for _, file := range []string{"../examples/.shipgate.yml", "testdata/design-sketch.shipgate.yml"} {
		t.Run(file, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(yamlAsJSON(t, src)); err != nil {
				t.Errorf("schema rejects %s: %v", file, err)
			}
			if _, err := Load(file, src); err != nil {
				t.Errorf("Load rejects %s: %v", file, err)
			}
		})
	}
}

func TestSchemaAndLoadRejectTheSameMistakes(t *testing.T) {
	s := compiledSchema(t)
	for _, tt := range []struct{ name, src string }{
		{"a policy without version", "branches: [main]\n"},
		{"another version", "version: 2\n"},
		{"an unknown top-level key", "version: 1\nbranchs: [main]\n"},
		{"an unknown nested key", "version: 1\napprovals: [{requried: 2}]\n"},
		{"a string where a list belongs", "version: 1\nbranches: main\n"},
		{"a number where a string belongs", "version: 1\nhold: {label: 5}\n"},
		{"required out of range", "version: 1\napprovals: [{required: 0}]\n"},
		{"an unknown bump label", "version: 1\nsemver: {labels: {huge: x}}\n"},
		{"an unknown bump in types", "version: 1\nsemver: {types: {feat: large}}\n"},
		{"an unknown command", "version: 1\ncommands: {aprove: write}\n"},
		{"an unknown role", "version: 1\ncommands: {hold: boss}\n"},
		{"an unknown change-record source", "version: 1\nchange_record: {patterns: [X], sources: [bodyy]}\n"},
		{"a change record without patterns", "version: 1\nchange_record: {sources: [body]}\n"},
		{"freeze without windows", "version: 1\nfreeze: {windows: []}\n"},
		{"a step with two keys", "version: 1\ndeploy: {environments: [{name: p, steps: [{wait: 1m, webhook: {url: \"https://x.example\"}}]}]}\n"},
		{"an empty step", "version: 1\ndeploy: {environments: [{name: p, steps: [{}]}]}\n"},
		{"on other than release", "version: 1\ndeploy: {environments: [{name: p, on: push, steps: [{wait: 1m}]}]}\n"},
		{"a Slack user ID in lower case", "version: 1\nnotify: {slack: {users: {alice: u1}}}\n"},
		{"a channel without #", "version: 1\nnotify: {slack: {channel: releases}}\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Validate(yamlAsJSON(t, []byte(tt.src))); err == nil {
				t.Errorf("the schema accepts %q", tt.src)
			}
			if _, err := Load("p.yml", []byte(tt.src)); err == nil {
				t.Errorf("Load accepts %q", tt.src)
			}
		})
	}
}

func TestSchemaDescribesKeysFromTheirDocComments(t *testing.T) {
	b, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"description": "The number of distinct approvers (default 1)."`,
		`"description": "An approval counts only for the SHA it approved (default true; a push that only merges the base branch in, made by the host's update-branch button, keeps approvals)."`,
		`"description": "Dispatches a workflow and follows its run."`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("schema lacks %s", want)
		}
	}
}
