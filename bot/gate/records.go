package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// RecordVerifier asks change systems about the records a change cites
// (change_record.verify); *records.Verifier implements it.
type RecordVerifier interface {
	// Verify returns the answer about each of ids that a provider of v
	// verifies, by ID, reusing a recent answer unless fresh. It never
	// fails: a record that could not be verified says why (Unverified),
	// and Retry when asking again may help.
	Verify(ctx context.Context, v *policies.RecordVerification, ids []string, fresh bool) map[string]policies.Record
}

// Actions of the rechecks that change records cause.
const (
	// ActionRecordUpdated: a change system said a record the change
	// cites changed (Jira's webhook); its records are read afresh.
	ActionRecordUpdated = "record_updated"
	// ActionRecordRetry: a record could not be verified (its provider was
	// down), or a record's planned window opens or closes; the records
	// are read afresh.
	ActionRecordRetry = "record_retry"
)

// Record retries back off from retryFirst, doubling up to retryMax, for
// retryAttempts tries; after that a new event or the reconciliation
// evaluates the change again.
const (
	retryFirst    = 30 * time.Second
	retryMax      = 30 * time.Minute
	retryAttempts = 10
)

// citer is a Store that records which changes cite which records (the
// store does; a Store that cannot is told nothing, and Jira's webhooks
// then find none of its changes).
type citer interface {
	CiteRecords(ctx context.Context, host policies.Host, repo string, number int, records []string) error
}

// addRecords asks the providers about the records c cites, when p
// verifies records and the judge has a verifier; without one, c.Records
// stays nil and the rule says verification was not done.
func (j judge) addRecords(ctx context.Context, c *policies.Change, p *policies.Policy) {
	if !p.Needs().Has(policies.NeedRecords) || j.records == nil {
		return
	}
	c.Records = j.records.Verify(ctx, p.ChangeRecord.Verify, policies.CitedRecords(p, c), j.fresh)
}

// freshRecords reports whether the batch asks for records read afresh.
func (w *work) freshRecords() bool {
	for _, e := range w.events {
		if e.Kind == KindRecheck && (e.Action == ActionRecordUpdated || e.Action == ActionRecordRetry || e.Action == ActionReconcile) {
			return true
		}
	}
	return false
}

// followRecords keeps what the records of the evaluation ask for: the
// citations (for Jira's webhooks), and a new evaluation when a record
// could not be verified (with backoff) or when a record's planned window
// opens or closes.
func (w *work) followRecords(ctx context.Context, v policies.Verdict, now time.Time) error {
	g, p, c := w.g, w.policy.Policy, w.change
	if p == nil || c == nil || !p.Needs().Has(policies.NeedRecords) {
		return nil
	}
	if ct, ok := g.cfg.Store.(citer); ok {
		if err := ct.CiteRecords(ctx, g.host, w.repo.Name(), w.number, v.ChangeRecords); err != nil {
			return err
		}
	}
	attempt := 0
	for _, e := range w.events {
		if e.Action == ActionRecordRetry && e.Attempt > attempt {
			attempt = e.Attempt
		}
	}
	var at time.Time
	for _, r := range c.Records {
		if r.Retry && attempt < retryAttempts {
			attempt++
			at = now.Add(retryDelay(attempt))
			break
		}
	}
	if next := policies.NextRecordChange(c, now); !next.IsZero() && (at.IsZero() || next.Before(at)) {
		at, attempt = next, 0
	}
	if at.IsZero() {
		return nil
	}
	return g.scheduleRecordRetry(ctx, recordRetry{Repo: w.repo.Name(), Scope: scopeOf(w.events), Number: w.number, Attempt: attempt, At: at}, now)
}

// retryDelay is the wait before the attempt-th retry.
func retryDelay(attempt int) time.Duration {
	d := retryFirst
	for range attempt - 1 {
		if d *= 2; d >= retryMax {
			return retryMax
		}
	}
	return d
}

// RecordRetryKind is the kind of the jobs that queue a change's record
// retry when it is due. They have keys of their own: a job due later on
// the change's key would hold back its other events until then.
func RecordRetryKind(h policies.Host) string { return string(h) + ".record_retry" }

// recordRetry is the payload of a RecordRetryKind job.
type recordRetry struct {
	Repo    string    `json:"repo"`
	Scope   int64     `json:"scope,omitempty"`
	Number  int       `json:"number"`
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
}

// scheduleRecordRetry queues r to run at r.At; one per change, attempt
// and time, so that the evaluations of one outage schedule it once.
func (g *Gate) scheduleRecordRetry(ctx context.Context, r recordRetry, now time.Time) error {
	payload, err := json.Marshal(r)
	if err != nil {
		return err
	}
	id := fmt.Sprintf("record-retry:%s:%s#%d:%d:%d", g.host, r.Repo, r.Number, r.Attempt, r.At.Unix())
	_, err = g.cfg.Acceptor.Accept(ctx, store.Delivery{Host: "shipgate", ID: id, Event: "records", Action: "retry", Payload: payload, ReceivedAt: now},
		store.Job{Kind: RecordRetryKind(g.host), Key: id, Payload: payload, RunAt: r.At})
	if err != nil {
		return fmt.Errorf("scheduling a new verification of the records of %s#%d: %w", r.Repo, r.Number, err)
	}
	zerolog.Ctx(ctx).Info().Int("attempt", r.Attempt).Time("at", r.At).Msg("records to verify again")
	return nil
}

// processRecordRetries queues the change evaluations of due record
// retries, on the changes' own keys.
func (g *Gate) processRecordRetries(ctx context.Context, jobs []store.Job) error {
	for _, j := range jobs {
		var r recordRetry
		if err := json.Unmarshal(j.Payload, &r); err != nil || r.Repo == "" || r.Number == 0 {
			zerolog.Ctx(ctx).Error().Int64("job_id", j.ID).Msg("unreadable record retry: skipped")
			continue
		}
		id := fmt.Sprintf("%s:run", j.Key)
		e := Event{Kind: KindRecheck, Action: ActionRecordRetry, DeliveryID: id, Host: g.host, Scope: r.Scope, Repo: r.Repo, Number: r.Number, Attempt: r.Attempt}
		if _, err := g.cfg.Acceptor.Accept(ctx, store.Delivery{Host: "shipgate", ID: id, Event: "records", Action: "retry", Payload: []byte("{}"), ReceivedAt: g.cfg.Now()}, Job(e)); err != nil {
			return err
		}
	}
	return nil
}

// RecordRechecker returns how host's changes are evaluated again when a
// record they cite changed (records.JiraWebhook's Jobs).
func RecordRechecker(host policies.Host) func(repo string, number int, cause string) (store.Job, error) {
	return func(repo string, number int, cause string) (store.Job, error) {
		return Rechecker(host)(repo, number, ActionRecordUpdated, cause)
	}
}
