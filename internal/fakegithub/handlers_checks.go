package fakegithub

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/google/go-github/v62/github"
)

// checkRunInput is the body of "create" and "update a check run".
type checkRunInput struct {
	Name        *string `json:"name"`
	HeadSHA     *string `json:"head_sha"`
	DetailsURL  *string `json:"details_url"`
	ExternalID  *string `json:"external_id"`
	Status      *string `json:"status"`
	Conclusion  *string `json:"conclusion"`
	StartedAt   *string `json:"started_at"`
	CompletedAt *string `json:"completed_at"`
	Output      *struct {
		Title       *string `json:"title"`
		Summary     *string `json:"summary"`
		Text        *string `json:"text"`
		Annotations []struct {
			Path            string `json:"path"`
			StartLine       int    `json:"start_line"`
			EndLine         int    `json:"end_line"`
			AnnotationLevel string `json:"annotation_level"`
			Message         string `json:"message"`
			Title           string `json:"title"`
		} `json:"annotations"`
	} `json:"output"`
}

// badTime names a timestamp GitHub would not parse, if any.
func (in *checkRunInput) badTime() string {
	for name, v := range map[string]*string{"started_at": in.StartedAt, "completed_at": in.CompletedAt} {
		if v != nil {
			if _, err := time.Parse(time.RFC3339, *v); err != nil {
				return name
			}
		}
	}
	return ""
}

// missingConclusion is true when the input completes a run without the
// conclusion GitHub then requires.
func (in *checkRunInput) missingConclusion(current string) bool {
	completes := (in.Status != nil && *in.Status == "completed") || in.CompletedAt != nil
	return completes && in.Conclusion == nil && current == ""
}

// apply sets the fields the input carries, as GitHub does: a conclusion
// completes the run, and annotations are appended.
func (in *checkRunInput) apply(cr *CheckRun, now time.Time) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	if in.Name != nil && *in.Name != "" { // go-github always sends "name"
		cr.Name = *in.Name
	}
	set(&cr.DetailsURL, in.DetailsURL)
	set(&cr.ExternalID, in.ExternalID)
	set(&cr.Status, in.Status)
	set(&cr.Conclusion, in.Conclusion)
	if in.StartedAt != nil {
		cr.StartedAt, _ = time.Parse(time.RFC3339, *in.StartedAt)
	}
	if in.CompletedAt != nil {
		cr.CompletedAt, _ = time.Parse(time.RFC3339, *in.CompletedAt)
	}
	if cr.Conclusion != "" {
		cr.Status = "completed"
	}
	if cr.Status == "completed" && cr.CompletedAt.IsZero() {
		cr.CompletedAt = now
	}
	if o := in.Output; o != nil {
		set(&cr.Title, o.Title)
		set(&cr.Summary, o.Summary)
		set(&cr.Text, o.Text)
		for _, a := range o.Annotations {
			cr.Annotations = append(cr.Annotations, Annotation{
				Path: a.Path, StartLine: a.StartLine, EndLine: a.EndLine,
				Level: a.AnnotationLevel, Message: a.Message, Title: a.Title,
			})
		}
	}
}

func (c *call) checkRun(r *repoState, cr *CheckRun) *github.CheckRun {
	return &github.CheckRun{
		ID:          ptr(cr.ID),
		NodeID:      ptr(fmt.Sprintf("CR_%d", cr.ID)),
		HeadSHA:     ptr(cr.HeadSHA),
		Name:        ptr(cr.Name),
		Status:      ptr(cr.Status),
		Conclusion:  optional(cr.Conclusion),
		DetailsURL:  optional(cr.DetailsURL),
		ExternalID:  optional(cr.ExternalID),
		StartedAt:   stamp(cr.StartedAt),
		CompletedAt: stamp(cr.CompletedAt),
		URL:         ptr(c.apiURL("repos/%s/check-runs/%d", r.FullName, cr.ID)),
		HTMLURL:     ptr(fmt.Sprintf("%s/%s/runs/%d", c.s.srv.URL, r.FullName, cr.ID)),
		Output: &github.CheckRunOutput{
			Title:            optional(cr.Title),
			Summary:          optional(cr.Summary),
			Text:             optional(cr.Text),
			AnnotationsCount: ptr(len(cr.Annotations)),
			AnnotationsURL:   ptr(c.apiURL("repos/%s/check-runs/%d/annotations", r.FullName, cr.ID)),
		},
		CheckSuite: &github.CheckSuite{ID: ptr(userID(r.FullName + cr.HeadSHA + cr.App))},
		App:        &github.App{ID: ptr(userID(cr.App)), Slug: ptr(cr.App), Name: ptr(cr.App)},
	}
}

func (c *call) appSlug() string {
	if c.s.app != nil {
		return c.s.app.Slug
	}
	return "shipgate"
}

