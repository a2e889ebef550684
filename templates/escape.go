package templates

import "strings"

// User text — versions, reasons, PR titles, rejection reasons — reaches
// Slack messages and PR comments. These functions are the one place where
// it is made inert there; every template (and every Go caller that builds
// such text) uses them.

// entityEscaper escapes the characters that start an entity, a tag, a
// link or a mention: the three Slack asks to be escaped
// (https://api.slack.com/reference/surfaces/formatting#escaping), which
// are also those that open or close HTML in Markdown.
var entityEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Mrkdwn makes text inert in Slack mrkdwn. Slack reads `<` as the start of
// a link or a mention (`<!channel>`, `<@U…>`, `<https://…|label>`) and `&`
// as the start of an entity; escaped, `<!channel>` is shown as written and
// notifies nobody. Formatting characters (`*`, `_`, `~`, backticks) are
// left alone: they change how text looks, not whom it notifies or where it
// links.
func Mrkdwn(s string) string { return entityEscaper.Replace(s) }

// inertEscaper adds to entityEscaper what lets text close a code span or a
// table cell, or start a block of its own.
var inertEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"`", "&#96;", "|", "&#124;",
	"\r\n", " ", "\n", " ", "\r", " ",
)

// Inert makes text safe to put into a GitHub or GitLab Markdown comment
// outside a code span: it cannot open or close HTML (`</code>`,
// `</details>`), start an HTML comment (`<!--` would hide the rest of the
// comment, and `<!-- shipgate:summary -->` would fake Shipgate's marker),
// open or close a code span, break a table cell, or start a heading or a
// list on a line of its own. GitHub and GitLab show the entities as the
// characters the user typed.
func Inert(s string) string { return inertEscaper.Replace(s) }
