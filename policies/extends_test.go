package policies

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// org is the source the tests' repository policies extend.
const orgRef = "acme/.github:shipgate.yml@main"

// files is a resolver over an in-memory set of base policies.
func files(m map[string]string) Resolver {
	return func(src Source) ([]byte, error) {
		data, ok := m[src.String()]
		if !ok {
			return nil, fmt.Errorf("%s: not found", src)
		}
		return []byte(data), nil
	}
}

// repoSrc is where the repository's own policy is read.
var repoSrc = Source{Repo: "acme/api", Path: ".shipgate.yml", Ref: "main"}

// loadOver loads repo's policy over the org base.
func loadOver(t *testing.T, base, repo string) (*Policy, error) {
	t.Helper()
	p, ext, err := LoadExtended(".shipgate.yml", repoSrc, []byte("extends: "+orgRef+"\n"+repo), files(map[string]string{orgRef: base}))
	if err == nil && (len(ext.Bases) != 1 || ext.Bases[0].String() != orgRef) {
		t.Errorf("bases %v, want [%s]", ext.Bases, orgRef)
	}
	return p, err
}

// mustLoadOver is loadOver failing the test on an error.
func mustLoadOver(t *testing.T, base, repo string) *Policy {
	t.Helper()
	p, err := loadOver(t, base, repo)
	if err != nil {
		t.Fatalf("LoadExtended: %v", err)
	}
	return p
}

func TestParseSource(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Source
		bad  string
	}{
		{in: "acme/.github:shipgate.yml@main", want: Source{Repo: "acme/.github", Path: "shipgate.yml", Ref: "main"}},
		{in: "acme/policies:teams/web.yml", want: Source{Repo: "acme/policies", Path: "teams/web.yml"}},
		{in: "group/sub/project:p.yml@v1.2.0", want: Source{Repo: "group/sub/project", Path: "p.yml", Ref: "v1.2.0"}},
		{in: "./base.yml", want: Source{Path: "base.yml"}},
		{in: "policies/base.yml", want: Source{Path: "policies/base.yml"}},
		{in: "", bad: "empty"},
		{in: "acme:x.yml", bad: "not a repository path"},
		{in: "acme/r:../x.yml", bad: "not a clean path"},
		{in: "acme/r:/etc/x.yml", bad: "not a clean path"},
		{in: "/etc/x.yml", bad: "not a clean path"},
		{in: "acme/r:x.yml@", bad: "not a branch"},
		{in: "acme/r:x.yml@a..b", bad: "not a branch"},
	} {
		got, err := ParseSource(tc.in)
		switch {
		case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
			t.Errorf("ParseSource(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.bad)
		case tc.bad == "" && (err != nil || got != tc.want):
			t.Errorf("ParseSource(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		case tc.bad == "" && got.String() != strings.TrimPrefix(tc.in, "./"):
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), tc.in)
		}
	}
}

