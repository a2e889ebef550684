package gitlab

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Route is where GitLab delivers webhooks.
const Route = "/webhooks/gitlab"

// MaxBodyBytes is the largest delivery accepted; larger ones are answered
// 413.
const MaxBodyBytes = 25 << 20

// Job kinds.
const (
	// KindPolicyChanged re-evaluates the open MRs into a branch whose
	// policy changed.
	KindPolicyChanged = "gitlab.policy_changed"
	// KindPipeline follows a deployment's pipeline (PipelineHook); the
	// deployment integration (bot/gitlab/deployments) processes it.
	KindPipeline = "gitlab.pipeline"
)

// PipelineHook is a KindPipeline job's payload: a Pipeline Hook of a
// pipeline that carries a deployment step's key (deploy.KeyVariable),
// translated. Its facts are the webhook's claim, and the webhook's token
// is the same for every project that sends to Shipgate: the pipeline is
// read again through the API before anything of it counts.
type PipelineHook struct {
	DeliveryID string `json:"delivery_id"`
	// Kind is "pipeline" and Action the pipeline's status, as the
	// delivery records them.
	Kind      string `json:"kind"`
	Action    string `json:"action"`
	ProjectID int64  `json:"project_id"`
	Repo      string `json:"repo"`
	Pipeline  int64  `json:"pipeline"`
	// Keys are the values of its deploy.KeyVariable variables.
	Keys []string  `json:"keys"`
	At   time.Time `json:"at"`
}

// Event is the payload of the adapter's own jobs (tag pushes, policy
// changes), and of merge request jobs queued before they were gate.Events
// (DecodeLegacy).
type Event struct {
	DeliveryID string `json:"delivery_id"`
	// Kind is the payload's object_kind: merge_request, note, tag_push,
	// push.
	Kind string `json:"kind"`
	// Action is the MR action (open, update, reopen, approved, unapproved,
	// merge, close) or the note's (create, update).
	Action    string `json:"action,omitempty"`
	ProjectID int64  `json:"project_id"`
	// Repo is the project's path with its namespace ("group/sub/proj").
	Repo          string `json:"repo"`
	DefaultBranch string `json:"default_branch,omitempty"`
	// IID is the MR's number in its project.
	IID     int    `json:"iid,omitempty"`
	HeadSHA string `json:"head_sha,omitempty"`
	// Sender is who caused the event.
	Sender string `json:"sender,omitempty"`
	// Note is set for note events.
	Note *Note `json:"note,omitempty"`
	// Tag and SHA are set for tag pushes; Branch for pushes and policy
	// changes.
	Tag    string    `json:"tag,omitempty"`
	SHA    string    `json:"sha,omitempty"`
	Branch string    `json:"branch,omitempty"`
	At     time.Time `json:"at"`
	// Paths are the YAML files a push changed (KindBaseChanged); null
	// when unknown.
	Paths []string `json:"paths,omitempty"`
}

// Note is a note on an MR as a legacy payload gave it.
type Note struct {
	ID        int64     `json:"id"`
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	// Edited is set for an update hook: it runs no command, it only leads
	// to a new evaluation (Author is then the editor).
	Edited bool `json:"edited,omitempty"`
}

// Route implements bot.Receiver.
func (a *App) Route() string { return Route }

