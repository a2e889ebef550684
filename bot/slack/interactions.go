package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	sl "github.com/slack-go/slack"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
)

// Request signing (https://api.slack.com/authentication/verifying-requests-from-slack).
const (
	headerSignature = "X-Slack-Signature"
	headerTimestamp = "X-Slack-Request-Timestamp"
	// window is how old (or how far ahead) a request's timestamp may be.
	window  = 5 * time.Minute
	maxBody = 1 << 20
)

// Route implements bot.Receiver.
func (s *Slack) Route() string { return Route }

// ServeHTTP serves POST /slack/interactions: it verifies the signature over
// the raw body and the timestamp window (401 otherwise), refuses a replayed
// request, then queues the decision (or opens the rejection modal) and
// answers at once; the orchestrator does the work in a job.
func (s *Slack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if reason := s.verify(r.Header, body); reason != "" {
		s.cfg.Logger.Warn().Str("reason", reason).Msg("slack request refused")
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	ctx := r.Context()
	// A replay carries the same signature: remember each one (its delivery).
	sig := r.Header.Get(headerSignature)
	dup, err := s.cfg.Store.Accept(ctx, store.Delivery{Host: "slack", ID: "sig:" + sig, Event: "interaction", Payload: body})
	if err != nil {
		s.cfg.Logger.Error().Err(err).Msg("recording a slack interaction")
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	if dup {
		s.cfg.Logger.Warn().Str("reason", "replay").Msg("slack request refused")
		w.WriteHeader(http.StatusOK)
		return
	}
	// retryLater answers 503 and forgets the request, so that Slack's retry
	// of it is done, not refused as a replay.
	retryLater := func(msg string) {
		if err := s.cfg.Store.ForgetDelivery(context.WithoutCancel(ctx), "slack", "sig:"+sig); err != nil {
			s.cfg.Logger.Error().Err(err).Msg("forgetting a slack interaction that failed")
		}
		http.Error(w, msg, http.StatusServiceUnavailable)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var cb sl.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if s.cfg.Decider == nil {
		retryLater("not ready")
		return
	}
	switch cb.Type {
	case sl.InteractionTypeBlockActions:
		for _, a := range cb.ActionCallback.BlockActions {
			if err := s.action(ctx, cb, a); err != nil {
				s.cfg.Logger.Error().Err(err).Str("action", a.ActionID).Msg("handling a slack action")
				retryLater("try again")
				return
			}
		}
	case sl.InteractionTypeViewSubmission:
		if cb.View.CallbackID == CallbackReject || cb.View.CallbackID == CallbackOverride {
			reason := strings.TrimSpace(cb.View.State.Values[blockReason][blockReason].Value)
			id := cb.View.PrivateMetadata
			approve := cb.View.CallbackID == CallbackOverride
			if err := s.cfg.Decider.Decide(ctx, id, deploy.Actor{SlackUser: cb.User.ID}, approve, reason, deploy.ViaSlack,
				"slack:"+cb.User.ID+":"+cb.View.ID); err != nil {
				s.cfg.Logger.Error().Err(err).Msg("queueing a slack decision")
				retryLater("try again")
				return
			}
		}
	}
	w.WriteHeader(http.StatusOK)
}

// action handles one button: Approve queues the decision; Reject and
// Override open the modal that asks for the reason (within the trigger's 3
// seconds), and its submission decides.
func (s *Slack) action(ctx context.Context, cb sl.InteractionCallback, a *sl.BlockAction) error {
	switch a.ActionID {
	case ActionApprove:
		return s.cfg.Decider.Decide(ctx, a.Value, deploy.Actor{SlackUser: cb.User.ID}, true, "", deploy.ViaSlack, "slack:"+cb.User.ID+":"+a.ActionTs)
	case ActionReject:
		_, err := s.client.OpenViewContext(ctx, cb.TriggerID, reasonModal(CallbackReject, a.Value, "Reject deployment", "Reject", "Why?"))
		return err
	case ActionOverride:
		_, err := s.client.OpenViewContext(ctx, cb.TriggerID, reasonModal(CallbackOverride, a.Value, "Override the freeze", "Override", "Why must it ship now?"))
		return err
	}
	return nil
}

// reasonModal asks for the reason of a decision on deployment id.
func reasonModal(callback, id, title, submit, prompt string) sl.ModalViewRequest {
	input := sl.NewPlainTextInputBlockElement(sl.NewTextBlockObject(sl.PlainTextType, prompt, false, false), blockReason)
	input.Multiline = true
	return sl.ModalViewRequest{
		Type:            sl.VTModal,
		CallbackID:      callback,
		PrivateMetadata: id,
		Title:           sl.NewTextBlockObject(sl.PlainTextType, title, false, false),
		Submit:          sl.NewTextBlockObject(sl.PlainTextType, submit, false, false),
		Close:           sl.NewTextBlockObject(sl.PlainTextType, "Cancel", false, false),
		Blocks: sl.Blocks{BlockSet: []sl.Block{
			sl.NewInputBlock(blockReason, sl.NewTextBlockObject(sl.PlainTextType, "Reason", false, false), nil, input),
		}},
	}
}

// verify returns "" for a request signed with the signing secret within
// the timestamp window, else a reason code for the log (never the secret
// or the signature).
func (s *Slack) verify(h http.Header, body []byte) string {
	ts := h.Get(headerTimestamp)
	sig := h.Get(headerSignature)
	if ts == "" || sig == "" {
		return "missing_signature"
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "bad_timestamp"
	}
	if d := s.cfg.Now().Sub(time.Unix(sec, 0)); d > window || d < -window {
		return "stale_timestamp"
	}
	if !hmac.Equal([]byte(Sign(string(s.cfg.SigningSecret), ts, body)), []byte(sig)) {
		return "bad_signature"
	}
	return ""
}

// Sign returns the X-Slack-Signature of body at ts with secret, as Slack
// computes it (for tests and tools that replay requests).
func Sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, "v0:"+ts+":")
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}