// TestMergeRules holds one table per kind of key: the merged Config for a
// base and a repository's policy.
func TestMergeRules(t *testing.T) {
	base := `version: 1
branches: [main]
change_record:
  patterns: ['[A-Z]+-\d+']
  sections: [Reason, Rollback]
approvals:
  - name: reviewers
    required: 2
    from: ["@acme/release"]
  - name: dba
    when: {paths: ["db/**"]}
    from: ["@acme/dba"]
semver:
  labels: {major: "semver:major", minor: "semver:minor"}
  conventional_title: true
freeze:
  windows:
    - {name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z}
commands: {deploy: admin}
tags: {prefix: v, branches: [main]}
`
	for _, tc := range []struct {
		name, repo string
		check      func(t *testing.T, p *Policy)
	}{
		{"a repository without keys of its own gets the base whole", "", func(t *testing.T, p *Policy) {
			if len(p.Approvals) != 2 || p.Approvals[0].Required != 2 || p.ChangeRecord == nil || len(p.Freeze.Windows) != 1 {
				t.Errorf("approvals %+v, change record %+v, freeze %+v", p.Approvals, p.ChangeRecord, p.Freeze)
			}
		}},
		{"a scalar of the repository overrides the base's", "semver: {conventional_title: false}\n", func(t *testing.T, p *Policy) {
			if p.Semver == nil || p.Semver.ConventionalTitle {
				t.Errorf("semver %+v: conventional_title should be off", p.Semver)
			}
		}},
		{"a map is merged deeply: the repository's key is added, the base's kept", "semver: {labels: {patch: fix}}\n", func(t *testing.T, p *Policy) {
			want := map[Bump]string{BumpMajor: "semver:major", BumpMinor: "semver:minor", BumpPatch: "fix"}
			if !reflect.DeepEqual(p.Semver.Labels, want) {
				t.Errorf("labels %v, want %v", p.Semver.Labels, want)
			}
		}},
		{"a map key given in both is the repository's", "semver: {labels: {major: breaking}}\n", func(t *testing.T, p *Policy) {
			if p.Semver.Labels[BumpMajor] != "breaking" || p.Semver.Labels[BumpMinor] != "semver:minor" {
				t.Errorf("labels %v", p.Semver.Labels)
			}
		}},
		{"commands are merged per command", "commands: {release: admin}\n", func(t *testing.T, p *Policy) {
			if p.Commands["deploy"] != PermAdmin || p.Commands["release"] != PermAdmin {
				t.Errorf("commands %v", p.Commands)
			}
		}},
		{"an approval rule of the base's name is merged key by key", "approvals:\n  - name: dba\n    required: 2\n", func(t *testing.T, p *Policy) {
			if len(p.Approvals) != 2 || p.Approvals[1].Name != "dba" || p.Approvals[1].Required != 2 || len(p.Approvals[1].From) != 1 {
				t.Errorf("approvals %+v", p.Approvals)
			}
		}},
		{"an approval rule of a new name is added after the base's", "approvals:\n  - name: security\n    from: [\"@acme/sec\"]\n", func(t *testing.T, p *Policy) {
			if len(p.Approvals) != 3 || p.Approvals[2].Name != "security" || p.Approvals[0].Name != "reviewers" {
				t.Errorf("approvals %+v", p.Approvals)
			}
		}},
		{"freeze windows are merged by name", "freeze:\n  windows:\n    - {name: weekend, cron: \"0 16 * * FRI\", duration: 64h}\n", func(t *testing.T, p *Policy) {
			if len(p.Freeze.Windows) != 2 {
				t.Errorf("windows %+v", p.Freeze.Windows)
			}
		}},
		{"other lists are replaced whole: branches", "branches: [main, \"release/*\"]\n", func(t *testing.T, p *Policy) {
			if len(p.Branches) != 2 {
				t.Errorf("branches %v", p.Branches)
			}
		}},
		{"other lists are replaced whole: change_record.patterns", "change_record: {patterns: ['CHG\\d{7}']}\n", func(t *testing.T, p *Policy) {
			if len(p.ChangeRecord.Patterns) != 1 || p.ChangeRecord.Patterns[0].String() != `CHG\d{7}` || len(p.ChangeRecord.Sections) != 2 {
				t.Errorf("change record %+v", p.ChangeRecord)
			}
		}},
		{"a key only the repository gives is taken", "title: {types: [feat, fix]}\n", func(t *testing.T, p *Policy) {
			if p.Title == nil || len(p.Title.Types) != 2 {
				t.Errorf("title %+v", p.Title)
			}
		}},
		{"a pointer scalar given by the repository overrides", "tags: {prefix: \"\"}\n", func(t *testing.T, p *Policy) {
			if p.Release.TagPrefix != "" || len(p.Release.TagBranches) != 1 {
				t.Errorf("release %+v", p.Release)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, mustLoadOver(t, base, "version: 1\n"+tc.repo))
		})
	}
}

func TestErrorsNameTheFileOfTheValue(t *testing.T) {
	base := "version: 1\napprovals:\n  - name: reviewers\n    from: [\"not a login!\"]\n"
	_, err := loadOver(t, base, "version: 1\nsemver: {labels: {nope: x}}\n")
	fes := FieldErrors(err)
	if len(fes) != 2 {
		t.Fatalf("errors %v, want two", err)
	}
	got := map[string]string{}
	for _, fe := range fes {
		got[fe.Path] = fmt.Sprintf("%s:%d:%d", fe.File, fe.Line, fe.Column)
	}
	want := map[string]string{"approvals[0].from[0]": orgRef + ":4:12", `semver.labels.nope`: ".shipgate.yml:3:25"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors at %v, want %v (%v)", got, want, err)
	}
}

