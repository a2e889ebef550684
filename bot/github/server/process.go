package server

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/github/mergequeue"
	"github.com/shipgate/shipgate/bot/store"
)

// Kinds implements bot.Processor: the adapter's own jobs. A pull request's
// jobs are the gate's (gate.Gate on the App).
func (s *Server) Kinds() []string {
	return []string{KindPolicyChanged, KindHeadChanged, KindTeamChanged, mergequeue.KindMergeGroup, KindBaseChanged}
}

// Process implements bot.Processor. A KindPolicyChanged, KindHeadChanged
// or KindTeamChanged batch queues a pull request job for every open PR the
// change may concern. A KindMergeGroup batch judges one merge queue group
// (mergequeue.Process). Errors are classified once, at the end (Classify).
func (s *Server) Process(ctx context.Context, b store.Batch) error {
	handlers := map[string]func(context.Context, []store.Job) error{
		KindHeadChanged: s.headChanged,
		KindTeamChanged: s.teamChanged,
		mergequeue.KindMergeGroup: func(ctx context.Context, jobs []store.Job) error {
			return mergequeue.Process(ctx, s.cfg.App, s.cfg.Store, jobs, github.CheckOptions{Records: s.cfg.Records})
		},
		KindPolicyChanged: s.fanOut,
		KindBaseChanged:   s.baseChanged,
	}
	var errs []error
	for _, kind := range s.Kinds() {
		var jobs []store.Job
		for _, j := range b.Jobs {
			if j.Kind == kind {
				jobs = append(jobs, j)
			}
		}
		if len(jobs) > 0 {
			errs = append(errs, handlers[kind](ctx, jobs))
		}
	}
	return s.cfg.App.Classify(errors.Join(errs...))
}

// decodeJobs reads the payloads of jobs, leaving out (and logging) any
// that cannot be read: a retry would not make them readable.
func decodeJobs(ctx context.Context, jobs []store.Job) []Event {
	out := make([]Event, 0, len(jobs))
	for _, j := range jobs {
		var e Event
		err := json.Unmarshal(j.Payload, &e)
		if err != nil || e.Repo == "" {
			zerolog.Ctx(ctx).Error().Err(err).Int64(bot.FieldJob, j.ID).Msg("unreadable job payload: skipped")
			continue
		}
		out = append(out, e)
	}
	return out
}
