package server

import (
	"encoding/json"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/policies"
)

// legacyEvent is a pull request job's payload as the adapter wrote it
// before payloads were the gate's own: go-github structs.
type legacyEvent struct {
	Event        string                `json:"event"`
	Action       string                `json:"action,omitempty"`
	DeliveryID   string                `json:"delivery_id,omitempty"`
	Installation int64                 `json:"installation,omitempty"`
	Repo         string                `json:"repo"`
	Number       int                   `json:"number,omitempty"`
	HeadSHA      string                `json:"head_sha,omitempty"`
	Sender       string                `json:"sender,omitempty"`
	At           hookTime              `json:"at,omitempty"`
	PR           *gh.PullRequest       `json:"pull_request,omitempty"`
	Comment      *gate.Comment         `json:"comment,omitempty"`
	Review       *gh.PullRequestReview `json:"review,omitempty"`
	Issue        *gh.Issue             `json:"issue,omitempty"`
}

// DecodeLegacy reads a pull request job queued before payloads had a
// version.
func DecodeLegacy(payload []byte) (gate.Event, error) {
	var l legacyEvent
	if err := json.Unmarshal(payload, &l); err != nil {
		return gate.Event{}, err
	}
	e := gate.Event{
		Kind: eventKind(l.Event), Action: l.Action, DeliveryID: l.DeliveryID, Host: policies.GitHub, Scope: l.Installation,
		Repo: l.Repo, Number: l.Number, HeadSHA: l.HeadSHA, Sender: l.Sender, At: l.At.Time,
		Pushed: l.Event == "pull_request" && l.Action == "synchronize", Comment: l.Comment,
	}
	if e.Kind == gate.KindRecheck {
		e.Action = l.Event // reconcile, withdrawn, policy_changed, freeze, …
	}
	if l.PR != nil {
		snap := github.SnapshotOf(l.PR)
		e.Change = &snap
	}
	if r := l.Review; r != nil {
		e.Review = &gate.Review{ID: r.GetID(), Author: github.ActorOf(r.GetUser()), State: github.ReviewState(r.GetState(), l.Action),
			CommitSHA: r.GetCommitID(), SubmittedAt: r.GetSubmittedAt().Time}
	}
	if i := l.Issue; i != nil {
		e.Issue = &gate.Issue{Title: i.GetTitle(), Body: i.GetBody(), State: i.GetState()}
		for _, lb := range i.Labels {
			e.Issue.Labels = append(e.Issue.Labels, lb.GetName())
		}
	}
	return e, nil
}

// eventKind is the gate's kind of a GitHub event; the adapter's own events
// are rechecks.
func eventKind(event string) string {
	switch event {
	case "pull_request":
		return gate.KindChange
	case "pull_request_review":
		return gate.KindReview
	case "issue_comment":
		return gate.KindComment
	case "check_run", "check_suite", "status":
		return gate.KindCheck
	}
	return gate.KindRecheck
}
