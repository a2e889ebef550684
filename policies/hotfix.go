package policies

import (
	"fmt"
	"strings"
	"time"
)

// hotfixStatus is whether a change is a declared hotfix, and if it is
// not, why: a hotfix relaxes the approval rules, so a branch name alone
// never makes one.
type hotfixStatus struct {
	declared bool
	// by and reason describe the declaration ("/hotfix by @ann", "the
	// label hotfix added by @ann"); why says why a change whose head may
	// be a hotfix is not one.
	by, reason, why string
}

// declaredHotfix decides whether the change is a hotfix: its head matches
// hotfix.branches, its base matches hotfix.into, and someone with the role
// `commands` gives hotfix declared it, by `/hotfix REASON` or by adding the
// label; the latest of the declarations and `/hotfix cancel` decides.
func (s *evaluation) declaredHotfix() hotfixStatus {
	h := s.p.Hotfix
	if h == nil || !matchAny(h.Branches, s.c.HeadBranch) {
		return hotfixStatus{}
	}
	if !matchAny(h.Into, s.c.BaseBranch) {
		return hotfixStatus{why: fmt.Sprintf("%s into %s is not a hotfix: hotfixes go into %s (hotfix.into); the normal approval rules apply",
			s.c.HeadBranch, s.c.BaseBranch, globList(h.Into))}
	}
	var st hotfixStatus
	var at time.Time
	if cmd, ok := s.lastCommand("hotfix"); ok && cmd.Args != "" {
		at = cmd.in.CreatedAt
		if strings.EqualFold(cmd.Args, "cancel") {
			st.why = "the hotfix was cancelled by @" + cmd.in.Author.Login + " (`/hotfix cancel`); the normal approval rules apply"
		} else {
			st = hotfixStatus{declared: true, by: "/hotfix by @" + cmd.in.Author.Login, reason: cmd.Args}
		}
	}
	if label, ok := s.labelDeclaration(h.Label); ok && (at.IsZero() || !label.at.Before(at)) {
		return label.hotfixStatus
	} else if !ok && label.why != "" && !st.declared && st.why == "" {
		st.why = label.why
	}
	if !st.declared && st.why == "" {
		st.why = fmt.Sprintf("head branch %s may be a hotfix: someone with %s access declares it with `/hotfix REASON` (or adds the label %s); until then the normal approval rules apply",
			s.c.HeadBranch, s.p.RoleFor("hotfix"), h.Label)
	}
	return st
}

// labelDecl is a hotfix declared by its label, and when.
type labelDecl struct {
	hotfixStatus
	at time.Time
}

// labelDeclaration reports whether the hotfix label declares the change a
// hotfix: it is on, and its latest addition was by someone allowed to
// declare one. Offline (no permission data) the label counts as given.
func (s *evaluation) labelDeclaration(label string) (labelDecl, bool) {
	if !s.hasAnyLabel(label) {
		return labelDecl{}, false
	}
	if s.c.Permissions == nil {
		return labelDecl{hotfixStatus: hotfixStatus{declared: true, by: "the label " + label}}, true
	}
	if s.c.LabelEvents == nil {
		return labelDecl{hotfixStatus: hotfixStatus{why: "who added the label " + label + " is not known, so it declares nothing; comment `/hotfix REASON` instead"}}, false
	}
	var added *LabelEvent
	for i := range s.c.LabelEvents {
		if e := &s.c.LabelEvents[i]; e.Added && strings.EqualFold(e.Label, label) {
			added = e
		}
	}
	if added == nil {
		return labelDecl{hotfixStatus: hotfixStatus{why: "who added the label " + label + " is not known, so it declares nothing; comment `/hotfix REASON` instead"}}, false
	}
	need, have := s.p.RoleFor("hotfix"), s.c.permission(added.Actor.Login)
	if added.Actor.Bot || have < need {
		return labelDecl{hotfixStatus: hotfixStatus{why: fmt.Sprintf("the label %s was added by @%s, who may not declare a hotfix (needs %s access, has %s); the normal approval rules apply",
			label, added.Actor.Login, need, have)}}, false
	}
	return labelDecl{hotfixStatus: hotfixStatus{declared: true, by: "the label " + label + " added by @" + added.Actor.Login}, at: added.At}, true
}

// RoleFor is the role a command needs under the policy: its commands:
// entry, else the command table's default.
func (p *Policy) RoleFor(name string) Permission {
	if r, ok := p.Commands[name]; ok {
		return r
	}
	spec, _ := LookupCommand(name)
	return spec.Role
}

