package server

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// tagHook is what tagJobs reads of a push or create payload.
type tagHook struct {
	Ref          string    `json:"ref"`
	RefType      string    `json:"ref_type"`
	Deleted      bool      `json:"deleted"`
	Sender       *hookUser `json:"sender"`
	Installation *struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Repository *struct {
		FullName      string `json:"full_name"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
}

// tagJobs translates a push of a tag or a create of a tag into its tag
// job (gate.TagJob); ignored says why a delivery queues nothing.
func tagJobs(event, deliveryID string, payload []byte) (jobs []store.Job, ignored string, err error) {
	var p tagHook
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, "", fmt.Errorf("reading the %s payload: %w", event, err)
	}
	if p.Repository == nil || p.Repository.FullName == "" {
		return nil, "", fmt.Errorf("reading the %s payload: no repository", event)
	}
	tag := p.Ref
	switch event {
	case "push":
		var ok bool
		if tag, ok = strings.CutPrefix(p.Ref, "refs/tags/"); !ok {
			return nil, "push of " + p.Ref + ", not a tag", nil
		}
		if p.Deleted {
			return nil, "tag deleted", nil
		}
	case "create":
		if p.RefType != "tag" {
			return nil, "created a " + p.RefType + ", not a tag", nil
		}
	default:
		return nil, "event " + event + " is not a tag event", nil
	}
	if tag == "" {
		return nil, "", fmt.Errorf("reading the %s payload: no tag name", event)
	}
	e := gate.TagPush{
		Host: policies.GitHub, Event: event, DeliveryID: deliveryID, Repo: p.Repository.FullName, Tag: tag,
		DefaultBranch: p.Repository.DefaultBranch, Sender: p.Sender.login(),
	}
	if p.Installation != nil {
		e.Installation = p.Installation.ID
	}
	return []store.Job{gate.TagJob(e)}, "", nil
}
