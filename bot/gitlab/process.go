package gitlab

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// GitLab's limits on a commit status description and a note's body.
const (
	maxDescription = 255
	maxNoteBody    = 1_000_000
)

// Kinds implements bot.Processor.
func (a *App) Kinds() []string { return []string{KindMR, KindTag, KindPolicyChanged} }

// Process implements bot.Processor: a batch holds the jobs of one MR, one
// tag or one branch, oldest first.
func (a *App) Process(ctx context.Context, b store.Batch) error {
	events := make([]Event, 0, len(b.Jobs))
	for _, j := range b.Jobs {
		var e Event
		if err := json.Unmarshal(j.Payload, &e); err != nil {
			return bot.Permanent(fmt.Errorf("decoding job %d: %w", j.ID, err))
		}
		events = append(events, e)
	}
	last := events[len(events)-1]
	// Shipgate's own notes are never commands: know them first (after a
	// restart too), or wait.
	if _, err := a.selfName(ctx); err != nil {
		return err
	}
	log := zerolog.Ctx(ctx).With().Str(bot.FieldHost, string(policies.GitLab)).Str(bot.FieldRepo, last.Repo).Str(bot.FieldKey, b.Key).Logger()
	ctx = log.WithContext(ctx)
	switch b.Jobs[0].Kind {
	case KindMR:
		// The adapter's own jobs may know the project's path only.
		w := &mrWork{a: a, repo: last.Repo, pid: projectRef(last), iid: last.IID, events: events}
		err := w.run(ctx)
		if err != nil && lastAttempt(b.Jobs) {
			w.publishFailure(ctx, err)
		}
		return a.retryAt(err)
	case KindTag:
		return a.retryAt(a.processTag(ctx, last))
	case KindPolicyChanged:
		return a.retryAt(a.policyChanged(ctx, last))
	}
	return bot.Permanent(fmt.Errorf("unknown job kind %q", b.Jobs[0].Kind))
}

// retryAt turns GitLab's rate limiting (429 with Retry-After, or
// RateLimit-Reset) into a bot.RetryError, so that the job waits as long as
// GitLab asks; other errors pass unchanged.
func (a *App) retryAt(err error) error {
	var e *gl.ErrorResponse
	if !errors.As(err, &e) || e.Response == nil || e.Response.StatusCode != http.StatusTooManyRequests {
		return err
	}
	at := a.cfg.Now().Add(time.Minute)
	if s, perr := strconv.Atoi(e.Response.Header.Get("Retry-After")); perr == nil && s >= 0 {
		at = a.cfg.Now().Add(time.Duration(s) * time.Second)
	} else if reset, perr := strconv.ParseInt(e.Response.Header.Get("RateLimit-Reset"), 10, 64); perr == nil {
		at = time.Unix(reset, 0)
	}
	return &bot.RetryError{Err: err, At: at}
}

// lastAttempt reports whether a job of the batch has no try left after
// this one.
func lastAttempt(jobs []store.Job) bool {
	for _, j := range jobs {
		if j.MaxAttempts > 0 && j.Attempts+1 >= j.MaxAttempts {
			return true
		}
	}
	return false
}

// loadedPolicy is the policy of a branch: Missing, Invalid, or Policy.
type loadedPolicy struct {
	Policy   *policies.Policy
	Missing  bool
	Invalid  error
	Revision string
}

// loadPolicy reads .shipgate.yml from ref:
// GET /projects/:id/repository/files/:path/raw?ref=.
func (a *App) loadPolicy(ctx context.Context, pid any, repo, ref string) (loadedPolicy, error) {
	data, resp, err := a.gl.RepositoryFiles.GetRawFile(pid, review.PolicyFile, &gl.GetRawFileOptions{Ref: gl.Ptr(ref)}, gl.WithContext(ctx))
	switch {
	case isNotFound(resp, err):
		return loadedPolicy{Missing: true}, nil
	case err != nil:
		return loadedPolicy{}, fmt.Errorf("reading %s of %s at %s: %w", review.PolicyFile, repo, ref, err)
	}
	lp := loadedPolicy{Revision: blobSHA(data)}
	lp.Policy, lp.Invalid = policies.Load(review.PolicyFile, data)
	if lp.Invalid != nil {
		lp.Policy = nil
	}
	return lp, nil
}

// blobSHA is git's blob ID of data, which GitLab shows as the file's
// blob_id: the policy's revision, as on GitHub.
func blobSHA(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func isNotFound(resp *gl.Response, err error) bool {
	if err == nil {
		return false
	}
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return true
	}
	var e *gl.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound
}

