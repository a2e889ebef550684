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
	if _, err := client(t, s, "tok").Projects.DeleteProject(3, nil); err == nil {
		t.Error("an unknown route answered")
	}
	for _, f := range rec.cleanups {
		f()
	}
	if len(rec.errors) != 1 {
		t.Errorf("%d errors at cleanup, want 1 for the unexpected request", len(rec.errors))
	}
}

// TestPipelinesAndDeployments: pipelines created through the API are the
// token user's, of source api, with their variables; the list filters as
// GitLab's does; the Deployments API wants every field GitLab requires.
func TestPipelinesAndDeployments(t *testing.T) {
	s := New(t, "tok", User{ID: 1, Username: "bot", Bot: true})
	p := s.AddProject(&Project{ID: 3, Path: "group/proj", DefaultBranch: "main"})
	p.Tags["v1.0.0"] = "abc"
	p.Branches["main"] = "def"
	c := client(t, s, "tok")
	vars := []*gl.PipelineVariableOptions{{Key: gl.Ptr("SHIPGATE_ID"), Value: gl.Ptr("sg-1"), VariableType: gl.Ptr(gl.EnvVariableType)}}
	pl, _, err := c.Pipelines.CreatePipeline(3, &gl.CreatePipelineOptions{Ref: gl.Ptr("v1.0.0"), Variables: &vars})
	if err != nil {
		t.Fatal(err)
	}
	if pl.Source != "api" || pl.User.Username != "bot" || pl.SHA != "abc" || !pl.Tag {
		t.Fatalf("pipeline %+v", pl)
	}
	s.AddPipeline(p, Pipeline{Ref: "v1.0.0", Source: "push", User: User{ID: 2, Username: "dave"}, Status: "success"})
	list, _, err := c.Pipelines.ListProjectPipelines(3, &gl.ListProjectPipelinesOptions{Source: gl.Ptr("api"), Username: gl.Ptr("bot"), Ref: gl.Ptr("v1.0.0")})
	if err != nil || len(list) != 1 || list[0].ID != pl.ID {
		t.Fatalf("list %+v, %v", list, err)
	}
	got, _, err := c.Pipelines.GetPipelineVariables(3, pl.ID)
	if err != nil || len(got) != 1 || got[0].Key != "SHIPGATE_ID" || got[0].Value != "sg-1" {
		t.Fatalf("variables %+v, %v", got, err)
	}
	if _, _, err := c.Pipelines.CreatePipeline(3, &gl.CreatePipelineOptions{Ref: gl.Ptr("nope")}); err == nil {
		t.Fatal("a pipeline for an unknown ref was created")
	}
	if _, _, err := c.Deployments.CreateProjectDeployment(3, &gl.CreateProjectDeploymentOptions{Environment: gl.Ptr("staging"), Ref: gl.Ptr("v1.0.0"),
		Status: gl.Ptr(gl.DeploymentStatusCreated)}); err == nil {
		t.Fatal("a deployment without sha and tag was created")
	}
	d, _, err := c.Deployments.CreateProjectDeployment(3, &gl.CreateProjectDeploymentOptions{Environment: gl.Ptr("staging"), Ref: gl.Ptr("v1.0.0"),
		SHA: gl.Ptr("abc"), Tag: gl.Ptr(true), Status: gl.Ptr(gl.DeploymentStatusCreated)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Deployments.UpdateProjectDeployment(3, d.ID, &gl.UpdateProjectDeploymentOptions{Status: gl.Ptr(gl.DeploymentStatusCreated)}); err == nil {
		t.Fatal("a deployment was moved back to created")
	}
	if _, _, err := c.Deployments.UpdateProjectDeployment(3, d.ID, &gl.UpdateProjectDeploymentOptions{Status: gl.Ptr(gl.DeploymentStatusRunning)}); err != nil {
		t.Fatal(err)
	}
	if got, want := s.DeploymentStatuses(), []string{"group/proj:staging@v1.0.0:created", "group/proj:staging@v1.0.0:running"}; !slices.Equal(got, want) {
		t.Fatalf("deployment statuses %q, want %q", got, want)
	}
	if !slices.Equal(p.Environments, []string{"staging"}) {
		t.Fatalf("environments %q", p.Environments)
	}
}
