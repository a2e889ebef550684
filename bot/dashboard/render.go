package dashboard

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"ago":      ago,
	"dur":      dur,
	"time":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"date":     func(t time.Time) string { return t.UTC().Format("Mon 2 Jan 2006") },
	"short":    func(sha string) string { return sha[:min(len(sha), 8)] },
	"query":    url.QueryEscape,
	"lower":    strings.ToLower,
	"repoPath": repoPath,
	"change":   ChangePath,
}

// parsePages parses each page with the layout, once.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue // the layout, and partials (_*.html) every page may use
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", n)
		if err != nil {
			return nil, fmt.Errorf("parsing the dashboard's %s: %w", base, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// pageData is what every page's template gets: the page's own data in
// .Data, the viewer and the CSRF token for its forms.
type pageData struct {
	Viewer *Viewer
	CSRF   string
	Path   string
	// Now is the dashboard's clock, for "5 min ago".
	Now  time.Time
	Data any
}

// render writes the page name with data, 200.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	d.renderStatus(w, r, http.StatusOK, name, data)
}

// renderStatus writes the page name with data and status. The page is
// rendered whole first, so a template error is a clean 500.
func (d *Dashboard) renderStatus(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t := d.pages[name]
	if t == nil {
		d.log.Error().Str("page", name).Msg("dashboard: no such template")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pd := pageData{Path: r.URL.Path, Now: d.now(), Data: data}
	if v, ok := ViewerFrom(r.Context()); ok {
		pd.Viewer, pd.CSRF = v, d.CSRFToken(r)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pd); err != nil {
		d.log.Error().Err(err).Str("page", name).Msg("dashboard: rendering")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderError writes an error page that says what to do.
func (d *Dashboard) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	d.renderStatus(w, r, status, "error.html", errorData{Status: status, Title: http.StatusText(status), Message: msg})
}

type errorData struct {
	Status         int
	Title, Message string
}

// staticHandler serves the embedded style sheet and scripts.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// securityHeaders keeps the pages to their own origin: no inline script,
// no framing, no referrer leaving the site (feed URLs carry a token).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// ago says how long before now t was, roughly.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return t.UTC().Format("2006-01-02 15:04 UTC")
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// dur renders a duration briefly ("3h", "2d 4h").
func dur(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds())) // a deployment's steps
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

// repoPath is the dashboard path of something of a repository: kind and
// arg after GitLab's "/-/" separator, since a project path may hold any
// number of slashes.
func repoPath(host any, repo, kind string, arg any) string {
	return fmt.Sprintf("/repos/%v/%s/-/%s/%v", host, repo, kind, arg)
}

// ChangePath is the dashboard path of a PR/MR's page.
func ChangePath(host any, repo string, number int) string {
	return repoPath(host, repo, "changes", number)
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
