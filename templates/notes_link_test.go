package templates

import (
	"bytes"
	"testing"

	"github.com/shipgate/shipgate/internal/golden"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// TestNotesLinked renders notes whose PRs and authors Notes.Link linked,
// as the Action and the bot publish them.
func TestNotesLinked(t *testing.T) {
	n := release.BuildNotes("v1.3.0", "v1.2.3", noteDate, []policies.Commit{
		{SHA: "4444444aaaa", Message: "feat(ui): dark mode", PR: 12, Author: policies.Actor{Login: "alice"}},
		{SHA: "3333333aaaa", Message: "fix: export to CSV", AuthorName: "Bob Builder"},
	}, release.Override{PR: 12, Text: "Dark mode follows the system setting."})
	n.Link("https://github.com/", "acme/widgets")
	var buf bytes.Buffer
	if err := Notes(&buf, n); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "notes_linked.md", buf.Bytes())
}
