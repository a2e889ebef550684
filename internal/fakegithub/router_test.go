package fakegithub

import (
	"strings"
	"testing"
)

func TestPathTreeMatchesAsGitHubRoutes(t *testing.T) {
	var tree pathTree[string]
	for _, tpl := range []string{
		"/repos/{owner}/{repo}/pulls/{pull_number}",
		"/repos/{owner}/{repo}/pulls/comments",
		"/repos/{owner}/{repo}/commits/{commit_sha}/pulls",
		"/repos/{owner}/{repo}/commits/{ref...}/check-runs",
		"/repos/{owner}/{repo}/commits/{ref...}",
		"/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
		"/repos/{owner}/{repo}/compare/{base}...{head}",
	} {
		tree.add(tpl, tpl, nil)
	}
	for _, tc := range []struct {
		name, path, want, params string
	}{
		{"a literal segment wins over a parameter", "/repos/o/r/pulls/comments", "/repos/{owner}/{repo}/pulls/comments", "owner=o repo=r"},
		{"a parameter takes one segment", "/repos/o/r/pulls/7", "/repos/{owner}/{repo}/pulls/{pull_number}", "owner=o repo=r pull_number=7"},
		{"a multi-segment parameter spans slashes", "/repos/o/r/commits/feature/x/check-runs", "/repos/{owner}/{repo}/commits/{ref...}/check-runs", "owner=o repo=r ref=feature/x"},
		{"it takes as few segments as it can", "/repos/o/r/commits/abc/pulls", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls", "owner=o repo=r commit_sha=abc"},
		{"or all that are left", "/repos/o/r/commits/a/b/c", "/repos/{owner}/{repo}/commits/{ref...}", "owner=o repo=r ref=a/b/c"},
		{"an escaped slash stays in its segment", "/repos/o/r/issues/1/labels/do-not-merge%2Fhold", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", "owner=o repo=r issue_number=1 name=do-not-merge/hold"},
		{"an unescaped slash does not", "/repos/o/r/issues/1/labels/do-not-merge/hold", "", ""},
		{"a segment mixing text and parameters", "/repos/o/r/compare/v1.0.0...main", "/repos/{owner}/{repo}/compare/{base}...{head}", "owner=o repo=r base=v1.0.0 head=main"},
		{"an empty segment is no parameter", "/repos/o//pulls/1", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got, params string
			tree.match(splitPath(tc.path), func(v string, pp []pathParam) bool {
				got = v
				var parts []string
				for _, p := range pp {
					parts = append(parts, p.name+"="+p.value)
				}
				params = strings.Join(parts, " ")
				return true
			})
			equal(t, "template", got, tc.want)
			equal(t, "params", params, tc.params)
		})
	}
}
