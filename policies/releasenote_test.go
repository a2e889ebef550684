package policies

import (
	"testing"
	"time"
)

func TestReleaseNote(t *testing.T) {
	withNotes := &Policy{ReleaseNotes: &ReleaseNotesRule{Block: "release-note", NoneLabel: "release-note-none"}}
	tests := []struct {
		name     string
		p        *Policy
		body     string
		labels   []string
		wantText string
		wantNone bool
	}{
		{"the fenced block gives the note", withNotes, "Intro\n\n```release-note\nAdds CSV export.\n```\n", nil, "Adds CSV export.", false},
		{"a block saying NONE needs no note", withNotes, "```release-note\nNONE\n```", nil, "", true},
		{"the none label needs no note", withNotes, "no block", []string{"release-note-none"}, "", true},
		{"no block and no label give nothing", withNotes, "just words", nil, "", false},
		{"a nil policy still reads the default block", nil, "```release-note\nFaster start-up.\n```", nil, "Faster start-up.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, none := ReleaseNote(tt.p, &Change{Body: tt.body, Labels: tt.labels}, time.Time{})
			if text != tt.wantText || none != tt.wantNone {
				t.Errorf("ReleaseNote = %q, %v; want %q, %v", text, none, tt.wantText, tt.wantNone)
			}
		})
	}
}
