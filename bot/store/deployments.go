package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// ErrStale is returned by UpdateDeployment when the deployment changed since
// it was read (its Revision moved on): read it again and redo the change.
var ErrStale = errors.New("deployment changed since it was read")

// Deployment is one deployment of a version to an environment, as the
// orchestrator (bot/deploy) persists it. The store reads only the columns
// it queries by; Data is the orchestrator's state, opaque here.
type Deployment struct {
	// ID is chosen by the orchestrator and unique, e.g.
	// "github:acme/widgets:staging:v1.2.0".
	ID string
	// Host, Repo, Environment and Version say what is deployed where.
	Host        policies.Host
	Repo        string
	Environment string
	Version     string
	// State is the orchestrator's state name ("running", "succeeded", …).
	State string
	// Revision counts updates; UpdateDeployment compares and swaps on it.
	Revision int64
	// Data is JSON, stored as given.
	Data []byte
	// CreatedAt and UpdatedAt default to the store's clock.
	CreatedAt time.Time
	UpdatedAt time.Time
}

const deploymentColumns = `id, host, repo, environment, version, state, revision, data, created_at, updated_at`

func scanDeployment(sc interface{ Scan(...any) error }) (Deployment, error) {
	var d Deployment
	var created, updated int64
	err := sc.Scan(&d.ID, &d.Host, &d.Repo, &d.Environment, &d.Version, &d.State, &d.Revision, &d.Data, &created, &updated)
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return d, err
}

// CreateDeployment inserts d with Revision 1. created is false, and nothing
// is written, when a deployment with d.ID exists: one deployment per
// environment and version, however many events ask for it.
func (s *Store) CreateDeployment(ctx context.Context, d Deployment) (created bool, err error) {
	if err := s.closed(); err != nil {
		return false, err
	}
	if d.ID == "" || d.Repo == "" || d.Environment == "" || d.State == "" {
		return false, fmt.Errorf("creating deployment: %w: id, repo, environment and state are required", ErrInvalid)
	}
	now := s.now()
	if d.CreatedAt.IsZero() {
		d.CreatedAt = now
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = d.CreatedAt
	}
	n, err := s.exec(ctx, `INSERT INTO deployments (`+deploymentColumns+`)
VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9)
ON CONFLICT (id) DO NOTHING`,
		d.ID, d.Host, d.Repo, d.Environment, d.Version, d.State, nonNil(d.Data), micros(d.CreatedAt), micros(d.UpdatedAt))
	if err != nil {
		return false, fmt.Errorf("creating deployment %s: %w", d.ID, err)
	}
	return n == 1, nil
}

// GetDeployment reads a deployment by ID; ErrNotFound when there is none.
func (s *Store) GetDeployment(ctx context.Context, id string) (Deployment, error) {
	if err := s.closed(); err != nil {
		return Deployment{}, err
	}
	d, err := scanDeployment(s.r.QueryRowContext(ctx, `SELECT `+deploymentColumns+` FROM deployments WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Deployment{}, fmt.Errorf("reading deployment %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Deployment{}, fmt.Errorf("reading deployment %s: %w", id, err)
	}
	return d, nil
}

// UpdateDeployment writes d's State and Data if the stored revision is still
// d.Revision, and returns the new revision; ErrStale otherwise (another
// writer got there first; nothing is written).
func (s *Store) UpdateDeployment(ctx context.Context, d Deployment) (int64, error) {
	if err := s.closed(); err != nil {
		return 0, err
	}
	at := d.UpdatedAt
	if at.IsZero() {
		at = s.now()
	}
	n, err := s.exec(ctx, `UPDATE deployments SET state = $1, data = $2, revision = revision + 1, updated_at = $3
WHERE id = $4 AND revision = $5`, d.State, nonNil(d.Data), micros(at), d.ID, d.Revision)
	if err != nil {
		return 0, fmt.Errorf("updating deployment %s: %w", d.ID, err)
	}
	if n != 1 {
		return 0, fmt.Errorf("updating deployment %s at revision %d: %w", d.ID, d.Revision, ErrStale)
	}
	return d.Revision + 1, nil
}

// LatestDeployment returns the most recently updated deployment of an
// environment whose state is one of states (any state when none is given);
// ErrNotFound when there is none.
func (s *Store) LatestDeployment(ctx context.Context, host policies.Host, repo, environment string, states ...string) (Deployment, error) {
	if err := s.closed(); err != nil {
		return Deployment{}, err
	}
	q := `SELECT ` + deploymentColumns + ` FROM deployments WHERE host = $1 AND repo = $2 AND environment = $3`
	args := []any{host, repo, environment}
	if len(states) > 0 {
		q += ` AND state IN (` + params(4, len(states)) + `)`
		args = append(args, stringArgs(states)...)
	}
	q += ` ORDER BY updated_at DESC, id DESC LIMIT 1`
	d, err := scanDeployment(s.r.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Deployment{}, fmt.Errorf("reading the latest %s deployment of %s %s: %w", strings.Join(states, "/"), repo, environment, ErrNotFound)
	}
	if err != nil {
		return Deployment{}, fmt.Errorf("reading the latest deployment of %s %s: %w", repo, environment, err)
	}
	return d, nil
}

// ClaimStepKey records an idempotency key of a step attempt. first is true
// only for the first claim of key: call it before an effect that must not
// happen twice (a workflow dispatch) and act only when first.
func (s *Store) ClaimStepKey(ctx context.Context, key, deploymentID string) (first bool, err error) {
	if err := s.closed(); err != nil {
		return false, err
	}
	if key == "" {
		return false, fmt.Errorf("claiming a step key: %w: key is required", ErrInvalid)
	}
	n, err := s.exec(ctx, `INSERT INTO deployment_step_keys (key, deployment_id, at) VALUES ($1, $2, $3)
ON CONFLICT (key) DO NOTHING`, key, deploymentID, micros(s.now()))
	if err != nil {
		return false, fmt.Errorf("claiming step key %s: %w", key, err)
	}
	return n == 1, nil
}

// StepKeyDeployment returns the deployment that claimed key (a workflow
// run's shipgate_id); ErrNotFound when none did.
func (s *Store) StepKeyDeployment(ctx context.Context, key string) (string, error) {
	if err := s.closed(); err != nil {
		return "", err
	}
	var id string
	err := s.r.QueryRowContext(ctx, `SELECT deployment_id FROM deployment_step_keys WHERE key = $1`, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("reading step key %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("reading step key %s: %w", key, err)
	}
	return id, nil
}
