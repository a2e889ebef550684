package gate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/announce"
	"github.com/shipgate/shipgate/policies"
)

// phaseFreeze is the phase of a job that announces the freeze windows
// starting or ending at its instant (notify.slack.events: freeze). It is a
// TrainKind job: the same durable, once-per-instant timer.
const phaseFreeze = "freeze"

// ScheduleFreezeNotice queues the announcement of the next start or end
// of a freeze window of p after now, when the policy announces freezes;
// once per instant, as ScheduleTrain.
func ScheduleFreezeNotice(ctx context.Context, q bot.Acceptor, host policies.Host, repo string, scope int64, p *policies.Policy, now time.Time) error {
	if p == nil || p.Freeze == nil {
		return nil
	}
	if _, ok := p.Notify.Channel(policies.EventFreeze); !ok {
		return nil
	}
	at := p.Freeze.NextChange(now, "")
	if at.IsZero() {
		return nil
	}
	return queueTrain(ctx, q, trainJob{Host: host, Repo: repo, Scope: scope, At: at}, phaseFreeze, at, at)
}

// announceFreezes announces each window of p that starts or ends at
// tj.At, and schedules the next notice.
func (g *Gate) announceFreezes(ctx context.Context, tj trainJob, p *policies.Policy) error {
	if err := ScheduleFreezeNotice(ctx, g.cfg.Acceptor, g.host, tj.Repo, tj.Scope, p, tj.At); err != nil {
		return err
	}
	if p.Freeze == nil {
		return nil
	}
	at := tj.At
	for i := range p.Freeze.Windows {
		w := &p.Freeze.Windows[i]
		on, until := w.Active(at)
		was, _ := w.Active(at.Add(-time.Nanosecond))
		if on == was {
			continue
		}
		e := announce.Event{Kind: announce.FreezeEnded, Repo: tj.Repo, Key: fmt.Sprintf("%s@%d", w.Name, at.Unix()),
			Title: fmt.Sprintf("Freeze %s ended", w.Name), Lines: []string{"changes and deployments may ship again"}}
		if on {
			e.Kind, e.Title = announce.FreezeStarted, fmt.Sprintf("Freeze %s started", w.Name)
			e.Lines = []string{freezeScope(w, until, p.Freeze.Override)}
		}
		if err := g.announce(ctx, p, e); err != nil {
			return err
		}
	}
	return nil
}

// freezeScope says what a window freezes, until when, and how to get
// through.
func freezeScope(w *policies.Window, until time.Time, o *policies.Override) string {
	what := "every gated branch"
	if len(w.Branches) > 0 {
		var gs []string
		for _, b := range w.Branches {
			gs = append(gs, b.Pattern)
		}
		what = "branches " + strings.Join(gs, ", ")
	}
	if len(w.Environments) > 0 {
		what += ", environments " + strings.Join(w.Environments, ", ")
	}
	end := "no known end"
	if !until.IsZero() {
		end = "until " + until.In(w.Location).Format("Mon 2 Jan 2006 15:04 MST")
	}
	s := fmt.Sprintf("freezes %s, %s", what, end)
	if o == nil {
		return s + "; it cannot be overridden"
	}
	return s + "; `/override-freeze REASON` from the override approvers lets a change through"
}
