package fakegithub

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"
	"time"
)

// Repo is a repository. Setup methods create the repositories they name
// with the defaults below; AddRepo sets other values.
type Repo struct {
	// FullName is "owner/name"; GitHub compares it without case.
	FullName string
	// DefaultBranch is "main" when empty.
	DefaultBranch string
	Private       bool
	// ID is assigned when zero.
	ID int64
	// InstallationID is the App installation that holds the repository;
	// 1 when zero.
	InstallationID int64
}

// PR is a pull request.
type PR struct {
	Number int
	Title  string
	Body   string
	Author string
	// Base and Head are branch names; Base defaults to the repository's
	// default branch and Head to "feature-<number>".
	Base, Head string
	// BaseSHA and HeadSHA default to the branches' commits when set with
	// SetBranch, else to made-up SHAs.
	BaseSHA, HeadSHA string
	// HeadRepo is "owner/name" of a fork; empty for the same repository.
	HeadRepo string
	// State is "open" (default) or "closed".
	State          string
	Draft          bool
	Merged         bool
	MergeCommitSHA string
	MergedBy       string
	Labels         []string
	// CreatedAt and UpdatedAt default to the fake's clock.
	CreatedAt, UpdatedAt, ClosedAt, MergedAt time.Time
	// AuthorAssociation overrides the one derived from permissions
	// (OWNER for the repository owner, COLLABORATOR with a permission,
	// else CONTRIBUTOR).
	AuthorAssociation string
}

// Issue is an issue (not a pull request).
type Issue struct {
	Number int
	Title  string
	Body   string
	Author string
	State  string // "open" (default) or "closed"
	Labels []string
}

// Review is a pull request review.
type Review struct {
	ID     int64 // assigned when zero
	Author string
	// State is APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING.
	State string
	Body  string
	// CommitID is the SHA reviewed; the PR's head SHA when empty.
	CommitID    string
	SubmittedAt time.Time
}

// Comment is an issue or pull request comment.
type Comment struct {
	ID        int64 // assigned when zero
	Author    string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
	// AuthorAssociation overrides the derived one.
	AuthorAssociation string
	// Reactions are read back as "login:content".
	Reactions []string
}

// File is a file changed by a pull request.
type File struct {
	Filename string
	// Status is added, removed, modified (default), renamed, copied,
	// changed or unchanged.
	Status           string
	Additions        int
	Deletions        int
	Patch            string
	PreviousFilename string
	// SHA is the file's blob at the PR's head; made up from the head SHA
	// when empty (so that every push changes it).
	SHA string
}

// Commit is a commit of the repository's history.
type Commit struct {
	SHA     string // made up from the message when empty
	Message string
	Author  string // GitHub login; may be empty
	// Committer is the committer's login; the Author when empty.
	Committer   string
	AuthorName  string
	AuthorEmail string
	Date        time.Time
	Parents     []string
	// Verified is GitHub's verification of the commit's signature.
	Verified bool

	// Files are the paths the commit changed, which GET
	// /repos/{owner}/{repo}/commits/{ref} lists; Patches their patches
	// (none or "": the file is listed without one, as GitHub does for a
	// binary file or a large diff).
	Files   []string
	Patches map[string]string
}

// CheckRun is a check run, set up or created through the API.
type CheckRun struct {
	ID          int64 // assigned when zero
	HeadSHA     string
	Name        string
	Status      string // queued (default), in_progress, completed, …
	Conclusion  string
	DetailsURL  string
	ExternalID  string
	Title       string
	Summary     string
	Text        string
	Annotations []Annotation
	// App is the slug of the App that created it; the fake's App (or
	// "shipgate") for runs created through the API.
	App         string
	StartedAt   time.Time
	CompletedAt time.Time
}

// Annotation is a check run annotation.
type Annotation struct {
	Path      string
	StartLine int
	EndLine   int
	Level     string // notice, warning or failure
	Message   string
	Title     string
}

// Status is a commit status.
type Status struct {
	ID          int64
	SHA         string
	Context     string
	State       string // error, failure, pending or success
	TargetURL   string
	Description string
	Creator     string
	CreatedAt   time.Time
}

// Release is a release.
type Release struct {
	ID              int64
	Repo            string
	TagName         string
	TargetCommitish string
	Name            string
	Body            string
	Draft           bool
	Prerelease      bool
	MakeLatest      string
	Author          string
	CreatedAt       time.Time
}