// mrWork is the processing of one batch of an MR's jobs.
type mrWork struct {
	a      *App
	repo   string
	pid    any // the project: its ID, or its path
	iid    int
	events []Event

	mr      *gl.MergeRequest
	state   store.PRState
	policy  loadedPolicy
	perms   map[string]policies.Permission // nil until read
	notes   []*gl.Note                     // nil until read
	labels  []string
	changed bool // labels changed by commands
}

func (w *mrWork) ref() string { return fmt.Sprintf("%s!%d", w.repo, w.iid) }

// run runs the commands of the batch's notes in order, then evaluates the
// MR once and publishes the outcome.
func (w *mrWork) run(ctx context.Context) error {
	a := w.a
	st, err := a.cfg.Store.GetPR(ctx, policies.GitLab, w.repo, w.iid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		st = store.PRState{Host: policies.GitLab, Repo: w.repo, Number: w.iid}
	case err != nil:
		return fmt.Errorf("reading the state of %s: %w", w.ref(), err)
	}
	w.state = st
	// GET /projects/:id/merge_requests/:iid
	mr, resp, err := a.gl.MergeRequests.GetMergeRequest(w.pid, int64(w.iid), nil, gl.WithContext(ctx))
	if isNotFound(resp, err) {
		return bot.Permanent(fmt.Errorf("reading %s: %w", w.ref(), err))
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", w.ref(), err)
	}
	w.mr, w.labels = mr, append([]string(nil), mr.Labels...)
	log := zerolog.Ctx(ctx).With().Int(bot.FieldNumber, w.iid).Str(bot.FieldSHA, mr.SHA).Logger()
	ctx = log.WithContext(ctx)
	if w.state.CheckBase == "" && w.state.LastEvaluatedSHA != "" {
		w.state.CheckBase = w.state.BaseBranch // published before check_base was kept
	}
	switch {
	case mr.State == "closed":
		if err := w.withdraw(ctx, "was closed without merging"); err != nil {
			return err
		}
	case mr.State == "opened" && w.state.CheckBase != "" && w.state.CheckBase != mr.TargetBranch:
		if err := w.withdraw(ctx, "now targets "+mr.TargetBranch); err != nil {
			return err
		}
	}
	w.state.BaseBranch, w.state.HeadSHA, w.state.LastActivityAt = mr.TargetBranch, mr.SHA, a.cfg.Now()
	if mr.State != "opened" {
		w.state.State = store.PRClosed
		return a.cfg.Store.PutPR(ctx, w.state)
	}
	w.state.State = store.PROpen
	if w.policy, err = a.loadPolicy(ctx, w.pid, w.repo, mr.TargetBranch); err != nil {
		return err
	}
	for _, e := range w.events {
		if e.Note != nil && !e.Note.Edited {
			if err := w.runCommands(ctx, e); err != nil {
				return err
			}
		}
	}
	return w.evaluateAndPublish(ctx)
}

