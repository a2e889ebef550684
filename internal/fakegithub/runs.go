package fakegithub

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/google/go-github/v62/github"
)

// SetRunName sets the run-name a workflow declares, which GitHub evaluates
// into the display title of each of its runs. Expressions of the forms
// `${{ inputs.NAME }}`, `${{ github.event.inputs.NAME }}`,
// `${{ github.actor }}` and `${{ github.ref_name }}` are evaluated; a
// missing input is empty, as in GitHub. An empty runName means the
// workflow declares none: its runs' display title is then the workflow's
// name, where no shipgate_id can be found.
//
// A workflow whose run-name was never set behaves as if it declared
// `run-name: <file> ${{ inputs.shipgate_id }}`.
func (s *Server) SetRunName(repo, workflow, runName string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repo(repo).runNames[workflow] = &runName
}

// expression matches one `${{ … }}` of a run-name.
var expression = regexp.MustCompile(`\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}`)

// displayTitle evaluates the workflow's run-name for a dispatched run.
func (r *repoState) displayTitle(run *WorkflowRun, ref string) string {
	tmpl, set := r.runNames[run.Workflow]
	if !set {
		return fmt.Sprintf("%s %v", run.Workflow, run.Inputs["shipgate_id"])
	}
	if *tmpl == "" {
		return run.Name
	}
	return expression.ReplaceAllStringFunc(*tmpl, func(m string) string {
		name := expression.FindStringSubmatch(m)[1]
		switch {
		case name == "github.actor":
			return run.Actor
		case name == "github.ref_name":
			return shortRef(ref)
		case strings.HasPrefix(name, "inputs."):
			return fmt.Sprint(orEmpty(run.Inputs[strings.TrimPrefix(name, "inputs.")]))
		case strings.HasPrefix(name, "github.event.inputs."):
			return fmt.Sprint(orEmpty(run.Inputs[strings.TrimPrefix(name, "github.event.inputs.")]))
		}
		return ""
	})
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// shortRef is a ref's name as GitHub shows it in head_branch.
func shortRef(ref string) string {
	return strings.TrimPrefix(strings.TrimPrefix(ref, "refs/heads/"), "refs/tags/")
}

// workflowName is the name GitHub gives a workflow without a name: its
// file name without the extension.
func workflowName(file string) string { return strings.TrimSuffix(file, path.Ext(file)) }

// runJSON is a workflow run as GitHub sends it. go-github's WorkflowRun has
// no path, which GitHub includes and Shipgate checks.
type runJSON struct {
	*github.WorkflowRun
	Path string `json:"path"`
}

// WorkflowRunEvent is a workflow_run webhook payload.
type WorkflowRunEvent struct {
	Action       string               `json:"action"`
	WorkflowRun  runJSON              `json:"workflow_run"`
	Workflow     *github.Workflow     `json:"workflow"`
	Repo         *github.Repository   `json:"repository"`
	Sender       *github.User         `json:"sender"`
	Installation *github.Installation `json:"installation,omitempty"`
}

// WorkflowRunEvent builds the workflow_run webhook payload of a run as it
// is now: action "requested", "in_progress" or "completed"; the sender is
// the run's actor.
func (s *Server) WorkflowRunEvent(repo string, runID int64, action string) *WorkflowRunEvent {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	c := s.render()
	for _, run := range r.runs {
		if run.ID != runID {
			continue
		}
		return &WorkflowRunEvent{
			Action:      action,
			WorkflowRun: c.workflowRun(r, run),
			Workflow: &github.Workflow{ID: ptr(workflowID(run.Workflow)), Name: ptr(run.Name), Path: ptr(run.path()), State: ptr("active"),
				URL: ptr(c.apiURL("repos/%s/actions/workflows/%d", r.FullName, workflowID(run.Workflow)))},
			Repo:         c.repository(r),
			Sender:       c.user(run.Actor),
			Installation: c.payloadInstallation(r),
		}
	}
	s.t.Fatalf("fakegithub: WorkflowRunEvent: %s has no run %d", repo, runID)
	return nil
}

// SetUserEmail sets the public e-mail address of a user's profile (GET
// /users/{username}).
func (s *Server) SetUserEmail(login, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.emails[strings.ToLower(login)] = email
}
