package fakegithub

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestConvertSchemaValidatesAsOpenAPIMeans compiles OpenAPI 3.0 schemas
// through convertSchema and checks values GitHub accepts and rejects.
func TestConvertSchemaValidatesAsOpenAPIMeans(t *testing.T) {
	for _, tc := range []struct {
		name   string
		schema string
		ok     []string
		bad    []string
	}{
		{"nullable adds null to the type", `{"type":"string","nullable":true}`, []string{`"x"`, `null`}, []string{`1`}},
		{"nullable adds null to an enum", `{"type":"string","enum":["a","b"],"nullable":true}`, []string{`"a"`, `null`}, []string{`"c"`}},
		{"nullable without a type lets null through", `{"nullable":true,"allOf":[{"type":"object","required":["a"]}]}`, []string{`null`, `{"a":1}`}, []string{`{}`}},
		{"required and additionalProperties", `{"type":"object","required":["a"],"properties":{"a":{"type":"integer"}},"additionalProperties":false}`,
			[]string{`{"a":1}`}, []string{`{}`, `{"a":1,"b":2}`, `{"a":"1"}`}},
		{"oneOf takes exactly one branch", `{"oneOf":[{"type":"string"},{"type":"integer"}]}`, []string{`"x"`, `3`}, []string{`true`}},
		{"anyOf", `{"anyOf":[{"type":"string","maxLength":2},{"type":"integer","minimum":5}]}`, []string{`"ab"`, `7`}, []string{`"abc"`, `4`}},
		{"annotations and an empty required list are dropped", `{"type":"object","required":[],"example":{"x":1},"readOnly":true,"x-github":{}}`, []string{`{}`}, []string{`[]`}},
		{"a pattern Go cannot compile is dropped", `{"type":"string","pattern":"^(?!x)"}`, []string{`"x"`}, nil},
		{"date-time is asserted", `{"type":"string","format":"date-time"}`, []string{`"2026-01-05T09:00:00Z"`}, []string{`"yesterday"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var raw any
			if err := json.Unmarshal([]byte(tc.schema), &raw); err != nil {
				t.Fatal(err)
			}
			c := jsonschema.NewCompiler()
			c.DefaultDraft(jsonschema.Draft4)
			if err := c.AddResource("mem:///test.json", convertSchema(raw, map[string]bool{})); err != nil {
				t.Fatal(err)
			}
			s, err := c.Compile("mem:///test.json")
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range tc.ok {
				inst, _ := decodeJSON([]byte(v))
				if err := s.Validate(inst); err != nil {
					t.Errorf("%s rejected: %v", v, err)
				}
			}
			for _, v := range tc.bad {
				inst, _ := decodeJSON([]byte(v))
				if err := s.Validate(inst); err == nil {
					t.Errorf("%s accepted", v)
				}
			}
		})
	}
}

func TestConvertSchemaPointsRefsAtComponentResources(t *testing.T) {
	refs := map[string]bool{}
	got := convertSchema(map[string]any{"properties": map[string]any{
		"a": map[string]any{"$ref": "#/components/schemas/simple-user", "description": "dropped"},
		"b": map[string]any{"$ref": "#/components/schemas/check-run/properties/status"},
	}}, refs)
	b, _ := json.Marshal(got)
	for _, want := range []string{`"mem:///schemas/simple-user.json"`, `"mem:///schemas/check-run.json#/properties/status"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s does not contain %s", b, want)
		}
	}
	equal(t, "refs", keys(refs), []string{"check-run", "simple-user"})
}
