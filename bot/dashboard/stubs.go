package dashboard

import "net/http"

func (d *Dashboard) prPage(w http.ResponseWriter, r *http.Request) {
	d.renderError(w, r, http.StatusNotImplemented, "This page is not written yet.")
}

func (d *Dashboard) auditPage(w http.ResponseWriter, r *http.Request) {
	d.renderError(w, r, http.StatusNotImplemented, "This page is not written yet.")
}

func (d *Dashboard) auditExport(w http.ResponseWriter, r *http.Request) {
	d.renderError(w, r, http.StatusNotImplemented, "This page is not written yet.")
}

func (d *Dashboard) calendarPage(w http.ResponseWriter, r *http.Request) {
	d.renderError(w, r, http.StatusNotImplemented, "This page is not written yet.")
}

func (d *Dashboard) calendarFeed(w http.ResponseWriter, r *http.Request) {
	d.renderError(w, r, http.StatusNotImplemented, "This page is not written yet.")
}
