package dashboard

import (
	"net/http"
	"strings"

	"github.com/shipgate/shipgate/policies"
)

// routes registers every dashboard route, in one place: one line a route.
// page routes need a signed-in viewer; action routes (POST) need one that
// may act, and a valid CSRF token.
func (d *Dashboard) routes(r *router) {
	r.static("GET /static/", staticHandler())
	r.public("GET /signin", d.signIn)
	r.public("POST /signin/token", d.signInToken)
	r.public("GET /auth/{host}/start", d.oauthStart)
	r.public("GET /auth/{host}/callback", d.oauthCallback)
	r.form("POST /signout", d.signOut)

	r.page("GET /{$}", d.overview)
	r.repoPage("changes", d.prPage)
	r.page("GET /audit", d.auditPage)
	r.page("GET /audit/export", d.auditExport)
	r.page("GET /calendar", d.calendarPage)
	r.public("GET /calendar.ics", d.calendarFeed)
	r.page("GET /deployments", d.deploymentsPage)
	r.repoPage("deployments", d.deploymentPage)
	r.repoPage("deployment-events", d.deploymentEvents)
	r.repoPage("releases", d.releasePage)
	r.page("GET /approvals", d.approvalsPage)
	r.action("POST /approvals", d.decide)
}

// router wraps the mux with the dashboard's kinds of route.
type router struct {
	d   *Dashboard
	mux *http.ServeMux
	// repoPages are the pages of one repository, by kind.
	repoPages map[string]http.HandlerFunc
}

func newRouter(d *Dashboard, mux *http.ServeMux) *router {
	r := &router{d: d, mux: mux, repoPages: map[string]http.HandlerFunc{}}
	r.page("GET /repos/{host}/{rest...}", r.serveRepoPage)
	return r
}

// repoPage serves /repos/{host}/{repo}/-/{kind}/{arg} to viewers who can
// read the repository; to others it is 404, as if it did not exist. The
// handler reads r.PathValue("repo") and r.PathValue("arg").
func (r *router) repoPage(kind string, h http.HandlerFunc) { r.repoPages[kind] = h }

func (r *router) serveRepoPage(w http.ResponseWriter, req *http.Request) {
	repo, target, ok := strings.Cut(req.PathValue("rest"), "/-/")
	kind, arg, _ := strings.Cut(target, "/")
	h := r.repoPages[kind]
	host := policies.Host(req.PathValue("host"))
	if !ok || h == nil || repo == "" || !r.d.CanRead(req.Context(), host, repo) {
		r.d.renderError(w, req, http.StatusNotFound, "There is no such page, or you cannot read that repository.")
		return
	}
	req.SetPathValue("repo", repo)
	req.SetPathValue("arg", arg)
	h(w, req)
}

// static serves embedded files.
func (r *router) static(pattern string, h http.Handler) { r.mux.Handle(pattern, h) }

// public serves a route to anyone; the viewer is in the context when
// signed in.
func (r *router) public(pattern string, h http.HandlerFunc) {
	r.mux.Handle(pattern, r.d.withSession(h))
}

// page serves a route to signed-in viewers; others are sent to sign in
// and come back.
func (r *router) page(pattern string, h http.HandlerFunc) {
	r.mux.Handle(pattern, r.d.withSession(r.d.requireViewer(h)))
}

// form serves a POST of any signed-in viewer, read-only ones included
// (sign-out), with its CSRF token checked.
func (r *router) form(pattern string, h http.HandlerFunc) {
	r.mux.Handle(pattern, r.d.withSession(r.d.requireViewer(r.d.checkCSRF(h))))
}

// action serves a POST that changes something: a viewer who may act
// (not the read-only dashboard token), with its CSRF token checked.
func (r *router) action(pattern string, h http.HandlerFunc) {
	r.mux.Handle(pattern, r.d.withSession(r.d.requireViewer(r.d.requireActor(r.d.checkCSRF(h)))))
}
