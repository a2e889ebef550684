package templates

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/shipgate/shipgate/policies"
)

// CommentMarker is the hidden first line of the sticky PR comment, by which
// Shipgate finds its own comment again.
const CommentMarker = "<!-- shipgate:summary -->"

//go:embed check.md.tmpl comment.md.tmpl reply.md.tmpl
var verdictFS embed.FS

// Names of the embedded verdict templates.
const (
	checkName   = "check.md.tmpl"
	commentName = "comment.md.tmpl"
	replyName   = "reply.md.tmpl"
)

// verdicts holds the three templates, parsed once; the check summary and
// the comment share the "rules" table defined in check.md.tmpl.
var verdicts = template.Must(template.New(checkName).Funcs(funcs()).Funcs(verdictFuncs()).
	ParseFS(verdictFS, checkName, commentName, replyName))

// ReportKind says what a Report is about.
type ReportKind string

// Report kinds.
const (
	// Evaluated: the policy was read and the change judged.
	Evaluated ReportKind = "evaluated"
	// NoPolicy: the base branch has no policy file.
	NoPolicy ReportKind = "no_policy"
	// InvalidPolicy: the policy file has errors (PolicyErrors).
	InvalidPolicy ReportKind = "invalid_policy"
	// Failed: Shipgate could not evaluate the change (Err says why).
	Failed ReportKind = "failed"
	// Withdrawn: the verdict Shipgate published on this commit for this
	// base no longer applies (Err says why: the change was retargeted or
	// closed), so it is replaced by a failure until a change from this
	// commit into the base is judged on its own.
	Withdrawn ReportKind = "withdrawn"
)

// Report is what the check-run summary and the sticky comment render. It
// knows no host: the adapter fills it from its Verdict and what it read.
type Report struct {
	Kind ReportKind
	// Host is the change's host ("" reads as GitHub): it names the
	// change (see Noun).
	Host policies.Host
	// Repo is "owner/name"; Number the PR or MR number.
	Repo   string
	Number int
	// HeadSHA is the commit judged; BaseBranch the branch the policy was
	// read from.
	HeadSHA    string
	BaseBranch string
	// PolicyFile is the policy's path (".shipgate.yml"); PolicyRevision
	// identifies its content (GitHub: the blob SHA).
	PolicyFile     string
	PolicyRevision string
	// Verdict is set for Evaluated.
	Verdict policies.Verdict
	// PolicyErrors are set for InvalidPolicy.
	PolicyErrors []*policies.FieldError
	// Err says why the evaluation failed (Failed).
	Err string
}

// Noun names the change as its host does: "merge request" on GitLab,
// "pull request" elsewhere.
func (r Report) Noun() string { return r.Host.ChangeNoun() }

// Counts returns how many rules pass, fail, wait and were skipped.
func (r Report) Counts() (pass, fail, wait, skipped int) {
	for _, res := range r.Verdict.Results {
		switch res.Status {
		case policies.Pass:
			pass++
		case policies.Fail:
			fail++
		case policies.Wait:
			wait++
		default:
			skipped++
		}
	}
	return pass, fail, wait, skipped
}

// Title is the report's one-line summary, e.g. "2 of 5 rules need work:
// change_record, approvals" (the check run's title).
func (r Report) Title() string {
	switch r.Kind {
	case NoPolicy:
		return "No Shipgate policy on " + r.BaseBranch
	case InvalidPolicy:
		return fmt.Sprintf("The policy %s is invalid (%s)", r.PolicyFile, plural(len(r.PolicyErrors), "error"))
	case Failed:
		return "Shipgate could not evaluate this " + r.Noun()
	case Withdrawn:
		return fmt.Sprintf("No verdict for %s: #%d %s", r.BaseBranch, r.Number, r.Err)
	}
	v := r.Verdict
	if !v.Gated {
		return "Base branch " + r.BaseBranch + " is not gated: nothing to check"
	}
	pass, fail, wait, skipped := r.Counts()
	total := pass + fail + wait + skipped
	switch v.Conclusion {
	case policies.Success:
		return fmt.Sprintf("All %s hold", plural(pass, "applicable rule"))
	case policies.Failure:
		return fmt.Sprintf("%d of %d rules need work: %s", fail, total, strings.Join(r.names(policies.Fail), ", "))
	default:
		return fmt.Sprintf("Waiting on %s", strings.Join(r.names(policies.Wait), ", "))
	}
}

