package deploy

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/policies"
)

func TestIDsOfFindsTheIDWhereverItStands(t *testing.T) {
	id := "sg-0123456789abcdef0123456789abcdef"
	legacy := "sg-0123456789abcdef0123"
	tests := []struct {
		name, title string
		want        []string
	}{
		{"after a word", "deploy " + id, []string{id}},
		{"in parentheses", "Deploy staging (" + id + ")", []string{id}},
		{"after an equals sign", "id=" + id, []string{id}},
		{"alone", id, []string{id}},
		{"glued to punctuation on both sides", "[" + id + "]:", []string{id}},
		{"an id of a deployment started before the upgrade", "deploy " + legacy + " now", []string{legacy}},
		{"two ids", id + " " + legacy, []string{id, legacy}},
		{"longer hex is not an id", "deploy " + id + "0", nil},
		{"followed by a letter is not an id", "deploy " + id + "g", nil},
		{"upper-case hex is not an id", "deploy " + strings.ToUpper(id), nil},
		{"no id", "Deploy staging", nil},
		{"sg- alone", "sg- sg-", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IDsOf(WorkflowRun{DisplayTitle: tc.title}); !slices.Equal(got, tc.want) {
				t.Errorf("IDsOf(%q) = %q, want %q", tc.title, got, tc.want)
			}
		})
	}
	if got := IDsOf(WorkflowRun{Name: "deploy " + id, DisplayTitle: "Deploy (" + id + ")"}); !slices.Equal(got, []string{id}) {
		t.Errorf("an id in both the name and the title counts once: %q", got)
	}
}

func TestNewKeysAreRandomAndFoundAgain(t *testing.T) {
	a, b := newKey(), newKey()
	if a == b || len(a) != len(idPrefix)+32 {
		t.Fatalf("keys %q and %q", a, b)
	}
	if got := IDsOf(WorkflowRun{DisplayTitle: "Deploy production (" + a + ")"}); !slices.Equal(got, []string{a}) {
		t.Fatalf("IDsOf = %q, want %q", got, a)
	}
}

