package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The queue's administration, for `shipgate queue`: dead jobs are kept
// until an operator retries or purges them, and every such change is
// audited in the transaction that makes it.

// States that ListJobs selects by.
const (
	// StateReady selects the jobs waiting for a worker or for their run
	// time (a retry's backoff, a timer).
	StateReady = "ready"
	// StateLeased selects the jobs a worker holds (or held, until its
	// lease is released or taken over).
	StateLeased = "leased"
	// StateDead selects the jobs that used up their attempts or were
	// buried.
	StateDead = "dead"
	// StateAll selects every job.
	StateAll = "all"
)

// ErrNotDead is returned, wrapped with the job, by RetryDead and PurgeDead
// for a job that is still live: only dead jobs are retried or purged.
var ErrNotDead = errors.New("job is not dead")

// adminChunk bounds the jobs one RetryDead or PurgeDead transaction changes.
const adminChunk = 500

// JobInfo is everything the store holds about a job.
type JobInfo struct {
	Job
	// State is "pending", "leased" or "dead".
	State string
	// DeliveryHost is the host of the delivery that queued it.
	DeliveryHost string
	// LeasedBy, LeasedUntil and LeaseToken describe the last lease; empty
	// when the job is not leased.
	LeasedBy    string
	LeasedUntil time.Time
	LeaseToken  int64
	// DeadAt is when the job died; zero while it is live, and for jobs
	// that died before shipgate recorded it.
	DeadAt time.Time
}

// JobFilter selects jobs for ListJobs; zero fields select all.
type JobFilter struct {
	// State is StateReady, StateLeased, StateDead or StateAll ("" is
	// StateAll).
	State string
	// Kind keeps the jobs of this kind.
	Kind string
	// Repo keeps the jobs whose ordering key names this repository
	// ("github:OWNER/NAME#7", "gitlab:GROUP/NAME!7", "HOST:REPO@REF", …).
	// Deployment jobs' keys name a deployment, not a repository.
	Repo string
	// Limit caps the jobs returned (0: no cap).
	Limit int
}

const jobInfoColumns = jobColumns + `, state, delivery_host, leased_by, leased_until, lease_token, dead_at`

func scanJobInfo(sc interface{ Scan(...any) error }) (JobInfo, error) {
	var info JobInfo
	var leasedBy sql.NullString
	var leasedUntil int64
	var deadAt sql.NullInt64
	j, err := scanJob(sc, &info.State, &info.DeliveryHost, &leasedBy, &leasedUntil, &info.LeaseToken, &deadAt)
	if err != nil {
		return JobInfo{}, err
	}
	info.Job, info.LeasedBy, info.DeadAt = j, leasedBy.String, fromNullMicros(deadAt)
	if leasedBy.Valid {
		info.LeasedUntil = fromMicros(leasedUntil)
	}
	return info, nil
}

// ListJobs returns the jobs that match f, by ID.
func (s *Store) ListJobs(ctx context.Context, f JobFilter) ([]JobInfo, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	query := `SELECT ` + jobInfoColumns + ` FROM jobs WHERE 1 = 1`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	switch f.State {
	case StateReady:
		query += " AND state = " + arg(statePending)
	case StateLeased, StateDead:
		query += " AND state = " + arg(f.State)
	case StateAll, "":
	default:
		return nil, fmt.Errorf("listing jobs: %w: state %q (allowed values: ready, leased, dead, all)", ErrInvalid, f.State)
	}
	if f.Kind != "" {
		query += " AND kind = " + arg(f.Kind)
	}
	if f.Repo != "" {
		// HOST:REPO then #, !, @ or : (see the ordering keys of bot/gate,
		// the adapters and freeze changes).
		var or []string
		for _, sep := range []string{"#", "!", "@", ":"} {
			or = append(or, "ordering_key LIKE "+arg("%:"+escapeLike(f.Repo)+sep+"%")+` ESCAPE '\'`)
		}
		query += " AND (" + strings.Join(or, " OR ") + ")"
	}
	query += " ORDER BY id"
	if f.Limit > 0 {
		query += " LIMIT " + arg(f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing jobs: %w", err)
	}
	defer rows.Close()
	var out []JobInfo
	for rows.Next() {
		info, err := scanJobInfo(rows)
		if err != nil {
			return nil, fmt.Errorf("reading jobs: %w", err)
		}
		out = append(out, info)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing jobs: %w", err)
	}
	return out, nil
}

// escapeLike escapes LIKE's wildcards (and its escape character).
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// GetJob reads one job; ErrNotFound when it does not exist (it completed,
// was purged, or never was).
func (s *Store) GetJob(ctx context.Context, id int64) (JobInfo, error) {
	if err := s.closed(); err != nil {
		return JobInfo{}, err
	}
	info, err := scanJobInfo(s.r.QueryRowContext(ctx, `SELECT `+jobInfoColumns+` FROM jobs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return JobInfo{}, fmt.Errorf("reading job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return JobInfo{}, fmt.Errorf("reading job %d: %w", id, err)
	}
	return info, nil
}

// RetryDead puts dead jobs back in the queue, due now, with their attempts
// reset (LastError is kept until the next failure), and audits each as
// retried by actor. A retried job runs before the later jobs of its key,
// in ID order as always. All of ids must be dead: a job that does not
// exist fails with ErrNotFound, a live one with ErrNotDead, and nothing of
// that chunk changes. Chunks of a few hundred jobs are separate
// transactions.
func (s *Store) RetryDead(ctx context.Context, actor string, ids ...int64) error {
	return s.changeDead(ctx, actor, "retried", ids, func(tx *sql.Tx, jobs []JobInfo) error {
		now := micros(s.now())
		chunk := make([]int64, len(jobs))
		keySet := map[string]bool{}
		for i, j := range jobs {
			chunk[i] = j.ID
			keySet[j.Key] = true
		}
		keys := make([]string, 0, len(keySet))
		for k := range keySet {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if err := lockKeys(ctx, tx, s.dialect, keys); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = $1, attempts = 0, run_at = $2, dead_at = NULL, leased_by = NULL, leased_until = 0, lease_token = 0
WHERE state = 'dead' AND id IN (`+params(3, len(chunk))+`)`, append([]any{statePending, now}, int64Args(chunk)...)...); err != nil {
			return fmt.Errorf("retrying dead jobs: %w", err)
		}
		// A key whose live jobs had all ended has no row: it gets one,
		// and refreshKeys sets its ready_at from its first live job.
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO queue_keys (ordering_key, ready_at) VALUES ($1, $2)
ON CONFLICT (ordering_key) DO NOTHING`, k, now); err != nil {
				return fmt.Errorf("registering ordering key %s: %w", k, err)
			}
		}
		return refreshKeys(ctx, tx, keys)
	})
}

// PurgeDead deletes dead jobs for good and audits each as purged by
// actor. Like RetryDead, it refuses (ErrNotFound, ErrNotDead) a chunk
// with a job that does not exist or is not dead.
func (s *Store) PurgeDead(ctx context.Context, actor string, ids ...int64) error {
	return s.changeDead(ctx, actor, "purged", ids, func(tx *sql.Tx, jobs []JobInfo) error {
		chunk := make([]int64, len(jobs))
		for i, j := range jobs {
			chunk[i] = j.ID
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE state = 'dead' AND id IN (`+params(1, len(chunk))+`)`, int64Args(chunk)...); err != nil {
			return fmt.Errorf("purging dead jobs: %w", err)
		}
		return nil
	})
}

