// Package release owns Shipgate's release math: semantic versions and
// version tags (strict SemVer 2.0.0 behind a configured prefix), the bump
// that conventional commits require, the next version of a branch, the
// validation of a new tag, and the assembly of release notes into sections.
//
// It is pure like policies: every input (tags, commits, dates) is an
// argument, and it does no I/O, reads no clock and logs nothing. It imports
// policies and policies/conventional; it must not import githistory,
// templates, bot/, actions/ or any host SDK — reading git and rendering
// Markdown are done by the callers.
package release
