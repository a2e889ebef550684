package slack

import (
	"context"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/internal/fakeslack"
)

// TestTheSameStateMakesNoSecondCall: a notice given again — a transition
// redone after a restart — edits nothing and posts no second thread line;
// a new state edits each message once.
func TestTheSameStateMakesNoSecondCall(t *testing.T) {
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	for _, channel := range []string{"", "#prod"} {
		s, _, fake := newTestSlack(t, now)
		st := &deploy.State{ID: "github:acme/widgets:production:v1.2.0", Kind: deploy.KindDeploy, Repo: "acme/widgets", Environment: "production",
			Version: "v1.2.0", Status: deploy.StatusRunning, SlackChannel: "#releases", Steps: []deploy.StepState{{Name: "approval", Status: "running"}}}
		gate := deploy.Notice{Event: deploy.EventApprovalRequested, State: st, Line: "Approval requested: 1 of alice",
			Gate: &deploy.GateView{Required: 1, From: "alice", Channel: channel}}
		step := deploy.Notice{Event: deploy.EventStep, State: st, Line: "approval: waiting"}
		notify := func(ns ...deploy.Notice) {
			for _, n := range ns {
				if err := s.Notify(context.Background(), n); err != nil {
					t.Fatal(err)
				}
			}
		}
		notify(gate, gate)
		if e := edits(fake); e != 0 {
			t.Errorf("gate channel %q: the same gate twice made %d edits", channel, e)
		}
		notify(step, step)
		msgs := fake.Messages()
		if len(msgs) != 1+min(len(channel), 1) || edits(fake) != len(msgs) {
			t.Errorf("gate channel %q: %d messages with %d edits, want one per channel, each edited once for the new state: %+v", channel, len(msgs), edits(fake), msgs)
		}
		for _, m := range msgs {
			if m.Channel == "#releases" {
				if thread := fake.Thread(m.TS); len(thread) != 2 {
					t.Errorf("gate channel %q: thread %q, want the two lines once each", channel, thread)
				}
			}
		}
	}
}

func edits(fake *fakeslack.Server) int {
	n := 0
	for _, m := range fake.Messages() {
		n += m.Edits
	}
	return n
}