func TestABaseWithAnUnknownKeyIsReportedInTheBase(t *testing.T) {
	_, err := loadOver(t, "version: 1\nfrezee: {}\n", "version: 1\n")
	fes := FieldErrors(err)
	if len(fes) != 1 || fes[0].File != orgRef || fes[0].Line != 2 || !strings.Contains(fes[0].Msg, "freeze") {
		t.Errorf("error %v, want one in %s at line 2", err, orgRef)
	}
}

// lockedBase locks a rule, a key and a list of top-level keys.
const lockedBase = `version: 1
locked: [change_record]
branches: [main, "release/*"]
change_record:
  patterns: ['[A-Z]+-\d+']
approvals:
  - name: security
    locked: true
    required: 2
    from: ["@acme/security", alice]
    codeowners: true
  - name: docs
    from: [bob]
freeze:
  locked: true
  windows:
    - {name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z, branches: [main]}
  override: {approvals: 2, from: ["@acme/cab"]}
`

func TestLockedRulesAndKeys(t *testing.T) {
	for _, tc := range []struct {
		name, repo string
		// bad is "path: message part" of the one error; "" for none.
		bad string
		at  string // file:line:column of the repository's value
	}{
		{name: "a stricter required is fine", repo: "approvals:\n  - name: security\n    required: 3\n"},
		{name: "fewer approvers is fine", repo: "approvals:\n  - name: security\n    from: [\"@acme/security\"]\n"},
		{name: "a wider when is fine (none: everywhere)", repo: "approvals:\n  - name: docs\n    when: {paths: [\"docs/**\"]}\n"},
		{name: "an unlocked rule may be weakened", repo: "approvals:\n  - name: docs\n    from: [carol]\n"},
		{name: "a new rule and a new window are fine", repo: "approvals:\n  - name: qa\n    from: [dave]\nfreeze:\n  windows:\n    - {name: weekend, cron: \"0 16 * * FRI\", duration: 64h}\n"},
		{name: "more gated branches are fine", repo: "branches: [main, \"release/*\", develop]\n"},
		{name: "leaving a locked rule out keeps it (merged by name)", repo: "approvals: []\n"},
		{name: "a lower required is refused", repo: "approvals:\n  - name: security\n    required: 1\n",
			bad: "approvals[0].required: lowers required from 2 to 1", at: ".shipgate.yml:5:15"},
		{name: "an approver the base does not allow is refused", repo: "approvals:\n  - name: security\n    from: [mallory]\n",
			bad: "approvals[0].from: adds approvers the base does not allow: mallory", at: ".shipgate.yml:5:11"},
		{name: "an empty from (anyone) is refused", repo: "approvals:\n  - name: security\n    from: []\n",
			bad: "approvals[0].from: lets anyone approve", at: ".shipgate.yml:5:11"},
		{name: "turning codeowners off is refused", repo: "approvals:\n  - name: security\n    codeowners: false\n",
			bad: "approvals[0].codeowners: turns codeowners off", at: ".shipgate.yml:5:17"},
		{name: "letting the author approve is refused", repo: "approvals:\n  - name: security\n    allow_author: true\n",
			bad: "approvals[0].allow_author: turns allow_author on", at: ".shipgate.yml:5:19"},
		{name: "a when that narrows a locked rule is refused", repo: "approvals:\n  - name: security\n    when: {paths: [\"src/**\"]}\n",
			bad: "approvals[0].when.paths: limits the locked rule to paths src/**", at: ".shipgate.yml:5:19"},
		{name: "a when on changed lines that narrows a locked rule is refused", repo: "approvals:\n  - name: security\n    when: {changed_lines: {over: 5000}}\n",
			bad: "approvals[0].when.changed_lines: limits the locked rule by changed_lines", at: ".shipgate.yml:5:27"},
		{name: "a when with not that narrows a locked rule is refused", repo: "approvals:\n  - name: security\n    when: {not: {labels: [trivial]}}\n",
			bad: "approvals[0].when.not: limits the locked rule with not", at: ".shipgate.yml:5:17"},
		{name: "a when on titles that narrows a locked rule is refused", repo: "approvals:\n  - name: security\n    when: {title: ['^feat']}\n",
			bad: "approvals[0].when.title: limits the locked rule to title ^feat", at: ".shipgate.yml:5:19"},
		{name: "a when on team authors that narrows a locked rule is refused", repo: "approvals:\n  - name: security\n    when: {authors_in: ['@acme/interns']}\n",
			bad: "approvals[0].when.authors_in: limits the locked rule to authors_in @acme/interns", at: ".shipgate.yml:5:24"},
		{name: "alternatives in place of a locked rule are refused", repo: "approvals:\n  - name: security\n    any_of: [{required: 0}]\n",
			bad: "approvals[0].any_of: changes a locked value", at: ".shipgate.yml:5:13"},
		{name: "a narrower gated branches is refused (implied by any lock)", repo: "branches: [main]\n",
			bad: "branches: narrows branches: leaves out \"release/*\"", at: ".shipgate.yml:3:11"},
		{name: "a lowered command role is refused (implied by any lock)", repo: "commands: {approve: read}\n",
			bad: "commands.approve: lowers the role of /approve from write to read", at: ".shipgate.yml:3:21"},
		{name: "a raised command role is fine", repo: "commands: {approve: maintain}\n"},
		{name: "a hotfix that would replace the locked rules is refused (implied)", repo: "hotfix: {branches: [\"hotfix/*\"], approvals: {required: 1}}\n",
			bad: "hotfix: changes a locked value (the base has nothing)", at: ".shipgate.yml:3:9"},
		{name: "a key locked in the root list cannot change", repo: "change_record: {patterns: ['.*']}\n",
			bad: "change_record.patterns: changes a locked value", at: ".shipgate.yml:3:27"},
		{name: "a locked window may cover more branches", repo: "freeze:\n  windows:\n    - {name: year-end, branches: [main, x]}\n"},
		{name: "a locked window cannot cover other branches", repo: "freeze:\n  windows:\n    - {name: year-end, branches: [develop]}\n",
			bad: "freeze.windows[0].branches: narrows branches: leaves out \"main\"", at: ".shipgate.yml:5:34"},
		{name: "a locked window cannot move", repo: "freeze:\n  windows:\n    - {name: year-end, end: 2026-12-21T00:00:00Z}\n",
			bad: "freeze.windows[0].end: changes a locked value", at: ".shipgate.yml:5:29"},
		{name: "a locked override cannot take fewer approvals", repo: "freeze:\n  override: {approvals: 1}\n",
			bad: "freeze.override.approvals: lowers approvals from 2 to 1", at: ".shipgate.yml:4:25"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadOver(t, lockedBase, "version: 1\n"+tc.repo)
			if tc.bad == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			fes := FieldErrors(err)
			if len(fes) != 1 {
				t.Fatalf("errors %v, want one: %s", err, tc.bad)
			}
			fe := fes[0]
			if got := fe.Path + ": " + fe.Msg; !strings.HasPrefix(got, tc.bad) {
				t.Errorf("error %q, want it to start with %q", got, tc.bad)
			}
			if got := fmt.Sprintf("%s:%d:%d", fe.File, fe.Line, fe.Column); got != tc.at {
				t.Errorf("error at %s, want %s (%v)", got, tc.at, fe)
			}
			if !strings.Contains(fe.Msg, "the base policy "+orgRef+" locks") {
				t.Errorf("error %q does not name the base's lock", fe.Msg)
			}
		})
	}
}

