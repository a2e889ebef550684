package gitlab

import (
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/policies"
)

// linesOf counts the lines an MR adds and deletes in its diffs; nil when a
// diff is not there to count (GitLab leaves out the text of a diff too
// large or collapsed), so that `changed_lines` waits instead of guessing.
func linesOf(diffs []*gl.MergeRequestDiff) *policies.LineCount {
	var n policies.LineCount
	for _, d := range diffs {
		if d.TooLarge || d.Collapsed {
			return nil
		}
		add, del := countDiff(d.Diff)
		n.Additions += add
		n.Deletions += del
	}
	return &n
}

// countDiff counts the added and deleted lines of a unified diff's hunks;
// lines before the first hunk (file headers) are not content.
func countDiff(diff string) (add, del int) {
	inHunk := false
	for rest := diff; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		switch {
		case strings.HasPrefix(line, "@@"):
			inHunk = true
		case !inHunk:
		case strings.HasPrefix(line, "+"):
			add++
		case strings.HasPrefix(line, "-"):
			del++
		}
	}
	return add, del
}
