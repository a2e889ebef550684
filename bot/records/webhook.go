package records

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// JiraRoute is the path of Jira's webhooks.
const JiraRoute = "/webhooks/jira"

// maxJiraDelivery bounds a Jira delivery's body (an issue with its
// changelog).
const maxJiraDelivery = 5 << 20

// Citations is the part of the store the webhook reads.
type Citations interface {
	ChangesCiting(ctx context.Context, record string) ([]store.Citation, error)
}

// Recheck builds the job that evaluates change number of repo again
// because record changed, caused by delivery cause.
type Recheck func(repo string, number int, cause string) (store.Job, error)

// JiraWebhook is the bot.Receiver of Jira's issue webhooks: it queues a
// new evaluation of every open change that cites the issue, whose records
// are then read afresh from Jira (the payload is never taken for the
// issue's state). A delivery must carry Jira's X-Hub-Signature
// (sha256=HMAC of the body) under Secret; a missing or wrong one is
// refused with 401, and so is every delivery when there is no secret,
// unless Unsigned says to take them.
type JiraWebhook struct {
	// Secret is SHIPGATE_JIRA_WEBHOOK_SECRET.
	Secret bot.Secret
	// Unsigned takes unsigned deliveries when there is no secret
	// (SHIPGATE_JIRA_WEBHOOK_UNSIGNED=accept: Jira Data Center before 10
	// cannot sign). Each can only make Shipgate read issues again, but
	// anyone who reaches the route can send them.
	Unsigned bool
	Store    Citations
	Acceptor bot.Acceptor
	// Jobs maps a host to how its changes are evaluated again.
	Jobs map[policies.Host]Recheck
	// Forget, when set, drops the answers kept about an issue.
	Forget  func(id string)
	Now     func() time.Time
	Logger  zerolog.Logger
	Metrics *bot.Metrics
}

var _ bot.Receiver = (*JiraWebhook)(nil)

// Route implements bot.Receiver.
func (h *JiraWebhook) Route() string { return JiraRoute }

// jiraEvent is the part of a Jira webhook payload read.
type jiraEvent struct {
	WebhookEvent string `json:"webhookEvent"`
	Issue        struct {
		Key string `json:"key"`
	} `json:"issue"`
	Changelog struct {
		Items []struct {
			Field      string `json:"field"`
			FromString string `json:"fromString"`
		} `json:"items"`
	} `json:"changelog"`
}

// ServeHTTP implements http.Handler.
func (h *JiraWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	start := now()
	delivery := r.Header.Get("X-Atlassian-Webhook-Identifier")
	a := bot.NewAnswer(w, r, "jira", "issue", "issue", delivery, start, now, h.Metrics, h.Logger)
	body, ok := a.ReadBody(r, maxJiraDelivery)
	if !ok {
		return
	}
	if !h.signed(a, r, body) {
		return
	}
	var e jiraEvent
	if err := json.Unmarshal(body, &e); err != nil {
		a.Send(http.StatusBadRequest, "bad_request", "not a Jira webhook payload")
		return
	}
	if !strings.HasPrefix(e.WebhookEvent, "jira:issue_") || e.Issue.Key == "" {
		a.Send(http.StatusOK, "ignored", "ignored")
		return
	}
	if delivery == "" {
		sum := sha256.Sum256(body)
		delivery = hex.EncodeToString(sum[:])
	}
	a.Log = a.Log.With().Str(bot.FieldDelivery, delivery).Str("record", e.Issue.Key).Logger()
	jobs, err := h.rechecks(r.Context(), e, delivery)
	if err != nil {
		a.Log.Error().Err(err).Msg("finding the changes that cite the record")
		a.Send(http.StatusInternalServerError, "error", "could not find the changes that cite the issue")
		return
	}
	a.Queue(r.Context(), h.Acceptor, store.Delivery{Host: "jira", ID: delivery, Event: "issue", Action: e.WebhookEvent, Payload: body, ReceivedAt: start}, jobs)
}

// signed says whether the delivery may be taken, refusing it when not:
// fail closed, a route without a secret refuses all but with Unsigned.
func (h *JiraWebhook) signed(a *bot.Answer, r *http.Request, body []byte) bool {
	if h.Secret == "" {
		if !h.Unsigned {
			a.Refuse(r, "no_secret", "this server has no secret for Jira's webhooks (SHIPGATE_JIRA_WEBHOOK_SECRET)")
		}
		return h.Unsigned
	}
	sig := r.Header.Get("X-Hub-Signature")
	switch {
	case !strings.HasPrefix(sig, "sha256="):
		a.Refuse(r, "missing_signature", "missing or unsupported signature")
		return false
	case !h.Secret.SignsSHA256(sig, body):
		a.Refuse(r, "bad_signature", "invalid signature")
		return false
	}
	return true
}

// rechecks are the evaluations to queue: of every open change that cites
// the issue under its key, or under the key it had before a move.
func (h *JiraWebhook) rechecks(ctx context.Context, e jiraEvent, delivery string) ([]store.Job, error) {
	keys := []string{e.Issue.Key}
	for _, it := range e.Changelog.Items {
		if strings.EqualFold(it.Field, "Key") && it.FromString != "" {
			keys = append(keys, it.FromString)
		}
	}
	var jobs []store.Job
	seen := map[store.Citation]bool{}
	for _, k := range keys {
		if h.Forget != nil {
			h.Forget(k)
		}
		cites, err := h.Store.ChangesCiting(ctx, k)
		if err != nil {
			return nil, err
		}
		for _, c := range cites {
			mk := h.Jobs[c.Host]
			if seen[c] || mk == nil {
				continue // a host this server no longer serves
			}
			j, err := mk(c.Repo, c.Number, "jira:"+delivery)
			if err != nil {
				return nil, err
			}
			seen[c] = true
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}
