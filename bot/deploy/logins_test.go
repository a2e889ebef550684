package deploy

import (
	"context"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

// TestAFoldedLoginIsNoOneElse: "\u212aate" (with the Kelvin sign) is not
// kate, whom Unicode case folding (strings.EqualFold, strings.ToLower)
// would make of it: it is no approver of `from: [kate]`, does not take
// kate's Slack user from notify.slack.users, and is another person than
// kate when the starter and an approver are compared.
func TestAFoldedLoginIsNoOneElse(t *testing.T) {
	const impostor = "\u212aate"
	o := &Orchestrator{}
	from := []policies.Principal{{Login: "kate"}}
	if o.isApprover(context.Background(), policies.GitHub, from, Actor{Login: impostor}) {
		t.Error("the folded login approved as kate")
	}
	if !o.isApprover(context.Background(), policies.GitHub, from, Actor{Login: "Kate"}) {
		t.Error("kate in another case is kate")
	}
	p := &policies.Policy{}
	p.Notify.SlackUsers = map[string]string{"kate": "U0KATE"}
	if a := resolve(p, Actor{Login: impostor}); a.SlackUser != "" {
		t.Errorf("the folded login took kate's Slack user %s", a.SlackUser)
	}
	if got := compare(Actor{Login: "kate"}, Actor{Login: impostor}); got != differentPeople {
		t.Errorf("compare(kate, folded) = %v, want different people", got)
	}
}
