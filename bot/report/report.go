// Package report owns what Shipgate says once a release is over: the
// release report (what shipped, who approved what and when, each
// deployment step with its duration, overrides with their reasons, the
// lead time from first commit to production), built from what the store
// recorded and the host's commits, stored, posted in the deployment's Slack
// thread and attached to the host's release; and the delivery metrics (the
// DORA four) computed from the recorded deployments.
//
// Build and Compute are pure (time is an argument); Closer does the I/O
// through the narrow interfaces it declares. This package must not import
// bot/github, bot/gitlab, bot/slack or any host SDK.
package report

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Release statuses.
const (
	StatusSucceeded  = "succeeded"
	StatusFailed     = "failed"
	StatusRolledBack = "rolled back"
)

// Report is a closed release.
type Report struct {
	Host     policies.Host `json:"host"`
	Repo     string        `json:"repo"`
	Version  string        `json:"version"`
	Previous string        `json:"previous_version,omitempty"`
	// Status is StatusSucceeded, StatusFailed or StatusRolledBack.
	Status   string    `json:"status"`
	ClosedAt time.Time `json:"closed_at"`
	// Environment is the environment whose end closed the release.
	Environment   string       `json:"environment"`
	Changes       []Change     `json:"changes"`
	ChangeRecords []string     `json:"change_records"`
	Approvals     []Approval   `json:"approvals"`
	Overrides     []Override   `json:"overrides"`
	Deployments   []Deployment `json:"deployments"`
	// FirstCommitAt is the oldest commit of the release; LiveAt when the
	// last environment had it; LeadTime the time between (0 when the
	// release never got there).
	FirstCommitAt time.Time `json:"first_commit_at,omitzero"`
	LiveAt        time.Time `json:"live_at,omitzero"`
	LeadTime      Duration  `json:"lead_time,omitempty"`
	// Incomplete says what the report could not read (the commits, when
	// the host did not answer), "" when nothing is missing.
	Incomplete string `json:"incomplete,omitempty"`
}

// Change is a PR (GitLab: MR) of the release.
type Change struct {
	Number        int      `json:"number"`
	Title         string   `json:"title"`
	Author        string   `json:"author,omitempty"`
	ChangeRecords []string `json:"change_records,omitempty"`
	// Approvals is what its approval rules said at its last evaluation.
	Approvals []string `json:"approvals,omitempty"`
}

// Approval is one decision: a deployment gate's, or a command on a PR.
type Approval struct {
	// What was decided: "#12", "production: approval".
	What     string    `json:"what"`
	Who      string    `json:"who"`
	At       time.Time `json:"at"`
	Approved bool      `json:"approved"`
	Via      string    `json:"via"`
	Reason   string    `json:"reason,omitempty"`
}

// Override is a rule let go on purpose: a freeze overridden, a hotfix
// declared.
type Override struct {
	What   string    `json:"what"`
	Who    string    `json:"who"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// Deployment is one deployment of the release (a rollback of it too).
type Deployment struct {
	Environment string    `json:"environment"`
	Kind        string    `json:"kind"`
	Version     string    `json:"version"`
	Status      string    `json:"status"`
	Trigger     string    `json:"trigger"`
	StartedBy   string    `json:"started_by"`
	StartedAt   time.Time `json:"started_at"`
	EndedAt     time.Time `json:"ended_at,omitzero"`
	Duration    Duration  `json:"duration,omitempty"`
	Message     string    `json:"message,omitempty"`
	Steps       []Step    `json:"steps"`
}

// Step is one step of a deployment.
type Step struct {
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	StartedAt time.Time `json:"started_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	Duration  Duration  `json:"duration,omitempty"`
	Message   string    `json:"message,omitempty"`
}

// Duration is a time.Duration that JSON writes as "1h2m3s".
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// String implements fmt.Stringer: "3d 4h 5m", rounded to the minute above
// a minute.
func (d Duration) String() string { return human(time.Duration(d)) }

// PR is what the store holds of one PR of the release.
type PR struct {
	Verdict  *policies.Verdict
	Commands []store.CommandRecord
}

// Facts are what a report is built from.
type Facts struct {
	Host     policies.Host
	Repo     string
	Version  string
	Previous string
	// Ended is the deployment that ended the release.
	Ended string
	// Deployments are the release's deployments (its rollbacks too).
	Deployments []deploy.State
	// Commits are the release's commits since Previous, newest first.
	Commits []policies.Commit
	// PRs are the store's records of the PRs the commits name.
	PRs map[int]PR
	// Incomplete says what could not be read.
	Incomplete string
	Now        time.Time
}

