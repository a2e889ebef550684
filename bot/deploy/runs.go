package deploy

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// WorkflowRun is a CI run as the orchestrator follows it — a GitHub
// Actions workflow run or a GitLab pipeline —, with the facts that tell
// whether Shipgate's own start made it. Host adapters translate their
// runs into it; the checks (mismatch) are the same for both hosts.
type WorkflowRun struct {
	ID int64
	// Host and Repo are where the run is (GitLab: the project's path), as
	// the webhook or the API answer that carried it says; the orchestrator
	// fills them in when an adapter leaves them out.
	Host policies.Host
	Repo string
	// Status is queued, in_progress or completed; Conclusion is set once
	// completed (success, failure, cancelled, …). GitLab's pipeline
	// statuses are mapped onto these by its adapter.
	Status     string
	Conclusion string
	URL        string
	// Name is the workflow's name and DisplayTitle the run's (its
	// run-name, evaluated): a GitHub run's shipgate_id is looked for in
	// both.
	Name         string
	DisplayTitle string
	// Keys are the step keys the run carries as such: a GitLab pipeline's
	// SHIPGATE_ID variable.
	Keys []string
	// Event triggered the run: GitHub's event (workflow_dispatch for
	// Shipgate's), GitLab's pipeline source (api for Shipgate's).
	Event string
	// Path is a GitHub workflow's file (".github/workflows/deploy.yml");
	// WorkflowID its numeric ID. GitLab pipelines have neither.
	Path       string
	WorkflowID int64
	// HeadBranch is the branch or tag the run ran at (GitLab: the
	// pipeline's ref).
	HeadBranch string
	// Actor is who made the run: for a workflow_dispatch, who dispatched;
	// for a GitLab pipeline, its user.
	Actor     string
	CreatedAt time.Time
}

// Events of the runs Shipgate starts itself.
const (
	// EventWorkflowDispatch is a GitHub run's event when dispatched.
	EventWorkflowDispatch = "workflow_dispatch"
	// EventAPI is a GitLab pipeline's source when created through the API.
	EventAPI = "api"
)

// idPrefix starts every shipgate_id.
const idPrefix = "sg-"

// idLengths are the lengths of the hex part of a shipgate_id: 32 for the
// random ids, 20 for the ids derived from the deployment before them
// (still carried by runs of deployments started before the upgrade).
var idLengths = []int{32, 20}

// newKey returns a random step key, the shipgate_id of a workflow run:
// 128 bits from crypto/rand. Nothing public derives it, so nobody can name
// a run for a step before Shipgate dispatched it.
func newKey() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand.Read, Go 1.24)
	return idPrefix + hex.EncodeToString(b[:])
}

// IDsOf returns the shipgate_ids a run carries: its Keys, and those
// wherever they stand in its display title or its name: "deploy sg-…",
// "Deploy staging (sg-…)", "id=sg-…", or the id alone. Only well-formed
// ids count. The webhooks and the API fallback find a step's run through
// it.
func IDsOf(run WorkflowRun) []string {
	var out []string
	for _, text := range append([]string{run.DisplayTitle, run.Name}, run.Keys...) {
		for _, id := range idsIn(text) {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// idsIn finds every "sg-" followed by a shipgate_id's hex digits and no
// further letter or digit, whatever comes before it.
func idsIn(text string) []string {
	var out []string
	for i := 0; ; {
		j := strings.Index(text[i:], idPrefix)
		if j < 0 {
			return out
		}
		start := i + j
		end := start + len(idPrefix)
		for end < len(text) && isLowerHex(text[end]) {
			end++
		}
		n := end - start - len(idPrefix)
		if (end == len(text) || !isAlnum(text[end])) && (n == idLengths[0] || n == idLengths[1]) {
			out = append(out, text[start:end])
		}
		i = start + len(idPrefix)
	}
}

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func isAlnum(c byte) bool { return isLowerHex(c) || 'g' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// Dispatch is what a CI step started (a workflow dispatched, a pipeline
// created); a run counts for the step only if it matches.
type Dispatch struct {
	// Workflow is the policy's workflow: a file in .github/workflows or a
	// numeric workflow ID; "" for a GitLab pipeline (the project's own).
	Workflow string `json:"workflow,omitempty"`
	// Ref is the ref dispatched.
	Ref string `json:"ref"`
	// At is a time no later than the dispatch: it is saved before the
	// dispatch is made.
	At time.Time `json:"at"`
	// Event is the trigger Shipgate's start gives its run:
	// EventWorkflowDispatch (also for dispatches saved before it was kept)
	// or EventAPI.
	Event string `json:"event,omitempty"`
}

// clockSkew is how much earlier than Dispatch.At the host may stamp a run
// the dispatch made: Dispatch.At comes from Shipgate's clock, created_at
// from the host's, and the two differ by a little. A run older than that
// cannot be the dispatch's.
const clockSkew = 10 * time.Second

// mismatch says why run cannot be the one Shipgate started as d for a
// step of repo on host, "" when it is: in that repository, started by
// Shipgate's kind of start (d's event: a workflow_dispatch of d's
// workflow, or a GitLab pipeline created through the API), at d's ref,
// by Shipgate's own login (self), created at or after the start (less
// clockSkew). A missing fact is a mismatch: nothing counts by default.
func mismatch(run WorkflowRun, d Dispatch, self string, host policies.Host, repo string) string {
	event := orDefault(d.Event, EventWorkflowDispatch)
	switch {
	case run.Host != host || run.Repo == "" || !strings.EqualFold(run.Repo, repo):
		return fmt.Sprintf("it ran in %s %s, not in %s %s", orDefault(string(run.Host), "an unknown host"), orDefault(run.Repo, "(unknown)"), host, repo)
	case run.Event != event:
		return fmt.Sprintf("its event is %s, not %s", orDefault(run.Event, "unknown"), event)
	case event == EventWorkflowDispatch && !sameWorkflow(run, d.Workflow):
		return fmt.Sprintf("it runs %s, not the policy's workflow %s", orDefault(run.Path, "an unknown workflow"), d.Workflow)
	case run.HeadBranch == "" || run.HeadBranch != shortRef(d.Ref):
		return fmt.Sprintf("it ran at %s, not at the dispatched ref %s", orDefault(run.HeadBranch, "an unknown ref"), d.Ref)
	case self == "":
		return fmt.Sprintf("Shipgate does not know its own %s login, so no run can be shown to be its own", host)
	case !policies.SameLogin(run.Actor, self):
		return fmt.Sprintf("it was dispatched by %s, not by Shipgate (%s)", orDefault(run.Actor, "nobody known"), self)
	case run.CreatedAt.IsZero() || run.CreatedAt.Before(d.At.Add(-clockSkew)):
		return fmt.Sprintf("it was created at %s, before Shipgate's dispatch at %s", stamp(run.CreatedAt), stamp(d.At))
	}
	return ""
}

// sameWorkflow reports whether run is of the policy's workflow: a file
// name compared with the run's path (GitHub may add "@ref" to it), or a
// numeric workflow ID.
func sameWorkflow(run WorkflowRun, workflow string) bool {
	if id, err := strconv.ParseInt(workflow, 10, 64); err == nil {
		return run.WorkflowID == id
	}
	path, _, _ := strings.Cut(run.Path, "@")
	return path == ".github/workflows/"+workflow
}

// shortRef is the name GitHub reports as a run's head branch for a ref.
func shortRef(ref string) string {
	return strings.TrimPrefix(strings.TrimPrefix(ref, "refs/heads/"), "refs/tags/")
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format(time.RFC3339)
}
