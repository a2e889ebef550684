package policies

import (
	"embed"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/invopop/jsonschema"
)

// SchemaID is the $id of the policy format's JSON Schema, where the copy
// committed at schema/shipgate.schema.json is published.
const SchemaID = "https://raw.githubusercontent.com/shipgate/shipgate/main/schema/shipgate.schema.json"

// configSources are config.go and the config_<topic>.go files beside it,
// whose doc comments describe the keys.
//
//go:embed config*.go
var configSources embed.FS

// Schema returns the JSON Schema (draft 2020-12) of `.shipgate.yml`,
// generated from the Config types: key names from their yaml tags,
// descriptions from their doc comments, no keys beyond the known ones
// (additionalProperties: false), and the value sets that Compile enforces
// (bumps, roles, command names, step shape…) where a schema can say them.
// Compile remains the authority: it also checks regexes, globs, cron
// expressions, templates and references between keys.
func Schema() ([]byte, error) {
	comments, err := configComments()
	if err != nil {
		return nil, fmt.Errorf("reading the doc comments of the policy format: %w", err)
	}
	r := &jsonschema.Reflector{
		FieldNameTag:   "yaml",
		ExpandedStruct: true,
		CommentMap:     comments,
	}
	s := r.Reflect(&Config{})
	s.ID = SchemaID
	s.Title = "Shipgate policy (.shipgate.yml)"
	s.Description = "A repository's release policy: change records, approvals, release notes, semantic versions, freeze windows, hotfixes, tags and deployments. Shipgate reads it from the base branch. Reference: `shipgate policy schema`; check a file with `shipgate policy validate`."
	if err := refineSchema(s); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the policy schema: %w", err)
	}
	return append(out, '\n'), nil
}

// configComments maps "pkg.Type" and "pkg.Type.Field" to the doc comments
// of config.go, the form jsonschema.Reflector.CommentMap takes. A type's
// comment loses its leading "TypeName is", which means nothing to users.
func configComments() (map[string]string, error) {
	names, err := fs.Glob(configSources, "config*.go")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, name := range names {
		src, err := configSources.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if err := fileComments(name, src, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fileComments adds the doc comments of one Go file's types to out.
func fileComments(name string, src []byte, out map[string]string) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return err
	}
	pkg := reflect.TypeFor[Config]().PkgPath()
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			doc := ts.Doc
			if doc == nil && len(gd.Specs) == 1 {
				doc = gd.Doc
			}
			if text := schemaText(doc.Text()); text != "" {
				out[pkg+"."+ts.Name.Name] = dropFieldName(text, ts.Name.Name)
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, field := range st.Fields.List {
				text := field.Doc.Text()
				if text == "" {
					text = field.Comment.Text()
				}
				for _, name := range field.Names {
					if text != "" {
						out[pkg+"."+ts.Name.Name+"."+name.Name] = dropFieldName(schemaText(text), name.Name)
					}
				}
			}
		}
	}
	return nil
}