// ServeHTTP receives a webhook delivery: it compares X-Gitlab-Token with
// the webhook secret in constant time, translates the payload once into
// jobs, and records the delivery with its jobs through the Acceptor before
// answering. The delivery ID is Idempotency-Key, else X-Gitlab-Event-UUID.
//
//   - 401 with a fixed body, nothing stored: no secret configured, no
//     token or a wrong one (the reason is logged, never the token);
//   - 413: a body over MaxBodyBytes; 400: no event or delivery ID, an
//     unreadable payload;
//   - 200 for a delivery seen before (nothing new queued);
//   - 202 for an event that needs no work (nothing stored), and for one
//     whose jobs were queued;
//   - 500 when the delivery could not be stored: GitLab may retry.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := a.cfg.Now()
	event := r.Header.Get("X-Gitlab-Event")
	delivery := r.Header.Get("Idempotency-Key")
	if delivery == "" {
		delivery = r.Header.Get("X-Gitlab-Event-UUID")
	}
	ans := bot.NewAnswer(w, r, string(policies.GitLab), event, metricEvent(event), delivery, start, a.cfg.Now, a.cfg.Metrics, a.cfg.Logger)
	refuse := func(reason string) { ans.Refuse(r, reason, "token verification failed") }
	secret, token := a.cfg.WebhookSecret.Reveal(), r.Header.Get("X-Gitlab-Token")
	switch {
	case secret == "":
		refuse("no_webhook_secret_configured")
		return
	case token == "":
		refuse("missing_token")
		return
	case subtle.ConstantTimeCompare([]byte(token), []byte(secret)) != 1:
		refuse("wrong_token")
		return
	}
	body, ok := ans.ReadBody(r, MaxBodyBytes)
	if !ok {
		return
	}
	if event == "" || delivery == "" {
		ans.Send(http.StatusBadRequest, "bad_request", "X-Gitlab-Event and Idempotency-Key or X-Gitlab-Event-UUID are required")
		return
	}
	jobs, ignored, err := a.translate(event, delivery, body, start)
	if err != nil {
		ans.Log.Warn().Err(err).Msg("webhook refused: unreadable payload")
		ans.Send(http.StatusBadRequest, "bad_request", "unreadable payload")
		return
	}
	var first struct {
		Kind, Action, Repo string
		IID, Number        int
	}
	if len(jobs) > 0 {
		_ = json.Unmarshal(jobs[0].Payload, &first) // every payload names these alike
	}
	ans.Log = ans.Log.With().Str(bot.FieldAction, first.Action).Str(bot.FieldRepo, first.Repo).Int(bot.FieldNumber, max(first.IID, first.Number)).Logger()
	if ignored != "" {
		ans.Log.Debug().Str("reason", ignored).Msg("webhook ignored")
		ans.Send(http.StatusAccepted, "ignored", "ignored: "+ignored)
		return
	}
	ans.Queue(r.Context(), a.cfg.Acceptor, store.Delivery{
		Host: string(policies.GitLab), ID: delivery, Event: first.Kind, Action: first.Action, Payload: body, ReceivedAt: start,
	}, jobs)
}