// Deployment is a deployment with its statuses, oldest first.
type Deployment struct {
	ID                    int64
	Repo                  string
	Ref                   string
	SHA                   string
	Task                  string
	Environment           string
	Description           string
	Payload               json.RawMessage
	TransientEnvironment  bool
	ProductionEnvironment bool
	Creator               string
	CreatedAt             time.Time
	Statuses              []DeploymentStatus
}

// DeploymentStatus is one status of a deployment.
type DeploymentStatus struct {
	ID             int64
	State          string
	Description    string
	LogURL         string
	EnvironmentURL string
	Environment    string
	Creator        string
	CreatedAt      time.Time
	// Auto is set on the inactive statuses GitHub adds itself
	// (auto_inactive) when a later deployment of the environment succeeds.
	Auto bool
}

// WorkflowRun is a GitHub Actions workflow run. A workflow dispatch creates
// one, queued, as GitHub does: event workflow_dispatch, the dispatched ref
// as its head branch, the caller as its actor, created at the fake's
// clock, and a DisplayTitle from the workflow's run-name (see
// [Server.SetRunName]).
type WorkflowRun struct {
	ID       int64  // assigned when zero
	Workflow string // file name, such as "deploy.yml"
	// Path is the workflow's path, ".github/workflows/<Workflow>" when
	// empty.
	Path         string
	Name         string
	DisplayTitle string
	HeadBranch   string
	HeadSHA      string
	Event        string // workflow_dispatch, push, …
	Status       string // queued, in_progress, completed, …
	Conclusion   string
	// Actor is who made the run; a workflow_dispatch's caller.
	Actor  string
	Inputs map[string]any
	// CreatedAt defaults to the fake's clock.
	CreatedAt time.Time
}

// path is the run's workflow path as GitHub reports it.
func (run *WorkflowRun) path() string {
	if run.Path != "" {
		return run.Path
	}
	return ".github/workflows/" + run.Workflow
}

// roleRank orders the roles a user can have on a repository; ok is false
// for anything else.
func roleRank(role string) (rank int, ok bool) {
	switch role {
	case "none":
		return 0, true
	case "read":
		return 1, true
	case "triage":
		return 2, true
	case "write":
		return 3, true
	case "maintain":
		return 4, true
	case "admin":
		return 5, true
	}
	return 0, false
}

// state is the fake's GitHub; guarded by Server.mu.
type state struct {
	repos   map[string]*repoState
	teams   map[string]*teamState // "org/slug", lower case
	emails  map[string]string     // lower-case login → public e-mail
	tokens  map[string]int64      // installation tokens issued → installation
	nextID  int64
	nextTok int
}

type repoState struct {
	Repo
	owner, name string
	files       map[string]map[string]string // ref → path → content
	perms       map[string]string            // lower-case login → role
	issues      map[int]*issueState
	comments    []*commentState
	commits     map[string]*Commit
	refs        map[string]string // "refs/heads/main" → SHA
	tagObjects  map[string]*tagObject
	// blobs and trees are the Git Data objects created through the API:
	// blob SHA → content, tree SHA → every path's content (trees are kept
	// whole, not nested); commitTrees maps a commit to its tree.
	blobs       map[string]string
	trees       map[string]map[string]string
	commitTrees map[string]string
	checkRuns   []*CheckRun
	statuses    []*Status
	releases    []*Release
	deployments []*Deployment
	runs        []*WorkflowRun
	runNames    map[string]*string // workflow file → its run-name (nil: the fake's default)
}

type issueState struct {
	PR
	isIssue bool
	reviews []*Review
	files   []File
	commits []string
	// labelEvents are the labeled and unlabeled events, oldest first.
	labelEvents []LabelEvent
}

// LabelEvent is a label added to or removed from an issue or PR.
type LabelEvent struct {
	ID    int64
	Label string
	Actor string
	// Added is false for an unlabeled event.
	Added     bool
	CreatedAt time.Time
}

type commentState struct {
	Comment
	number    int
	reactions []reaction
}

type reaction struct {
	id      int64
	user    string
	content string
}

type tagObject struct {
	sha, tag, message, object, objectType string
	tagger                                taggerInfo
}

type taggerInfo struct {
	name, email string
	date        time.Time
}

type teamState struct {
	org, slug string
	members   []string
}

func newState() state {
	return state{
		repos:  map[string]*repoState{},
		teams:  map[string]*teamState{},
		emails: map[string]string{},
		tokens: map[string]int64{},
		nextID: 1000,
	}
}

