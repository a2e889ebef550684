package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Delivery is one webhook delivery as received, before any interpretation.
type Delivery struct {
	// Host names the sender: "github", "gitlab", "slack".
	Host string
	// ID is the host's delivery ID, unique per host: GitHub's
	// X-GitHub-Delivery; GitLab's Idempotency-Key, else X-Gitlab-Event-UUID;
	// for Slack, an ID derived from the interaction payload.
	ID string
	// Event is the host's event name (GitHub's X-GitHub-Event, GitLab's
	// object_kind).
	Event string
	// Action is the event's action ("opened", "synchronize"), if any.
	Action string
	// Payload is the raw, verified request body.
	Payload []byte
	// ReceivedAt defaults to the store's clock.
	ReceivedAt time.Time
}

const (
	// maxAcceptBatch bounds the deliveries committed in one transaction.
	maxAcceptBatch = 256
	// maxRowsPerInsert keeps multi-row INSERTs under SQLite's and
	// PostgreSQL's parameter limits (9 columns × 256 rows = 2,304).
	maxRowsPerInsert = 256
	// acceptTimeout bounds one group-commit transaction; callers cannot
	// cancel it, because it carries other callers' deliveries too.
	acceptTimeout = 30 * time.Second
)

type acceptRequest struct {
	d    Delivery
	jobs []Job
	// res receives exactly one result; it is buffered so the writer never
	// blocks on a caller.
	res chan acceptResult
}

type acceptResult struct {
	duplicate bool
	err       error
}

// writeRequest is a write transaction waiting for the group-commit writer.
type writeRequest struct {
	fn  func(*sql.Tx) error
	res chan error
}

// Accept durably records a delivery and queues its jobs, in one transaction.
// When it returns nil, the delivery and its jobs are committed (and, on
// SQLite, fsynced): the webhook may be acknowledged.
//
// duplicate is true, and nothing is written, when a delivery with the same
// (Host, ID) was accepted before — also earlier in the same group commit.
//
// Concurrent calls are committed together by one writer (group commit);
// each caller still gets its own result, and one caller's failure does not
// fail the others. ctx only bounds the wait to be taken into a batch: once
// taken, the call waits for the commit, so a nil error is never lost to a
// cancellation. Jobs get the delivery's ID as DeliveryID; zero RunAt means
// now, zero MaxAttempts means DefaultMaxAttempts. Errors wrap ErrInvalid
// for a delivery without Host or ID or a job without Kind or Key, and
// ErrClosed after Close.
func (s *Store) Accept(ctx context.Context, d Delivery, jobs ...Job) (duplicate bool, err error) {
	if d.Host == "" || d.ID == "" {
		return false, fmt.Errorf("accepting delivery: %w: host and delivery ID are required", ErrInvalid)
	}
	for i := range jobs {
		if jobs[i].Kind == "" || jobs[i].Key == "" {
			return false, fmt.Errorf("accepting %s delivery %s: %w: job %d needs a kind and an ordering key", d.Host, d.ID, ErrInvalid, i)
		}
	}
	req := &acceptRequest{d: d, jobs: jobs, res: make(chan acceptResult, 1)}
	if err := s.handOver(ctx, req); err != nil {
		return false, err
	}
	res := <-req.res
	if res.err != nil {
		return false, fmt.Errorf("accepting %s delivery %s: %w", d.Host, d.ID, res.err)
	}
	return res.duplicate, nil
}

// handOver gives req to the writer, counted meanwhile in acceptsWaiting:
// a batch of workers' writes yields while a delivery waits to be taken.
func (s *Store) handOver(ctx context.Context, req *acceptRequest) error {
	s.acceptsWaiting.Add(1)
	defer s.acceptsWaiting.Add(-1)
	select {
	case s.accepts <- req:
		return nil
	case <-s.quit:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("accepting %s delivery %s: %w", req.d.Host, req.d.ID, ctx.Err())
	}
}

