package bot

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/store"
)

// Answer answers one webhook delivery for a host's Receiver. The standard
// log fields are set once; every answer is counted by outcome with its
// acknowledgement time; bodies are fixed text, never an echo of what was
// sent.
type Answer struct {
	w       http.ResponseWriter
	host    string
	event   string // the metric label, bounded by the host
	start   time.Time
	now     func() time.Time
	metrics *Metrics
	// Log carries host, event and delivery ID; a Receiver adds fields
	// (action, repo, number) as it learns them.
	Log zerolog.Logger
}

// NewAnswer starts the answer to a delivery that arrived at start.
// metricEvent is the event name as a bounded metric label; fallback logs
// when the request's context carries no logger.
func NewAnswer(w http.ResponseWriter, r *http.Request, host, event, metricEvent, delivery string,
	start time.Time, now func() time.Time, m *Metrics, fallback zerolog.Logger) *Answer {
	log := zerolog.Ctx(r.Context())
	if log.GetLevel() == zerolog.Disabled {
		log = &fallback
	}
	return &Answer{
		w: w, host: host, event: metricEvent, start: start, now: now, metrics: m,
		Log: log.With().Str(FieldHost, host).Str(FieldEvent, event).Str(FieldDelivery, delivery).Logger(),
	}
}

// Send answers with code and a one-line body, counting the outcome.
func (a *Answer) Send(code int, outcome, body string) {
	if a.metrics != nil {
		a.metrics.Deliveries.WithLabelValues(a.host, a.event, outcome).Inc()
		a.metrics.AckSeconds.WithLabelValues(a.host).Observe(a.now().Sub(a.start).Seconds())
	}
	a.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	a.w.WriteHeader(code)
	_, _ = io.WriteString(a.w, body+"\n")
}

// Refuse answers 401 with a fixed body and logs the reason code (never
// what was presented).
func (a *Answer) Refuse(r *http.Request, reason, body string) {
	a.Log.Warn().Str("reason", reason).Str("remote", r.RemoteAddr).Msg("webhook refused")
	a.Send(http.StatusUnauthorized, "unauthorized", body)
}

// ReadBody reads the request body up to limit bytes. When it cannot, it
// answers (413 beyond the limit, 400 otherwise) and ok is false.
func (a *Answer) ReadBody(r *http.Request, limit int64) (body []byte, ok bool) {
	body, err := readAll(http.MaxBytesReader(a.w, r.Body, limit), r.ContentLength, limit)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		a.Log.Warn().Int64("limit", tooLarge.Limit).Msg("webhook refused: body too large")
		a.Send(http.StatusRequestEntityTooLarge, "too_large", "payload too large")
		return nil, false
	case err != nil:
		a.Log.Warn().Err(err).Msg("webhook refused: reading the body")
		a.Send(http.StatusBadRequest, "bad_request", "cannot read the body")
		return nil, false
	}
	return body, true
}

// readAll reads a body in one allocation when its length is announced
// (io.ReadAll grows its buffer from 512 bytes, copying a 12 KiB delivery
// six times); a chunked body is read as io.ReadAll does.
func readAll(r io.Reader, length, limit int64) ([]byte, error) {
	if length <= 0 || length > limit {
		return io.ReadAll(r)
	}
	// bytes.MinRead spare bytes let ReadFrom see EOF without growing.
	buf := bytes.NewBuffer(make([]byte, 0, length+bytes.MinRead))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// Queue records the delivery with its jobs through acc and only then
// answers: 202 "queued", 200 for a delivery seen before, 500 when it could
// not be stored (the host will retry), 503 without an Acceptor.
func (a *Answer) Queue(ctx context.Context, acc Acceptor, d store.Delivery, jobs []store.Job) {
	if acc == nil {
		a.Log.Error().Msg("no Acceptor configured: the delivery cannot be stored")
		a.Send(http.StatusServiceUnavailable, "error", "not configured to receive webhooks")
		return
	}
	dup, err := acc.Accept(ctx, d, jobs...)
	switch {
	case err != nil:
		a.Log.Error().Err(err).Msg("storing the delivery")
		a.Send(http.StatusInternalServerError, "error", "could not store the delivery")
	case dup:
		a.Log.Info().Msg("duplicate delivery")
		a.Send(http.StatusOK, "duplicate", "duplicate delivery")
	default:
		a.Log.Info().Int("jobs", len(jobs)).Msg("delivery queued")
		a.Send(http.StatusAccepted, "accepted", "queued")
	}
}
