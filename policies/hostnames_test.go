package policies

import "testing"

func TestHostsNameTheirChanges(t *testing.T) {
	for _, tt := range []struct {
		h               Host
		ref, abbr, noun string
	}{
		{GitHub, "#7", "PR", "pull request"},
		{GitLab, "!7", "MR", "merge request"},
	} {
		if got := tt.h.Ref(7); got != tt.ref {
			t.Errorf("%s: Ref = %q", tt.h, got)
		}
		if got := tt.h.ChangeAbbr(); got != tt.abbr {
			t.Errorf("%s: ChangeAbbr = %q", tt.h, got)
		}
		if got := tt.h.ChangeNoun(); got != tt.noun {
			t.Errorf("%s: ChangeNoun = %q", tt.h, got)
		}
	}
}
