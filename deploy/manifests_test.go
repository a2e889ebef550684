package deploy

import (
	"encoding/json"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	ghserver "github.com/shipgate/shipgate/bot/github/server"
	"github.com/shipgate/shipgate/bot/slack"
)

// githubAppManifest is the part of GitHub's App manifest format
// ("Registering a GitHub App from a manifest") the test reads.
type githubAppManifest struct {
	Name           string `json:"name"`
	URL            string `json:"url"`
	HookAttributes struct {
		URL    string `json:"url"`
		Active bool   `json:"active"`
	} `json:"hook_attributes"`
	RedirectURL        string            `json:"redirect_url"`
	Public             *bool             `json:"public"`
	DefaultPermissions map[string]string `json:"default_permissions"`
	DefaultEvents      []string          `json:"default_events"`
}

func readGitHubManifest(t *testing.T) githubAppManifest {
	t.Helper()
	data, err := os.ReadFile("github-app-manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var m githubAppManifest
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("github-app-manifest.json: %v", err)
	}
	return m
}

// TestGitHubAppManifestEventsAreWhatTheServerReads holds the manifest's
// events equal to the events the webhook receiver reads: an event added
// to the server without a subscription (or the reverse) fails here.
func TestGitHubAppManifestEventsAreWhatTheServerReads(t *testing.T) {
	m := readGitHubManifest(t)
	got := slices.Clone(m.DefaultEvents)
	want := ghserver.Events()
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("default_events = %v\nthe server reads %v (bot/github/server.Events)", got, want)
	}
	hook, err := url.Parse(m.HookAttributes.URL)
	if err != nil || hook.Scheme != "https" || hook.Path != ghserver.Route {
		t.Errorf("hook_attributes.url = %q, want https://HOST%s", m.HookAttributes.URL, ghserver.Route)
	}
	if !m.HookAttributes.Active {
		t.Error("hook_attributes.active is false: GitHub would deliver nothing")
	}
	if m.Name == "" || m.URL == "" || m.RedirectURL == "" || m.Public == nil || *m.Public {
		t.Errorf("name, url, redirect_url must be set and public false: %+v", m)
	}
}

// TestGitHubAppManifestPermissionsCoverTheCalls checks the permissions
// against what the server does with GitHub: each line is a call (or an
// event) and the permission GitHub's REST reference names for it.
func TestGitHubAppManifestPermissionsCoverTheCalls(t *testing.T) {
	needs := []struct{ does, permission, level string }{
		{"every repository call", "metadata", "read"},
		{"check runs: create, update, list (the verdict)", "checks", "write"},
		{"commit statuses: list (the checks rule, status events)", "statuses", "read"},
		{"pull requests, reviews, files, commits", "pull_requests", "write"},
		{"comments, reactions and labels of pull requests", "issues", "write"},
		{"the policy, CODEOWNERS, tags, releases and changelog commits", "contents", "write"},
		{"team members (approvals from @org/team; membership and team events)", "members", "read"},
		{"workflow runs and deployment protection rule answers", "actions", "write"},
		{"deployments and their statuses", "deployments", "write"},
		{"merge_group events", "merge_queues", "read"},
	}
	m := readGitHubManifest(t)
	rank := map[string]int{"read": 1, "write": 2}
	for _, n := range needs {
		got := m.DefaultPermissions[n.permission]
		if rank[got] < rank[n.level] {
			t.Errorf("%s needs %s: %s; the manifest has %q", n.does, n.permission, n.level, got)
		}
	}
	if len(m.DefaultPermissions) != len(needs) {
		t.Errorf("the manifest asks for %d permissions, the server needs %d: ask for no more than it uses",
			len(m.DefaultPermissions), len(needs))
	}
}

// slackScopes maps each Slack Web API method bot/slack calls (the
// slack-go name, without Context) to the bot scopes it needs.
var slackScopes = map[string][]string{
	"PostMessage":         {"chat:write", "chat:write.public"}, // public: channels the bot has not joined
	"UpdateMessage":       {"chat:write"},
	"PostEphemeral":       {"chat:write"},
	"GetUserByEmail":      {"users:read", "users:read.email"},
	"GetUserGroupMembers": {"usergroups:read"},
	"OpenView":            nil, // views.open needs a trigger, no scope
}

// TestSlackAppManifestCoversTheCalls reads the calls bot/slack makes
// from its source and checks the manifest grants each one's scopes, and
// that the interactivity URL is the route the server answers.
func TestSlackAppManifestCoversTheCalls(t *testing.T) {
	data, err := os.ReadFile("slack-app-manifest.yml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		OAuthConfig struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Interactivity struct {
				IsEnabled  bool   `yaml:"is_enabled"`
				RequestURL string `yaml:"request_url"`
			} `yaml:"interactivity"`
			OrgDeployEnabled *bool `yaml:"org_deploy_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("slack-app-manifest.yml: %v", err)
	}
	calls := slackCalls(t)
	if len(calls) == 0 {
		t.Fatal("found no Slack API calls in bot/slack: the pattern no longer matches the code")
	}
	for _, call := range calls {
		scopes, known := slackScopes[call]
		if !known {
			t.Errorf("bot/slack calls %s: add its scopes to slackScopes and to the manifest", call)
		}
		for _, s := range scopes {
			if !slices.Contains(m.OAuthConfig.Scopes.Bot, s) {
				t.Errorf("bot/slack calls %s, which needs the scope %s; the manifest has %v", call, s, m.OAuthConfig.Scopes.Bot)
			}
		}
	}
	req, err := url.Parse(m.Settings.Interactivity.RequestURL)
	if err != nil || req.Scheme != "https" || req.Path != slack.Route || !m.Settings.Interactivity.IsEnabled {
		t.Errorf("interactivity = %+v, want enabled with https://HOST%s", m.Settings.Interactivity, slack.Route)
	}
	if m.Settings.OrgDeployEnabled == nil || *m.Settings.OrgDeployEnabled {
		t.Error("settings.org_deploy_enabled must be false")
	}
}

// slackCalls lists the Web API methods bot/slack's code calls.
func slackCalls(t *testing.T) []string {
	t.Helper()
	files, err := os.ReadDir("../bot/slack")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`\.client\.([A-Z][A-Za-z]+?)(?:Context)?\(`)
	var calls []string
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".go") || strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		src, err := os.ReadFile("../bot/slack/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			if !slices.Contains(calls, m[1]) {
				calls = append(calls, m[1])
			}
		}
	}
	return calls
}