func repoKey(fullName string) string { return strings.ToLower(fullName) }

func (st *state) id() int64 {
	st.nextID++
	return st.nextID
}

// repo returns the repository, creating it with defaults.
func (s *Server) repo(fullName string) *repoState {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		s.t.Fatalf("fakegithub: %q is not owner/name", fullName)
	}
	key := repoKey(fullName)
	if r := s.st.repos[key]; r != nil {
		return r
	}
	r := &repoState{
		Repo:        Repo{FullName: fullName, DefaultBranch: "main", ID: s.st.id(), InstallationID: 1},
		owner:       owner,
		name:        name,
		files:       map[string]map[string]string{},
		perms:       map[string]string{},
		issues:      map[int]*issueState{},
		commits:     map[string]*Commit{},
		refs:        map[string]string{},
		tagObjects:  map[string]*tagObject{},
		runNames:    map[string]*string{},
		blobs:       map[string]string{},
		trees:       map[string]map[string]string{},
		commitTrees: map[string]string{},
	}
	s.st.repos[key] = r
	return r
}

// AddRepo adds a repository or changes its settings.
func (s *Server) AddRepo(r Repo) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repo(r.FullName)
	if r.DefaultBranch != "" {
		rs.DefaultBranch = r.DefaultBranch
	}
	if r.ID != 0 {
		rs.ID = r.ID
	}
	if r.InstallationID != 0 {
		rs.InstallationID = r.InstallationID
	}
	rs.Private = r.Private
}

// AddPR adds a pull request. A PR with the same number is replaced
// entirely, labels included, keeping its reviews, files and commits; to
// change some fields of the current state (with the labels API calls
// set), use UpdatePR.
func (s *Server) AddPR(repo string, pr PR) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	if pr.Number <= 0 {
		s.t.Fatalf("fakegithub: AddPR: PR number %d", pr.Number)
	}
	if pr.Base == "" {
		pr.Base = r.DefaultBranch
	}
	if pr.Head == "" {
		pr.Head = fmt.Sprintf("feature-%d", pr.Number)
	}
	if pr.BaseSHA == "" {
		pr.BaseSHA = r.refs["refs/heads/"+pr.Base]
	}
	if pr.BaseSHA == "" {
		pr.BaseSHA = madeUpSHA(repo, "base", pr.Base)
	}
	if pr.HeadSHA == "" {
		pr.HeadSHA = r.refs["refs/heads/"+pr.Head]
	}
	if pr.HeadSHA == "" {
		pr.HeadSHA = madeUpSHA(repo, "head", fmt.Sprint(pr.Number))
	}
	if pr.State == "" {
		pr.State = "open"
		if pr.Merged {
			pr.State = "closed"
		}
	}
	if pr.CreatedAt.IsZero() {
		pr.CreatedAt = s.clock()
	}
	if pr.UpdatedAt.IsZero() {
		pr.UpdatedAt = pr.CreatedAt
	}
	pr.Labels = slices.Clone(pr.Labels)
	old := r.issues[pr.Number]
	is := &issueState{PR: pr}
	if old != nil && !old.isIssue {
		is.reviews, is.files, is.commits = old.reviews, old.files, old.commits
	}
	r.issues[pr.Number] = is
}

// UpdatePR changes a pull request as it is now, as a push or an edit on
// GitHub would; UpdatedAt moves to the clock unless change sets it.
func (s *Server) UpdatePR(repo string, number int, change func(pr *PR)) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pr(repo, number)
	pr := is.PR
	pr.Labels = slices.Clone(is.Labels)
	before := pr.UpdatedAt
	change(&pr)
	if pr.UpdatedAt.Equal(before) {
		pr.UpdatedAt = s.clock()
	}
	pr.Number = number
	is.PR = pr
}

// PullRequest returns a pull request as it is now, and whether it exists.
func (s *Server) PullRequest(repo string, number int) (PR, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.repo(repo).issues[number]
	if is == nil || is.isIssue {
		return PR{}, false
	}
	pr := is.PR
	pr.Labels = slices.Clone(is.Labels)
	return pr, true
}

// AddIssue adds an issue (replacing one with the same number).
func (s *Server) AddIssue(repo string, issue Issue) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	state := issue.State
	if state == "" {
		state = "open"
	}
	r.issues[issue.Number] = &issueState{isIssue: true, PR: PR{
		Number: issue.Number, Title: issue.Title, Body: issue.Body, Author: issue.Author,
		State: state, Labels: slices.Clone(issue.Labels), CreatedAt: s.clock(), UpdatedAt: s.clock(),
	}}
}

