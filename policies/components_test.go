package policies

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// monorepoPolicy has three components: two by paths (one with a scope
// too) and one by scope only.
const monorepoPolicy = `version: 1
semver:
  labels: {major: "semver:major", minor: "semver:minor", patch: "semver:patch", none: "semver:none"}
  conventional_title: true
components:
  - name: api
    paths: ["services/api/**"]
    tag_prefix: api/v
  - name: web
    paths: ["apps/web/**"]
    semver: {initial: 1.0.0}
  - name: docs
    scopes: [docs-site]
    notes: {hide: []}
deploy:
  environments:
    - {name: api-staging, on: release, component: api, steps: [{wait: 1m}]}
    - {name: api-production, after: api-staging, component: api, steps: [{wait: 1m}]}
    - {name: web-staging, on: release, component: web, steps: [{wait: 1m}]}
    - {name: staging, on: release, steps: [{wait: 1m}]}
`

func TestComponentsCompile(t *testing.T) {
	p := mustLoad(t, monorepoPolicy)
	if got := strings.Join(p.ComponentNames(), ","); got != "api,web,docs" {
		t.Fatalf("components %s", got)
	}
	web, _ := p.Component("WEB")
	if web.Release.TagPrefix != "web/v" || web.Release.Initial != "1.0.0" || web.Release.Component != web {
		t.Errorf("web's release settings: prefix %q, initial %q, component %p (want %p)", web.Release.TagPrefix, web.Release.Initial, web.Release.Component, web)
	}
	docs, _ := p.Component("docs")
	if len(docs.Release.NotesHide) != 0 || len(p.Release.NotesHide) == 0 {
		t.Errorf("docs hides %v, the repository %v: a component's notes key is its own", docs.Release.NotesHide, p.Release.NotesHide)
	}
	if p.Release.Component != nil || p.Release.TagPrefix != "v" {
		t.Errorf("the repository's own line changed: %+v", p.Release)
	}
	if _, err := Load("p.yml", []byte("version: 1\ncomponents:\n  - {name: v2, paths: [v2/**]}\n")); err != nil {
		t.Errorf("a component v2 (tags v2/v1.0.0) beside tags v1.0.0: %v", err)
	}
	if _, ok := p.Component("nope"); ok {
		t.Error("an unknown component was found")
	}
}

