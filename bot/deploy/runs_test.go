package deploy

import (
	"slices"
	"strings"
	"testing"
	"time"
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
	good := WorkflowRun{Event: "workflow_dispatch", Path: ".github/workflows/deploy.yml", HeadBranch: "v1.2.0", Actor: "shipgate[bot]", CreatedAt: at.Add(2 * time.Second)}
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
		{"Shipgate not knowing itself", nil, "", "does not know its own GitHub login"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run, disp := good, d
			if tc.change != nil {
				tc.change(&run, &disp)
			}
			got := mismatch(run, disp, tc.self)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("mismatch = %q, want %q", got, tc.want)
			}
		})
	}
}