// DeadBefore returns the IDs of the jobs that died before t (by their
// last scheduled run when their death time was not recorded), oldest
// first, for PurgeDead.
func (s *Store) DeadBefore(ctx context.Context, t time.Time) ([]int64, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM jobs WHERE state = 'dead' AND COALESCE(dead_at, run_at) < $1 ORDER BY id`, micros(t))
	if err != nil {
		return nil, fmt.Errorf("listing jobs dead before %s: %w", t.Format(time.RFC3339), err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("listing dead jobs: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing dead jobs: %w", err)
	}
	return ids, nil
}

// changeDead runs change on chunks of dead jobs, each chunk in one
// transaction with an audit event per job (outcome what).
func (s *Store) changeDead(ctx context.Context, actor, what string, ids []int64, change func(*sql.Tx, []JobInfo) error) error {
	if actor == "" {
		return fmt.Errorf("changing dead jobs: %w: an actor is required for the audit log", ErrInvalid)
	}
	for start := 0; start < len(ids); start += adminChunk {
		chunk := ids[start:min(start+adminChunk, len(ids))]
		err := s.writeTx(ctx, func(tx *sql.Tx) error {
			jobs, err := deadJobs(ctx, tx, chunk)
			if err != nil {
				return err
			}
			if err := change(tx, jobs); err != nil {
				return err
			}
			at := s.now()
			for _, j := range jobs {
				detail, _ := json.Marshal(map[string]any{"kind": j.Kind, "key": j.Key, "attempts": j.Attempts, "last_error": j.LastError, "delivery_id": j.DeliveryID})
				if _, err := appendAudit(ctx, tx, AuditEvent{At: at, Kind: AuditQueue, Actor: actor, Subject: "job " + strconv.FormatInt(j.ID, 10),
					Outcome: what, Detail: detail, DeliveryID: j.DeliveryID}); err != nil {
					return fmt.Errorf("auditing job %d: %w", j.ID, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// deadJobs reads the jobs ids, which must all exist and be dead.
func deadJobs(ctx context.Context, tx *sql.Tx, ids []int64) ([]JobInfo, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+jobInfoColumns+` FROM jobs WHERE id IN (`+params(1, len(ids))+`) ORDER BY id`, int64Args(ids)...)
	if err != nil {
		return nil, fmt.Errorf("reading jobs: %w", err)
	}
	defer rows.Close()
	found := map[int64]JobInfo{}
	for rows.Next() {
		info, err := scanJobInfo(rows)
		if err != nil {
			return nil, fmt.Errorf("reading jobs: %w", err)
		}
		found[info.ID] = info
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading jobs: %w", err)
	}
	jobs := make([]JobInfo, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		j, ok := found[id]
		switch {
		case !ok:
			return nil, fmt.Errorf("job %d: %w (it completed, was purged, or never existed)", id, ErrNotFound)
		case j.State != stateDead:
			return nil, fmt.Errorf("job %d is %s: %w; only dead jobs are retried or purged", id, j.State, ErrNotDead)
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}