func TestALockNamesItsLineAndColumnInTheBase(t *testing.T) {
	_, err := loadOver(t, lockedBase, "version: 1\napprovals:\n  - name: security\n    required: 1\n")
	want := ".shipgate.yml:5:15: approvals[0].required: lowers required from 2 to 1; the base policy " + orgRef +
		" locks it at 8:13 (a stricter value is fine)"
	if err == nil || err.Error() != want {
		t.Errorf("error\n %v\nwant\n %s", err, want)
	}
	_, err = loadOver(t, lockedBase, "version: 1\nbranches: [main]\n")
	if err == nil || !strings.Contains(err.Error(), "locks approvals[0], which locks this too") {
		t.Errorf("an implied lock does not say which lock implies it: %v", err)
	}
}

func TestALockedHotfixKeepsEveryChangeMergedBack(t *testing.T) {
	base := "version: 1\nhotfix:\n  locked: true\n  branches: [\"hotfix/*\"]\n  merge_back_to: main\n"
	_, err := loadOver(t, base, "version: 1\nhotfix:\n  merge_back_every_change: false\n")
	fes := FieldErrors(err)
	if len(fes) != 1 || fes[0].Path != "hotfix.merge_back_every_change" || !strings.Contains(fes[0].Msg, "turns merge_back_every_change off") {
		t.Fatalf("error %v, want hotfix.merge_back_every_change turned off refused", err)
	}
	p, err := loadOver(t, base, "version: 1\nhotfix:\n  merge_back_every_change: true\n")
	if err != nil || !p.Hotfix.MergeBackEveryChange {
		t.Fatalf("keeping it on: %v, %+v", err, p)
	}
	p, err = loadOver(t, "version: 1\nhotfix:\n  branches: [\"hotfix/*\"]\n  merge_back_to: main\n", "version: 1\nhotfix:\n  merge_back_every_change: false\n")
	if err != nil || p.Hotfix.MergeBackEveryChange {
		t.Fatalf("an unlocked base lets a repository turn it off: %v, %+v", err, p)
	}
}