// pr returns the pull request, failing the test when there is none.
func (s *Server) pr(repo string, number int) *issueState {
	r := s.repo(repo)
	is := r.issues[number]
	if is == nil || is.isIssue {
		s.t.Fatalf("fakegithub: %s#%d: no such pull request; AddPR first", repo, number)
	}
	return is
}

// AddReview adds a review to a pull request and returns its ID.
func (s *Server) AddReview(repo string, number int, rv Review) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pr(repo, number)
	if rv.ID == 0 {
		rv.ID = s.st.id()
	}
	if rv.CommitID == "" {
		rv.CommitID = is.HeadSHA
	}
	if rv.SubmittedAt.IsZero() && rv.State != "PENDING" {
		rv.SubmittedAt = s.clock()
	}
	is.reviews = append(is.reviews, &rv)
	return rv.ID
}

// DismissReview dismisses the newest APPROVED review by author on a pull
// request, as a maintainer does in GitHub's interface, and returns its ID.
func (s *Server) DismissReview(repo string, number int, author string) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pr(repo, number)
	for i := len(is.reviews) - 1; i >= 0; i-- {
		if rv := is.reviews[i]; rv.Author == author && rv.State == "APPROVED" {
			rv.State = "DISMISSED"
			return rv.ID
		}
	}
	s.t.Fatalf("fakegithub: %s#%d: %s has no approving review to dismiss", repo, number, author)
	return 0
}

// AddComment adds a comment to an issue or pull request and returns its
// ID.
func (s *Server) AddComment(repo string, number int, c Comment) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	if r.issues[number] == nil {
		s.t.Fatalf("fakegithub: AddComment: %s#%d: no such issue or pull request", repo, number)
	}
	if c.ID == 0 {
		c.ID = s.st.id()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.clock()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	cs := &commentState{Comment: c, number: number}
	cs.Reactions = nil
	for _, rc := range c.Reactions {
		user, content, _ := strings.Cut(rc, ":")
		cs.reactions = append(cs.reactions, reaction{id: s.st.id(), user: user, content: content})
	}
	r.comments = append(r.comments, cs)
	return c.ID
}

// SetPRFiles sets the files a pull request changes.
func (s *Server) SetPRFiles(repo string, number int, files []File) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pr(repo, number).files = slices.Clone(files)
}

// SetPRCommits sets a pull request's commits, oldest first, and adds them
// to the repository's history. Each commit's parent defaults to the one
// before it (the first one's to the PR's base SHA), and the PR's head SHA
// becomes the last commit's.
func (s *Server) SetPRCommits(repo string, number int, commits []Commit) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pr(repo, number)
	r := s.repo(repo)
	is.commits = nil
	parent := is.BaseSHA
	for _, c := range commits {
		// A commit the repository has keeps its parents and files: a PR
		// opened on a commit of a branch does not rewrite its history.
		if old := r.commits[c.SHA]; c.SHA != "" && old != nil && len(c.Parents) == 0 {
			c.Parents, c.Files, c.Patches = old.Parents, old.Files, old.Patches
		}
		if len(c.Parents) == 0 && parent != "" {
			c.Parents = []string{parent}
		}
		sha := s.addCommit(r, c)
		is.commits = append(is.commits, sha)
		parent = sha
	}
	if len(is.commits) > 0 {
		is.HeadSHA = is.commits[len(is.commits)-1]
	}
}

// AddCommit adds a commit to the repository's history and returns its SHA.
func (s *Server) AddCommit(repo string, c Commit) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addCommit(s.repo(repo), c)
}

func (s *Server) addCommit(r *repoState, c Commit) string {
	if c.SHA == "" {
		c.SHA = madeUpSHA(r.FullName, "commit", c.Message, strings.Join(c.Parents, ","))
	}
	if c.Date.IsZero() {
		c.Date = s.clock()
	}
	if c.AuthorName == "" {
		c.AuthorName = c.Author
	}
	c.Parents = slices.Clone(c.Parents)
	r.commits[c.SHA] = &c
	return c.SHA
}

// SetBranch points a branch at a commit.
func (s *Server) SetBranch(repo, branch, sha string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repo(repo).refs["refs/heads/"+branch] = sha
}

// AddTag adds a lightweight tag pointing at a commit.
func (s *Server) AddTag(repo, tag, sha string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repo(repo).refs["refs/tags/"+tag] = sha
}

