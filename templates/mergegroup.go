package templates

import (
	"embed"
	"fmt"
	"io"
	"strings"
	"text/template"
)

//go:embed mergegroup.md.tmpl
var groupFS embed.FS

// groupName is the embedded merge-group summary template's name.
const groupName = "mergegroup.md.tmpl"

// group is the merge-group summary, parsed once.
var group = template.Must(template.New(groupName).Funcs(funcs()).Funcs(verdictFuncs()).
	Funcs(template.FuncMap{"groupIcon": groupIcon}).ParseFS(groupFS, groupName))

// MergeGroupReport is a merge queue group judged as a whole: each of its
// pull requests under the policy of the group's base, now. It is what the
// bot's check run on the group's head commit and the Action's job summary
// render.
type MergeGroupReport struct {
	// Repo is "owner/name"; Base the branch the group merges into;
	// HeadSHA the group's commit the verdict is published on.
	Repo    string
	Base    string
	HeadSHA string
	// Conclusion is the group's: success only when every member passes,
	// pending when one waits and none fails, neutral when the base has no
	// policy, failure otherwise.
	Conclusion string
	// Reason says why the group fails without (or beside) a verdict per
	// pull request: its pull requests could not be named, or judged.
	Reason string
	// Members are the group's pull requests in number order.
	Members []GroupMember
}

// GroupMember is one pull request of a merge group and its verdict.
type GroupMember struct {
	Number int
	// Title is the pull request's title.
	Title string
	// Conclusion is success, failure, pending or neutral.
	Conclusion string
	// Summary is the verdict's one-line title, or why there is none.
	Summary string
}

// Title is the report's one-line summary (the check run's title and the
// commit status's description), e.g. "1 of 3 pull requests fail: #12".
func (r MergeGroupReport) Title() string {
	if r.Reason != "" {
		return "Shipgate cannot pass this merge group: " + r.Reason
	}
	n := len(r.Members)
	switch r.Conclusion {
	case "success":
		if n == 1 {
			return "The merge group's pull request passes"
		}
		return fmt.Sprintf("All %d pull requests of the merge group pass", n)
	case "neutral":
		return "No Shipgate policy on " + r.Base
	case "pending":
		return "Waiting on " + r.numbers("pending")
	}
	failing := r.numbers("failure")
	if failing == "" {
		return "The merge group fails"
	}
	return fmt.Sprintf("%d of %s fail: %s", strings.Count(failing, "#"), plural(n, "pull request"), failing)
}

// numbers lists the members with a conclusion, as "#12, #14".
func (r MergeGroupReport) numbers(conclusion string) string {
	var out []string
	for _, m := range r.Members {
		if m.Conclusion == conclusion {
			out = append(out, fmt.Sprintf("#%d", m.Number))
		}
	}
	return strings.Join(out, ", ")
}

// MergeGroupSummary renders the merge group's Markdown summary: the
// group's conclusion and a table of its pull requests with their verdicts.
func MergeGroupSummary(w io.Writer, r MergeGroupReport) error {
	if err := group.ExecuteTemplate(w, groupName, r); err != nil {
		return fmt.Errorf("rendering the merge group summary: %w", err)
	}
	return nil
}

// groupIcon maps a conclusion to an emoji; pending waits.
func groupIcon(conclusion string) string {
	if conclusion == "pending" {
		return "⏳"
	}
	return icon(conclusion)
}
