package gitlab

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
)

// GitLab's limits on a commit status description and a note's body.
const (
	maxDescription = 255
	maxNoteBody    = 1_000_000
)

var (
	_ gate.Host = (*App)(nil)
	_ gate.Repo = (*project)(nil)
)

// Name is the host the adapter serves.
func (a *App) Name() policies.Host { return policies.GitLab }

// Repo opens a session on a project: scope is its ID (0: its path is
// used).
func (a *App) Repo(_ context.Context, repo string, scope int64) (gate.Repo, error) {
	return a.project(repo, scope), nil
}

func (a *App) project(path string, id int64) *project {
	p := &project{a: a, path: path, pid: path}
	if id != 0 {
		p.pid = id
	}
	return p
}

// Classify maps GitLab's errors onto the worker's retry policy, in one
// place: rate limiting (429 with Retry-After, or RateLimit-Reset) becomes
// a bot.RetryError, so that the job waits as long as GitLab asks; a 404 or
// 410 that reached a job (its merge request or project is gone) is
// permanent; other errors pass unchanged.
func (a *App) Classify(err error) error {
	var e *gl.ErrorResponse
	if !errors.As(err, &e) || e.Response == nil {
		return err
	}
	switch e.Response.StatusCode {
	case http.StatusNotFound, http.StatusGone:
		return bot.Permanent(err)
	case http.StatusTooManyRequests:
	default:
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

// CommentLimit is the longest note body GitLab takes.
func (a *App) CommentLimit() int { return maxNoteBody }

// VerdictHoldsReport is false: a commit status holds one line, so the
// sticky note carries the report.
func (a *App) VerdictHoldsReport() bool { return false }

// project is a session on one project for one batch: it reads the
// project's members and an MR's notes once.
type project struct {
	a    *App
	path string
	pid  any // the project: its ID, or its path

	mu    sync.Mutex
	perms map[string]policies.Permission // nil until read
	// listed are the notes of each MR as read in this batch: the commands'
	// notes are checked against them, and the facts read them once.
	listed map[int][]*gl.Note
}

func (p *project) Host() policies.Host { return policies.GitLab }
func (p *project) Name() string        { return p.path }

func (p *project) ref(iid int) string { return fmt.Sprintf("%s!%d", p.path, iid) }

// ReadChange reads a merge request: GET /projects/:id/merge_requests/:iid.
func (p *project) ReadChange(ctx context.Context, iid int) (gate.Snapshot, error) {
	mr, _, err := p.a.gl.MergeRequests.GetMergeRequest(p.pid, int64(iid), nil, gl.WithContext(ctx))
	if err != nil {
		return gate.Snapshot{}, fmt.Errorf("reading %s: %w", p.ref(iid), err)
	}
	return p.a.snapshotOf(mr), nil
}

// snapshotOf is a merge request as the gate reads it. A locked MR is being
// merged: it stays open until GitLab says it is merged.
func (a *App) snapshotOf(mr *gl.MergeRequest) gate.Snapshot {
	state := gate.Open
	switch mr.State {
	case "merged":
		state = gate.Merged
	case "closed":
		state = gate.Closed
	}
	s := gate.Snapshot{
		Number: int(mr.IID), Title: mr.Title, Body: mr.Description, Base: mr.TargetBranch, Head: mr.SourceBranch, HeadSHA: mr.SHA,
		State: state, Draft: mr.Draft, Labels: append([]string(nil), mr.Labels...), URL: mr.WebURL,
		CreatedAt: deref(mr.CreatedAt), UpdatedAt: deref(mr.UpdatedAt),
	}
	if mr.Author != nil {
		s.Author = policies.Actor{Login: mr.Author.Username, Bot: a.isBot(mr.Author.Username)}
	}
	if mr.DiffRefs.BaseSha != "" {
		s.BaseSHA = mr.DiffRefs.BaseSha
	}
	return s
}

// ReadFile reads a file at a ref: GET /projects/:id/repository/files/
// :path/raw?ref=; its revision is git's blob ID of the content, as GitLab
// shows it.
func (p *project) ReadFile(ctx context.Context, path, ref string) ([]byte, string, bool, error) {
	opt := &gl.GetRawFileOptions{}
	if ref != "" {
		opt.Ref = gl.Ptr(ref)
	}
	data, resp, err := p.a.gl.RepositoryFiles.GetRawFile(p.pid, path, opt, gl.WithContext(ctx))
	switch {
	case IsNotFound(resp, err):
		return nil, "", false, nil
	case err != nil:
		return nil, "", false, fmt.Errorf("reading %s of %s at %s: %w", path, p.path, ref, err)
	}
	return data, blobSHA(data), true, nil
}

// blobSHA is git's blob ID of data.
func blobSHA(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// IsNotFound reports whether a call's error is GitLab's 404.
func IsNotFound(resp *gl.Response, err error) bool {
	if err == nil {
		return false
	}
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return true
	}
	var e *gl.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound
}

// Role is a user's role on the project from its members, inherited ones
// included, read once per batch: GET /projects/:id/members/all.
func (p *project) Role(ctx context.Context, login string) (policies.Permission, error) {
	perms, err := p.permissions(ctx)
	if err != nil {
		return policies.PermNone, err
	}
	return perms[strings.ToLower(login)], nil
}

func (p *project) permissions(ctx context.Context) (map[string]policies.Permission, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.perms != nil {
		return p.perms, nil
	}
	perms := map[string]policies.Permission{}
	opt := &gl.ListProjectMembersOptions{ListOptions: gl.ListOptions{PerPage: 100}}
	for {
		members, resp, err := p.a.gl.ProjectMembers.ListAllProjectMembers(p.pid, opt, gl.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("reading the members of %s: %w", p.path, err)
		}
		for _, m := range members {
			perms[strings.ToLower(m.Username)] = Permission(int(m.AccessLevel))
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	p.perms = perms
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

// SetLabels adds and removes labels in one call: PUT /projects/:id/
// merge_requests/:iid with add_labels and remove_labels.
func (p *project) SetLabels(ctx context.Context, iid int, add, remove []string) error {
	opt := &gl.UpdateMergeRequestOptions{}
	if len(add) > 0 {
		opt.AddLabels = (*gl.LabelOptions)(&add)
	}
	if len(remove) > 0 {
		opt.RemoveLabels = (*gl.LabelOptions)(&remove)
	}
	if _, _, err := p.a.gl.MergeRequests.UpdateMergeRequest(p.pid, int64(iid), opt, gl.WithContext(ctx)); err != nil {
		return fmt.Errorf("changing labels (+%v -%v) of %s: %w", add, remove, p.ref(iid), err)
	}
	return nil
}

// React awards a note a 👍; one awarded before is no error:
// POST /projects/:id/merge_requests/:iid/notes/:note_id/award_emoji.
func (p *project) React(ctx context.Context, iid int, noteID int64) error {
	_, resp, err := p.a.gl.AwardEmoji.CreateMergeRequestAwardEmojiOnNote(p.pid, int64(iid), noteID,
		&gl.CreateAwardEmojiOptions{Name: "thumbsup"}, gl.WithContext(ctx))
	if err != nil && !(resp != nil && (resp.StatusCode == http.StatusConflict || resp.StatusCode == http.StatusUnprocessableEntity)) {
		return fmt.Errorf("awarding 👍 to note %d on %s: %w", noteID, p.ref(iid), err)
	}
	return nil
}

// Comments lists an MR's notes, system notes left out, oldest first.
func (p *project) Comments(ctx context.Context, iid int) ([]policies.Comment, error) {
	notes, err := p.notes(ctx, iid)
	if err != nil {
		return nil, err
	}
	return BuildChange(ChangeInput{Repo: p.path, Change: gate.Snapshot{Number: iid}, Notes: notes, IsBot: p.a.isBot}).Comments, nil
}

// notes reads an MR's notes, oldest first, once a batch:
// GET /projects/:id/merge_requests/:iid/notes.
func (p *project) notes(ctx context.Context, iid int) ([]*gl.Note, error) {
	p.mu.Lock()
	notes, ok := p.listed[iid]
	p.mu.Unlock()
	if ok {
		return notes, nil
	}
	notes, err := p.readNotes(ctx, iid)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.listed == nil {
		p.listed = map[int][]*gl.Note{}
	}
	p.listed[iid] = notes
	p.mu.Unlock()
	return notes, nil
}

func (p *project) readNotes(ctx context.Context, iid int) ([]*gl.Note, error) {
	opt := &gl.ListMergeRequestNotesOptions{ListOptions: gl.ListOptions{PerPage: 100}, OrderBy: gl.Ptr("created_at"), Sort: gl.Ptr("asc")}
	notes := []*gl.Note{}
	for {
		page, resp, err := p.a.gl.Notes.ListMergeRequestNotes(p.pid, int64(iid), opt, gl.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("reading the notes of %s: %w", p.ref(iid), err)
		}
		notes = append(notes, page...)
		if resp.NextPage == 0 {
			return notes, nil
		}
		opt.Page = resp.NextPage
	}
}

// CreateComment posts a note: POST /projects/:id/merge_requests/:iid/notes.
func (p *project) CreateComment(ctx context.Context, iid int, body string) (int64, error) {
	body = review.Truncate(body, maxNoteBody)
	n, _, err := p.a.gl.Notes.CreateMergeRequestNote(p.pid, int64(iid), &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("commenting on %s: %w", p.ref(iid), err)
	}
	return n.ID, nil
}

// EditComment replaces a note's body:
// PUT /projects/:id/merge_requests/:iid/notes/:note_id.
func (p *project) EditComment(ctx context.Context, iid int, id int64, body string) error {
	body = review.Truncate(body, maxNoteBody)
	_, resp, err := p.a.gl.Notes.UpdateMergeRequestNote(p.pid, int64(iid), id, &gl.UpdateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx))
	switch {
	case IsNotFound(resp, err):
		return gate.ErrGone
	case err != nil:
		return fmt.Errorf("editing note %d of %s: %w", id, p.ref(iid), err)
	}
	return nil
}

// PublishVerdict sets the commit status named review.CheckName(t.Base) on
// t.SHA, unless the same status was set there last (prev):
// POST /projects/:id/statuses/:sha.
func (p *project) PublishVerdict(ctx context.Context, t gate.Target, o review.Outcome, prev gate.Published) (gate.Published, error) {
	state, description := statusState(o.Conclusion), review.Truncate(o.Title(maxDescription), maxDescription)
	pub := gate.Published{SHA: t.SHA, Base: t.Base, Digest: review.Digest(state, description, t.URL), Status: string(state)}
	if prev.SHA == t.SHA && prev.Base == t.Base && prev.Digest == pub.Digest && !t.Fresh {
		return prev, nil
	}
	if err := p.setStatus(ctx, t.SHA, review.CheckName(t.Base), state, description, t.URL); err != nil {
		return prev, err
	}
	return pub, nil
}

// setStatus sets a commit status: POST /projects/:id/statuses/:sha.
func (p *project) setStatus(ctx context.Context, sha, name string, state gl.BuildStateValue, description, targetURL string) error {
	opt := &gl.SetCommitStatusOptions{State: state, Name: gl.Ptr(name), Description: gl.Ptr(review.Truncate(description, maxDescription))}
	if targetURL != "" {
		opt.TargetURL = gl.Ptr(targetURL)
	}
	if _, _, err := p.a.gl.Commits.SetCommitStatus(p.pid, sha, opt, gl.WithContext(ctx)); err != nil {
		return fmt.Errorf("setting the status %s of %.7s on %s: %w", name, sha, p.path, err)
	}
	return nil
}

// statusState maps a conclusion onto a commit status state.
func statusState(c review.Conclusion) gl.BuildStateValue {
	switch c {
	case review.Success:
		return gl.Success
	case review.Pending:
		return gl.Pending
	case review.Neutral:
		return gl.Skipped
	}
	return gl.Failed
}

// OpenChanges lists the open MRs into base ("" for all), most recently
// updated first: GET /projects/:id/merge_requests?state=opened.
func (p *project) OpenChanges(ctx context.Context, base string) ([]gate.Snapshot, error) {
	opt := &gl.ListProjectMergeRequestsOptions{ListOptions: gl.ListOptions{PerPage: 100}, State: gl.Ptr("opened"),
		OrderBy: gl.Ptr("updated_at"), Sort: gl.Ptr("desc")}
	if base != "" {
		opt.TargetBranch = gl.Ptr(base)
	}
	var out []gate.Snapshot
	for {
		mrs, resp, err := p.a.gl.MergeRequests.ListProjectMergeRequests(p.pid, opt, gl.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("listing the open merge requests of %s: %w", p.path, err)
		}
		for _, mr := range mrs {
			out = append(out, p.a.snapshotOf(&gl.MergeRequest{BasicMergeRequest: *mr}))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

var _ gate.CommentReader = (*project)(nil)

// ReadComment finds a note as GitLab has it among the MR's notes (read
// once a batch, which the facts use too), for the gate to run its
// commands from it rather than from the hook, which anyone holding the
// shared webhook token could forge. A system note is no comment.
func (p *project) ReadComment(ctx context.Context, iid int, id int64) (gate.Comment, bool, error) {
	notes, err := p.notes(ctx, iid)
	if err != nil {
		return gate.Comment{}, false, err
	}
	i := slices.IndexFunc(notes, func(n *gl.Note) bool { return n.ID == id })
	if i < 0 || notes[i].System || notes[i].Author.Username == "" {
		return gate.Comment{}, false, nil
	}
	n := notes[i]
	created := deref(n.CreatedAt)
	return gate.Comment{
		ID: n.ID, Author: n.Author.Username, Bot: p.a.isBot(n.Author.Username), Body: n.Body, CreatedAt: created,
		UpdatedAt: deref(n.UpdatedAt), Edited: deref(n.UpdatedAt).After(created.Add(time.Second)),
	}, true, nil
}