func TestALockedTagsKeyKeepsReleasesReviewed(t *testing.T) {
	_, err := loadOver(t, "version: 1\ntags:\n  locked: true\n  reviewed: true\n", "version: 1\ntags:\n  reviewed: false\n")
	fes := FieldErrors(err)
	if len(fes) != 1 || fes[0].Path != "tags.reviewed" || !strings.Contains(fes[0].Msg, "turns reviewed off") {
		t.Fatalf("error %v, want tags.reviewed turned off refused", err)
	}
	if p, err := loadOver(t, "version: 1\ntags:\n  locked: true\n", "version: 1\ntags:\n  reviewed: true\n"); err != nil || !p.Release.Reviewed {
		t.Fatalf("turning it on under a lock: %v, %+v", err, p)
	}
}

func TestLocksHoldThroughAChainOfBases(t *testing.T) {
	team := "acme/policies:team.yml"
	bases := map[string]string{
		orgRef: lockedBase,
		team:   "version: 1\nextends: " + orgRef + "\napprovals:\n  - name: team\n    locked: true\n    from: [erin]\n",
	}
	for _, tc := range []struct{ name, repo, bad string }{
		{"the org's lock holds two levels down", "approvals:\n  - name: security\n    required: 1\n", "approvals[0].required"},
		{"the team's lock holds too, at its merged index", "approvals:\n  - name: team\n    from: [frank]\n", "approvals[2].from"},
		{"nothing weakened", "approvals:\n  - name: team\n    codeowners: true\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ext, err := LoadExtended(".shipgate.yml", repoSrc, []byte("version: 1\nextends: "+team+"\n"+tc.repo), files(bases))
			if got := fmt.Sprint(ext.Bases); got != "["+team+" "+orgRef+"]" {
				t.Errorf("bases %s", got)
			}
			fes := FieldErrors(err)
			switch {
			case tc.bad == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.bad == "" && len(p.Approvals) != 3:
				t.Errorf("approvals %+v", p.Approvals)
			case tc.bad != "" && (len(fes) != 1 || fes[0].Path != tc.bad):
				t.Errorf("errors %v, want one at %s", err, tc.bad)
			}
		})
	}
}

