package gate

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// Version is the format of Event payloads written now. A payload without a
// version was written before the format was Shipgate's own; the host that
// queued it decodes it (Host.DecodeLegacy).
const Version = 1

// Event kinds, host-neutral.
const (
	// KindChange: the change itself changed (opened, edited, pushed,
	// labelled, retargeted, closed, …); Action says how.
	KindChange = "change"
	// KindReview: a review was submitted, edited or dismissed.
	KindReview = "review"
	// KindComment: a comment was created, edited or deleted.
	KindComment = "comment"
	// KindCheck: a check run or commit status on the head completed.
	KindCheck = "check"
	// KindRecheck: the adapter or the bot asks for a new evaluation
	// (policy changed, reconcile, freeze, withdrawn, team changed); Action
	// says why.
	KindRecheck = "recheck"
)

// Actions every adapter names alike.
const (
	// ActionOpened: a KindChange event that opened the change. It has no
	// reviews or comments yet but those of the batch.
	ActionOpened = "opened"
	// ActionReconcile: a KindRecheck that reads everything again.
	ActionReconcile = "reconcile"
	// ActionWithdrawn: a KindRecheck of a change whose commit had its
	// verdict for the change's base withdrawn by another change.
	ActionWithdrawn = "withdrawn"
)

// Event is a host event translated once into Shipgate's own terms: the
// payload of the per-change jobs of every host.
type Event struct {
	// V is the payload format (Version).
	V    int    `json:"v"`
	Kind string `json:"kind"`
	// Action is the host's action ("opened", "synchronize", "update", …),
	// or why a recheck was asked.
	Action     string        `json:"action,omitempty"`
	DeliveryID string        `json:"delivery_id,omitempty"`
	Host       policies.Host `json:"host"`
	// Scope locates the repository for the host's API: GitHub's App
	// installation, GitLab's project ID; 0 when unknown.
	Scope  int64  `json:"scope,omitempty"`
	Repo   string `json:"repo"`
	Number int    `json:"number"`
	// HeadSHA is the change's head when the event tells it.
	HeadSHA string `json:"head_sha,omitempty"`
	// Sender caused the event.
	Sender string `json:"sender,omitempty"`
	// At is when the event happened, as far as the payload says.
	At time.Time `json:"at,omitzero"`
	// Pushed tells that the event moved the head (a push).
	Pushed bool `json:"pushed,omitempty"`
	// Change is the change as the payload held it; nil when it must be read.
	Change *Snapshot `json:"change,omitempty"`
	// Issue is what a comment event tells of its change (GitHub's issue):
	// enough to refresh a change the gate saw, not to judge a new one.
	Issue *Issue `json:"issue,omitempty"`
	// Attempt counts the record retries of an ActionRecordRetry recheck.
	Attempt int `json:"attempt,omitempty"`
	// Comment and Review are set for KindComment and KindReview.
	Comment *Comment `json:"comment,omitempty"`
	Review  *Review  `json:"review,omitempty"`
}

// Snapshot is a change as a payload or the API gives it, without the facts
// a policy may need beyond it.
type Snapshot struct {
	Number int            `json:"number"`
	Title  string         `json:"title"`
	Body   string         `json:"body"`
	Author policies.Actor `json:"author"`
	// Base and Head are the branches; BaseSHA the base's commit, HeadSHA
	// the head's.
	Base    string `json:"base"`
	Head    string `json:"head"`
	BaseSHA string `json:"base_sha,omitempty"`
	HeadSHA string `json:"head_sha"`
	// State is "open", "closed" or "merged".
	State  string   `json:"state"`
	Draft  bool     `json:"draft,omitempty"`
	Labels []string `json:"labels,omitempty"`
	// ChangedFiles and Commits are the host's counts (0: unknown), against
	// which the lists read are checked.
	ChangedFiles int `json:"changed_files,omitempty"`
	Commits      int `json:"commits,omitempty"`
	// URL is the change's page (a GitLab status links to it).
	URL       string    `json:"url,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Issue is the part of a change a comment event carries.
type Issue struct {
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Labels []string `json:"labels,omitempty"`
	// State is "open" or "closed".
	State string `json:"state"`
}

// Open, Closed and Merged are a Snapshot's states.
const (
	Open   = "open"
	Closed = "closed"
	Merged = "merged"
)

// Comment is a comment of a comment event.
type Comment struct {
	ID     int64  `json:"id"`
	Author string `json:"author"`
	// Bot is true for comments by Apps and bot accounts: never commands.
	Bot       bool      `json:"bot,omitempty"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// Edited and Deleted: the event edited or deleted it. Neither runs a
	// command; an edit's sender is the editor, not the author.
	Edited  bool `json:"edited,omitempty"`
	Deleted bool `json:"deleted,omitempty"`
}

// Review is a review of a review event.
type Review struct {
	ID          int64                `json:"id"`
	Author      policies.Actor       `json:"author"`
	State       policies.ReviewState `json:"state"`
	CommitSHA   string               `json:"commit_sha,omitempty"`
	SubmittedAt time.Time            `json:"submitted_at"`
}

// Encode writes e as a job payload of the current format.
func Encode(e Event) []byte {
	e.V = Version
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("gate: encoding an event: %v", err)) // plain structs always encode
	}
	return b
}

// decode reads a job payload of the current format; legacy is true for a
// payload written before it had a version.
func decode(payload []byte) (e Event, legacy bool, err error) {
	var v struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(payload, &v); err != nil {
		return Event{}, false, err
	}
	switch {
	case v.V == 0:
		return Event{}, true, nil
	case v.V > Version:
		return Event{}, false, fmt.Errorf("event format %d is newer than this Shipgate's (%d): upgrade it", v.V, Version)
	}
	err = json.Unmarshal(payload, &e)
	return e, false, err
}

// Change returns the policies.Change the snapshot describes, on host and
// repo, without facts.
func (s Snapshot) Change(host policies.Host, repo string) *policies.Change {
	owner, name := splitRepo(repo)
	return &policies.Change{
		Host: host, Repo: policies.Repo{Owner: owner, Name: name}, Number: s.Number, Title: s.Title, Body: s.Body,
		Author: s.Author, BaseBranch: s.Base, HeadBranch: s.Head, HeadSHA: s.HeadSHA, Draft: s.Draft, Merged: s.State == Merged,
		Labels: append([]string(nil), s.Labels...), CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
}

// splitRepo splits a path at its last slash: the owner (a GitLab group
// with its subgroups) and the name.
func splitRepo(repo string) (owner, name string) {
	for i := len(repo) - 1; i >= 0; i-- {
		if repo[i] == '/' {
			return repo[:i], repo[i+1:]
		}
	}
	return "", repo
}
