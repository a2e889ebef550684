package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// ChangeRequests opens and moves the change requests of deployments whose
// environment asks for one (change_request): ServiceNow's Table API.
// *records.ServiceNow implements it.
type ChangeRequests interface {
	// OpenChange creates a change request with fields and correlation ID
	// key, or returns the one that has key already (a retry after a
	// crash): its sys_id, number and page.
	OpenChange(ctx context.Context, key string, fields map[string]string) (id, number, page string, err error)
	// ChangeStatus reads its state and approval, as displayed.
	ChangeStatus(ctx context.Context, id string) (state, approval string, err error)
	// UpdateChange sets fields; repeating it changes nothing more.
	UpdateChange(ctx context.Context, id string, fields map[string]string) error
}

// ReleaseNotes reads the notes of a release, for the change request.
type ReleaseNotes interface {
	// ReleaseNotes returns the notes of the release of tag; found is
	// false when the tag has no release.
	ReleaseNotes(ctx context.Context, repo, tag string) (notes string, found bool, err error)
}

// ChangeState is a deployment's change request, persisted with it.
type ChangeState struct {
	// Key is the correlation ID, saved before the change request is
	// opened, by which a retry finds the one it opened.
	Key    string `json:"key"`
	ID     string `json:"id,omitempty"`
	Number string `json:"number,omitempty"`
	URL    string `json:"url,omitempty"`
	// Implemented tells that it was moved to Implement (steps ran);
	// Closed how it was closed ("" while open).
	Implemented bool   `json:"implemented,omitempty"`
	Closed      string `json:"closed,omitempty"`
	// RollbackTo is the version a rollback started for, after a failure.
	RollbackTo string `json:"rollback_to,omitempty"`
}

// ServiceNow's stored values of the states Shipgate sets.
const (
	snImplement = "-1"
	snClosed    = "3"
	snCanceled  = "4"
)

// changeStep opens the deployment's change request from the template and,
// with wait_for_approval, waits until the change system approves it,
// asking every Poll (a durable timer); a rejection fails the deployment.
type changeStep struct {
	o  *Orchestrator
	cr *policies.ChangeRequest
	// p is the policy: its change_record patterns find the records the
	// release notes cite.
	p *policies.Policy
}

func (s *changeStep) Name() string { return "change request" }

func (s *changeStep) Run(ctx context.Context, st *State) (Result, error) {
	crs := s.o.cfg.ChangeRequests
	if crs == nil {
		return failed("the environment asks for a ServiceNow change request, and Shipgate has no ServiceNow settings (SHIPGATE_SERVICENOW_URL with SHIPGATE_SERVICENOW_USER and SHIPGATE_SERVICENOW_PASSWORD, or SHIPGATE_SERVICENOW_TOKEN)")
	}
	cur := st.Current()
	if st.Change == nil {
		// Saved before the change request is opened: a retry, after a
		// crash too, finds the one it opened by this key.
		st.Change = &ChangeState{Key: newKey()}
		if err := s.o.save(ctx, st); err != nil {
			return Result{}, err
		}
	}
	c := st.Change
	if cur.Until.IsZero() {
		cur.Until = st.now.Add(s.cr.Expires)
	}
	if c.ID == "" {
		notes, err := s.notes(ctx, st)
		if err != nil {
			return s.retryOpen(st, cur.Until, fmt.Errorf("reading the notes of %s: %w", st.Version, err))
		}
		fields, err := s.fields(st, notes)
		if err != nil {
			return failed("change request template: %v", err)
		}
		id, number, page, err := crs.OpenChange(ctx, c.Key, fields)
		if err != nil {
			return s.retryOpen(st, cur.Until, fmt.Errorf("opening the change request: %w", err))
		}
		c.ID, c.Number, c.URL = id, number, page
		s.o.auditNow(ctx, st, "deploy.change_request", s.o.botActor(), number, "opened")
		s.o.notify(ctx, st, Notice{Event: EventStep, Line: fmt.Sprintf("Change request %s opened: %s", number, page)})
	}
	if !s.cr.WaitForApproval {
		return done("change request %s opened", c.Number)
	}
	state, approval, err := crs.ChangeStatus(ctx, c.ID)
	switch {
	case err != nil:
		return waiting(minTime(st.now.Add(s.cr.Poll), cur.Until), "reading change request %s: %v; trying again", c.Number, err)
	case changeEnded(state):
		// Before the approval: a change canceled or closed after it was
		// approved keeps its approval, and must not let the deployment go.
		return failed("change request %s is %s in ServiceNow; nothing was deployed", c.Number, state)
	case strings.EqualFold(approval, "rejected"):
		return failed("change request %s was rejected in ServiceNow", c.Number)
	case strings.EqualFold(approval, "approved"):
		return done("change request %s approved in ServiceNow", c.Number)
	case !st.now.Before(cur.Until):
		return failed("change request %s was not approved within %s", c.Number, s.cr.Expires)
	}
	return waiting(minTime(st.now.Add(s.cr.Poll), cur.Until), "waiting for ServiceNow to approve change request %s (approval: %s)", c.Number, orDefault(approval, "none"))
}

// retryOpen asks again after a failure to open the change request, until
// expires has passed: a ServiceNow that keeps refusing (credentials, a
// template its instance rejects) fails the deployment, saying why, rather
// than holding it for ever.
func (s *changeStep) retryOpen(st *State, until time.Time, err error) (Result, error) {
	if !st.now.Before(until) {
		return failed("%v; gave up after %s (change_request.expires)", err, s.cr.Expires)
	}
	return waiting(minTime(st.now.Add(s.cr.Poll), until), "%v; trying again", err)
}