// approvalRules evaluates the `approvals` list; a declared hotfix uses
// hotfix.approvals instead when configured.
func (s *evaluation) approvalRules(out []Result) []Result {
	for i := range s.p.Approvals {
		r := &s.p.Approvals[i]
		if s.hotfix.declared && s.p.Hotfix.Approval != nil {
			out = append(out, Result{Rule: "approvals", Name: r.Name, Status: Skipped,
				Message: "replaced by hotfix.approvals: " + s.hotfix.by})
			continue
		}
		out = append(out, s.approvalResult("approvals", r))
	}
	return out
}

// hotfixRule applies hotfix.approvals to a declared hotfix, with the code
// owners' approval still required where an approval rule asks for it
// (unless hotfix.codeowners is false).
func (s *evaluation) hotfixRule(out []Result) []Result {
	h := s.p.Hotfix
	res := Result{Rule: "hotfix", Name: "hotfix", Status: Skipped}
	switch {
	case !matchAny(h.Branches, s.c.HeadBranch):
		res.Message = "head branch " + s.c.HeadBranch + " is not a hotfix branch (" + globList(h.Branches) + ")"
		if owed, _ := h.MergeBackOwed(s.c.HeadBranch, s.c.BaseBranch, func() (bool, error) { return false, nil }); owed {
			res.Message += "; merged into " + s.c.BaseBranch + ", it is merged back into " + h.MergeBackTo + " like a hotfix (hotfix.merge_back_every_change)"
		}
		return append(out, res)
	case !s.hotfix.declared:
		res.Message = s.hotfix.why
		return append(out, res)
	case h.Approval == nil:
		res.Status, res.Message = Pass, mergeBack(h, s.declaredBy()+"; the normal approval rules apply")
		return append(out, res)
	}
	r := *h.Approval
	r.Name = "hotfix"
	if h.CodeOwners && s.codeOwnersApply() {
		r = withCodeOwners(r)
	}
	res = s.approvalResult("hotfix", &r)
	if res.Status == Pass {
		res.Message = mergeBack(h, s.declaredBy()+"; "+res.Message)
	}
	return append(out, res)
}

// declaredBy describes the hotfix declaration for messages.
func (s *evaluation) declaredBy() string {
	if s.hotfix.reason != "" {
		return fmt.Sprintf("hotfix declared by %s: %q", s.hotfix.by, s.hotfix.reason)
	}
	return "hotfix declared by " + s.hotfix.by
}

// codeOwnersApply reports whether an approval rule that applies to the
// change asks for the code owners' approval.
func (s *evaluation) codeOwnersApply() bool {
	for i := range s.p.Approvals {
		if s.asksCodeOwners(&s.p.Approvals[i]) {
			return true
		}
	}
	return false
}

// asksCodeOwners reports whether r, or a rule inside it, asks for the
// code owners' approval and may apply (a condition not known counts as
// applying: the hotfix keeps the stricter requirement).
func (s *evaluation) asksCodeOwners(r *ApprovalRule) bool {
	if !s.applies(r.When) {
		return false
	}
	if !r.IsCombination() {
		return r.CodeOwners
	}
	for i := range r.Members() {
		if s.asksCodeOwners(&r.Members()[i]) {
			return true
		}
	}
	return false
}

// withCodeOwners returns a copy of r whose plain rules all ask for the
// code owners' approval: whichever way satisfies an any_of must then
// have it too.
func withCodeOwners(r ApprovalRule) ApprovalRule {
	if !r.IsCombination() {
		r.CodeOwners = true
		return r
	}
	members := make([]ApprovalRule, len(r.Members()))
	for i, m := range r.Members() {
		members[i] = withCodeOwners(m)
	}
	if r.AnyOf != nil {
		r.AnyOf = members
	} else {
		r.AllOf = members
	}
	return r
}

func mergeBack(h *HotfixRule, msg string) string {
	if h.MergeBackTo == "" {
		return msg
	}
	return msg + "; after the release, merge this fix back into " + h.MergeBackTo
}

// MergeBackOwed says whether a change from head merged into base owes
// the main line its merge-back: base is a release line (hotfix.into) and
// hotfix.merge_back_to is set, and the change is any change
// (merge_back_every_change, the default), or else a declared hotfix or one
// from a hotfix.branches head — a branch name never relaxes a rule, but
// it may add this obligation. declared is asked only when it decides.
func (h *HotfixRule) MergeBackOwed(head, base string, declared func() (bool, error)) (bool, error) {
	switch {
	case h == nil || h.MergeBackTo == "" || base == h.MergeBackTo || !matchAny(h.Into, base):
		return false, nil
	case h.MergeBackEveryChange || matchAny(h.Branches, head):
		return true, nil
	}
	return declared()
}
