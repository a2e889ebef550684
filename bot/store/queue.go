package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"
)

// DefaultMaxAttempts is a job's MaxAttempts when Accept is given zero.
const DefaultMaxAttempts = 8

// maxBatchJobs bounds the jobs Claim returns for one key; a longer backlog
// comes in the next claim of that key, still in order.
const maxBatchJobs = 1000

// maxClaimKeys bounds the keys one Claim takes, which keeps its IN lists
// under the databases' parameter limits.
const maxClaimKeys = 256

// maxLastError bounds the stored text of a job's last error.
const maxLastError = 2048

const (
	statePending = "pending"
	stateLeased  = "leased"
	stateDead    = "dead"
)

// Job is one unit of queued work.
type Job struct {
	// ID is assigned by the store; it increases with the order in which
	// jobs were queued and is never reused.
	ID int64
	// Kind tells the worker what to do ("evaluate", "command").
	Kind string
	// Key is the ordering key, e.g. "github:acme/widgets#42". Jobs of one
	// key run in ID order and never concurrently.
	Key string
	// Payload is opaque to the store.
	Payload []byte
	// DeliveryID is the ID of the delivery that queued the job (set by
	// Accept).
	DeliveryID string
	// Attempts counts failed tries: Retry calls and expired leases.
	Attempts int
	// MaxAttempts is the number of tries after which the job is dead.
	MaxAttempts int
	// RunAt is when the job may run; after a Retry, when it may run again.
	RunAt time.Time
	// CreatedAt is when the job was queued.
	CreatedAt time.Time
	// LastError is the text of the last failure ("" if none), truncated.
	LastError string
}

// Batch is the claimed work of one ordering key: its runnable jobs in order.
// A worker may coalesce them (five pushes, one evaluation) but must end
// every job with Complete or Retry, or let the lease expire.
type Batch struct {
	// Key is the ordering key the worker holds until the jobs end.
	Key string
	// Jobs are the key's due jobs, in ID order; never empty.
	Jobs []Job
	// Lease is the hold on the jobs that Extend, Complete, Retry and Bury
	// name.
	Lease Lease
	// TakenOver counts the jobs whose previous lease had expired or been
	// released: another worker had them and stopped.
	TakenOver int
}

// IDs returns the IDs of the batch's jobs, in order.
func (b Batch) IDs() []int64 {
	ids := make([]int64, len(b.Jobs))
	for i, j := range b.Jobs {
		ids[i] = j.ID
	}
	return ids
}

// Lease is a worker's hold on the jobs of one Claim. Token is the fencing
// token drawn for that claim: once another worker claims the jobs they
// carry another token, and every change the first worker asks for is
// refused with ErrLeaseLost, however late it comes.
type Lease struct {
	Worker string
	Token  int64
}

// newToken draws a fencing token: random, so replicas need not share a
// counter, and never zero (the column's default, "no lease").
func newToken() int64 { return rand.Int64N(1<<62) + 1 }

// Stats describe the queue, for metrics.
type Stats struct {
	// Ready counts jobs that are due and not leased (including jobs whose
	// lease expired); some may wait behind another job of their key.
	Ready int
	// Leased counts jobs held by a live lease.
	Leased int
	// Dead counts jobs that used up their attempts.
	Dead int
	// OldestReadyAge is how long the oldest ready job has been due.
	OldestReadyAge time.Duration
}

