// Package policies is Shipgate's core: the policy file format, its strict
// loading with positions, the host-neutral Change model, the rules, and
// Evaluate, which turns (policy, change, time) into a Verdict.
//
// It is pure: it does no network or file I/O, reads no clock (time is an
// argument) and logs nothing. It must not import any host SDK (go-github,
// the GitLab client, slack-go) nor any package under bot/ or actions/.
package policies
