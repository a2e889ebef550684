package changelog

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/golden"
)

var day = time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)

const notes130 = "## v1.3.0 (2026-11-22)\n\n### Features\n\n- export to CSV (#12) by @alice\n"

func TestSectionDropsTheNotesHeading(t *testing.T) {
	got := Section("1.3.0", day, notes130)
	want := "## [1.3.0] - 2026-11-22\n\n### Features\n\n- export to CSV (#12) by @alice\n"
	if got != want {
		t.Errorf("Section = %q, want %q", got, want)
	}
	if got := Section("1.3.0", day, "custom text\n"); got != "## [1.3.0] - 2026-11-22\n\ncustom text\n" {
		t.Errorf("Section of notes without heading = %q", got)
	}
}

func TestInsert(t *testing.T) {
	section := Section("1.3.0", day, notes130)
	tests := []struct {
		name     string
		existing string
		none     bool
	}{
		{name: "a new file gets the standard header", none: true},
		{name: "above the newest version, below the header and Unreleased",
			existing: Header + "\n## [Unreleased]\n\n- work in progress\n\n## [1.2.0] - 2026-10-01\n\n### Fixes\n\n- a fix\n\n[unreleased]: https://example.com/compare/v1.2.0...HEAD\n[1.2.0]: https://example.com/releases/v1.2.0\n"},
		{name: "below Unreleased when no version exists yet, above the link definitions",
			existing: Header + "\n## [Unreleased]\n\n- work in progress\n\n[unreleased]: https://example.com/compare/HEAD\n"},
		{name: "at the end of a header-only file", existing: "# Changelog\n"},
		{name: "above an older heading in another style", existing: "# Changes\n\n## v1.2.0 (2026-10-01)\n\n- old\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var existing []byte
			if !tt.none {
				existing = []byte(tt.existing)
			}
			out, changed, err := Insert(existing, "1.3.0", section, false)
			if err != nil || !changed {
				t.Fatalf("Insert: changed %v, err %v", changed, err)
			}
			golden.Assert(t, "insert_"+slug(tt.name), out)
			again, changed, err := Insert(out, "1.3.0", section, false)
			if err != nil || changed || string(again) != string(out) {
				t.Errorf("inserting the same version twice: changed %v, err %v", changed, err)
			}
		})
	}
}

func TestInsertConflict(t *testing.T) {
	existing := []byte(Header + "\n## [1.3.0] - 2026-11-22\n\n- other text\n\n## [1.2.0] - 2026-10-01\n\n- old\n")
	section := Section("1.3.0", day, notes130)
	if _, _, err := Insert(existing, "1.3.0", section, false); !errors.Is(err, ErrConflict) {
		t.Fatalf("another text for 1.3.0: err %v, want ErrConflict", err)
	}
	out, changed, err := Insert(existing, "1.3.0", section, true)
	if err != nil || !changed {
		t.Fatalf("with force: changed %v, err %v", changed, err)
	}
	want := Header + "\n" + section + "\n## [1.2.0] - 2026-10-01\n\n- old\n"
	if string(out) != want {
		t.Errorf("with force:\n%s\nwant:\n%s", out, want)
	}
}

// slug turns a test name into a file name.
func slug(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

func TestInsertSameNotesOnAnotherDay(t *testing.T) {
	out, _, err := Insert(nil, "1.3.0", Section("1.3.0", day, notes130), false)
	if err != nil {
		t.Fatal(err)
	}
	again, changed, err := Insert(out, "1.3.0", Section("1.3.0", day.AddDate(0, 0, 1), notes130), false)
	if err != nil || changed || string(again) != string(out) {
		t.Errorf("the same notes a day later: changed %v, err %v", changed, err)
	}
}

func TestInsertAfterTheFragmentsWereConsumed(t *testing.T) {
	withFragment := "## v1.3.0\n\n### Features\n\n- export to CSV (#12) by @alice\n- Import from CSV.\n"
	out, _, err := Insert(nil, "1.3.0", Section("1.3.0", day, withFragment), false)
	if err != nil {
		t.Fatal(err)
	}
	again, changed, err := Insert(out, "1.3.0", Section("1.3.0", day, notes130), false)
	if err != nil || changed || string(again) != string(out) {
		t.Errorf("the notes without the consumed fragment: changed %v, err %v", changed, err)
	}
}