// runWriter is the group-commit loop. It takes one request, then every
// request already waiting (up to maxAcceptBatch), and commits them in one
// transaction: deliveries with their jobs, and the other writes (claims,
// records, audit events) each under its own savepoint. There is no timer
// on the way in: while one batch commits, the next one gathers, so batches
// grow with the load and a lone request waits for nothing. On SQLite the
// workers' writes are answered after an fsync that follows them (see
// walsync.go).
//
// A batch of workers' writes yields to deliveries: when a delivery waits
// to be taken, the writer commits the writes done so far and carries the
// rest into the next batch, after the deliveries' commit. A delivery
// waits for one write then, not for a batch of up to maxAcceptBatch.
func (s *Store) runWriter() {
	var b writeBatch
	var held heldWrites
	var carried []*writeRequest
	defer s.release(&held)
	for {
		b.accepts, b.writes = b.accepts[:0], append(b.writes[:0], carried...)
		// Carried writes were taken: they are committed even after Close.
		if len(b.writes) == 0 && !s.next(&b, &held) {
			return
		}
		s.gather(&b)
		if len(b.accepts) > 0 && len(b.writes) > 0 {
			// Deliveries first, in a commit of their own: their acks wait
			// for no worker's claim or completion.
			s.commitBatch(&writeBatch{accepts: b.accepts}, &held)
			carried = s.commitBatch(&writeBatch{writes: b.writes}, &held)
		} else {
			carried = s.commitBatch(&b, &held)
		}
		carried = slices.Clone(carried) // b.writes is reused
		clear(b.accepts)
		clear(b.writes)
	}
}

// next waits for the first request of a batch, releasing the held writes
// when no delivery comes for them in time. It returns false on Close.
func (s *Store) next(b *writeBatch, held *heldWrites) bool {
	release := held.releaseAfter()
	for {
		select {
		case req := <-s.accepts:
			b.accepts = append(b.accepts, req)
			return true
		case req := <-s.writes:
			b.writes = append(b.writes, req)
			return true
		case <-release:
			s.release(held)
			release = nil
		case <-s.quit:
			return false
		}
	}
}

// gather adds to b the requests waiting now, up to maxAcceptBatch. With
// several writers (PostgreSQL) a batch holds deliveries alone or one
// other write, whose keys are then locked in order (see dialect.writers).
func (s *Store) gather(b *writeBatch) {
	writes, alone := s.writes, s.dialect.writers > 1
	if alone {
		if len(b.writes) > 0 {
			return
		}
		writes = nil // never ready: deliveries only
	}
	defer func() {
		// Deliveries in ID order: two writers given the same redelivered
		// IDs wait for each other's rows in one order, not in a cycle.
		slices.SortFunc(b.accepts, func(x, y *acceptRequest) int {
			return cmp.Or(cmp.Compare(x.d.Host, y.d.Host), cmp.Compare(x.d.ID, y.d.ID))
		})
	}()
	for len(b.accepts)+len(b.writes) < maxAcceptBatch {
		select {
		case req := <-s.accepts:
			b.accepts = append(b.accepts, req)
		case req := <-writes:
			b.writes = append(b.writes, req)
		default:
			return
		}
	}
}

// writeBatch is what one group commit writes.
type writeBatch struct {
	accepts []*acceptRequest
	writes  []*writeRequest
}

// commitBatch writes a batch and answers every request in it. If the
// batch transaction fails, each request is retried in its own transaction,
// so that only the request at fault sees an error. A batch of writes alone
// may yield to a waiting delivery (see runWriter): the writes it did not
// reach are returned, unanswered, to be carried.
func (s *Store) commitBatch(b *writeBatch, held *heldWrites) (carried []*writeRequest) {
	s.acceptBatches.Add(1)
	s.acceptRequests.Add(int64(len(b.accepts)))
	defer s.wakeCheckpointer()
	answer := s.answerWrites(b, held)
	yield := len(b.accepts) == 0 && s.wal != nil
	dup, werrs, err := s.writeAll(b.accepts, b.writes, yield)
	writes := b.writes[:len(werrs)]
	carried = b.writes[len(werrs):]
	// A batch that timed out would time out again one by one.
	if err == nil || len(b.accepts)+len(writes) == 1 || errors.Is(err, context.DeadlineExceeded) {
		for i, req := range b.accepts {
			req.res <- acceptResult{duplicate: err == nil && dup[i], err: err}
		}
		if err != nil {
			for i := range werrs {
				werrs[i] = err
			}
		}
		answer(writes, werrs)
		return carried
	}
	for _, req := range b.accepts {
		dup, _, err := s.writeAll([]*acceptRequest{req}, nil, false)
		req.res <- acceptResult{duplicate: err == nil && dup[0], err: err}
	}
	for i, req := range writes {
		_, one, err := s.writeAll(nil, []*writeRequest{req}, false)
		if err == nil {
			err = one[0]
		}
		werrs[i] = err
	}
	answer(writes, werrs)
	return carried
}