// TestMismatch: a run counts only if Shipgate's own dispatch made it.
func TestMismatch(t *testing.T) {
	at := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	d := Dispatch{Workflow: "deploy.yml", Ref: "v1.2.0", At: at}
	good := WorkflowRun{Host: policies.GitHub, Repo: "acme/widgets", Event: "workflow_dispatch", Path: ".github/workflows/deploy.yml", HeadBranch: "v1.2.0", Actor: "shipgate[bot]", CreatedAt: at.Add(2 * time.Second)}
	tests := []struct {
		name   string
		change func(*WorkflowRun, *Dispatch)
		self   string
		want   string
	}{
		{"Shipgate's dispatch counts", nil, "shipgate[bot]", ""},
		{"the actor compares without case", func(r *WorkflowRun, _ *Dispatch) { r.Actor = "Shipgate[bot]" }, "shipgate[bot]", ""},
		{"a path with @ref counts", func(r *WorkflowRun, _ *Dispatch) { r.Path += "@refs/tags/v1.2.0" }, "shipgate[bot]", ""},
		{"a run a little before the dispatch, within the clock skew, counts", func(r *WorkflowRun, _ *Dispatch) { r.CreatedAt = at.Add(-5 * time.Second) }, "shipgate[bot]", ""},
		{"a full ref was dispatched", func(_ *WorkflowRun, d *Dispatch) { d.Ref = "refs/tags/v1.2.0" }, "shipgate[bot]", ""},
		{"a numeric workflow ID", func(r *WorkflowRun, d *Dispatch) { d.Workflow, r.WorkflowID = "4242", 4242 }, "shipgate[bot]", ""},
		{"a run dispatched by another user", func(r *WorkflowRun, _ *Dispatch) { r.Actor = "mallory" }, "shipgate[bot]", "dispatched by mallory, not by Shipgate"},
		{"a run without an actor", func(r *WorkflowRun, _ *Dispatch) { r.Actor = "" }, "shipgate[bot]", "dispatched by nobody known"},
		{"a run at another ref", func(r *WorkflowRun, _ *Dispatch) { r.HeadBranch = "mallory/fake" }, "shipgate[bot]", "ran at mallory/fake, not at the dispatched ref v1.2.0"},
		{"a run without a ref", func(r *WorkflowRun, _ *Dispatch) { r.HeadBranch = "" }, "shipgate[bot]", "an unknown ref"},
		{"a run of another workflow", func(r *WorkflowRun, _ *Dispatch) { r.Path = ".github/workflows/evil.yml" }, "shipgate[bot]", "runs .github/workflows/evil.yml"},
		{"a run of a workflow in another folder", func(r *WorkflowRun, _ *Dispatch) { r.Path = "x/.github/workflows/deploy.yml" }, "shipgate[bot]", "not the policy's workflow"},
		{"a push run", func(r *WorkflowRun, _ *Dispatch) { r.Event = "push" }, "shipgate[bot]", "its event is push"},
		{"a run created before the dispatch", func(r *WorkflowRun, _ *Dispatch) { r.CreatedAt = at.Add(-time.Hour) }, "shipgate[bot]", "before Shipgate's dispatch"},
		{"a run without a creation time", func(r *WorkflowRun, _ *Dispatch) { r.CreatedAt = time.Time{} }, "shipgate[bot]", "an unknown time"},
		{"Shipgate not knowing itself", nil, "", "does not know its own github login"},
		{"a run in another repository", func(r *WorkflowRun, _ *Dispatch) { r.Repo = "mallory/widgets" }, "shipgate[bot]", "it ran in github mallory/widgets, not in github acme/widgets"},
		{"a run of an unknown repository", func(r *WorkflowRun, _ *Dispatch) { r.Repo = "" }, "shipgate[bot]", "(unknown)"},
		{"a run on another host", func(r *WorkflowRun, _ *Dispatch) { r.Host = policies.GitLab }, "shipgate[bot]", "it ran in gitlab"},
		{"a dispatch saved before its event was kept is a workflow_dispatch", func(_ *WorkflowRun, d *Dispatch) { d.Event = "" }, "shipgate[bot]", ""},
		{"a GitHub dispatch without a workflow matches no run", func(_ *WorkflowRun, d *Dispatch) { d.Workflow = "" }, "shipgate[bot]", "not the policy's workflow"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run, disp := good, d
			if tc.change != nil {
				tc.change(&run, &disp)
			}
			got := mismatch(run, disp, tc.self, policies.GitHub, "acme/widgets")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("mismatch = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestMismatchOfGitLabPipelines: a pipeline counts only if Shipgate's user
// created it through the API, for the ref, in the project, after the step
// started.
func TestMismatchOfGitLabPipelines(t *testing.T) {
	at := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	d := pipelineRunner{}.dispatch("v1.2.0", at)
	good := WorkflowRun{Host: policies.GitLab, Repo: "acme/platform/shop", Event: EventAPI, HeadBranch: "v1.2.0", Actor: "project_7_bot_1",
		CreatedAt: at.Add(time.Second)}
	tests := []struct {
		name   string
		change func(*WorkflowRun)
		want   string
	}{
		{"Shipgate's pipeline counts", nil, ""},
		{"the project compares without case", func(r *WorkflowRun) { r.Repo = "Acme/Platform/Shop" }, ""},
		{"a pipeline of a push is not Shipgate's", func(r *WorkflowRun) { r.Event = "push" }, "its event is push, not api"},
		{"a pipeline run from the web is not Shipgate's", func(r *WorkflowRun) { r.Event = "web" }, "its event is web, not api"},
		{"a pipeline a developer created through the API is not Shipgate's", func(r *WorkflowRun) { r.Actor = "dave" }, "dispatched by dave, not by Shipgate (project_7_bot_1)"},
		{"a pipeline of another ref", func(r *WorkflowRun) { r.HeadBranch = "main" }, "ran at main, not at the dispatched ref v1.2.0"},
		{"a pipeline of another project", func(r *WorkflowRun) { r.Repo = "mallory/shop" }, "it ran in gitlab mallory/shop, not in gitlab acme/platform/shop"},
		{"a pipeline created before the step", func(r *WorkflowRun) { r.CreatedAt = at.Add(-time.Minute) }, "before Shipgate's dispatch"},
		{"a pipeline with no user", func(r *WorkflowRun) { r.Actor = "" }, "dispatched by nobody known"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := good
			if tc.change != nil {
				tc.change(&run)
			}
			got := mismatch(run, d, "project_7_bot_1", policies.GitLab, "acme/platform/shop")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("mismatch = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestIDsOfReadsAPipelinesKeyVariable: a pipeline's key is its
// SHIPGATE_ID variable, when it is a well-formed id.
func TestIDsOfReadsAPipelinesKeyVariable(t *testing.T) {
	id := newKey()
	if got := IDsOf(WorkflowRun{Keys: []string{id}}); !slices.Equal(got, []string{id}) {
		t.Errorf("IDsOf = %q, want %q", got, id)
	}
	if got := IDsOf(WorkflowRun{Keys: []string{"d-1", "sg-xyz"}}); len(got) != 0 {
		t.Errorf("IDsOf of malformed keys = %q, want none", got)
	}
}
