package fakegitlab

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Pipeline is a pipeline of a project: one created through the API (source
// api, by the token's user) or one added with AddPipeline (a push, a run
// from the web, another user's API call).
type Pipeline struct {
	ID     int64
	Ref    string
	SHA    string
	Tag    bool
	Status string
	// Source is GitLab's: api, push, web, trigger, schedule, …
	Source    string
	User      User
	Variables map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Deployment is a deployment made through the Deployments API; Statuses
// are the states it went through, oldest first.
type Deployment struct {
	ID          int64
	Environment string
	Ref, SHA    string
	Tag         bool
	Statuses    []string
	User        User
}

// Status is the deployment's current state.
func (d *Deployment) Status() string { return d.Statuses[len(d.Statuses)-1] }

// deploymentStates are the states POST takes; PUT takes all but created.
var deploymentStates = []string{"created", "running", "success", "failed", "canceled"}

// DeploymentStatuses lists the deployments' states as they were set
// through the API, as "group/proj:env@ref:status".
func (s *Server) DeploymentStatuses() []string { return s.effects(&s.deploys) }

// AddPipeline adds a pipeline made outside Shipgate (its ID is assigned;
// CreatedAt defaults to the clock) and returns it.
func (s *Server) AddPipeline(p *Project, pl Pipeline) *Pipeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	pl.ID = s.nextID
	if pl.CreatedAt.IsZero() {
		pl.CreatedAt = s.Now()
	}
	if pl.UpdatedAt.IsZero() {
		pl.UpdatedAt = pl.CreatedAt
	}
	p.Pipelines = append(p.Pipelines, &pl)
	return &pl
}

// SetPipelineStatus moves a pipeline to status.
func (s *Server) SetPipelineStatus(p *Project, id int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pl := p.pipeline(id); pl != nil {
		pl.Status, pl.UpdatedAt = status, s.Now()
	}
}

func (p *Project) pipeline(id int64) *Pipeline {
	for _, pl := range p.Pipelines {
		if pl.ID == id {
			return pl
		}
	}
	return nil
}

// PipelineHook is the Pipeline Hook payload GitLab sends for pipeline id
// as it is now (docs: webhook events, pipeline events).
func (s *Server) PipelineHook(p *Project, id int64) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	pl := p.pipeline(id)
	if pl == nil {
		panic(fmt.Sprintf("fakegitlab: no pipeline %d in %s", id, p.Path))
	}
	vars := []map[string]string{}
	for _, k := range sortedKeys(pl.Variables) {
		vars = append(vars, map[string]string{"key": k, "value": pl.Variables[k]})
	}
	body, _ := json.Marshal(map[string]any{
		"object_kind": "pipeline",
		"object_attributes": map[string]any{"id": pl.ID, "iid": pl.ID, "ref": pl.Ref, "tag": pl.Tag, "sha": pl.SHA, "source": pl.Source,
			"status": pl.Status, "detailed_status": pl.Status, "stages": []string{"deploy"}, "created_at": hookTime(pl.CreatedAt),
			"variables": vars, "url": pipelineURL(p, pl)},
		"user":    map[string]any{"id": pl.User.ID, "name": pl.User.Username, "username": pl.User.Username},
		"project": map[string]any{"id": p.ID, "path_with_namespace": p.Path, "default_branch": p.DefaultBranch, "web_url": "https://gitlab.example/" + p.Path},
		"commit":  map[string]any{"id": pl.SHA, "message": "release"},
		"builds":  []any{},
	})
	return body
}

// PushTag creates tag at sha as username pushing it does: the tag, and
// the push event GitLab records before it sends the Tag Push Hook.
func (s *Server) PushTag(p *Project, tag, sha, username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	by := User{Username: username}
	for _, u := range s.knownUsers() {
		if u.Username == username {
			by = u
		}
	}
	p.Tags[tag] = sha
	p.Pushes = append(p.Pushes, Push{Author: by, Action: "created", RefType: "tag", Ref: tag, CommitTo: sha})
}

// TagPushHook is the Tag Push Hook payload GitLab sends when username
// pushes tag, which must point at a commit already.
func (s *Server) TagPushHook(p *Project, tag, username string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	sha := p.Tags[tag]
	body, _ := json.Marshal(map[string]any{
		"object_kind": "tag_push", "event_name": "tag_push", "ref": "refs/tags/" + tag, "before": strings.Repeat("0", 40),
		"after": sha, "checkout_sha": sha, "user_username": username, "project_id": p.ID,
		"project": map[string]any{"id": p.ID, "path_with_namespace": p.Path, "default_branch": p.DefaultBranch},
	})
	return body
}

func hookTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (s *Server) deployRoutes() map[string]handler {
	return map[string]handler{
		"POST /projects/:id/pipeline":                     s.createPipeline,
		"GET /projects/:id/pipelines":                     s.listPipelines,
		"GET /projects/:id/pipelines/:pipeline":           s.getPipeline,
		"GET /projects/:id/pipelines/:pipeline/variables": s.pipelineVariables,
		"POST /projects/:id/deployments":                  s.createDeployment,
		"PUT /projects/:id/deployments/:deployment":       s.updateDeployment,
		"GET /projects/:id/deployments/:deployment":       s.getDeployment,
		"GET /projects/:id/repository/tags/:ref":          s.getTag,
		"GET /projects/:id/repository/commits/:ref":       s.getCommit,
		"GET /projects/:id/releases":                      s.listReleases,
		"GET /projects/:id/releases/:tag":                 s.getRelease,
		"PUT /projects/:id/releases/:tag":                 s.updateRelease,
		"GET /users":                                      s.listUsers,
		"GET /projects/:id/events":                        s.listEvents,
		"GET /users/:id":                                  s.getUserByID,
	}
}

func pipelineURL(p *Project, pl *Pipeline) string {
	return fmt.Sprintf("https://gitlab.example/%s/-/pipelines/%d", p.Path, pl.ID)
}

// pipelineJSON is a pipeline as GET …/pipelines/:id shows it; list drops
// what the list leaves out (the user).
func pipelineJSON(p *Project, pl *Pipeline, list bool) map[string]any {
	j := map[string]any{"id": pl.ID, "iid": pl.ID, "project_id": p.ID, "ref": pl.Ref, "sha": pl.SHA, "status": pl.Status, "source": pl.Source,
		"created_at": ts(pl.CreatedAt), "updated_at": ts(pl.UpdatedAt), "web_url": pipelineURL(p, pl)}
	if !list {
		j["tag"], j["user"] = pl.Tag, userJSON(pl.User)
	}
	return j
}

// createPipeline runs the project's pipeline for a branch or a tag, as the
// token's user, through the API.
func (s *Server) createPipeline(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, body []byte, _ ...string) {
	var in struct {
		Ref       string `json:"ref"`
		Variables []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"variables"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Ref == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "ref is missing"})
		return
	}
	sha, tag := p.Tags[in.Ref], true
	if sha == "" {
		sha, tag = p.Branches[in.Ref], false
	}
	if sha == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Reference not found"})
		return
	}
	s.nextID++
	now := s.Now()
	pl := &Pipeline{ID: s.nextID, Ref: in.Ref, SHA: sha, Tag: tag, Status: "created", Source: "api", User: s.Self,
		Variables: map[string]string{}, CreatedAt: now, UpdatedAt: now}
	var kv []string
	for _, v := range in.Variables {
		pl.Variables[v.Key] = v.Value
		kv = append(kv, v.Key+"="+v.Value)
	}
	sort.Strings(kv)
	p.Pipelines = append(p.Pipelines, pl)
	s.pipelines = append(s.pipelines, p.Path+"@"+in.Ref+":"+strings.Join(kv, ","))
	writeJSON(w, http.StatusCreated, pipelineJSON(p, pl, false))
}

// listPipelines filters by ref, source, username and updated_after, newest
// first (order_by id, the default).
func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request, p *Project, _ *MR, _ []byte, _ ...string) {
	q := r.URL.Query()
	var after time.Time
	if v := q.Get("updated_after"); v != "" {
		var err error
		if after, err = time.Parse(time.RFC3339, v); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "updated_after is invalid"})
			return
		}
	}
	out := []map[string]any{}
	for i := len(p.Pipelines) - 1; i >= 0; i-- {
		pl := p.Pipelines[i]
		switch {
		case q.Get("ref") != "" && pl.Ref != q.Get("ref"),
			q.Get("source") != "" && pl.Source != q.Get("source"),
			q.Get("username") != "" && pl.User.Username != q.Get("username"),
			!after.IsZero() && pl.UpdatedAt.Before(after):
			continue
		}
		out = append(out, pipelineJSON(p, pl, true))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) findPipeline(w http.ResponseWriter, p *Project, id string) *Pipeline {
	n, _ := strconv.ParseInt(id, 10, 64)
	pl := p.pipeline(n)
	if pl == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
	}
	return pl
}

func (s *Server) getPipeline(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, args ...string) {
	if pl := s.findPipeline(w, p, args[1]); pl != nil {
		writeJSON(w, http.StatusOK, pipelineJSON(p, pl, false))
	}
}

func (s *Server) pipelineVariables(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, args ...string) {
	pl := s.findPipeline(w, p, args[1])
	if pl == nil {
		return
	}
	out := []map[string]any{}
	for _, k := range sortedKeys(pl.Variables) {
		out = append(out, map[string]any{"key": k, "value": pl.Variables[k], "variable_type": "env_var"})
	}
	writeJSON(w, http.StatusOK, out)
}

func deploymentJSON(p *Project, d *Deployment) map[string]any {
	return map[string]any{"id": d.ID, "iid": d.ID, "ref": d.Ref, "sha": d.SHA, "status": d.Status(), "user": userJSON(d.User),
		"environment": map[string]any{"id": slices.Index(p.Environments, d.Environment) + 1, "name": d.Environment}}
}