// SetFile sets a file's content at a ref (a branch, tag or SHA). Reads
// at a branch or tag also find files set at the SHA it points to, and the
// other way round.
func (s *Server) SetFile(repo, ref, path, content string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	if r.files[ref] == nil {
		r.files[ref] = map[string]string{}
	}
	r.files[ref][strings.Trim(path, "/")] = content
}

// File reads a file at a ref (a branch, tag or SHA) as the contents API
// answers it, for tests that check what a commit wrote.
func (s *Server) File(repo, ref, path string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repo(repo).file(ref, strings.Trim(path, "/"))
}

// SetPermission gives login a role on the repository: none, read,
// triage, write, maintain or admin.
func (s *Server) SetPermission(repo, login, role string) {
	s.t.Helper()
	if _, ok := roleRank(role); !ok {
		s.t.Fatalf("fakegithub: SetPermission: role %q; allowed values: none, read, triage, write, maintain, admin", role)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repo(repo).perms[strings.ToLower(login)] = role
}

// AddTeamMember adds login to the team org/team (a slug), creating it.
func (s *Server) AddTeamMember(org, team, login string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(org + "/" + team)
	ts := s.st.teams[key]
	if ts == nil {
		ts = &teamState{org: org, slug: team}
		s.st.teams[key] = ts
	}
	if !slices.ContainsFunc(ts.members, func(m string) bool { return strings.EqualFold(m, login) }) {
		ts.members = append(ts.members, login)
	}
}

// AddCheckRun adds a check run and returns its ID.
func (s *Server) AddCheckRun(repo string, cr CheckRun) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	if cr.ID == 0 {
		cr.ID = s.st.id()
	}
	if cr.Status == "" {
		cr.Status = "queued"
		if cr.Conclusion != "" {
			cr.Status = "completed"
		}
	}
	if cr.App == "" {
		cr.App = "github-actions"
	}
	if cr.StartedAt.IsZero() {
		cr.StartedAt = s.clock()
	}
	cr.Annotations = slices.Clone(cr.Annotations)
	r.checkRuns = append(r.checkRuns, &cr)
	return cr.ID
}

// AddStatus adds a commit status and returns its ID.
func (s *Server) AddStatus(repo string, st Status) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	if st.ID == 0 {
		st.ID = s.st.id()
	}
	if st.CreatedAt.IsZero() {
		st.CreatedAt = s.clock()
	}
	r.statuses = append(r.statuses, &st)
	return st.ID
}

// AddRelease adds a release and returns its ID.
func (s *Server) AddRelease(repo string, rel Release) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	if rel.ID == 0 {
		rel.ID = s.st.id()
	}
	rel.Repo = r.FullName
	if rel.CreatedAt.IsZero() {
		rel.CreatedAt = s.clock()
	}
	r.releases = append(r.releases, &rel)
	return rel.ID
}

// AddWorkflowRun adds a workflow run and returns its ID: a run made outside
// Shipgate (a push, another user's dispatch). Name defaults to the
// workflow's file name without extension, DisplayTitle to Name.
func (s *Server) AddWorkflowRun(repo string, run WorkflowRun) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	if run.ID == 0 {
		run.ID = s.st.id()
	}
	if run.Status == "" {
		run.Status = "queued"
	}
	if run.CreatedAt.IsZero() {
		run.CreatedAt = s.clock()
	}
	if run.Name == "" {
		run.Name = workflowName(run.Workflow)
	}
	if run.DisplayTitle == "" {
		run.DisplayTitle = run.Name
	}
	r.runs = append(r.runs, &run)
	return run.ID
}

// SetWorkflowRunStatus moves a workflow run along, as its jobs would:
// status queued, in_progress or completed, with a conclusion when
// completed.
func (s *Server) SetWorkflowRunStatus(repo string, runID int64, status, conclusion string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, run := range s.repo(repo).runs {
		if run.ID == runID {
			run.Status, run.Conclusion = status, conclusion
			return
		}
	}
	s.t.Fatalf("fakegithub: SetWorkflowRunStatus: %s has no run %d", repo, runID)
}

// madeUpSHA derives a stable 40-hex SHA from parts.
func madeUpSHA(parts ...string) string {
	h := sha1.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// userID derives a stable user ID from a login, so IDs do not depend on
// the order users are seen in.
func userID(login string) int64 {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(login)))
	return int64(h.Sum32()) + 1
}

