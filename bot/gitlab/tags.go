package gitlab

import (
	"context"

	"github.com/rs/zerolog"
)

// processTag validates a pushed tag (not in this build yet: the tag is
// logged and left alone).
func (a *App) processTag(ctx context.Context, e Event) error {
	zerolog.Ctx(ctx).Info().Str("tag", e.Tag).Msg("tag pushed: tag validation on GitLab is not in this build yet")
	return nil
}