// notes describe the release for the change request: its notes and the
// change records they cite.
func (s *changeStep) notes(ctx context.Context, st *State) (string, error) {
	src := s.o.on(st.Host).Notes
	if src == nil {
		return "Release notes: not read (the host gives none).", nil
	}
	notes, found, err := src.ReleaseNotes(ctx, st.Repo, st.Version)
	switch {
	case err != nil:
		return "", err
	case !found || strings.TrimSpace(notes) == "":
		return "Release notes: none published for " + st.Version + ".", nil
	}
	out := "Release notes:\n" + strings.TrimSpace(notes)
	if ids := policies.RecordIDsIn(s.p, notes); len(ids) > 0 {
		out += "\n\nChange records: " + strings.Join(ids, ", ")
	}
	return out, nil
}

// fields are the change request's fields: the template's, the planned
// window from now, and a description of the deployment and its release
// when the template gives none (else as a work note).
func (s *changeStep) fields(st *State, notes string) (map[string]string, error) {
	out := make(map[string]string, len(s.cr.ServiceNow)+3)
	data := templateData(st)
	for k, t := range s.cr.ServiceNow {
		v, err := execute(t, data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = v
	}
	out["start_date"] = st.now.UTC().Format(time.DateTime)
	out["end_date"] = st.now.Add(s.cr.Duration).UTC().Format(time.DateTime)
	facts := deploymentFacts(st) + "\n\n" + notes
	if _, ok := out["description"]; !ok {
		out["description"] = facts
	} else {
		out["work_notes"] = facts
	}
	return out, nil
}

// deploymentFacts describes the deployment for the change request.
func deploymentFacts(st *State) string {
	lines := []string{
		fmt.Sprintf("Deployment of %s to %s, by Shipgate.", st.Version, st.Environment),
		"Repository: " + st.Repo,
		"Commit: " + st.SHA,
		"Previous version: " + orDefault(st.PreviousVersion, "none"),
		"Started by: " + st.StartedBy.String() + " (" + st.Trigger + ")",
	}
	return strings.Join(lines, "\n")
}

// implementStep moves the change request to Implement as the steps start.
type implementStep struct{ o *Orchestrator }

func (s *implementStep) Name() string { return "change request: implement" }

func (s *implementStep) Run(ctx context.Context, st *State) (Result, error) {
	c := st.Change
	switch {
	case c == nil || c.ID == "":
		return skipped("no change request")
	case c.Implemented:
		return done("change request %s is in Implement", c.Number)
	case s.o.cfg.ChangeRequests == nil:
		return failed("change request %s cannot move to Implement: Shipgate has no ServiceNow settings any more", c.Number)
	}
	err := s.o.cfg.ChangeRequests.UpdateChange(ctx, c.ID, map[string]string{"state": snImplement,
		"work_notes": fmt.Sprintf("Shipgate is deploying %s to %s.", st.Version, st.Environment)})
	if err != nil {
		return waiting(st.now.Add(time.Minute), "moving change request %s to Implement: %v; trying again", c.Number, err)
	}
	c.Implemented = true
	return done("change request %s moved to Implement", c.Number)
}

// closeChange closes the change request of a deployment that ended, with
// its outcome and facts: successful; unsuccessful, with the rollback
// noted, once steps ran; canceled when nothing ran. It is repeated until
// it succeeds (a retry, or any later event of the deployment).
func (o *Orchestrator) closeChange(ctx context.Context, st *State) error {
	c := st.Change
	if c == nil || c.ID == "" || c.Closed != "" || !st.Done() || o.cfg.ChangeRequests == nil {
		return nil
	}
	fields := map[string]string{}
	switch {
	case st.Status == StatusSucceeded:
		fields["state"], fields["close_code"] = snClosed, "successful"
		fields["close_notes"] = fmt.Sprintf("%s is live on %s. %s", st.Version, st.Environment, stepFacts(st))
	case c.Implemented:
		fields["state"], fields["close_code"] = snClosed, "unsuccessful"
		notes := fmt.Sprintf("The deployment of %s to %s failed: %s. %s", st.Version, st.Environment, st.Message, stepFacts(st))
		if c.RollbackTo != "" {
			notes += " Rolled back: a rollback to " + c.RollbackTo + " was started."
		}
		fields["close_notes"] = notes
	default:
		fields["state"] = snCanceled
		fields["close_notes"] = fmt.Sprintf("Not deployed: %s", st.Message)
	}
	if err := o.cfg.ChangeRequests.UpdateChange(ctx, c.ID, fields); err != nil {
		return fmt.Errorf("closing change request %s: %w", c.Number, err)
	}
	c.Closed = orDefault(fields["close_code"], "canceled")
	o.audit(ctx, st, "deploy.change_request", o.botActor(), c.Number, "closed "+c.Closed)
	return o.save(ctx, st)
}

// stepFacts lists the steps and how each ended.
func stepFacts(st *State) string {
	var parts []string
	for _, s := range st.Steps {
		if s.Name == "" || s.Status == "" {
			continue
		}
		p := s.Name + ": " + s.Status
		if s.Message != "" {
			p += " (" + s.Message + ")"
		}
		parts = append(parts, p)
	}
	return "Steps: " + strings.Join(parts, "; ") + "."
}

// changeEnded reports whether a change request's displayed state is one
// it cannot be implemented in (either spelling of canceled).
func changeEnded(state string) bool {
	for _, s := range []string{"canceled", "cancelled", "closed"} {
		if strings.EqualFold(strings.TrimSpace(state), s) {
			return true
		}
	}
	return false
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
