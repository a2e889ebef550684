package actions

import (
	"github.com/shipgate/shipgate/bot/records"
)

// records is the change-record verifier of the step's SHIPGATE_JIRA_* and
// SHIPGATE_SERVICENOW_* variables (from the workflow's env, with secrets):
// the bot's settings. Without them records are not verified, and the
// change_record rule says so and stays pending.
func (st *State) records() (*records.Verifier, error) {
	return records.SettingsFromEnv(st.getenv).Verifier(nil)
}
