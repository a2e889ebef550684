package fakegitlab

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// recorder is a testing.TB that keeps what the fake reports at cleanup.
type recorder struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (r *recorder) Errorf(format string, args ...any) { r.errors = append(r.errors, format) }
func (r *recorder) Cleanup(f func())                  { r.cleanups = append(r.cleanups, f) }

func client(t *testing.T, s *Server, token string) *gl.Client {
	t.Helper()
	c, err := gl.NewClient(token, gl.WithBaseURL(s.URL), gl.WithCustomRetryMax(0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRoutesEffectsAndAuth(t *testing.T) {
	s := New(t, "tok", User{ID: 1, Username: "bot", Bot: true})
	p := s.AddProject(&Project{ID: 3, Path: "group/sub/proj", DefaultBranch: "main"})
	p.MRs[1] = &MR{IID: 1, Title: "t", Author: User{ID: 2, Username: "dave"}, TargetBranch: "main", SHA: "abc", State: "opened"}
	ctx := context.Background()
	c := client(t, s, "tok")

	if _, _, err := c.Commits.SetCommitStatus("group/sub/proj", "abc", &gl.SetCommitStatusOptions{State: gl.Failed, Name: gl.Ptr("shipgate")}, gl.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	n, _, err := c.Notes.CreateMergeRequestNote(3, 1, &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr("hello\nworld")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Notes.UpdateMergeRequestNote(3, 1, n.ID, &gl.UpdateMergeRequestNoteOptions{Body: gl.Ptr("bye")}); err != nil {
		t.Fatal(err)
	}
	add := gl.LabelOptions{"do-not-merge/hold"}
	if _, _, err := c.MergeRequests.UpdateMergeRequest(3, 1, &gl.UpdateMergeRequestOptions{AddLabels: &add}); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]string{
		"statuses": s.StatusesCreated(), "created": s.NotesCreated(), "edited": s.NotesEdited(), "labels": s.LabelsChanged(),
	} {
		want := map[string][]string{
			"statuses": {"group/sub/proj@abc:shipgate:failed"}, "created": {"group/sub/proj!1:hello"},
			"edited": {"group/sub/proj!1#" + strconv.FormatInt(n.ID, 10) + ":bye"}, "labels": {"group/sub/proj!1:+do-not-merge/hold"},
		}[name]
		if !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for _, r := range s.Requests() {
		if !strings.HasPrefix(r.Path, BasePath+"/") {
			t.Errorf("request outside the base path: %s", r.Path)
		}
	}

	if _, _, err := client(t, s, "wrong").MergeRequests.GetMergeRequest(3, 1, nil); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a wrong token: %v, want 401", err)
	}
}

func TestUnexpectedRequestsFailAtCleanup(t *testing.T) {
	rec := &recorder{TB: t}
	s := New(rec, "tok", User{ID: 1, Username: "bot"})
	s.AddProject(&Project{ID: 3, Path: "g/p"})
	if _, _, err := client(t, s, "tok").Branches.GetBranch(3, "main"); err == nil {
		t.Error("an unknown route answered")
	}
	for _, f := range rec.cleanups {
		f()
	}
	if len(rec.errors) != 1 {
		t.Errorf("%d errors at cleanup, want 1 for the unexpected request", len(rec.errors))
	}
}