// Backoff returns how long to wait before retrying a job that has failed
// attempts times (1 for the first failure): 15s, 30s, 1m, 2m … capped at
// 30m, so DefaultMaxAttempts tries span about an hour. Callers that retry
// many jobs at once may add jitter.
func Backoff(attempts int) time.Duration {
	const base, ceiling = 15 * time.Second, 30 * time.Minute
	if attempts < 1 {
		attempts = 1
	}
	d := base
	for i := 1; i < attempts && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

const jobColumns = `id, kind, ordering_key, payload, delivery_id, attempts, max_attempts, run_at, created_at, last_error`

// jobRecord is a job as read, with the state Claim needs.
type jobRecord struct {
	Job
	state    string
	leasedBy sql.NullString
}

func scanJob(sc interface{ Scan(...any) error }, extra ...any) (Job, error) {
	var j Job
	var runAt, createdAt int64
	dest := append([]any{&j.ID, &j.Kind, &j.Key, &j.Payload, &j.DeliveryID, &j.Attempts, &j.MaxAttempts, &runAt, &createdAt, &j.LastError}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return Job{}, err
	}
	j.RunAt, j.CreatedAt = fromMicros(runAt), fromMicros(createdAt)
	return j, nil
}

// Claim leases up to maxKeys ordering keys to worker for lease and returns
// their runnable jobs, one Batch per key.
//
// A key is claimable when no lease on it is live and its first live job is
// due (RunAt ≤ now): a job waiting for its retry blocks the jobs queued after
// it, so a key's jobs run in order. Keys are taken oldest first (by the
// RunAt of their first job), which is fair across keys. A Batch holds the
// key's due jobs in ID order, up to the first job that is not due yet.
//
// Jobs whose lease expired or was released (their worker crashed or
// stalled; see Heartbeat) are claimed again with Attempts+1, under a new
// fencing token; one that reaches MaxAttempts that way is dead instead. A key held by a live lease is never claimed, by this or any
// other replica (PostgreSQL skips keys another replica is claiming).
// Claim returns no batches, and no error, when nothing is runnable; it
// takes at most maxClaimKeys keys per call whatever maxKeys says.
func (s *Store) Claim(ctx context.Context, worker string, lease time.Duration, maxKeys int) ([]Batch, error) {
	if worker == "" || lease <= 0 || maxKeys <= 0 {
		return nil, fmt.Errorf("claiming jobs: %w: worker, a positive lease and maxKeys are required", ErrInvalid)
	}
	maxKeys = min(maxKeys, maxClaimKeys)
	s.releaseOrphans(ctx)
	if ok, err := s.anyClaimable(ctx); err != nil || !ok {
		if err != nil {
			return nil, fmt.Errorf("claiming jobs for %s: %w", worker, err)
		}
		return nil, nil
	}
	var batches []Batch
	var drawn []Lease // a try whose commit failed may have been saved all the same
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		batches = batches[:0]
		held := Lease{Worker: worker, Token: newToken()}
		drawn = append(drawn, held)
		t := s.now()
		now, until := micros(t), micros(t.Add(lease))
		keys, err := claimableKeys(ctx, tx, s.dialect, now, maxKeys)
		if err != nil || len(keys) == 0 {
			return err
		}
		jobs, err := liveJobs(ctx, tx, keys)
		if err != nil {
			return err
		}
		var leased []int64
		var leasedKeys, staleKeys []string
		for _, key := range keys {
			b := Batch{Lease: held}
			for _, j := range jobs[key] {
				if len(b.Jobs) == maxBatchJobs || micros(j.RunAt) > now {
					break
				}
				if j.state == stateLeased {
					// The lease on the key expired with this job in it.
					dead, err := expireLease(ctx, tx, &j, now)
					if err != nil {
						return err
					}
					if dead {
						continue
					}
					b.TakenOver++
				}
				b.Key = key
				b.Jobs = append(b.Jobs, j.Job)
				leased = append(leased, j.ID)
			}
			if len(b.Jobs) == 0 {
				// Its ready_at was stale, or every due job just died.
				staleKeys = append(staleKeys, key)
				continue
			}
			leasedKeys = append(leasedKeys, key)
			batches = append(batches, b)
		}
		if err := refreshKeys(ctx, tx, staleKeys); err != nil {
			return err
		}
		return leaseUnder(ctx, tx, held, until, leasedKeys, leased)
	})
	if err != nil {
		s.orphan(err, drawn...)
		return nil, fmt.Errorf("claiming jobs for %s: %w", worker, err)
	}
	if len(drawn) > 1 {
		s.orphan(errors.New("a failed try"), drawn[:len(drawn)-1]...)
	}
	return batches, nil
}

// leaseUnder puts keys and jobs under held until until.
func leaseUnder(ctx context.Context, tx *sql.Tx, held Lease, until int64, keys []string, jobs []int64) error {
	if len(keys) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE queue_keys SET leased_by = $1, leased_until = $2, lease_token = $3
WHERE ordering_key IN (`+params(4, len(keys))+`)`, append([]any{held.Worker, until, held.Token}, stringArgs(keys)...)...); err != nil {
			return fmt.Errorf("leasing keys: %w", err)
		}
	}
	for start := 0; start < len(jobs); start += maxRowsPerInsert {
		chunk := jobs[start:min(start+maxRowsPerInsert, len(jobs))]
		args := append([]any{stateLeased, held.Worker, until, held.Token}, int64Args(chunk)...)
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = $1, leased_by = $2, leased_until = $3, lease_token = $4
WHERE id IN (`+params(5, len(chunk))+`)`, args...); err != nil {
			return fmt.Errorf("leasing jobs: %w", err)
		}
	}
	return nil
}

