// Package bot is Shipgate's server: HTTP routes and middleware, the worker
// pool that drains the durable queue, metrics, and the contracts the host
// adapters (bot/github, bot/gitlab, bot/slack) implement. The adapters
// import bot; bot imports none of them: cmd/shipgate wires them together.
//
// It must not import actions/ or any host SDK.
package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/shipgate/shipgate/bot/store"
)

// Processor handles the queued jobs of some kinds. Adapters implement it.
type Processor interface {
	// Kinds lists the job kinds it takes (e.g. "github.pr").
	Kinds() []string
	// Process handles one batch: every runnable job of one ordering key,
	// oldest first, so that a burst for one PR is handled as one. It is
	// never called concurrently for one key. Returning nil completes all
	// jobs of the batch; an error retries them (see Retry); a Permanent
	// error marks them dead at once.
	Process(ctx context.Context, b store.Batch) error
}

// Receiver is a host's webhook endpoint: it verifies the request, records
// the delivery and its jobs through the Acceptor, and only then answers.
type Receiver interface {
	// Route is the path it serves, e.g. "/webhooks/github".
	Route() string
	http.Handler
}

// Acceptor durably records a delivery with its jobs in one transaction;
// duplicate is true (and nothing is written) for a delivery seen before.
// *store.Store implements it.
type Acceptor interface {
	Accept(ctx context.Context, d store.Delivery, jobs ...store.Job) (duplicate bool, err error)
}

// RetryError asks for a retry no earlier than At (e.g. from Retry-After or
// a rate-limit reset). Other errors are retried with exponential backoff.
type RetryError struct {
	Err error
	At  time.Time
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("%v (retry at %s)", e.Err, e.At.UTC().Format(time.RFC3339))
}

func (e *RetryError) Unwrap() error { return e.Err }

// ErrPermanent marks an error that no retry can fix (a malformed payload,
// a repository that no longer exists); wrap it with Permanent.
var ErrPermanent = errors.New("permanent failure")

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return fmt.Errorf("%w: %w", ErrPermanent, err) }

// Log field names, set once at the edge and carried by every line of a
// delivery or job.
const (
	FieldDelivery = "delivery_id"
	FieldHost     = "host"
	FieldEvent    = "event"
	FieldAction   = "action"
	FieldRepo     = "repo"
	FieldNumber   = "pr"
	FieldSHA      = "sha"
	FieldHandler  = "handler"
	FieldJob      = "job_id"
	FieldKey      = "key"
)