func createCheckRun(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in checkRunInput
	if !c.decode(&in) {
		return
	}
	if in.Name == nil || in.HeadSHA == nil {
		c.invalid("CheckRun", "name", "missing_field", "name and head_sha are required")
		return
	}
	if field := in.badTime(); field != "" {
		c.invalid("CheckRun", field, "invalid", field+" is not a valid ISO 8601 timestamp")
		return
	}
	if in.missingConclusion("") {
		c.invalid("CheckRun", "conclusion", "missing_field", "conclusion is required when the run is completed")
		return
	}
	cr := &CheckRun{ID: c.s.st.id(), Status: "queued", App: c.appSlug(), HeadSHA: *in.HeadSHA, StartedAt: c.s.clock()}
	in.apply(cr, c.s.clock())
	r.checkRuns = append(r.checkRuns, cr)
	c.json(http.StatusCreated, c.checkRun(r, cr))
}

func updateCheckRun(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	id, ok := c.number("check_run_id")
	if !ok {
		return
	}
	i := slices.IndexFunc(r.checkRuns, func(cr *CheckRun) bool { return cr.ID == id })
	if i < 0 {
		c.notFound()
		return
	}
	var in checkRunInput
	if !c.decode(&in) {
		return
	}
	if field := in.badTime(); field != "" {
		c.invalid("CheckRun", field, "invalid", field+" is not a valid ISO 8601 timestamp")
		return
	}
	if in.missingConclusion(r.checkRuns[i].Conclusion) {
		c.invalid("CheckRun", "conclusion", "missing_field", "conclusion is required when the run is completed")
		return
	}
	in.apply(r.checkRuns[i], c.s.clock())
	c.json(http.StatusOK, c.checkRun(r, r.checkRuns[i]))
}

// listCheckRuns answers the runs on the commit a ref names, newest first;
// with filter=latest (the default) only the newest run of each name.
func listCheckRuns(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	sha := r.resolve(c.params["ref"])
	var list []*CheckRun
	seen := map[string]bool{}
	for i := len(r.checkRuns) - 1; i >= 0; i-- {
		cr := r.checkRuns[i]
		if cr.HeadSHA != sha || sha == "" {
			continue
		}
		if c.query.Get("filter") != "all" {
			if seen[cr.Name] {
				continue
			}
			seen[cr.Name] = true
		}
		if n := c.query.Get("check_name"); n != "" && n != cr.Name {
			continue
		}
		if st := c.query.Get("status"); st != "" && st != cr.Status {
			continue
		}
		list = append(list, cr)
	}
	out := make([]*github.CheckRun, 0, len(list))
	for _, cr := range paginate(c, list) {
		out = append(out, c.checkRun(r, cr))
	}
	c.json(http.StatusOK, &github.ListCheckRunsResults{Total: ptr(len(list)), CheckRuns: out})
}

func (c *call) commitStatus(r *repoState, st *Status) *github.RepoStatus {
	return &github.RepoStatus{
		ID:          ptr(st.ID),
		NodeID:      ptr(fmt.Sprintf("SC_%d", st.ID)),
		State:       ptr(st.State),
		Context:     ptr(st.Context),
		TargetURL:   optional(st.TargetURL),
		Description: optional(st.Description),
		Creator:     c.user(st.Creator),
		CreatedAt:   stamp(st.CreatedAt),
		UpdatedAt:   stamp(st.CreatedAt),
		URL:         ptr(c.apiURL("repos/%s/statuses/%s", r.FullName, st.SHA)),
	}
}

// listStatuses answers the statuses of the commit a ref names, newest
// first.
func listStatuses(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	sha := r.resolve(c.params["ref"])
	var list []*Status
	for i := len(r.statuses) - 1; i >= 0; i-- {
		if st := r.statuses[i]; st.SHA == sha && sha != "" {
			list = append(list, st)
		}
	}
	out := make([]*github.RepoStatus, 0, len(list))
	for _, st := range paginate(c, list) {
		out = append(out, c.commitStatus(r, st))
	}
	c.json(http.StatusOK, out)
}

func createStatus(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in struct {
		State       string `json:"state"`
		TargetURL   string `json:"target_url"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	if !c.decode(&in) {
		return
	}
	switch in.State {
	case "error", "failure", "pending", "success":
	default:
		c.invalid("Status", "state", "custom", "state is not included in the list")
		return
	}
	if in.Context == "" {
		in.Context = "default"
	}
	sha := c.params["sha"]
	st := &Status{ID: c.s.st.id(), SHA: sha, Context: in.Context, State: in.State, TargetURL: in.TargetURL,
		Description: in.Description, Creator: c.s.bot, CreatedAt: c.s.clock()}
	r.statuses = append(r.statuses, st)
	c.s.effects.statusesCreated = append(c.s.effects.statusesCreated, fmt.Sprintf("%s@%s:%s=%s", r.FullName, sha, st.Context, st.State))
	c.json(http.StatusCreated, c.commitStatus(r, st))
}
