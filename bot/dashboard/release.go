package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// releaseData is a release's page.
type releaseData struct {
	Title                   string
	Host                    policies.Host
	Repo, Version           string
	Previous, PreviousPath  string
	Validation              *tagValidation
	Notes                   *release.Notes
	Changes                 []changeView
	Environments            []envTimeline
	ChangesCut, NotesAbsent bool
}

// tagValidation is the tag's check as its audit event recorded it.
type tagValidation struct {
	Outcome, Actor, SHA, Event string
	ReleaseURL                 string
	PolicyError, Refused       string
	Problems                   []release.Problem
	At                         time.Time
}

// changeView is a PR/MR of the release, with its newest verdict.
type changeView struct {
	Number        int
	Path          string
	Conclusion    string
	ChangeRecords []string
}

// envTimeline is a release's deployments to one environment, oldest
// first (a deployment, then its rollback).
type envTimeline struct {
	Environment string
	Deployments []deploymentView
}

// releaseDetail is the audit detail of a tag (review.TagReport.Audit).
type releaseDetail struct {
	SHA         string            `json:"sha"`
	Event       string            `json:"event"`
	Problems    []release.Problem `json:"problems"`
	PolicyError string            `json:"policy_error"`
	Refused     string            `json:"refused"`
	ReleaseURL  string            `json:"release_url"`
	Previous    string            `json:"previous"`
	Notes       *release.Notes    `json:"notes"`
}

// releasePage shows a version: its tag validation, previous version and
// notes, the changes in it with their change records, and its deployments
// per environment as timelines of steps.
func (d *Dashboard) releasePage(w http.ResponseWriter, r *http.Request) {
	host, repo, version := policies.Host(r.PathValue("host")), r.PathValue("repo"), r.PathValue("arg")
	data := releaseData{Title: version + " of " + repo, Host: host, Repo: repo, Version: version}
	ev, err := d.cfg.Store.LatestAudit(r.Context(), host, repo, store.AuditRelease, version)
	switch {
	case err == nil:
		d.fillValidation(&data, ev)
	case !errors.Is(err, store.ErrNotFound):
		d.storeError(w, r, err)
		return
	}
	if data.Changes, data.ChangesCut, err = d.changesOf(r.Context(), host, repo, data.Notes); err != nil {
		d.storeError(w, r, err)
		return
	}
	deps, err := d.cfg.Store.ListDeployments(r.Context(), store.DeploymentFilter{Host: host, Repos: []string{repo}, Version: version, Limit: 100})
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	if data.Validation == nil && len(deps) == 0 {
		d.renderError(w, r, http.StatusNotFound, "Shipgate knows no tag and no deployment of this version in this repository.")
		return
	}
	data.Environments = timelines(deps, d.now())
	if data.Previous == "" {
		// A tag checked before its audit kept contents: the environments
		// know the version they replaced.
		for _, e := range data.Environments {
			if p := e.Deployments[0].PreviousVersion; p != "" && e.Deployments[0].Kind != "rollback" {
				data.Previous = p
				break
			}
		}
	}
	if data.Previous != "" {
		data.PreviousPath = ReleasePath(host, repo, data.Previous)
	}
	d.render(w, r, "release.html", data)
}

func (d *Dashboard) fillValidation(data *releaseData, ev store.AuditEvent) {
	var det releaseDetail
	_ = json.Unmarshal(ev.Detail, &det) // an older event lacks fields: they stay empty
	data.Validation = &tagValidation{Outcome: ev.Outcome, Actor: ev.Actor, SHA: det.SHA, Event: det.Event, ReleaseURL: safeURL(det.ReleaseURL),
		PolicyError: det.PolicyError, Refused: det.Refused, Problems: det.Problems, At: ev.At}
	data.Previous, data.Notes = det.Previous, det.Notes
	data.NotesAbsent = det.Notes == nil
}

// maxReleaseChanges caps the changes a release page lists.
const maxReleaseChanges = 200

// changesOf lists the changes the notes name, in their order, with their
// newest verdict's conclusion and change records; cut is true when there
// were more than the page lists.
func (d *Dashboard) changesOf(ctx context.Context, host policies.Host, repo string, notes *release.Notes) (changes []changeView, cut bool, err error) {
	if notes == nil {
		return nil, false, nil
	}
	var numbers []int
	for _, s := range notes.Sections {
		for _, e := range s.Entries {
			if e.PR > 0 && !slices.Contains(numbers, e.PR) {
				numbers = append(numbers, e.PR)
			}
		}
	}
	if len(numbers) > maxReleaseChanges {
		numbers, cut = numbers[:maxReleaseChanges], true
	}
	evals, err := d.cfg.Store.LatestEvaluations(ctx, host, repo, numbers)
	if err != nil {
		return nil, false, err
	}
	for _, n := range numbers {
		c := changeView{Number: n, Path: ChangePath(host, repo, n), Conclusion: "not evaluated"}
		if e, ok := evals[n]; ok {
			var v policies.Verdict
			_ = json.Unmarshal(e.Verdict, &v) // a verdict that does not decode shows no records
			c.Conclusion, c.ChangeRecords = e.Conclusion, v.ChangeRecords
		}
		changes = append(changes, c)
	}
	return changes, cut, nil
}

// timelines groups deployments per environment, in the order each
// environment was first deployed, each oldest first.
func timelines(deps []store.Deployment, now time.Time) []envTimeline {
	slices.SortStableFunc(deps, func(a, b store.Deployment) int { return a.CreatedAt.Compare(b.CreatedAt) })
	var out []envTimeline
	for _, dep := range deps {
		i := slices.IndexFunc(out, func(e envTimeline) bool { return e.Environment == dep.Environment })
		if i < 0 {
			out = append(out, envTimeline{Environment: dep.Environment})
			i = len(out) - 1
		}
		out[i].Deployments = append(out[i].Deployments, viewOf(dep, now))
	}
	return out
}