// createDeployment takes what GitLab requires (environment, sha, ref, tag,
// status) and creates the environment when it is new, as GitLab does.
func (s *Server) createDeployment(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, body []byte, _ ...string) {
	var in struct {
		Environment, SHA, Ref, Status string
		Tag                           *bool
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Environment == "" || in.SHA == "" || in.Ref == "" || in.Tag == nil ||
		!slices.Contains(deploymentStates, in.Status) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "environment, sha, ref, tag and a valid status are required"})
		return
	}
	if !slices.Contains(p.Environments, in.Environment) {
		p.Environments = append(p.Environments, in.Environment)
	}
	s.nextID++
	d := &Deployment{ID: s.nextID, Environment: in.Environment, Ref: in.Ref, SHA: in.SHA, Tag: *in.Tag, Statuses: []string{in.Status}, User: s.Self}
	p.Deployments = append(p.Deployments, d)
	s.deploys = append(s.deploys, fmt.Sprintf("%s:%s@%s:%s", p.Path, d.Environment, d.Ref, in.Status))
	writeJSON(w, http.StatusCreated, deploymentJSON(p, d))
}

func (s *Server) findDeployment(w http.ResponseWriter, p *Project, id string) *Deployment {
	for _, d := range p.Deployments {
		if strconv.FormatInt(d.ID, 10) == id {
			return d
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
	return nil
}

func (s *Server) updateDeployment(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, body []byte, args ...string) {
	d := s.findDeployment(w, p, args[1])
	if d == nil {
		return
	}
	var in struct{ Status string }
	if err := json.Unmarshal(body, &in); err != nil || !slices.Contains(deploymentStates[1:], in.Status) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "status does not have a valid value"})
		return
	}
	d.Statuses = append(d.Statuses, in.Status)
	s.deploys = append(s.deploys, fmt.Sprintf("%s:%s@%s:%s", p.Path, d.Environment, d.Ref, in.Status))
	writeJSON(w, http.StatusOK, deploymentJSON(p, d))
}

func (s *Server) getDeployment(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, args ...string) {
	if d := s.findDeployment(w, p, args[1]); d != nil {
		writeJSON(w, http.StatusOK, deploymentJSON(p, d))
	}
}

func (s *Server) getTag(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, args ...string) {
	sha, ok := p.Tags[args[1]]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Tag Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": args[1], "target": sha, "commit": map[string]any{"id": sha}})
}

// getCommit resolves a branch, a tag or a SHA of the history.
func (s *Server) getCommit(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, args ...string) {
	h := p.history(args[1])
	if h == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Commit Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, commitJSON(h[len(h)-1]))
}

// listReleases lists the releases newest first, as GitLab sorts them by
// default (released_at, descending).
func (s *Server) listReleases(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, _ ...string) {
	out := []map[string]any{}
	for i := len(p.Releases) - 1; i >= 0; i-- {
		out = append(out, map[string]any{"tag_name": p.Releases[i].TagName, "name": p.Releases[i].Name})
	}
	writeJSON(w, http.StatusOK, out)
}

// knownUsers are the users the fake knows: the token's user and every
// project's members.
func (s *Server) knownUsers() []User {
	users := []User{s.Self}
	for _, p := range s.projects {
		for _, m := range p.Members {
			users = append(users, m.User)
		}
	}
	return users
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, _ *Project, _ *MR, _ []byte, _ ...string) {
	out := []map[string]any{}
	name := r.URL.Query().Get("username")
	for _, u := range s.knownUsers() {
		if strings.EqualFold(u.Username, name) {
			out = append(out, userJSON(u))
			break
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getUserByID(w http.ResponseWriter, _ *http.Request, _ *Project, _ *MR, _ []byte, args ...string) {
	for _, u := range s.knownUsers() {
		if strconv.FormatInt(u.ID, 10) == args[0] {
			j := userJSON(u)
			j["public_email"] = s.PublicEmails[u.Username]
			writeJSON(w, http.StatusOK, j)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 User Not Found"})
}

// listEvents lists the push events (action=pushed), newest first; the
// fake keeps no other events.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, p *Project, _ *MR, _ []byte, _ ...string) {
	out := []map[string]any{}
	if r.URL.Query().Get("action") == "pushed" {
		for i := len(p.Pushes) - 1; i >= 0; i-- {
			e := p.Pushes[i]
			out = append(out, map[string]any{"id": i + 1, "project_id": p.ID, "action_name": "pushed new", "author": userJSON(e.Author),
				"author_username": e.Author.Username, "push_data": map[string]any{"action": e.Action, "ref_type": e.RefType, "ref": e.Ref,
					"commit_to": e.CommitTo, "commit_count": 0}})
		}
	}
	writeJSON(w, http.StatusOK, out)
}