// resolve turns a ref (branch, tag, full ref, SHA or SHA prefix) into a
// SHA; "" when unknown.
func (r *repoState) resolve(ref string) string {
	ref = strings.TrimPrefix(ref, "refs/")
	for _, full := range []string{"refs/" + ref, "refs/heads/" + ref, "refs/tags/" + ref} {
		if sha, ok := r.refs[full]; ok {
			if t := r.tagObjects[sha]; t != nil {
				return t.object
			}
			return sha
		}
	}
	if _, ok := r.commits[ref]; ok {
		return ref
	}
	if len(ref) >= 7 && isHex(ref) {
		var found []string
		for sha := range r.commits {
			if strings.HasPrefix(sha, ref) {
				found = append(found, sha)
			}
		}
		if len(found) == 1 {
			return found[0]
		}
		if len(ref) == 40 {
			return ref // a commit the history does not hold
		}
	}
	return ""
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return s != ""
}

// file finds a file at a ref: set at that ref, or at a name or SHA that
// resolves to the same commit.
func (r *repoState) file(ref, path string) (string, bool) {
	if c, ok := r.files[ref][path]; ok {
		return c, true
	}
	sha := r.resolve(ref)
	for _, other := range sortedRefs(r.files) {
		if other != ref && sha != "" && r.resolve(other) == sha {
			if c, ok := r.files[other][path]; ok {
				return c, true
			}
		}
	}
	return "", false
}

// dir lists the entries directly under path at ref.
func (r *repoState) dir(ref, dir string) (files, dirs []string) {
	sha := r.resolve(ref)
	seenFile, seenDir := map[string]bool{}, map[string]bool{}
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	for _, other := range sortedRefs(r.files) {
		if other != ref && (sha == "" || r.resolve(other) != sha) {
			continue
		}
		for p := range r.files[other] {
			rest, ok := strings.CutPrefix(p, prefix)
			if !ok {
				continue
			}
			if first, _, nested := strings.Cut(rest, "/"); nested {
				seenDir[prefix+first] = true
			} else {
				seenFile[p] = true
			}
		}
	}
	for f := range seenFile {
		files = append(files, f)
	}
	for d := range seenDir {
		dirs = append(dirs, d)
	}
	sort.Strings(files)
	sort.Strings(dirs)
	return files, dirs
}

func sortedRefs(m map[string]map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// role returns login's role on the repository ("none" without one).
func (r *repoState) role(login string) string {
	if role, ok := r.perms[strings.ToLower(login)]; ok {
		return role
	}
	return "none"
}

// association derives GitHub's author_association for login.
func (r *repoState) association(login, override string) string {
	switch {
	case override != "":
		return override
	case strings.EqualFold(login, r.owner):
		return "OWNER"
	case r.role(login) != "none":
		return "COLLABORATOR"
	}
	return "CONTRIBUTOR"
}

// LabelBy adds (or, with added false, removes) a label on an issue or PR as
// login did in GitHub's interface, recording the labeled or unlabeled event
// that GET /repos/{owner}/{repo}/issues/{number}/events lists.
func (s *Server) LabelBy(repo string, number int, label, login string, added bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pr(repo, number)
	s.labelEvent(is, label, login, added)
}

// labelEvent changes is's labels and records the event; s.mu is held.
func (s *Server) labelEvent(is *issueState, label, login string, added bool) {
	i := slices.Index(is.Labels, label)
	switch {
	case added && i < 0:
		is.Labels = append(is.Labels, label)
	case !added && i >= 0:
		is.Labels = slices.Delete(is.Labels, i, i+1)
	default:
		return
	}
	is.labelEvents = append(is.labelEvents, LabelEvent{ID: s.st.id(), Label: label, Actor: login, Added: added, CreatedAt: s.clock()})
}

// EditComment changes a comment's body as someone did in GitHub's
// interface (anyone with write access may edit any comment): its
// updated_at moves to the fake's clock.
func (s *Server) EditComment(repo string, id int64, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cs := range s.repo(repo).comments {
		if cs.ID == id {
			cs.Body, cs.UpdatedAt = body, s.clock()
			return
		}
	}
	s.t.Fatalf("fakegithub: EditComment: no comment %d in %s", id, repo)
}

// DeleteComment deletes a comment as someone did in GitHub's interface.
func (s *Server) DeleteComment(repo string, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	for i, cs := range r.comments {
		if cs.ID == id {
			r.comments = slices.Delete(r.comments, i, i+1)
			return
		}
	}
	s.t.Fatalf("fakegithub: DeleteComment: no comment %d in %s", id, repo)
}
