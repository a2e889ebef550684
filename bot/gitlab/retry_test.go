package gitlab

import (
	"net/http"
	"testing"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/internal/fakegitlab"
)

// TestAPOSTWhoseAnswerWasLostIsNotRepeated: GitLab makes the note but the
// answer is lost behind a 502. GitLab's client would repeat the POST and
// make a second note; Shipgate's client leaves it to the job's retry,
// which finds the note first. A read answered 5xx is still tried again.
func TestAPOSTWhoseAnswerWasLostIsNotRepeated(t *testing.T) {
	h := newHarness(t)
	h.fake.Do(func() {
		h.project.MRs[1] = &fakegitlab.MR{IID: 1, Title: "feat: x", Author: h.user("dave"), SourceBranch: "feature", TargetBranch: "main", SHA: "abc", State: "opened"}
	})
	c, err := NewClient(h.fake.URL, testToken, nil, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.fake.LoseAnswerNext("POST /projects/:id/merge_requests/:iid/notes")
	if _, _, err := c.Notes.CreateMergeRequestNote(testProjectID, 1, &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr("hello")}); err == nil {
		t.Fatal("a lost answer was taken for a success")
	}
	var notes int
	h.fake.Do(func() {
		for _, n := range h.project.MRs[1].Notes {
			if n.Body == "hello" {
				notes++
			}
		}
	})
	if notes != 1 {
		t.Errorf("%d notes after a POST whose answer was lost, want 1", notes)
	}
	h.fake.FailNext("GET /projects/:id/merge_requests/:iid", http.StatusBadGateway)
	if _, _, err := c.MergeRequests.GetMergeRequest(testProjectID, 1, nil); err != nil {
		t.Errorf("a read answered 502 once was not tried again: %v", err)
	}
}
