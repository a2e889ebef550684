package dashboard

import (
	"errors"
	"net/http"
	"strings"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
)

// gateView is a gate as the viewer sees it, with what they may do.
type gateView struct {
	deploy.Gate
	D deploymentView
	// MayDecide shows the Approve and Reject forms; Why says why not.
	MayDecide bool
	Why       string
	// Nonce makes the form's decision one request: a replayed POST of it
	// has no second effect. CSRF is the viewer's form token.
	Nonce, CSRF string
}

const readOnlyWhy = "The dashboard token is read-only: sign in with GitHub or GitLab to decide."

// gateOf returns the gate dep waits on as v sees it; ok is false when it
// waits on none (or the orchestrator is not connected).
func (d *Dashboard) gateOf(r *http.Request, v *Viewer, dep store.Deployment) (gateView, bool, error) {
	ctx := r.Context()
	if d.cfg.Deployments == nil {
		return gateView{}, false, nil
	}
	actor := deploy.Actor{Login: v.Login}
	if v.ReadOnly {
		actor = deploy.Actor{}
	}
	g, ok, err := d.cfg.Deployments.WaitingGate(ctx, dep, v.Host, actor)
	if err != nil || !ok {
		return gateView{}, false, err
	}
	gv := gateView{Gate: g, D: viewOf(dep, d.now()), Why: g.Refused, CSRF: d.CSRFToken(r)}
	switch {
	case v.ReadOnly:
		gv.Why = readOnlyWhy
	case g.Refused == "":
		gv.MayDecide, gv.Nonce = true, randomID()
	}
	return gv, true, nil
}

// approvalsData is the Approvals page.
type approvalsData struct {
	Title string
	// Mine wait for the viewer; Others for someone else (with why not
	// the viewer).
	Mine, Others []gateView
	Connected    bool
}

// approvalsPage lists the gates of the deployments the viewer may read:
// first those that wait for the viewer, with Approve and Reject.
func (d *Dashboard) approvalsPage(w http.ResponseWriter, r *http.Request) {
	v, _ := ViewerFrom(r.Context())
	data := approvalsData{Title: "Approvals", Connected: d.cfg.Deployments != nil}
	running, err := d.readableDeployments(r.Context(), listRunning, deploy.StatusRunning)
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	for _, dep := range running {
		if !viewOf(dep, d.now()).Waiting {
			continue
		}
		g, ok, err := d.gateOf(r, v, dep)
		if err != nil {
			d.storeError(w, r, err)
			return
		}
		switch {
		case !ok:
		case g.MayDecide:
			data.Mine = append(data.Mine, g)
		default:
			data.Others = append(data.Others, g)
		}
	}
	d.render(w, r, "approvals.html", data)
}

// decisionData is the answer to a decision.
type decisionData struct {
	Title    string
	Refused  string
	Approved bool
	D        deploymentView
}

// maxReason bounds a decision's reason, which goes to the audit log.
const maxReason = 2000

// decide takes an Approve or Reject form: the deployment must be in a
// repository the viewer may read; the orchestrator judges the decision
// (its gate's approvers, not the starter, once per person, a reason to
// reject) exactly as for Slack and `/approve-deploy`, and queues it.
func (d *Dashboard) decide(w http.ResponseWriter, r *http.Request) {
	v, _ := ViewerFrom(r.Context())
	id, nonce := r.PostFormValue("deployment"), r.PostFormValue("nonce")
	decision, reason := r.PostFormValue("decision"), strings.TrimSpace(r.PostFormValue("reason"))
	if (decision != "approve" && decision != "reject") || nonce == "" || len(nonce) > 100 || len(reason) > maxReason {
		d.renderError(w, r, http.StatusBadRequest, "The form was incomplete or too long: reload the page and decide again.")
		return
	}
	if d.cfg.Deployments == nil {
		d.renderError(w, r, http.StatusServiceUnavailable, "This dashboard is not connected to Shipgate's deployments: decide in Slack or with /approve-deploy.")
		return
	}
	dep, err := d.cfg.Store.GetDeployment(r.Context(), id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		d.storeError(w, r, err)
		return
	}
	if err != nil || !d.CanRead(r.Context(), dep.Host, dep.Repo) {
		d.renderError(w, r, http.StatusNotFound, "There is no such deployment, or you cannot read its repository.")
		return
	}
	approve := decision == "approve"
	why, err := d.cfg.Deployments.Request(r.Context(), deploy.DecisionRequest{Host: v.Host, ID: dep.ID, Actor: deploy.Actor{Login: v.Login},
		Approve: approve, Reason: reason, Via: deploy.ViaWeb, Dedupe: "web:" + string(v.Host) + ":" + strings.ToLower(v.Login) + ":" + nonce})
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	data := decisionData{Approved: approve, Refused: why, D: viewOf(dep, d.now())}
	if why != "" {
		data.Title = "Nothing changed"
		d.renderStatus(w, r, http.StatusForbidden, "decision.html", data)
		return
	}
	data.Title = "Rejection recorded"
	if approve {
		data.Title = "Approval recorded"
	}
	d.render(w, r, "decision.html", data)
}
