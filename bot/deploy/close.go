package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// KindReleaseEnded is the job kind queued when a release's deployments
// end: its last environment succeeded, a deployment failed with nothing to
// roll back, or a rollback of it finished. bot/report closes the release.
const KindReleaseEnded = "release.ended"

// ReleaseEnded is a KindReleaseEnded job's payload.
type ReleaseEnded struct {
	Host policies.Host `json:"host"`
	Repo string        `json:"repo"`
	// Version is the release that ended (for a rollback: the version it
	// replaced).
	Version string `json:"version"`
	// Deployment is the deployment whose end ended the release.
	Deployment string `json:"deployment"`
}

// releaseEnded queues the close of st's release when st ends it. The job
// is queued once per ending deployment (its delivery ID), so a transition
// redone after a crash closes nothing twice; a later rollback of a release
// that succeeded closes it again, as rolled back.
func (o *Orchestrator) releaseEnded(ctx context.Context, p *policies.Policy, st *State) error {
	version := st.Version
	switch {
	case !o.cfg.CloseReleases:
		return nil
	case st.Kind == KindRollback && st.RolledBack != "":
		version = st.RolledBack
	case st.Kind != KindDeploy:
		return nil
	case st.Status == StatusSucceeded && !isLast(p, st.Environment):
		return nil // the environments after this one go on
	}
	payload, err := json.Marshal(ReleaseEnded{Host: st.Host, Repo: st.Repo, Version: version, Deployment: st.ID})
	if err != nil {
		return err
	}
	id := "release-ended:" + st.ID
	return o.enqueue(ctx, store.Delivery{Host: deliveryHost, ID: id, Event: "release", Action: "ended", Payload: payload},
		store.Job{Kind: KindReleaseEnded, Key: fmt.Sprintf("release:%s:%s:%s", st.Host, st.Repo, version), Payload: payload})
}

// isLast reports whether no environment comes after env: a release is
// over once such an environment has it.
func isLast(p *policies.Policy, env string) bool {
	for _, e := range p.Deploy {
		if strings.EqualFold(e.After, env) {
			return false
		}
	}
	return true
}