// metricEvent bounds the event label to names GitLab sends.
func metricEvent(event string) string {
	if len(event) > 40 || strings.ContainsFunc(event, func(r rune) bool {
		return !(r == ' ' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		return "other"
	}
	return event
}

// mrActions are the MR actions that queue work; others (e.g. a title-only
// system action of another kind) are ignored.
func mrAction(action string) bool {
	switch action {
	case "open", "update", "reopen", "approved", "unapproved", "approval", "unapproval", "merge", "close":
		return true
	}
	return false
}

// translate turns a verified delivery into jobs, once. ignored says why a
// delivery needs no work (then there are no jobs).
func (a *App) translate(event, delivery string, body []byte, at time.Time) (jobs []store.Job, ignored string, err error) {
	switch gl.EventType(event) {
	case gl.EventTypeMergeRequest, gl.EventTypeNote, gl.EventTypeTagPush, gl.EventTypePush, gl.EventTypePipeline:
	default:
		return nil, "event " + event + " is not handled", nil
	}
	parsed, err := gl.ParseWebhook(gl.EventType(event), body)
	if err != nil {
		return nil, "", fmt.Errorf("parsing the %s payload: %w", event, err)
	}
	switch ev := parsed.(type) {
	case *gl.MergeEvent:
		oa := ev.ObjectAttributes
		if !mrAction(oa.Action) {
			return nil, "merge request action " + oa.Action + " changes nothing", nil
		}
		if oa.Action == "update" && ev.User != nil && a.id.Is(ev.User.Username) {
			// Shipgate's own label changes, made while it evaluated.
			return nil, "update by Shipgate itself", nil
		}
		if oa.Action == "update" && oa.OldRev == "" && !readsChanges(body) {
			return nil, "the update changes nothing Shipgate reads", nil
		}
		e := gate.Event{Kind: mrKind("merge_request", oa.Action), Action: mrActionName(oa.Action), DeliveryID: delivery, Host: policies.GitLab,
			Scope: ev.Project.ID, Repo: ev.Project.PathWithNamespace, Number: int(oa.IID), HeadSHA: oa.LastCommit.ID, At: at,
			Pushed: oa.Action == "update" && oa.OldRev != ""}
		if ev.User != nil {
			e.Sender = ev.User.Username
		}
		return []store.Job{gate.Job(e)}, "", nil
	case *gl.MergeCommentEvent:
		oa := ev.ObjectAttributes
		switch {
		case oa.NoteableType != "MergeRequest":
			return nil, "note on a " + oa.NoteableType, nil
		case oa.System:
			return nil, "system note", nil
		case ev.User != nil && a.isBot(ev.User.Username):
			return nil, "note by a bot", nil
		}
		e := gate.Event{Kind: gate.KindComment, Action: string(oa.Action), DeliveryID: delivery, Host: policies.GitLab, Scope: ev.Project.ID,
			Repo: ev.Project.PathWithNamespace, Number: int(ev.MergeRequest.IID), HeadSHA: ev.MergeRequest.LastCommit.ID, At: at}
		n := &gate.Comment{ID: oa.ID, Body: oa.Note, CreatedAt: parseTime(oa.CreatedAt)}
		// An edit is no command: its user is the editor, who may be anyone
		// with Maintainer access, not the note's author.
		n.Edited = oa.Action == "update" || oa.Action == "" && oa.UpdatedAt != "" && oa.UpdatedAt != oa.CreatedAt
		if ev.User != nil {
			e.Sender, n.Author = ev.User.Username, ev.User.Username
		}
		e.Comment = n
		e.Issue = noteIssue(ev.MergeRequest)
		return []store.Job{gate.Job(e)}, "", nil
	case *gl.TagEvent:
		tag, _ := strings.CutPrefix(ev.Ref, "refs/tags/")
		if ev.CheckoutSHA == "" || strings.Trim(ev.After, "0") == "" {
			return nil, "tag " + tag + " deleted", nil
		}
		return []store.Job{gate.TagJob(gate.TagPush{Host: policies.GitLab, Event: "tag_push", DeliveryID: delivery, ProjectID: ev.Project.ID,
			Repo: ev.Project.PathWithNamespace, DefaultBranch: ev.Project.DefaultBranch, Tag: tag, Sender: ev.UserUsername})}, "", nil
	case *gl.PushEvent:
		return pushJobs(ev, delivery, at)
	case *gl.PipelineEvent:
		return pipelineJob(ev, delivery, at)
	}
	return nil, "event " + event + " is not handled", nil
}

// pushJobs are the jobs of a push: the policy file changed (its
// branch's changes are judged again), YAML files that may be bases of
// other repositories' policies changed.
func pushJobs(ev *gl.PushEvent, delivery string, at time.Time) ([]store.Job, string, error) {
	job := func(kind, key string, e Event) ([]store.Job, string, error) {
		e.DeliveryID, e.At = delivery, at
		payload, err := json.Marshal(e)
		if err != nil {
			return nil, "", fmt.Errorf("encoding the %s job: %w", kind, err)
		}
		return []store.Job{{Kind: kind, Key: key, Payload: payload}}, "", nil
	}
	branch, _ := strings.CutPrefix(ev.Ref, "refs/heads/")
	e := Event{Kind: "push", ProjectID: ev.Project.ID, Repo: ev.Project.PathWithNamespace,
		DefaultBranch: ev.Project.DefaultBranch, Branch: branch, SHA: ev.After, Sender: ev.UserUsername}
	var jobs []store.Job
	if policyTouched(ev) {
		j, _, err := job(KindPolicyChanged, "gitlab:"+e.Repo+":"+branch, e)
		if err != nil {
			return nil, "", err
		}
		jobs = append(jobs, j...)
	}
	if paths, touched := basesTouched(ev); touched {
		e.Paths = paths
		j, _, err := job(KindBaseChanged, "gitlab:"+e.Repo+":"+branch+":bases", e)
		if err != nil {
			return nil, "", err
		}
		jobs = append(jobs, j...)
	}
	if len(jobs) == 0 {
		return nil, "push to " + branch + " leaves " + review.PolicyFile + " and every YAML file as they were", nil
	}
	return jobs, "", nil
}

// pipelineJob is the job of a Pipeline Hook whose pipeline carries a
// deployment step's key; any other pipeline is no deployment's.
func pipelineJob(ev *gl.PipelineEvent, delivery string, at time.Time) ([]store.Job, string, error) {
	oa := ev.ObjectAttributes
	h := PipelineHook{DeliveryID: delivery, Kind: "pipeline", Action: oa.Status, ProjectID: ev.Project.ID, Repo: ev.Project.PathWithNamespace,
		Pipeline: oa.ID, At: at}
	for _, v := range oa.Variables {
		if v.Key == deploy.KeyVariable {
			h.Keys = append(h.Keys, v.Value)
		}
	}
	if len(h.Keys) == 0 || h.Pipeline == 0 || h.Repo == "" {
		return nil, "pipeline without " + deploy.KeyVariable + ": no deployment's", nil
	}
	payload, err := json.Marshal(h)
	if err != nil {
		return nil, "", fmt.Errorf("encoding the pipeline job: %w", err)
	}
	return []store.Job{{Kind: KindPipeline, Key: fmt.Sprintf("gitlab:%s:pipeline:%d", h.Repo, h.Pipeline), Payload: payload}}, "", nil
}

// readsChanges reports whether an MR update without a push (no oldrev)
// changed something a verdict reads: its title, description, labels,
// draft status or target branch. A payload whose changes cannot be read
// counts as changing something.
func readsChanges(body []byte) bool {
	var p struct {
		Changes map[string]json.RawMessage `json:"changes"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Changes == nil {
		return true
	}
	for _, k := range []string{"title", "description", "labels", "draft", "work_in_progress", "target_branch", "state_id"} {
		if _, ok := p.Changes[k]; ok {
			return true
		}
	}
	return false
}

// policyTouched reports whether a push may have changed the policy file:
// a commit adds, modifies or removes it, or GitLab left commits out of the
// payload (it lists 20 at most).
func policyTouched(ev *gl.PushEvent) bool {
	if strings.Trim(ev.After, "0") == "" {
		return false // the branch was deleted
	}
	if ev.TotalCommitsCount > int64(len(ev.Commits)) {
		return true
	}
	for _, c := range ev.Commits {
		for _, list := range [][]string{c.Added, c.Modified, c.Removed} {
			for _, p := range list {
				if p == review.PolicyFile {
					return true
				}
			}
		}
	}
	return false
}

// parseTime reads the time formats of GitLab payloads ("2006-01-02
// 15:04:05 UTC" and RFC 3339); zero when unreadable.
func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05 UTC", "2006-01-02 15:04:05 -0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// noteIssue is what a note hook tells of its merge request; nil when the
// hook does not name its state and labels (the gate then reads it, or
// uses what its last evaluation read when that still holds).
func noteIssue(mr gl.MergeCommentEventMergeRequest) *gate.Issue {
	if mr.State == "" || mr.Labels == nil {
		return nil
	}
	state := gate.Open
	if mr.State != "opened" && mr.State != "locked" {
		state = gate.Closed // merged or closed: the gate reads which
	}
	is := &gate.Issue{Title: mr.Title, Body: mr.Description, State: state, Labels: []string{}}
	for _, l := range mr.Labels {
		if l != nil {
			is.Labels = append(is.Labels, l.Title)
		}
	}
	return is
}