// anyClaimable tells, from a reader, whether some key may be claimable, so
// that a Claim with nothing to take costs no write transaction: workers
// are woken by every accepted delivery, and while the queue's keys wait
// (on a retry, on a host's rate limit) each wake-up otherwise took a turn
// of the writer that acknowledges deliveries. A key that becomes claimable
// just after the read is claimed at the next wake-up or poll.
func (s *Store) anyClaimable(ctx context.Context) (bool, error) {
	if err := s.closed(); err != nil {
		return false, err
	}
	now := micros(s.now())
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM queue_keys WHERE ready_at <= $1 AND leased_until <= $1 LIMIT 1`, now).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("looking for claimable keys: %w", err)
	}
	return true, nil
}

// claimableKeys returns, oldest first, keys whose first job is due and
// whose lease is not live, and locks them.
func claimableKeys(ctx context.Context, tx *sql.Tx, d dialect, now int64, limit int) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT ordering_key FROM queue_keys
WHERE ready_at <= $1 AND leased_until <= $1
ORDER BY ready_at, ordering_key
LIMIT $2`+d.skipLocked, now, limit)
	if err != nil {
		return nil, fmt.Errorf("finding claimable keys: %w", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("reading claimable keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("finding claimable keys: %w", err)
	}
	return keys, nil
}

// liveJobs returns the pending and leased jobs of keys, in ID order per key.
func liveJobs(ctx context.Context, tx *sql.Tx, keys []string) (map[string][]jobRecord, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+jobColumns+`, state, leased_by FROM jobs
WHERE ordering_key IN (`+params(1, len(keys))+`) AND state <> 'dead'
ORDER BY ordering_key, id`, stringArgs(keys)...)
	if err != nil {
		return nil, fmt.Errorf("reading jobs of claimed keys: %w", err)
	}
	defer rows.Close()
	jobs := make(map[string][]jobRecord, len(keys))
	for rows.Next() {
		var r jobRecord
		j, err := scanJob(rows, &r.state, &r.leasedBy)
		if err != nil {
			return nil, fmt.Errorf("reading jobs of claimed keys: %w", err)
		}
		r.Job = j
		if len(jobs[j.Key]) <= maxBatchJobs {
			jobs[j.Key] = append(jobs[j.Key], r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading jobs of claimed keys: %w", err)
	}
	return jobs, nil
}

// expireLease counts an expired lease as a failed attempt of j, and makes
// j dead when that was its last.
func expireLease(ctx context.Context, tx *sql.Tx, j *jobRecord, now int64) (dead bool, err error) {
	j.Attempts++
	j.LastError = "lease expired"
	if j.leasedBy.Valid {
		j.LastError = truncate("lease of worker "+j.leasedBy.String+" expired", maxLastError)
	}
	state := statePending
	if j.Attempts >= j.MaxAttempts {
		state, dead = stateDead, true
	}
	if _, err := tx.ExecContext(ctx, `UPDATE jobs SET attempts = $1, last_error = $2, state = $3, leased_by = NULL, leased_until = 0, dead_at = $5
WHERE id = $4`, j.Attempts, j.LastError, state, j.ID, deadAt(state, now)); err != nil {
		return false, fmt.Errorf("expiring lease of job %d: %w", j.ID, err)
	}
	return dead, nil
}

// deadAt is the dead_at of a job entering state at now: set for a dead
// job, NULL otherwise.
func deadAt(state string, now int64) sql.NullInt64 {
	return sql.NullInt64{Int64: now, Valid: state == stateDead}
}

// lockKeys locks the queue_keys rows of keys, in sorted order so that
// transactions cannot deadlock. On SQLite the writer connection already
// serialises transactions and the query only reads.
func lockKeys(ctx context.Context, tx *sql.Tx, d dialect, keys []string) error {
	if d.lockRows == "" || len(keys) == 0 {
		return nil
	}
	sort.Strings(keys)
	rows, err := tx.QueryContext(ctx, `SELECT ordering_key FROM queue_keys WHERE ordering_key IN (`+params(1, len(keys))+`)
ORDER BY ordering_key`+d.lockRows, stringArgs(keys)...)
	if err != nil {
		return fmt.Errorf("locking ordering keys: %w", err)
	}
	return rows.Close()
}

// refreshKeys recomputes the rows of keys after their jobs changed:
// ready_at follows the first live job, the lease is released once none of
// the key's jobs is leased, and the row goes when the key has no live job
// left. Two statements, whatever the number of keys.
func refreshKeys(ctx context.Context, tx *sql.Tx, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	args := stringArgs(keys)
	in := params(1, len(keys))
	if _, err := tx.ExecContext(ctx, `DELETE FROM queue_keys
WHERE ordering_key IN (`+in+`)
  AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.ordering_key = queue_keys.ordering_key AND jobs.state <> 'dead')`, args...); err != nil {
		return fmt.Errorf("removing drained keys: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE queue_keys SET
    ready_at = (SELECT run_at FROM jobs WHERE jobs.ordering_key = queue_keys.ordering_key AND jobs.state <> 'dead' ORDER BY id LIMIT 1),
    leased_by = CASE WHEN EXISTS (SELECT 1 FROM jobs WHERE jobs.ordering_key = queue_keys.ordering_key AND jobs.state = 'leased') THEN leased_by END,
    leased_until = CASE WHEN EXISTS (SELECT 1 FROM jobs WHERE jobs.ordering_key = queue_keys.ordering_key AND jobs.state = 'leased') THEN leased_until ELSE 0 END
WHERE ordering_key IN (`+in+`)`, args...); err != nil {
		return fmt.Errorf("updating keys: %w", err)
	}
	return nil
}

// keysOf returns the distinct ordering keys of jobs.
func keysOf(ctx context.Context, tx *sql.Tx, ids []int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT ordering_key FROM jobs WHERE id IN (`+params(1, len(ids))+`)`, int64Args(ids)...)
	if err != nil {
		return nil, fmt.Errorf("reading keys of jobs: %w", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("reading keys of jobs: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading keys of jobs: %w", err)
	}
	return keys, nil
}

// Complete removes finished jobs held under lease from the queue. When
// the last leased job of a key is completed or retried, the key's lease
// ends and its next jobs become claimable. IDs that are no longer queued
// (completed before) are ignored, so Complete may be repeated.
//
// Complete refuses with ErrLeaseLost, removing nothing of that chunk, when
// a job is still queued but not under lease: another worker claimed it
// after this one's lease expired or was released, or it is dead. A lease
// that expired but that nobody took over still completes: the work is done
// and nobody else is doing it.
func (s *Store) Complete(ctx context.Context, lease Lease, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	for start := 0; start < len(ids); start += maxRowsPerInsert {
		chunk := ids[start:min(start+maxRowsPerInsert, len(ids))]
		err := s.writeTx(ctx, func(tx *sql.Tx) error {
			keys, err := keysOf(ctx, tx, chunk)
			if err != nil {
				return err
			}
			if err := lockKeys(ctx, tx, s.dialect, keys); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE id IN (`+params(3, len(chunk))+`) AND state = $1 AND lease_token = $2`,
				append([]any{stateLeased, lease.Token}, int64Args(chunk)...)...)
			if err != nil {
				return fmt.Errorf("deleting jobs: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n != int64(len(chunk)) {
				if err := stillQueued(ctx, tx, chunk); err != nil {
					return err
				}
			}
			return refreshKeys(ctx, tx, keys)
		})
		if err != nil {
			s.orphan(err, lease)
			return fmt.Errorf("completing %d jobs of %s: %w", len(chunk), lease.Worker, err)
		}
	}
	return nil
}

// stillQueued returns ErrLeaseLost when any of ids is still in the jobs
// table after the lease's own were deleted: it is someone else's now.
func stillQueued(ctx context.Context, tx *sql.Tx, ids []int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE id IN (`+params(1, len(ids))+`)`, int64Args(ids)...).Scan(&n); err != nil {
		return fmt.Errorf("reading jobs: %w", err)
	}
	if n > 0 {
		return ErrLeaseLost
	}
	return nil
}

// Retry records a failed try of job id held under lease: Attempts+1 and
// LastError. If the job has attempts left it runs again at at (zero at
// means now plus Backoff(Attempts)), and until then blocks the later jobs
// of its key; otherwise it is dead, kept for Dead, and no longer blocks
// its key. Returns ErrNoJob for a job that does not exist, was completed
// or is dead, and ErrLeaseLost for a job another worker holds now.
func (s *Store) Retry(ctx context.Context, lease Lease, id int64, cause error, at time.Time) error {
	if err := s.fail(ctx, lease, id, cause, at, false); err != nil {
		s.orphan(err, lease)
		return fmt.Errorf("retrying job %d: %w", id, err)
	}
	return nil
}

// Bury records a failure of job id that no retry can fix: Attempts+1,
// LastError, and the job is dead at once, whatever its attempts left.
// Returns ErrNoJob or ErrLeaseLost as Retry does.
func (s *Store) Bury(ctx context.Context, lease Lease, id int64, cause error) error {
	if err := s.fail(ctx, lease, id, cause, time.Time{}, true); err != nil {
		s.orphan(err, lease)
		return fmt.Errorf("burying job %d: %w", id, err)
	}
	return nil
}

func (s *Store) fail(ctx context.Context, lease Lease, id int64, cause error, at time.Time, dead bool) error {
	msg := "unknown error"
	if cause != nil {
		msg = truncate(cause.Error(), maxLastError)
	}
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		var key string
		err := tx.QueryRowContext(ctx, `SELECT ordering_key FROM jobs WHERE id = $1 AND state <> 'dead'`, id).Scan(&key)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoJob
		}
		if err != nil {
			return err
		}
		if err := lockKeys(ctx, tx, s.dialect, []string{key}); err != nil {
			return err
		}
		// Read again under the key's lock: the job may have changed.
		var state string
		var attempts, maxAttempts int
		var runAt, token int64
		err = tx.QueryRowContext(ctx, `SELECT state, lease_token, attempts, max_attempts, run_at FROM jobs WHERE id = $1 AND state <> 'dead'`, id).
			Scan(&state, &token, &attempts, &maxAttempts, &runAt)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoJob
		}
		if err != nil {
			return err
		}
		if state != stateLeased || token != lease.Token {
			return ErrLeaseLost
		}
		attempts++
		state = statePending
		if dead || attempts >= maxAttempts {
			state = stateDead
		} else if at.IsZero() {
			runAt = micros(s.now().Add(Backoff(attempts)))
		} else {
			runAt = micros(at)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = $1, attempts = $2, run_at = $3, last_error = $4, leased_by = NULL, leased_until = 0, dead_at = $6
WHERE id = $5`, state, attempts, runAt, msg, id, deadAt(state, micros(s.now()))); err != nil {
			return err
		}
		return refreshKeys(ctx, tx, []string{key})
	})
}

// Extend renews lease on jobs for d from now, and on their keys. It fails
// with ErrLeaseLost, extending nothing, if any of them is no longer held
// under lease or the lease has expired or been released: the worker must
// stop, since another may claim the jobs at any moment.
func (s *Store) Extend(ctx context.Context, lease Lease, ids []int64, d time.Duration) error {
	if len(ids) == 0 {
		return nil
	}
	if d <= 0 {
		return fmt.Errorf("extending leases: %w: lease must be positive", ErrInvalid)
	}
	if len(ids) > maxRowsPerInsert*4 {
		return fmt.Errorf("extending leases: %w: at most %d jobs at once", ErrInvalid, maxRowsPerInsert*4)
	}
	t := s.now()
	now, until := micros(t), micros(t.Add(d))
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		keys, err := keysOf(ctx, tx, ids)
		if err != nil {
			return err
		}
		if err := lockKeys(ctx, tx, s.dialect, keys); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET leased_until = $1
WHERE id IN (`+params(5, len(ids))+`) AND state = $2 AND leased_until > $3 AND lease_token = $4`,
			append([]any{until, stateLeased, now, lease.Token}, int64Args(ids)...)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != int64(len(ids)) {
			return ErrLeaseLost
		}
		if _, err := tx.ExecContext(ctx, `UPDATE queue_keys SET leased_until = $1
WHERE ordering_key IN (`+params(3, len(keys))+`) AND leased_until < $1 AND lease_token = $2`,
			append([]any{until, lease.Token}, stringArgs(keys)...)...); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("extending leases of %d jobs of %s: %w", len(ids), lease.Worker, err)
	}
	return nil
}

// Dead returns the dead jobs, oldest first. They stay until an operator
// removes them.
func (s *Store) Dead(ctx context.Context) ([]Job, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE state = 'dead' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("listing dead jobs: %w", err)
	}
	defer rows.Close()
	var jobs []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("reading dead jobs: %w", err)
		}
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing dead jobs: %w", err)
	}
	return jobs, nil
}

// Stats counts the queue's jobs by state as of now.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	if err := s.closed(); err != nil {
		return Stats{}, err
	}
	now := micros(s.now())
	var st Stats
	var oldest sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT
    COUNT(CASE WHEN (state = 'pending' AND run_at <= $1) OR (state = 'leased' AND leased_until <= $1) THEN 1 END),
    COUNT(CASE WHEN state = 'leased' AND leased_until > $1 THEN 1 END),
    COUNT(CASE WHEN state = 'dead' THEN 1 END),
    MIN(CASE WHEN (state = 'pending' AND run_at <= $1) OR (state = 'leased' AND leased_until <= $1) THEN run_at END)
FROM jobs`, now).Scan(&st.Ready, &st.Leased, &st.Dead, &oldest)
	if err != nil {
		return Stats{}, fmt.Errorf("reading queue stats: %w", err)
	}
	if oldest.Valid {
		st.OldestReadyAge = time.Duration(now-oldest.Int64) * time.Microsecond
	}
	return st, nil
}