func TestComponentsInvalid(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"a component without a name",
			"components:\n  - paths: [a/**]\n", `p.yml:3:5: components[0].name: missing`},
		{"a name that cannot be written in a label",
			"components:\n  - {name: 'a:b', paths: [a/**]}\n", `components[0].name: "a:b" is not a component name`},
		{"two components of one name, compared without case",
			"components:\n  - {name: api, paths: [a/**]}\n  - {name: API, paths: [b/**]}\n", `components[1].name: duplicate component "API" (also components[0]`},
		{"neither paths nor scopes",
			"components:\n  - {name: api}\n", `components[0]: component "api" has neither paths nor scopes`},
		{"a bad glob",
			"components:\n  - {name: api, paths: ['a/[']}\n", `components[0].paths[0]: invalid glob`},
		{"a scope with a comma",
			"components:\n  - {name: api, scopes: ['a,b']}\n", `components[0].scopes[0]: "a,b" is not a scope`},
		{"two components share a tag prefix",
			"components:\n  - {name: api, paths: [a/**], tag_prefix: x/v}\n  - {name: web, paths: [b/**], tag_prefix: x/v}\n", `p.yml:4:44: components[1].tag_prefix: tag prefix "x/v" is also that of components[0]`},
		{"a component takes the repository's tag prefix",
			"components:\n  - {name: api, paths: [a/**], tag_prefix: v}\n", `tag prefix "v" is also that of tags.prefix`},
		{"an empty tag prefix would take every tag",
			"components:\n  - {name: api, paths: [a/**], tag_prefix: ''}\n", `components[0].tag_prefix: "" is not a usable component tag prefix`},
		{"a prefix whose tags would be another line's versions",
			"tags: {prefix: ''}\ncomponents:\n  - {name: api, paths: [a/**], tag_prefix: '2'}\n", `components[0].tag_prefix: tag prefix "2" starts with "" (tags.prefix) followed by a digit`},
		{"one component's prefix and a digit make another's",
			"components:\n  - {name: api, paths: [a/**], tag_prefix: x/}\n  - {name: web, paths: [b/**], tag_prefix: x/1.}\n", `components[1].tag_prefix: tag prefix "x/1." starts with "x/" (components[0]) followed by a digit`},
		{"a bad bump in a component's types",
			"components:\n  - {name: api, paths: [a/**], semver: {types: {docs: huge}}}\n", `components[0].semver.types.docs: "huge" is not allowed; allowed values: major, minor, patch, none`},
		{"a bad initial version",
			"components:\n  - {name: api, paths: [a/**], semver: {initial: v1}}\n", `components[0].semver.initial: "v1" is not a strict semantic version`},
		{"a bad hidden type",
			"components:\n  - {name: api, paths: [a/**], notes: {hide: [Docs]}}\n", `components[0].notes.hide[0]: "Docs" is not a conventional-commit type`},
		{"an environment names an unknown component",
			"components:\n  - {name: api, paths: [a/**]}\ndeploy:\n  environments:\n    - {name: s, on: release, component: web, steps: [{wait: 1m}]}\n",
			`deploy.environments[0].component: "web" is not a component of this policy; allowed values: api`},
		{"an environment of one component after another's",
			"components:\n  - {name: api, paths: [a/**]}\ndeploy:\n  environments:\n    - {name: s, on: release, component: api, steps: [{wait: 1m}]}\n    - {name: p, after: s, steps: [{wait: 1m}]}\n",
			`environment "p" deploys the repository's own tags but comes after "s", which deploys component "api"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("p.yml", []byte("version: 1\n"+tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %s", err, tc.want)
			}
		})
	}
}

func TestReleaseOfATag(t *testing.T) {
	p := mustLoad(t, monorepoPolicy+"  # end\n")
	for tag, want := range map[string]string{
		"api/v1.4.0":    "component api",
		"api/v1.4":      "component api", // its line reports the bad version
		"web/v2.0.0-rc": "component web",
		"docs/v0.1.0":   "component docs",
		"v1.2.3":        "the repository",
		"apiv1.0.0":     "the repository",
	} {
		if got := p.ReleaseOf(tag).LineName(); got != want {
			t.Errorf("ReleaseOf(%s) is %s, want %s", tag, got, want)
		}
	}
	envs := func(tag string) string {
		var names []string
		for _, e := range p.ReleaseEnvironments(tag) {
			names = append(names, e.Name)
		}
		return strings.Join(names, ",")
	}
	for tag, want := range map[string]string{
		"api/v1.4.0":  "api-staging", // api-production follows it
		"web/v1.0.0":  "web-staging",
		"v1.0.0":      "staging",
		"docs/v1.0.0": "",
	} {
		if got := envs(tag); got != want {
			t.Errorf("a release of %s starts [%s], want [%s]", tag, got, want)
		}
	}
}

func TestComponentOwnsCommits(t *testing.T) {
	p := mustLoad(t, monorepoPolicy)
	api, _ := p.Component("api")
	docs, _ := p.Component("docs")
	for _, tc := range []struct {
		name string
		k    *Component
		c    Commit
		want bool
	}{
		{"a commit changing the component's file", api, Commit{Message: "fix: x", Paths: []string{"services/api/main.go"}}, true},
		{"a commit changing another component's file", api, Commit{Message: "feat: x", Paths: []string{"apps/web/app.ts"}}, false},
		{"a commit of unread files counts, so that a bump is never too small", api, Commit{Message: "feat: x"}, true},
		{"a commit changing no file (a merge) is nobody's", api, Commit{Message: "Merge", Paths: []string{}}, false},
		{"a commit whose scope names the component", docs, Commit{Message: "feat(docs-site): new page", Paths: []string{"x"}}, true},
		{"a scope compares without case, in a list", docs, Commit{Message: "fix(api, Docs-Site): typo"}, true},
		{"another scope", docs, Commit{Message: "fix(api): typo"}, false},
		{"a scope-only component never takes an unread commit", docs, Commit{Message: "feat: x"}, false},
	} {
		if got := tc.k.Owns(tc.c); got != tc.want {
			t.Errorf("%s: Owns = %v, want %v", tc.name, got, tc.want)
		}
	}
	all := []Commit{{SHA: "1", Message: "feat: a", Paths: []string{"services/api/a"}}, {SHA: "2", Message: "fix: b", Paths: []string{"apps/web/b"}}}
	if got := api.Release.Own(all); len(got) != 1 || got[0].SHA != "1" {
		t.Errorf("api's own commits: %+v", got)
	}
	if got := p.Release.Own(all); len(got) != 2 {
		t.Errorf("the repository's own line keeps every commit, got %+v", got)
	}
}

// TestComponentSemverRows is the PR check of a monorepo: one semver row
// per component the change touches, with its bump, and the attacks on it.
func TestComponentSemverRows(t *testing.T) {
	p := mustLoad(t, monorepoPolicy)
	pr := func(title string, labels []string, files ...string) *Change {
		c := &Change{Title: title, Labels: labels, BaseBranch: "main", Files: []File{}}
		for _, f := range files {
			c.Files = append(c.Files, File{Path: f, Status: "modified"})
		}
		return c
	}
	const api, web, readme = "services/api/h.go", "apps/web/a.ts", "README.md"
	for _, tc := range []struct {
		name string
		c    *Change
		want string // the semver rows, "name status: message" joined by " | "
	}{
		{"one component, the title declares its bump",
			pr("feat(api): add export", nil, api),
			"semver (api) pass: api (api/v…): minor, from title type feat"},
		{"one component, its own label declares it",
			pr("Add export", []string{"semver:api:minor"}, api),
			"semver (api) pass: api (api/v…): minor, from label semver:api:minor"},
		{"one component, its label and the title disagree",
			pr("fix(api): x", []string{"semver:api:minor"}, api),
			"semver (api) fail: api: conflicting bumps: label semver:api:minor says minor, title type fix says patch; keep one"},
		{"one component, a breaking title against a patch label",
			pr("feat(api)!: drop v1", []string{"semver:api:patch"}, api),
			"semver (api) fail: api: conflicting bumps"},
		{"two components, a label each",
			pr("feat: export everywhere", []string{"semver:api:minor", "semver:WEB:patch"}, api, web),
			"semver (api) pass: api (api/v…): minor, from label semver:api:minor | semver (web) pass: web (web/v…): patch, from label semver:WEB:patch"},
		{"two components with only a title: the title cannot speak for both",
			pr("feat(api): export", nil, api, web),
			"semver (api) fail: this change touches component api but declares no bump for it: add one label of semver:api:major, semver:api:minor, semver:api:patch, semver:api:none (or comment `/semver api major|minor|patch|none`) (it touches several components, so each needs its own label) | semver (web) fail: this change touches component web"},
		{"two components, one label missing",
			pr("x", []string{"semver:api:minor"}, api, web),
			"semver (api) pass: api (api/v…): minor, from label semver:api:minor | semver (web) fail: this change touches component web but declares no bump"},
		{"two components, the plain label does not stand in for either",
			pr("x", []string{"semver:minor"}, api, web),
			"semver (api) fail: this change touches component api but declares no bump for it"},
		{"a label for an untouched component declares nothing for the touched one",
			pr("x", []string{"semver:web:major"}, api),
			"semver (api) fail: this change touches component api but declares no bump for it: add one label of semver:api:major, semver:api:minor, semver:api:patch, semver:api:none (or comment `/semver api major|minor|patch|none`), or a conventional title such as `feat(api): add X`"},
		{"a file moved out of a component still touches it",
			&Change{Title: "refactor: move", Labels: []string{"semver:api:none"}, Files: []File{{Path: "lib/h.go", PreviousPath: api, Status: "renamed"}}},
			"semver (api) pass: api (api/v…): none, from label semver:api:none | semver pass: bump: none"},
		{"a component file and a file of no component: both lines are asked",
			pr("fix(api): x", nil, api, readme),
			"semver (api) pass: api (api/v…): patch, from title type fix | semver pass: bump: patch"},
		{"no component touched: the repository's rule as before",
			pr("fix: x", nil, readme),
			"semver pass: bump: patch"},
		{"a scope names a component without its files",
			pr("feat(docs-site): new page", nil, readme),
			"semver (docs) pass: docs (docs/v…): minor, from title type feat | semver pass: bump: minor"},
		{"/semver NAME BUMP declares a component's bump and wins over its labels, as /semver does",
			withComments(pr("x", []string{"semver:api:patch", "semver:web:patch"}, api, web), "/semver api minor", "/semver web"),
			"semver (api) pass: api (api/v…): minor, from /semver by @alice | semver (web) pass: web (web/v…): patch, from label semver:web:patch"},
		{"unread files: which components are touched is not known",
			&Change{Title: "feat(api): x"},
			"semver pending: which components this change touches is not known: the changed files were not read"},
		{"a file list cut short by the host waits",
			&Change{Title: "feat(api): x", Files: []File{{Path: api}}, Incomplete: map[Facts]string{NeedFiles: "GitHub lists at most 3000 files"}},
			"semver pending: which components this change touches is not known: GitHub lists at most 3000 files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Evaluate(p, tc.c, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
			var rows []string
			for _, r := range v.Results {
				if r.Rule == "semver" {
					rows = append(rows, r.Name+" "+string(r.Status)+": "+r.Message)
				}
			}
			got := strings.Join(rows, " | ")
			if !strings.HasPrefix(got, tc.want) && !containsAllParts(got, tc.want) {
				t.Errorf("rows:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// containsAllParts reports whether each " | "-separated part of want
// starts the matching row of got.
func containsAllParts(got, want string) bool {
	g, w := strings.Split(got, " | "), strings.Split(want, " | ")
	if len(g) != len(w) {
		return false
	}
	for i := range w {
		if !strings.HasPrefix(g[i], w[i]) {
			return false
		}
	}
	return true
}

func TestComponentNeeds(t *testing.T) {
	p := mustLoad(t, monorepoPolicy)
	if n := p.Needs(); !n.Has(NeedFiles | NeedCommits) {
		t.Errorf("a policy with components by paths and scopes needs %s", n)
	}
}

// withComments adds comments by alice, a minute apart, to c.
func withComments(c *Change, bodies ...string) *Change {
	for i, b := range bodies {
		c.Comments = append(c.Comments, comment("alice", b, time.Date(2026, 11, 2, 9, i, 0, 0, time.UTC)))
	}
	return c
}

func TestParseComponentSemver(t *testing.T) {
	for args, want := range map[string]string{
		"api minor": "api minor true", "web  MAJOR": "web major true", "minor": "  false",
		"api huge": "api huge false", "a:b minor": "  false", "api minor extra": "  false",
	} {
		name, b, ok := ParseComponentSemver(args)
		if got := fmt.Sprintf("%s %s %v", name, b, ok); got != want {
			t.Errorf("ParseComponentSemver(%q) = %s, want %s", args, got, want)
		}
	}
}

// TestTouchedComponentsByDirectoryAgreeWithEveryFile: the directory memo
// of tree-only components gives what reading every file gives, including
// a file named as a component's directory beside its siblings.
func TestTouchedComponentsByDirectoryAgreeWithEveryFile(t *testing.T) {
	p := mustLoad(t, "version: 1\nsemver: {conventional_title: true}\ncomponents:\n"+
		"  - {name: api, paths: [\"services/api/**\"]}\n  - {name: svc, paths: [\"services/**\"]}\n  - {name: web, paths: [\"apps/web/**\", \"apps/shared/**\"]}\n")
	if !treesOnly(p.Components) {
		t.Fatal("the components are trees")
	}
	paths := []string{"services/api", "services/x", "services/api/a.go", "services/api/b.go", "apps/web/a.ts", "apps/web", "apps/x", "README", "apps/shared/s.ts", "other/services/api/z"}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var files []File
		for n := 1 + rnd.IntN(6); len(files) < n; {
			f := File{Path: paths[rnd.IntN(len(paths))]}
			if rnd.IntN(5) == 0 {
				f.PreviousPath = paths[rnd.IntN(len(paths))]
			}
			files = append(files, f)
		}
		s := &evaluation{p: p, c: &Change{Files: files}}
		got, gotOut := s.touchedComponents()
		hit := make([]bool, len(p.Components))
		wantOut := false
		for _, f := range files {
			for _, path := range []string{f.Path, f.PreviousPath} {
				if path == "" {
					continue
				}
				in := false
				for i := range p.Components {
					if matchAny(p.Components[i].Paths, path) {
						in, hit[i] = true, true
					}
				}
				wantOut = wantOut || !in
			}
		}
		var want []*Component
		for i := range p.Components {
			if hit[i] {
				want = append(want, &p.Components[i])
			}
		}
		if !slices.Equal(got, want) || gotOut != wantOut {
			t.Fatalf("files %+v: touched %v outside %v, want %v %v", files, names(got), gotOut, names(want), wantOut)
		}
	}
}

func names(ks []*Component) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.Name)
	}
	return out
}