// schemaText joins a doc comment's lines into one paragraph.
func schemaText(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// dropFieldName turns a comment that starts with the Go type or field
// name ("Expires is how long…", "DismissStale: an approval…", "After names
// the…") into one that starts with what it says about the key.
func dropFieldName(text, name string) string {
	for _, sep := range []string{" is ", " are ", ": "} {
		if rest, ok := strings.CutPrefix(text, name+sep); ok {
			return capitalize(rest)
		}
	}
	if rest, ok := strings.CutPrefix(text, name+" "); ok {
		if verb, _, _ := strings.Cut(rest, " "); verb != "" && strings.HasSuffix(verb, "s") && verb == strings.ToLower(verb) {
			return capitalize(rest)
		}
	}
	return text
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// refineSchema adds the constraints the Go types cannot carry, taken from
// the same tables Compile uses.
func refineSchema(s *jsonschema.Schema) error {
	r := &refiner{s: s}
	r.refineRules()
	r.refineDeploy()
	for t := range lockableTypes {
		if def := s.Definitions[t.Name()]; def != nil && def.Properties != nil {
			def.Properties.Set(lockedKey, &jsonschema.Schema{Type: "boolean",
				Description: "In a base policy: a policy that extends it cannot weaken this (a stricter value is fine)."})
		} else {
			r.missing = append(r.missing, t.Name())
		}
	}
	if len(r.missing) > 0 {
		return fmt.Errorf("refining the policy schema: no %s in the generated schema", strings.Join(r.missing, ", "))
	}
	return nil
}

// refiner edits a generated schema, noting the definitions and properties
// it did not find.
type refiner struct {
	s       *jsonschema.Schema
	missing []string
}

// prop is the schema of property name of definition def ("Config": the
// root); a throwaway one, noted missing, when there is none.
func (r *refiner) prop(def, name string) *jsonschema.Schema {
	t := r.s
	if def != "Config" {
		t = r.s.Definitions[def]
	}
	if t == nil || t.Properties == nil {
		r.missing = append(r.missing, def)
		return &jsonschema.Schema{}
	}
	p, ok := t.Properties.Get(name)
	if !ok {
		r.missing = append(r.missing, def+"."+name)
		return &jsonschema.Schema{}
	}
	return p
}

func enum(values ...string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

func oneToMax(p *jsonschema.Schema) {
	p.Minimum = json.Number("1")
	p.Maximum = json.Number(fmt.Sprint(maxRequired))
}

func nonEmpty(p *jsonschema.Schema) {
	one := uint64(1)
	p.MinItems = &one
}

// refineRules constrains the keys of the pull-request rules.
func (r *refiner) refineRules() {
	var commandNames []string
	for _, c := range Commands {
		commandNames = append(commandNames, c.Name)
	}
	commands := r.prop("Config", "commands")
	commands.PropertyNames = &jsonschema.Schema{Enum: enum(commandNames...)}
	commands.AdditionalProperties = &jsonschema.Schema{Type: "string", Enum: enum(permissionNames[PermRead:]...)}

	labels := r.prop("SemverConfig", "labels")
	labels.PropertyNames = &jsonschema.Schema{Enum: enum(bumpNames...)}
	types := r.prop("SemverConfig", "types")
	types.PropertyNames = &jsonschema.Schema{Pattern: conventionalType.String()}
	types.AdditionalProperties = &jsonschema.Schema{Type: "string", Enum: enum(bumpNames...)}
	r.prop("SemverConfig", "pre_major_breaking").Enum = enum("major", "minor")
	r.prop("SemverConfig", "pre_major_features").Enum = enum("minor", "patch")
	r.prop("SemverConfig", "release_line_features").Enum = enum("error", "patch")
	r.prop("TitleConfig", "types").Items.Pattern = conventionalType.String()
	hide := r.prop("NotesConfig", "hide")
	hide.Items.Pattern = conventionalType.String()
	hide.UniqueItems = true

	sources := r.prop("ChangeRecordConfig", "sources")
	sources.Items.Enum = enum(changeRecordSources...)
	sources.UniqueItems = true
	nonEmpty(r.prop("ChangeRecordConfig", "patterns"))
	nonEmpty(r.prop("JiraVerifyConfig", "states"))
	nonEmpty(r.prop("ServiceNowVerifyConfig", "states"))
	r.prop("JiraVerifyConfig", "fields").PropertyNames = &jsonschema.Schema{Pattern: jiraFieldID.String()}

	oneToMax(r.prop("ApprovalConfig", "required"))
	nonEmpty(r.prop("ApprovalConfig", "any_of"))
	nonEmpty(r.prop("ApprovalConfig", "all_of"))
	r.prop("When", "authors_in").Items.Pattern = `^@[^/\s]+/\S+$`
	oneToMax(r.prop("OverrideConfig", "approvals"))
	nonEmpty(r.prop("OverrideConfig", "from"))
	nonEmpty(r.prop("FreezeConfig", "windows"))
	nonEmpty(r.prop("ChecksConfig", "required"))
	nonEmpty(r.prop("HotfixConfig", "branches"))
	r.prop("RequiredCheckConfig", "app").Pattern = appSlug.String()
	if rc := r.s.Definitions["RequiredCheckConfig"]; rc != nil {
		// A required check is also written as its bare name.
		object := *rc
		object.Description = ""
		one := uint64(1)
		*rc = jsonschema.Schema{Description: rc.Description, OneOf: []*jsonschema.Schema{{Type: "string", MinLength: &one}, &object}}
	} else {
		r.missing = append(r.missing, "RequiredCheckConfig")
	}
}

// refineDeploy constrains the deployment and notification keys.
func (r *refiner) refineDeploy() {
	oneToMax(r.prop("GateConfig", "required"))
	nonEmpty(r.prop("DeployConfig", "environments"))
	r.prop("EnvironmentConfig", "name").Pattern = envName.String()
	r.prop("WindowConfig", "environments").Items.Pattern = envName.String()
	r.prop("EnvironmentConfig", "on").Enum = enum("release")
	r.prop("GateConfig", "slack_channel").Pattern = slackChannel.String()
	r.prop("SlackConfig", "channel").Pattern = slackChannel.String()
	r.prop("SlackConfig", "users").AdditionalProperties = &jsonschema.Schema{Type: "string", Pattern: slackUserID.String()}
	if step := r.s.Definitions["StepConfig"]; step != nil {
		one := uint64(1)
		step.MinProperties, step.MaxProperties = &one, &one
	} else {
		r.missing = append(r.missing, "StepConfig")
	}
	expect := r.prop("HealthCheckStep", "expect")
	expect.Minimum, expect.Maximum = json.Number("100"), json.Number("599")
	retries := r.prop("HealthCheckStep", "retries")
	retries.Minimum, retries.Maximum = json.Number("0"), json.Number(fmt.Sprint(maxHealthRetries))
	r.prop("WebhookStep", "secret_env").Pattern = envVarName.String()
}
