package server

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Route is where GitHub delivers webhooks.
const Route = "/webhooks/github"

// MaxBodyBytes is the largest delivery accepted (GitHub caps payloads at
// 25 MiB); larger ones are answered 413.
const MaxBodyBytes = 25 << 20

// Route implements bot.Receiver.
func (s *Server) Route() string { return Route }

// ServeHTTP receives a webhook delivery: it verifies X-Hub-Signature-256
// (HMAC-SHA256 of the raw body, compared in constant time; the SHA-1
// X-Hub-Signature is never accepted), translates the payload once into
// jobs, and records the delivery with its jobs through the Acceptor before
// answering:
//
//   - 401 with a fixed body, nothing stored: no secret configured, no
//     signature, a SHA-1 one only, or a wrong one (the reason is logged);
//   - 413: a body over MaxBodyBytes; 400: no delivery ID, an unreadable
//     payload;
//   - 200 for ping and for a delivery seen before (nothing new queued);
//   - 202 for an event that needs no work (nothing stored), and for one
//     whose jobs were queued;
//   - 500 when the delivery could not be stored: GitHub may redeliver.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.cfg.Now()
	event := r.Header.Get("X-GitHub-Event")
	delivery := r.Header.Get("X-GitHub-Delivery")
	ans := bot.NewAnswer(w, r, string(policies.GitHub), event, metricEvent(event), delivery, start, s.cfg.Now, s.cfg.Metrics, s.cfg.Logger)
	refuse := func(reason string) { ans.Refuse(r, reason, "signature verification failed") }

	secret := s.cfg.WebhookSecret.Reveal()
	signature := r.Header.Get("X-Hub-Signature-256")
	switch {
	case secret == "":
		refuse("no_webhook_secret_configured")
		return
	case signature == "" && r.Header.Get("X-Hub-Signature") != "":
		refuse("sha1_signature_only")
		return
	case signature == "":
		refuse("missing_signature")
		return
	}
	body, ok := ans.ReadBody(r, MaxBodyBytes)
	if !ok {
		return
	}
	if !bot.Secret(secret).SignsSHA256(signature, body) {
		refuse("wrong_signature")
		return
	}
	if delivery == "" || event == "" {
		ans.Send(http.StatusBadRequest, "bad_request", "X-GitHub-Event and X-GitHub-Delivery are required")
		return
	}
	if event == "ping" {
		ans.Send(http.StatusOK, "ignored", "pong")
		return
	}
	unreadable := func(err error) {
		ans.Log.Warn().Err(err).Msg("webhook refused: unreadable payload")
		ans.Send(http.StatusBadRequest, "bad_request", "unreadable payload")
	}
	payload, err := jsonPayload(r.Header.Get("Content-Type"), body)
	if err != nil {
		unreadable(err)
		return
	}
	jobs, ignored, err := s.translate(event, delivery, payload)
	if err != nil {
		unreadable(err)
		return
	}
	first := firstEvent(jobs)
	ans.Log = ans.Log.With().Str(bot.FieldAction, first.Action).Str(bot.FieldRepo, first.Repo).Int(bot.FieldNumber, first.Number).Logger()
	if ignored != "" {
		ans.Log.Debug().Str("reason", ignored).Msg("webhook ignored")
		ans.Send(http.StatusAccepted, "ignored", "ignored: "+ignored)
		return
	}
	ans.Queue(r.Context(), s.cfg.Acceptor, store.Delivery{
		Host: string(policies.GitHub), ID: delivery, Event: event, Action: first.Action, Payload: payload, ReceivedAt: start,
	}, jobs)
}

// jsonPayload returns the JSON of a delivery: the body, or its "payload"
// form field when GitHub sends application/x-www-form-urlencoded. The
// signature covers the raw body either way.
func jsonPayload(contentType string, body []byte) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return body, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	return []byte(form.Get("payload")), nil
}

// firstEvent reads the payload of the first job, for the delivery record
// and the log; zero without jobs.
func firstEvent(jobs []store.Job) (e struct {
	Action, Repo string
	Number       int
}) {
	if len(jobs) > 0 {
		_ = json.Unmarshal(jobs[0].Payload, &e) // every payload names these alike
	}
	return e
}

// metricEvent bounds the event label to names GitHub sends.
func metricEvent(event string) string {
	if len(event) > 40 || strings.ContainsFunc(event, func(r rune) bool { return !(r == '_' || r >= 'a' && r <= 'z') }) {
		return "other"
	}
	return event
}