// permissions reads the project's members with their access levels,
// inherited ones included: GET /projects/:id/members/all.
func (w *mrWork) permissions(ctx context.Context) (map[string]policies.Permission, error) {
	if w.perms != nil {
		return w.perms, nil
	}
	perms := map[string]policies.Permission{}
	opt := &gl.ListProjectMembersOptions{ListOptions: gl.ListOptions{PerPage: 100}}
	for {
		members, resp, err := w.a.gl.ProjectMembers.ListAllProjectMembers(w.pid, opt, gl.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("reading the members of %s: %w", w.repo, err)
		}
		for _, m := range members {
			perms[strings.ToLower(m.Username)] = Permission(int(m.AccessLevel))
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	w.perms = perms
	return perms, nil
}

// Permission maps a GitLab access level onto a repository role, as
// policies.Permission documents: Guest (10) and Planner (15) → read,
// Reporter (20) → triage, Developer (30) → write, Maintainer (40) →
// maintain, Owner (50) → admin; anything lower → none.
func Permission(accessLevel int) policies.Permission {
	switch {
	case accessLevel >= 50:
		return policies.PermAdmin
	case accessLevel >= 40:
		return policies.PermMaintain
	case accessLevel >= 30:
		return policies.PermWrite
	case accessLevel >= 20:
		return policies.PermTriage
	case accessLevel >= 10:
		return policies.PermRead
	}
	return policies.PermNone
}

// runCommands carries out the commands of a new note: each is recorded
// once (keyed by note ID and index) and audited; accepted ones get a 👍
// and their label changes; refused, unknown and /help ones one reply. A
// redelivered or edited note repeats nothing.
func (w *mrWork) runCommands(ctx context.Context, e Event) error {
	a, n := w.a, e.Note
	cmds := policies.ParseCommands(n.Body)
	if len(cmds) == 0 || a.isBot(n.Author) {
		return nil
	}
	perms, err := w.permissions(ctx)
	if err != nil {
		return err
	}
	author := policies.Actor{Login: n.Author}
	key := strings.ToLower(n.Author)
	authChange := &policies.Change{
		Host: policies.GitLab, Repo: repoRef(w.repo), Number: w.iid, Author: policies.Actor{Login: w.mr.Author.Username},
		BaseBranch: w.mr.TargetBranch, HeadBranch: w.mr.SourceBranch,
		Labels: w.labels, Permissions: map[string]policies.Permission{key: perms[key]},
	}
	p := review.PolicyForCommands(w.policy.Policy)
	// On GitLab, /release and the deployment commands are not run yet.
	decisions := review.Decide(p, authChange, author, cmds, review.Features{})
	log := zerolog.Ctx(ctx)
	var fresh []review.Decision
	for _, d := range decisions {
		inserted, err := a.cfg.Store.RecordCommand(ctx, store.CommandRecord{
			Host: policies.GitLab, Repo: w.repo, Number: w.iid, CommentID: n.ID, Index: d.Index, Actor: n.Author,
			Name: d.Command.Name, Args: d.Command.Args, Accepted: d.Accepted, Reason: d.Reason, At: n.CreatedAt,
		})
		if err != nil {
			return fmt.Errorf("recording /%s of note %d on %s: %w", d.Command.Name, n.ID, w.ref(), err)
		}
		if !inserted {
			continue // recorded by an earlier delivery or try: nothing is repeated
		}
		if _, err := a.cfg.Store.AppendAudit(ctx, review.CommandAudit(policies.GitLab, w.repo, w.iid, n.ID, n.Author, e.DeliveryID, d, a.cfg.Now())); err != nil {
			return fmt.Errorf("auditing /%s on %s: %w", d.Command.Name, w.ref(), err)
		}
		log.Info().Str("command", d.Command.Name).Bool("accepted", d.Accepted).Str("reason", d.Reason).Msg("command")
		fresh = append(fresh, d)
	}
	react := false
	for _, d := range fresh {
		if !d.Accepted {
			continue
		}
		react = true
		if err := w.changeLabels(ctx, d.AddLabels, d.RemoveLabels); err != nil {
			return err
		}
	}
	if react {
		// POST /projects/:id/merge_requests/:iid/notes/:note_id/award_emoji
		_, _, err := a.gl.AwardEmoji.CreateMergeRequestAwardEmojiOnNote(w.pid, int64(w.iid), n.ID,
			&gl.CreateAwardEmojiOptions{Name: "thumbsup"}, gl.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("awarding 👍 to note %d on %s: %w", n.ID, w.ref(), err)
		}
	}
	if reply, needed := review.Reply(p, n.Author, fresh, review.Features{}); needed {
		body, err := templates.String(templates.RenderReply, reply)
		if err != nil {
			return err
		}
		// POST /projects/:id/merge_requests/:iid/notes
		if _, _, err := a.gl.Notes.CreateMergeRequestNote(w.pid, int64(w.iid), &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx)); err != nil {
			return fmt.Errorf("replying to note %d on %s: %w", n.ID, w.ref(), err)
		}
	}
	return nil
}

// changeLabels adds and removes labels in one call and keeps the MR's
// label list in step: PUT /projects/:id/merge_requests/:iid with
// add_labels and remove_labels.
func (w *mrWork) changeLabels(ctx context.Context, add, remove []string) error {
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	opt := &gl.UpdateMergeRequestOptions{}
	if len(add) > 0 {
		opt.AddLabels = (*gl.LabelOptions)(&add)
	}
	if len(remove) > 0 {
		opt.RemoveLabels = (*gl.LabelOptions)(&remove)
	}
	mr, _, err := w.a.gl.MergeRequests.UpdateMergeRequest(w.pid, int64(w.iid), opt, gl.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("changing labels (+%v -%v) of %s: %w", add, remove, w.ref(), err)
	}
	w.labels = append([]string(nil), mr.Labels...)
	w.changed = true
	return nil
}

// repoRef splits a project path: the namespace (with its subgroups) is the
// owner.
func repoRef(path string) policies.Repo {
	i := strings.LastIndex(path, "/")
	if i < 0 {
		return policies.Repo{Name: path}
	}
	return policies.Repo{Owner: path[:i], Name: path[i+1:]}
}