// names lists the names of the results with status s.
func (r Report) names(s policies.Status) []string {
	var out []string
	for _, res := range r.Verdict.Results {
		if res.Status == s {
			out = append(out, res.Name)
		}
	}
	return out
}

// CheckSummary renders the check run's Markdown summary: a table of the
// rules with what to do, or what is wrong with the policy.
func CheckSummary(w io.Writer, r Report) error {
	if err := verdicts.ExecuteTemplate(w, checkName, r); err != nil {
		return fmt.Errorf("rendering the check summary: %w", err)
	}
	return nil
}

// Comment renders the sticky PR comment: CommentMarker first, then the
// conclusion, a table of the rules with what to do, and collapsed details.
func Comment(w io.Writer, r Report) error {
	if err := verdicts.ExecuteTemplate(w, commentName, r); err != nil {
		return fmt.Errorf("rendering the summary comment: %w", err)
	}
	return nil
}

// Refusal is one command that was not carried out, and why.
type Refusal struct {
	// Command is the command as given, e.g. "/approve".
	Command string
	// Reason says why, and what would work.
	Reason string
}

// HelpEntry is one line of the /help answer.
type HelpEntry struct {
	// Command is the name without its slash; Args the synopsis.
	Command, Args string
	// Who may give it, e.g. "write access, or the author".
	Who  string
	Help string
}

// Synopsis is the command as typed, e.g. "/approve [cancel]".
func (h HelpEntry) Synopsis() string {
	if h.Args == "" {
		return "/" + h.Command
	}
	return "/" + h.Command + " " + h.Args
}

// Reply is the one answer to a comment whose commands were refused,
// unknown, or asked for help.
type Reply struct {
	// Actor is the commenter's login.
	Actor    string
	Refusals []Refusal
	// Done are accepted commands with something to report (a deployment
	// started); Reason holds the report.
	Done []Refusal
	// Help is set when /help was given.
	Help []HelpEntry
}

// RenderReply renders the answer to a comment's commands.
func RenderReply(w io.Writer, r Reply) error {
	if err := verdicts.ExecuteTemplate(w, replyName, r); err != nil {
		return fmt.Errorf("rendering the command reply: %w", err)
	}
	return nil
}

// String renders with fn into a string, for callers that post the text.
func String[T any](fn func(io.Writer, T) error, data T) (string, error) {
	var buf bytes.Buffer
	if err := fn(&buf, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// verdictFuncs are the functions of the verdict templates:
//   - icon maps a rule status or a conclusion to an emoji;
//   - cell makes a string safe for one Markdown table cell;
//   - inert makes user text safe anywhere outside a code span (Inert);
//   - short shortens a commit SHA to 7 characters;
//   - code wraps a string in backticks, longer ones when it holds some.
func verdictFuncs() template.FuncMap {
	return template.FuncMap{
		"icon":  icon,
		"cell":  cell,
		"short": short,
		"code":  code,
		"quote": quote,
		"inert": Inert,
	}
}

// quote renders user text as a Markdown block quote indented by n spaces
// (to sit in a list item): every line starts with "> ", so no line of it
// can be read as a comment command, and its HTML is escaped, so that it
// can neither close the comment's markup (`</details>`), hide the rest of
// it (`<!--`) nor fake CommentMarker.
func quote(n int, s string) string {
	s = entityEscaper.Replace(strings.ReplaceAll(s, "\r\n", "\n"))
	pad := strings.Repeat(" ", n) + "> "
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

func icon(status any) string {
	switch fmt.Sprint(status) {
	case string(policies.Pass), string(policies.Success):
		return "✅"
	case string(policies.Fail), string(policies.Failure):
		return "❌"
	case string(policies.Wait):
		return "⏳"
	default:
		return "➖"
	}
}

// cell escapes pipes and folds line breaks so that text stays in its cell,
// and escapes HTML so that user text quoted in a rule's message (a PR
// title, a label) cannot open a comment or close the table's markup.
// Backticks stay: messages quote values in code spans.
func cell(s string) string {
	s = entityEscaper.Replace(s)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "<br>")
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

func code(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
