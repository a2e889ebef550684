package mergequeue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// KindMergeGroup is a merge queue's group asking for checks
// (merge_group checks_requested): judge each pull request of the group now
// (Check) and publish one check run `shipgate: <base>` on the
// group's commit, which GitHub's merge queue requires as it requires it of
// pull requests. Key: KeyMergeGroup.
const KindMergeGroup = "github.merge_group"

// KeyMergeGroup is the ordering key of a group's jobs,
// "github:OWNER/REPO@merge_group/SHA": a redelivery waits for the first.
func KeyMergeGroup(repo, headSHA string) string { return "github:" + repo + "@merge_group/" + headSHA }

// MergeGroupEvent is the payload of a KindMergeGroup job, translated once
// from the webhook.
type MergeGroupEvent struct {
	DeliveryID string `json:"delivery_id,omitempty"`
	// Installation is the App installation (0 with a token).
	Installation int64  `json:"installation,omitempty"`
	Repo         string `json:"repo"`
	// Sender is who queued the last pull request of the group.
	Sender string     `json:"sender,omitempty"`
	Group  MergeGroup `json:"merge_group"`
}

// Jobs translates a merge_group delivery into its job: only
// checks_requested asks for a verdict (destroyed says the group merged or
// was given up).
func Jobs(action, deliveryID string, installation int64, repo, sender string, payload []byte) (jobs []store.Job, ignored string, err error) {
	if action != "checks_requested" {
		return nil, "action " + action + " of merge_group asks for no check", nil
	}
	var p struct {
		Group *MergeGroup `json:"merge_group"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, "", fmt.Errorf("reading the merge_group payload: %w", err)
	}
	if p.Group == nil || p.Group.HeadSHA == "" || p.Group.BaseRef == "" {
		return nil, "", errors.New("reading the merge_group payload: no merge group, head SHA or base ref")
	}
	e := MergeGroupEvent{DeliveryID: deliveryID, Installation: installation, Repo: repo, Sender: sender, Group: *p.Group}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, "", fmt.Errorf("encoding the merge group job: %w", err)
	}
	return []store.Job{{Kind: KindMergeGroup, Key: KeyMergeGroup(e.Repo, e.Group.HeadSHA), Payload: b}}, "", nil
}

// Auditor is the part of the store a group's report writes to.
type Auditor interface {
	AppendAudit(ctx context.Context, e store.AuditEvent) (int64, error)
}

// Process handles a batch of one group's jobs (redeliveries
// name the same group): it judges the group and reports it once. An API
// failure is returned for a retry; on the last try the group gets a
// failing check that says why, never a silent or a green one. o says how
// the pull requests are judged (o.Records verifies their change records).
func Process(ctx context.Context, app *github.App, st Auditor, jobs []store.Job, o github.CheckOptions) error {
	var e MergeGroupEvent
	for _, j := range jobs {
		var d MergeGroupEvent
		if err := json.Unmarshal(j.Payload, &d); err == nil && d.Repo != "" && d.Group.HeadSHA != "" {
			e = d
		}
	}
	if e.Repo == "" {
		zerolog.Ctx(ctx).Error().Msg("unreadable merge group job payload: skipped")
		return nil
	}
	log := zerolog.Ctx(ctx).With().Str(bot.FieldHost, string(policies.GitHub)).Str(bot.FieldHandler, KindMergeGroup).
		Str(bot.FieldRepo, e.Repo).Str(bot.FieldSHA, e.Group.HeadSHA).Str(bot.FieldDelivery, e.DeliveryID).Logger()
	ctx = log.WithContext(ctx)
	rep, err := Check(ctx, app, e.Installation, e.Repo, e.Group, o)
	if err != nil {
		if !bot.LastAttempt(jobs) {
			return err
		}
		rep.Conclusion, rep.Reason = string(review.Failure), "Shipgate could not judge it: "+err.Error()
		ctx = context.WithoutCancel(ctx)
	}
	if perr := report(ctx, app, st, e, rep); perr != nil {
		return errors.Join(err, perr)
	}
	log.Info().Str("conclusion", rep.Conclusion).Int("pull_requests", len(rep.Members)).Str("reason", rep.Reason).Msg("merge group judged")
	return err
}

// report appends the audit event, then publishes the check run
// `shipgate: <base>` on the group's commit. In that order a retry may
// audit twice but never loses the record.
func report(ctx context.Context, app *github.App, st Auditor, e MergeGroupEvent, rep templates.MergeGroupReport) error {
	now := app.Now()
	type member struct {
		Number     int    `json:"number"`
		Conclusion string `json:"conclusion"`
	}
	members := make([]member, 0, len(rep.Members))
	for _, m := range rep.Members {
		members = append(members, member{m.Number, m.Conclusion})
	}
	detail, _ := json.Marshal(map[string]any{
		"base_ref": e.Group.BaseRef, "head_ref": e.Group.HeadRef, "base_sha": e.Group.BaseSHA,
		"pull_requests": members, "reason": rep.Reason,
	})
	audit := store.AuditEvent{
		At: now, Host: policies.GitHub, Repo: e.Repo, Kind: store.AuditMergeGroup, Actor: e.Sender,
		Subject: e.Group.HeadSHA, Outcome: rep.Conclusion, Detail: detail, DeliveryID: e.DeliveryID,
	}
	if _, err := st.AppendAudit(ctx, audit); err != nil {
		return fmt.Errorf("auditing the merge group %.7s of %s: %w", e.Group.HeadSHA, e.Repo, err)
	}
	return Publish(ctx, app, e.Installation, e.Repo, e.Group, rep)
}
