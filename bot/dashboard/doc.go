// Package dashboard serves Shipgate's web dashboard at the server's root:
// sign-in (GitHub and GitLab OAuth, or a read-only dashboard token),
// sessions in signed and encrypted cookies, per-repository authorisation
// from the host's permissions, and server-rendered pages over the store.
//
// Every page and export asks CanRead for each repository it shows; a
// repository the viewer cannot read is left out entirely. Forms carry a
// CSRF token that the POST middleware checks. Templates and the style
// sheet are embedded: no CDN, no build step.
//
// It reads the store and calls hosts with the viewer's own token; it must
// not import cmd/shipgate, actions, or the test fakes in internal/.
package dashboard
