package release

import (
	"testing"
	"time"

	"github.com/shipgate/shipgate/policies"
)

func TestGitLabMergeCommitsStandForTheirMR(t *testing.T) {
	commits := []policies.Commit{
		{SHA: "m1", Message: "Merge branch 'gift-cards' into 'main'\n\nfeat(checkout): gift cards\n\nCloses #12\n\nSee merge request acme/platform/shop!7"},
		{SHA: "m2", Message: "Merge branch 'x' into 'main'\n\nno reference here"},
		{SHA: "c1", Message: "fix: rounding"},
	}
	n := BuildNotes("v1.1.0", "v1.0.0", time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), commits)
	n.LinkChanges("https://gitlab.example", "acme/platform/shop", "-/merge_requests", "!")
	var feat *Entry
	for i := range n.Sections {
		for j := range n.Sections[i].Entries {
			if e := &n.Sections[i].Entries[j]; e.Type == "feat" {
				feat = e
			}
		}
	}
	switch {
	case feat == nil:
		t.Fatalf("no feature entry in %+v", n.Sections)
	case feat.Text != "gift cards" || feat.PR != 7 || feat.Ref() != "!7" ||
		feat.PRURL != "https://gitlab.example/acme/platform/shop/-/merge_requests/7":
		t.Errorf("entry %+v", *feat)
	}
	if got := len(n.Sections); got != 2 {
		t.Errorf("%d sections, want Features and Fixes (an unreferenced merge stands for nothing)", got)
	}
}