// Build makes the report of a release from its facts.
func Build(f Facts) Report {
	r := Report{Host: f.Host, Repo: f.Repo, Version: f.Version, Previous: f.Previous, ClosedAt: f.Now, Incomplete: f.Incomplete,
		Changes: []Change{}, ChangeRecords: []string{}, Approvals: []Approval{}, Overrides: []Override{}, Deployments: []Deployment{}}
	deps := slices.Clone(f.Deployments)
	slices.SortStableFunc(deps, func(a, b deploy.State) int { return a.CreatedAt.Compare(b.CreatedAt) })
	r.Status = StatusSucceeded
	for _, st := range deps {
		if st.Kind == deploy.KindProtection {
			continue
		}
		r.Deployments = append(r.Deployments, deployment(st))
		r.Approvals = append(r.Approvals, gateDecisions(st)...)
		r.Overrides = append(r.Overrides, freezeOverrides(st)...)
		switch {
		case st.Kind == deploy.KindRollback:
			r.Status = StatusRolledBack
		case st.Status == deploy.StatusFailed && r.Status != StatusRolledBack:
			r.Status = StatusFailed
		}
		if st.ID == f.Ended {
			r.Environment = st.Environment
			if st.Kind == deploy.KindDeploy && st.Status == deploy.StatusSucceeded {
				r.LiveAt = st.EndedAt
			}
		}
	}
	r.Changes, r.FirstCommitAt = changes(f.Commits, f.PRs)
	for _, c := range r.Changes {
		r.ChangeRecords = append(r.ChangeRecords, c.ChangeRecords...)
		a, o := commands(c.Number, f.PRs[c.Number].Commands)
		r.Approvals, r.Overrides = append(r.Approvals, a...), append(r.Overrides, o...)
	}
	slices.Sort(r.ChangeRecords)
	r.ChangeRecords = slices.Compact(r.ChangeRecords)
	byTime := func(a, b time.Time) int { return a.Compare(b) }
	slices.SortStableFunc(r.Approvals, func(a, b Approval) int { return byTime(a.At, b.At) })
	slices.SortStableFunc(r.Overrides, func(a, b Override) int { return byTime(a.At, b.At) })
	if !r.FirstCommitAt.IsZero() && !r.LiveAt.IsZero() {
		r.LeadTime = Duration(r.LiveAt.Sub(r.FirstCommitAt))
	}
	return r
}

func deployment(st deploy.State) Deployment {
	d := Deployment{Environment: st.Environment, Kind: st.Kind, Version: st.Version, Status: st.Status, Trigger: st.Trigger,
		StartedBy: st.StartedBy.String(), StartedAt: st.CreatedAt, EndedAt: st.EndedAt, Message: st.Message, Steps: []Step{}}
	if !st.EndedAt.IsZero() {
		d.Duration = Duration(st.EndedAt.Sub(st.CreatedAt))
	}
	for _, s := range st.Steps {
		if s.Status == "" {
			continue // never reached
		}
		step := Step{Name: s.Name, Status: s.Status, StartedAt: s.StartedAt, EndedAt: s.EndedAt, Message: s.Message}
		if !s.EndedAt.IsZero() {
			step.Duration = Duration(s.EndedAt.Sub(s.StartedAt))
		}
		d.Steps = append(d.Steps, step)
	}
	return d
}

// gateDecisions are the decisions on st's approval gates; a freeze's are
// overrides (freezeOverrides).
func gateDecisions(st deploy.State) []Approval {
	var out []Approval
	for _, s := range st.Steps {
		if s.Name == "freeze" {
			continue
		}
		for _, d := range s.Decisions {
			out = append(out, Approval{What: st.Environment + ": " + s.Name, Who: d.Person, At: d.At, Approved: d.Approve, Via: d.Via, Reason: d.Reason})
		}
	}
	return out
}

func freezeOverrides(st deploy.State) []Override {
	var out []Override
	for _, s := range st.Steps {
		if s.Name != "freeze" {
			continue
		}
		for _, d := range s.Decisions {
			if d.Approve {
				out = append(out, Override{What: "freeze of " + st.Environment, Who: d.Person, At: d.At, Reason: d.Reason})
			}
		}
	}
	return out
}

// changes lists the PRs the commits name, by number, and the oldest
// commit's time. A commit without a PR counts for the lead time only.
func changes(commits []policies.Commit, prs map[int]PR) ([]Change, time.Time) {
	var first time.Time
	seen := map[int]*Change{}
	for _, c := range commits {
		if !c.Time.IsZero() && (first.IsZero() || c.Time.Before(first)) {
			first = c.Time
		}
		if c.PR == 0 || seen[c.PR] != nil {
			continue
		}
		ch := &Change{Number: c.PR, Title: firstLine(c.Message), Author: cmp.Or(c.Author.Login, c.AuthorName)}
		if v := prs[c.PR].Verdict; v != nil {
			ch.ChangeRecords = slices.Clone(v.ChangeRecords)
			for _, res := range v.Results {
				if res.Rule == "approvals" && res.Status != policies.Skipped {
					ch.Approvals = append(ch.Approvals, res.Message)
				}
			}
		}
		seen[c.PR] = ch
	}
	out := make([]Change, 0, len(seen))
	for _, c := range seen {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Change) int { return a.Number - b.Number })
	return out, first
}

// commands turns a PR's accepted commands into approvals and overrides.
func commands(number int, cmds []store.CommandRecord) ([]Approval, []Override) {
	var as []Approval
	var os []Override
	what := "#" + strconv.Itoa(number)
	for _, c := range cmds {
		if !c.Accepted {
			continue
		}
		switch c.Name {
		case "approve":
			as = append(as, Approval{What: what, Who: c.Actor, At: c.At, Approved: true, Via: "comment"})
		case "override-freeze":
			os = append(os, Override{What: "freeze on " + what, Who: c.Actor, At: c.At, Reason: c.Args})
		case "hotfix":
			os = append(os, Override{What: "hotfix " + what, Who: c.Actor, At: c.At, Reason: c.Args})
		}
	}
	return as, os
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}
