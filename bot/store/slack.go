package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SlackMessage is the one Slack message of a deployed version.
type SlackMessage struct {
	// Key names the message ("acme/widgets@v1.2.0").
	Key string
	// Channel and TS locate it for chat.update and thread replies.
	Channel string
	TS      string
	// View is what it shows, as JSON; opaque here.
	View []byte
}

// GetSlackMessage reads a message by key; ErrNotFound when none was posted.
func (s *Store) GetSlackMessage(ctx context.Context, key string) (SlackMessage, error) {
	if err := s.closed(); err != nil {
		return SlackMessage{}, err
	}
	m := SlackMessage{Key: key}
	err := s.r.QueryRowContext(ctx, `SELECT channel, ts, view FROM slack_messages WHERE key = $1`, key).Scan(&m.Channel, &m.TS, &m.View)
	if errors.Is(err, sql.ErrNoRows) {
		return SlackMessage{}, fmt.Errorf("reading the Slack message %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return SlackMessage{}, fmt.Errorf("reading the Slack message %s: %w", key, err)
	}
	return m, nil
}

// PutSlackMessage stores a message's location and view, replacing the
// view of a message stored before (its channel and ts are kept).
func (s *Store) PutSlackMessage(ctx context.Context, m SlackMessage) error {
	if err := s.closed(); err != nil {
		return err
	}
	if m.Key == "" || m.Channel == "" || m.TS == "" {
		return fmt.Errorf("storing a Slack message: %w: key, channel and ts are required", ErrInvalid)
	}
	_, err := s.exec(ctx, `INSERT INTO slack_messages (key, channel, ts, view, updated_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (key) DO UPDATE SET view = excluded.view, updated_at = excluded.updated_at`,
		m.Key, m.Channel, m.TS, nonNil(m.View), micros(s.now()))
	if err != nil {
		return fmt.Errorf("storing the Slack message %s: %w", m.Key, err)
	}
	return nil
}
