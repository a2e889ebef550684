package dashboard

import (
	"fmt"
	"net/http"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
)

// Live updates of a deployment's page are server-sent events: the server
// reads the deployment every livePoll and sends its revision when it
// moved; the page's script (static/live.js) then fetches the page again
// and swaps the part that moves. Without JavaScript the page is a plain
// page that a reload brings up to date.
const (
	livePoll = time.Second
	// liveFor ends a stream (the browser reconnects after liveRetry): no
	// request holds a connection for ever.
	liveFor   = 5 * time.Minute
	liveRetry = 2 * time.Second
)

// deploymentEvents streams a deployment's revisions: "revision" events
// whenever it moves, and "done" once it has ended.
func (d *Dashboard) deploymentEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		d.renderError(w, r, http.StatusNotImplemented, "This server cannot stream: reload the page to see the deployment move.")
		return
	}
	dep, err := d.deploymentOf(r)
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	if dep == nil {
		d.renderError(w, r, http.StatusNotFound, "There is no such deployment in this repository.")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no") // proxies must not hold events back
	fmt.Fprintf(w, "retry: %d\n\n", liveRetry.Milliseconds())
	ctx := r.Context()
	tick := time.NewTicker(livePoll)
	defer tick.Stop()
	stop := time.After(liveFor)
	last := int64(-1)
	for {
		if dep.Revision != last {
			last = dep.Revision
			fmt.Fprintf(w, "event: revision\ndata: %d\n\n", last)
		}
		if dep.State != deploy.StatusRunning {
			fmt.Fprint(w, "event: done\ndata: \n\n")
			flusher.Flush()
			return
		}
		flusher.Flush()
		select {
		case <-ctx.Done():
			return
		case <-stop:
			return
		case <-tick.C:
		}
		next, err := d.cfg.Store.GetDeployment(ctx, dep.ID)
		if err != nil {
			d.log.Warn().Err(err).Str("deployment", dep.ID).Msg("dashboard: following a deployment")
			return // the browser reconnects
		}
		dep = &next
	}
}