// answerWrites prepares the commit of b and returns how to answer its
// writes. On SQLite a batch of workers' writes commits without an fsync
// and is held until one (see walsync.go), and the deliveries' commit, once
// acknowledged, releases the writes held before it; elsewhere the writes
// are answered at once.
func (s *Store) answerWrites(b *writeBatch, held *heldWrites) func(writes []*writeRequest, errs []error) {
	now := func(writes []*writeRequest, errs []error) {
		for i, req := range writes {
			req.res <- errs[i]
		}
	}
	switch {
	case s.wal == nil:
		return now
	case len(b.accepts) > 0:
		return func(writes []*writeRequest, errs []error) {
			now(writes, errs)
			held.accepted = time.Now()
			s.release(held)
		}
	}
	ctx := context.Background()
	if err := s.setSynchronous(ctx, "NORMAL"); err != nil {
		return now // it commits with FULL: durable already
	}
	return func(writes []*writeRequest, errs []error) {
		if err := s.setSynchronous(ctx, "FULL"); err != nil {
			// The next deliveries would commit without an fsync: an
			// acknowledgement must never be given on that.
			panic(fmt.Sprintf("store: restoring synchronous=FULL on the SQLite writer: %v", err))
		}
		s.hold(held, writes, errs)
	}
}

// writeAll writes deliveries with their jobs, and the other writes under
// savepoints, in one transaction. It reports which deliveries were
// duplicates and each write's own error. With yield it stops before the
// next write once a delivery waits to be taken (after one write at
// least): werrs is then shorter than writes, and the writes past it were
// not run.
func (s *Store) writeAll(accepts []*acceptRequest, writes []*writeRequest, yield bool) (dup []bool, werrs []error, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), acceptTimeout)
	defer cancel()
	werrs = make([]error, len(writes))
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if len(accepts) > 0 {
			var err error
			if dup, err = s.acceptIn(ctx, tx, accepts); err != nil {
				return err
			}
		}
		// One savepoint name for every write, released before the next:
		// three statement texts, which SQLite's connection keeps prepared.
		for i, w := range writes {
			if yield && i > 0 && s.acceptsWaiting.Load() > 0 {
				werrs = werrs[:i]
				break
			}
			if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
				return fmt.Errorf("savepoint: %w", err)
			}
			if werrs[i] = w.fn(tx); werrs[i] != nil {
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT w"); err != nil {
					return fmt.Errorf("rolling back a failed write: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT w"); err != nil {
				return fmt.Errorf("releasing savepoint: %w", err)
			}
		}
		return nil
	})
	return dup, werrs, err
}

type deliveryKey struct{ host, id string }

// acceptIn writes deliveries and their jobs in tx and reports which
// requests were duplicates.
func (s *Store) acceptIn(ctx context.Context, tx *sql.Tx, batch []*acceptRequest) ([]bool, error) {
	now := s.now()
	dup := make([]bool, len(batch))

	// A delivery seen twice in the batch: the first one wins.
	first := make(map[deliveryKey]int, len(batch))
	var fresh []int
	for i, req := range batch {
		k := deliveryKey{req.d.Host, req.d.ID}
		if _, ok := first[k]; ok {
			dup[i] = true
			continue
		}
		first[k] = i
		fresh = append(fresh, i)
	}
	var inserted map[deliveryKey]bool
	var err error
	if s.dialect.insertByRow {
		inserted, err = insertDeliveriesByRow(ctx, tx, batch, fresh, now)
	} else {
		inserted, err = insertDeliveries(ctx, tx, batch, fresh, now)
	}
	if err != nil {
		return nil, err
	}
	var jobs []jobRow
	for _, i := range fresh {
		req := batch[i]
		if !inserted[deliveryKey{req.d.Host, req.d.ID}] {
			dup[i] = true
			continue
		}
		for _, j := range req.jobs {
			jobs = append(jobs, newJobRow(req.d, j, now))
		}
	}
	if s.dialect.insertByRow {
		err = insertJobsByRow(ctx, tx, jobs)
	} else {
		err = insertJobs(ctx, tx, jobs)
	}
	if err != nil {
		return nil, err
	}
	return dup, nil
}

