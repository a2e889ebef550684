package review

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// TagReport is the validation of one pushed tag, as published (a commit
// status on the tagged commit) and audited.
type TagReport struct {
	Tag, SHA string
	// Problems are release.ValidateTag's; PolicyError is set instead when
	// the policy could not be used.
	Problems    []release.Problem
	PolicyError string
	// Refused says why a valid tag does not count as a release (who
	// pushed it may not release); nothing is released or deployed.
	Refused string
	// ReleaseURL is set when a release was created.
	ReleaseURL string
	Released   bool
	// Previous is the previous version tag, "" for a first release; Notes
	// are the notes of the commits since it, when the tag was checked (the
	// dashboard's release page shows both from the audit event).
	Previous string
	Notes    *release.Notes
}

// Valid reports whether the tag passed, as a release.
func (r TagReport) Valid() bool {
	return r.PolicyError == "" && len(r.Problems) == 0 && r.Refused == ""
}

// Status is what the tag's commit status says: whether it passes, and its
// description (cut by the host to its limit).
func (r TagReport) Status() (ok bool, description string) {
	switch {
	case r.PolicyError != "":
		return false, r.Tag + " was not checked: " + r.PolicyError
	case r.Refused != "":
		return false, r.Tag + " is not a release: " + r.Refused
	case !r.Valid():
		kinds := make([]string, len(r.Problems))
		for i, p := range r.Problems {
			kinds[i] = string(p.Kind)
		}
		return false, fmt.Sprintf("%s is not a valid version tag (%s): %s", r.Tag, strings.Join(kinds, ", "), r.Problems[0].Message)
	case r.Released:
		return true, r.Tag + " is a valid version tag, released"
	}
	return true, r.Tag + " is a valid version tag"
}

// Audit is the audit entry of the report on host's repo, caused by actor
// through deliveryID (event names the host event).
func (r TagReport) Audit(host policies.Host, repo, actor, event, deliveryID string, at time.Time) store.AuditEvent {
	outcome := "valid"
	switch {
	case r.Refused != "":
		outcome = "refused"
	case !r.Valid():
		outcome = "invalid"
	case r.Released:
		outcome = "released"
	}
	detail := map[string]any{"tag": r.Tag, "sha": r.SHA, "event": event}
	if len(r.Problems) > 0 {
		detail["problems"] = r.Problems
	}
	if r.PolicyError != "" {
		detail["policy_error"] = r.PolicyError
	}
	if r.Refused != "" {
		detail["refused"] = r.Refused
	}
	if r.ReleaseURL != "" {
		detail["release_url"] = r.ReleaseURL
	}
	if r.Previous != "" {
		detail["previous"] = r.Previous
	}
	if r.Notes != nil {
		detail["notes"] = r.Notes
	}
	data, _ := json.Marshal(detail)
	return store.AuditEvent{
		At: at, Host: host, Repo: repo, Kind: store.AuditRelease, Actor: actor,
		Subject: r.Tag, Outcome: outcome, Detail: data, DeliveryID: deliveryID,
	}
}

// ReleaseRefusal says why a tag pushed by pusher does not count as a
// release, "" when it does: the pusher must be Shipgate itself (a tag it
// made for an authorised /release or a release train) or hold the role
// the policy's commands: gives `release` (default maintain), as /release
// asks; perm is the pusher's role. Anyone who may push a tag could
// otherwise release, and start the release's deployments.
func ReleaseRefusal(p *policies.Policy, pusher, self string, perm policies.Permission) string {
	switch need := p.RoleFor("release"); {
	case pusher == "":
		return "the webhook names no pusher, so Shipgate cannot tell who made the tag"
	case self != "" && policies.SameLogin(pusher, self):
		return ""
	case perm < need:
		return fmt.Sprintf("pushed by %s, who has %s access; releasing needs %s", pusher, perm, need)
	}
	return ""
}
