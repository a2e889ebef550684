// Package templates owns Shipgate's rendered text: the embedded text
// templates (release notes first; check-run summaries, sticky PR comments
// and Slack messages beside them), parsed once, and the parsing of a
// user's override files.
//
// Templates receive plain data values (e.g. release.Notes) and know no
// host. The package must not import bot/, actions/ or any host SDK; it may
// be imported by all of them.
package templates