// insertDeliveries inserts the deliveries batch[i] for i in idx and returns
// the keys that were new.
func insertDeliveries(ctx context.Context, tx *sql.Tx, batch []*acceptRequest, idx []int, now time.Time) (map[deliveryKey]bool, error) {
	inserted := make(map[deliveryKey]bool, len(idx))
	const cols = 6
	for start := 0; start < len(idx); start += maxRowsPerInsert {
		chunk := idx[start:min(start+maxRowsPerInsert, len(idx))]
		args := make([]any, 0, len(chunk)*cols)
		for _, i := range chunk {
			d := batch[i].d
			at := d.ReceivedAt
			if at.IsZero() {
				at = now
			}
			args = append(args, d.Host, d.ID, d.Event, d.Action, nonNil(d.Payload), micros(at))
		}
		rows, err := tx.QueryContext(ctx, `INSERT INTO deliveries (host, id, event, action, payload, received_at)
VALUES `+valueRows(len(chunk), cols)+`
ON CONFLICT (host, id) DO NOTHING
RETURNING host, id`, args...)
		if err != nil {
			return nil, fmt.Errorf("inserting deliveries: %w", err)
		}
		for rows.Next() {
			var k deliveryKey
			if err := rows.Scan(&k.host, &k.id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("reading inserted deliveries: %w", err)
			}
			inserted[k] = true
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("inserting deliveries: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("inserting deliveries: %w", err)
		}
	}
	return inserted, nil
}

// jobRow is a job as inserted.
type jobRow struct {
	kind, key              string
	payload                []byte
	deliveryHost, delivery string
	maxAttempts            int
	runAt, createdAt       int64
}

func newJobRow(d Delivery, j Job, now time.Time) jobRow {
	r := jobRow{
		kind:         j.Kind,
		key:          j.Key,
		payload:      nonNil(j.Payload),
		deliveryHost: d.Host,
		delivery:     d.ID,
		maxAttempts:  j.MaxAttempts,
		runAt:        micros(j.RunAt),
		createdAt:    micros(now),
	}
	if r.maxAttempts <= 0 {
		r.maxAttempts = DefaultMaxAttempts
	}
	if j.RunAt.IsZero() {
		r.runAt = r.createdAt
	}
	return r
}

// insertJobs queues jobs in order and makes sure each of their ordering keys
// has its queue_keys row.
func insertJobs(ctx context.Context, tx *sql.Tx, jobs []jobRow) error {
	if len(jobs) == 0 {
		return nil
	}
	const cols = 9
	for start := 0; start < len(jobs); start += maxRowsPerInsert {
		chunk := jobs[start:min(start+maxRowsPerInsert, len(jobs))]
		args := make([]any, 0, len(chunk)*cols)
		for _, j := range chunk {
			args = append(args, j.kind, j.key, j.payload, j.deliveryHost, j.delivery, j.maxAttempts, j.runAt, j.createdAt, statePending)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (kind, ordering_key, payload, delivery_host, delivery_id, max_attempts, run_at, created_at, state)
VALUES `+valueRows(len(chunk), cols), args...); err != nil {
			return fmt.Errorf("queueing jobs: %w", err)
		}
	}

	// A new key is ready when its first job is. An existing key keeps its
	// ready_at (its first job is older than these), but the no-op update
	// locks its row on PostgreSQL: a concurrent Complete that found the key
	// empty and deletes the row then waits for us, or we for it and insert
	// the row again. Keys are upserted in sorted order so that transactions
	// locking several keys cannot deadlock.
	keys, readyAt := keysToRegister(jobs)
	for start := 0; start < len(keys); start += maxRowsPerInsert {
		chunk := keys[start:min(start+maxRowsPerInsert, len(keys))]
		args := make([]any, 0, 2*len(chunk))
		for _, k := range chunk {
			args = append(args, k, readyAt[k])
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO queue_keys (ordering_key, ready_at)
VALUES `+valueRows(len(chunk), 2)+`
ON CONFLICT (ordering_key) DO UPDATE SET ready_at = queue_keys.ready_at`, args...); err != nil {
			return fmt.Errorf("registering ordering keys: %w", err)
		}
	}
	return nil
}

// keysToRegister returns the ordering keys of jobs, sorted, with the
// ready_at a new key row gets: the run_at of its first job.
func keysToRegister(jobs []jobRow) ([]string, map[string]int64) {
	readyAt := make(map[string]int64)
	for _, j := range jobs {
		if _, ok := readyAt[j.key]; !ok {
			readyAt[j.key] = j.runAt
		}
	}
	keys := make([]string, 0, len(readyAt))
	for k := range readyAt {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, readyAt
}

// ForgetDelivery deletes the record of a delivery that queued no job, so
// that the host's retry of it is not taken for a duplicate: for a receiver
// that records a request first (to refuse replays) and then fails to do
// its work. A delivery with jobs is kept.
func (s *Store) ForgetDelivery(ctx context.Context, host, id string) error {
	if err := s.closed(); err != nil {
		return err
	}
	_, err := s.exec(ctx, `DELETE FROM deliveries WHERE host = $1 AND id = $2
AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.delivery_id = $2)`, host, id)
	if err != nil {
		return fmt.Errorf("forgetting %s delivery %s: %w", host, id, err)
	}
	return nil
}
