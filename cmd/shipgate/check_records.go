package main

import (
	"context"
	"os"

	"github.com/shipgate/shipgate/bot/records"
	"github.com/shipgate/shipgate/policies"
)

// recordVerifier is the change-record verifier of SHIPGATE_JIRA_* and
// SHIPGATE_SERVICENOW_* (the server's settings, from the environment).
// Without them records are not verified, and the rule says so and waits.
func recordVerifier() (*records.Verifier, error) {
	v, err := records.SettingsFromEnv(os.Getenv).Verifier(nil)
	if err != nil {
		return nil, usageError(err)
	}
	return v, nil
}

// verifyOffline adds the cited records' facts to a change read from files,
// when the policy verifies records.
func verifyOffline(ctx context.Context, p *policies.Policy, c *policies.Change) error {
	if !p.Needs().Has(policies.NeedRecords) {
		return nil
	}
	v, err := recordVerifier()
	if err != nil {
		return err
	}
	c.Records = v.Verify(ctx, p.ChangeRecord.Verify, policies.CitedRecords(p, c), true)
	return nil
}