func TestExtendsCyclesDepthAndMissingBases(t *testing.T) {
	ref := func(i int) string { return fmt.Sprintf("acme/p:%d.yml", i) }
	chain := map[string]string{}
	for i := 0; i < 10; i++ {
		chain[ref(i)] = fmt.Sprintf("version: 1\nextends: %s\n", ref(i+1))
	}
	chain[ref(10)] = "version: 1\n"
	cycle := map[string]string{
		"acme/a:a.yml":  "version: 1\nextends: acme/b:b.yml\n",
		"acme/b:b.yml":  "version: 1\nextends: b2.yml\n", // a bare path: same repository
		"acme/b:b2.yml": "version: 1\nextends: acme/a:a.yml\n",
	}
	for _, tc := range []struct {
		name, extends string
		bases         map[string]string
		file, want    string
	}{
		{"a cycle through a bare path is refused", "acme/a:a.yml", cycle, "acme/b:b2.yml",
			"extends acme/a:a.yml, which is already in the chain acme/api:.shipgate.yml@main → acme/a:a.yml → acme/b:b.yml → acme/b:b2.yml → acme/a:a.yml: a cycle"},
		{"a policy extending itself is refused", "acme/api:.shipgate.yml@main", nil, ".shipgate.yml", "a cycle"},
		{"a chain deeper than the limit is refused", ref(0), chain, ref(4), "extends acme/p:5.yml beyond the limit of 5 bases"},
		{"a missing base fails closed and names it", "acme/gone:x.yml@main", nil, ".shipgate.yml",
			"cannot read the base policy acme/gone:x.yml@main: acme/gone:x.yml@main: not found"},
		{"a bad reference is refused", "acme:x", nil, ".shipgate.yml", "not a repository path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _, err := LoadExtended(".shipgate.yml", repoSrc, []byte("version: 1\nextends: "+tc.extends+"\n"), files(tc.bases))
			fes := FieldErrors(err)
			if p != nil || len(fes) != 1 {
				t.Fatalf("policy %v, errors %v; want one error", p, err)
			}
			if fes[0].File != tc.file || fes[0].Path != "extends" || fes[0].Line != 2 || !strings.Contains(fes[0].Msg, tc.want) {
				t.Errorf("error %v; want it in %s at extends: %s", fes[0], tc.file, tc.want)
			}
		})
	}
}

func TestLoadRefusesAnUnmergedExtends(t *testing.T) {
	_, err := Load(".shipgate.yml", []byte("version: 1\nextends: "+orgRef+"\n"))
	if fes := FieldErrors(err); len(fes) != 1 || fes[0].Path != "extends" || !strings.Contains(fes[0].Msg, "not merged") {
		t.Errorf("Load of a policy with extends: %v; want it refused (judging without the base would be weaker)", err)
	}
}

func TestLocalBasesAreRelativeToTheFile(t *testing.T) {
	var asked []string
	resolve := func(src Source) ([]byte, error) {
		asked = append(asked, src.String())
		if src.String() == "conf/shared/base.yml" {
			return []byte("version: 1\nbranches: [main]\n"), nil
		}
		return nil, errors.New("no such file")
	}
	p, _, err := LoadExtended("conf/.shipgate.yml", Source{Path: "conf/.shipgate.yml"}, []byte("version: 1\nextends: shared/base.yml\n"), resolve)
	if err != nil || len(p.Branches) != 1 {
		t.Fatalf("policy %+v, %v (asked %v)", p, err, asked)
	}
}

func TestLockedTakesOnlyBooleansAndTopLevelKeys(t *testing.T) {
	_, err := loadOver(t, "version: 1\nlocked: [approvals, nope]\nfreeze: {locked: yes please, windows: []}\n", "version: 1\n")
	fes := FieldErrors(err)
	if len(fes) != 1 || fes[0].File != orgRef || !strings.Contains(fes[0].Msg, "want true or false") {
		t.Errorf("errors %v", err)
	}
	_, err = loadOver(t, "version: 1\nlocked: [approvals, nope]\n", "version: 1\n")
	fes = FieldErrors(err)
	if len(fes) != 1 || fes[0].Path != "locked[1]" || !strings.Contains(fes[0].Msg, `"nope" is not a top-level key`) {
		t.Errorf("errors %v", err)
	}
}

// TestMergeRulesPerKey holds one table per key: a base, and what each
// repository policy merged over it gives.
func TestMergeRulesPerKey(t *testing.T) {
	type mergeCase struct {
		name, repo string
		check      func(t *testing.T, p *Policy)
	}
	for _, key := range []struct {
		key, base string
		cases     []mergeCase
	}{
		{"freeze", "version: 1\nfreeze:\n  windows:\n    - {name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z, branches: [main]}\n  override: {approvals: 2, from: [\"@acme/cab\"]}\n", []mergeCase{
			{"a window of the base's name is merged key by key", "freeze:\n  windows:\n    - {name: year-end, branches: [main, develop]}\n", func(t *testing.T, p *Policy) {
				w := p.Freeze.Windows
				if len(w) != 1 || len(w[0].Branches) != 2 || w[0].Start.IsZero() {
					t.Errorf("windows %+v", w)
				}
			}},
			{"override is a mapping: merged deeply", "freeze:\n  override: {approvals: 1}\n", func(t *testing.T, p *Policy) {
				if o := p.Freeze.Override; o == nil || o.Approvals != 1 || len(o.From) != 1 {
					t.Errorf("override %+v", o)
				}
			}},
		}},
		{"deploy", "version: 1\ndeploy:\n  environments:\n    - name: staging\n      on: release\n      steps: [{wait: 5m}]\n    - name: production\n      after: staging\n      approval: {required: 1, from: [\"@acme/sre\"]}\n      steps: [{wait: 15m}]\n", []mergeCase{
			{"an environment of the base's name is merged; its steps are replaced", "deploy:\n  environments:\n    - name: production\n      steps: [{wait: 1h}, {wait: 2h}]\n", func(t *testing.T, p *Policy) {
				if len(p.Deploy) != 2 || p.Deploy[1].Name != "production" || len(p.Deploy[1].Steps) != 2 || p.Deploy[1].Approval == nil || p.Deploy[1].After != "staging" {
					t.Errorf("deploy %+v", p.Deploy)
				}
			}},
			{"a new environment is added after the base's", "deploy:\n  environments:\n    - name: canary\n      after: production\n      steps: [{wait: 1m}]\n", func(t *testing.T, p *Policy) {
				if len(p.Deploy) != 3 || p.Deploy[2].Name != "canary" {
					t.Errorf("deploy %+v", p.Deploy)
				}
			}},
		}},
		{"notify", "version: 1\nnotify:\n  comment: always\n  slack: {channel: \"#releases\", users: {alice: U0ALICE}}\n", []mergeCase{
			{"slack.users is merged per login; channel overridden", "notify:\n  slack: {channel: \"#web\", users: {bob: U0BOB}}\n", func(t *testing.T, p *Policy) {
				if p.Notify.SlackChannel != "#web" || len(p.Notify.SlackUsers) != 2 || p.Notify.Comment != "always" {
					t.Errorf("notify %+v", p.Notify)
				}
			}},
		}},
		{"checks", "version: 1\nchecks:\n  required: [build, {name: test, app: github-actions}]\n", []mergeCase{
			{"required is a list: replaced whole", "checks:\n  required: [lint]\n", func(t *testing.T, p *Policy) {
				if len(p.Checks.Required) != 1 || p.Checks.Required[0].Name != "lint" {
					t.Errorf("checks %+v", p.Checks)
				}
			}},
		}},
		{"hotfix", "version: 1\nhotfix:\n  branches: [\"hotfix/*\"]\n  approvals: {required: 2, from: [\"@acme/sre\"]}\n", []mergeCase{
			{"hotfix.approvals is one rule, a mapping: merged deeply", "hotfix:\n  approvals: {required: 1}\n", func(t *testing.T, p *Policy) {
				if a := p.Hotfix.Approval; a == nil || a.Required != 1 || len(a.From) != 1 {
					t.Errorf("hotfix approvals %+v", a)
				}
			}},
		}},
	} {
		t.Run(key.key, func(t *testing.T) {
			for _, tc := range key.cases {
				t.Run(tc.name, func(t *testing.T) {
					tc.check(t, mustLoadOver(t, key.base, "version: 1\n"+tc.repo))
				})
			}
		})
	}
}

// A policy cannot make the machine that checks it read a file outside the
// repository (the CLI in CI holds tokens in its environment and files):
// an absolute extends fails at extends, and nothing is read.
func TestAttackExtendsCannotReadAnAbsolutePath(t *testing.T) {
	for _, includer := range []Source{{Path: ".shipgate.yml"}, {Repo: "acme/api", Path: ".shipgate.yml", Ref: "main"}} {
		var read []Source
		resolve := func(src Source) ([]byte, error) {
			read = append(read, src)
			return []byte("version: 1\n"), nil
		}
		_, _, err := LoadExtended(".shipgate.yml", includer, []byte("version: 1\nextends: /proc/self/environ\n"), resolve)
		if err == nil || !strings.Contains(err.Error(), ".shipgate.yml:2:10: extends: \"/proc/self/environ\" is not a clean path inside the repository") {
			t.Errorf("from %s: error %v, want one at extends", includer, err)
		}
		if len(read) > 0 {
			t.Errorf("from %s: read %v", includer, read)
		}
	}
}
