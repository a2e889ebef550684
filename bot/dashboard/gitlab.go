package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/gitlab"
	"github.com/shipgate/shipgate/policies"
)

// newGitLabProvider is sign-in with GitLab: OAuth under the instance's
// URL (scope read_api: the dashboard only reads), the user and the
// project's access level from the REST API.
func newGitLabProvider(h OAuthHost, redirect string) *oauthProvider {
	web := strings.TrimSuffix(h.WebURL, "/")
	api := strings.TrimSuffix(h.APIURL, "/") + "/"
	return &oauthProvider{
		host:  policies.GitLab,
		label: "GitLab",
		conf: oauth2.Config{
			ClientID: h.ClientID, ClientSecret: string(h.ClientSecret), RedirectURL: redirect, Scopes: []string{"read_api"},
			Endpoint: oauth2.Endpoint{AuthURL: web + "/oauth/authorize", TokenURL: web + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams},
		},
		user: func(ctx context.Context, c *http.Client, token bot.Secret) (string, string, error) {
			var u struct{ Username, Name string }
			if err := getJSON(ctx, c, api+"user", "Bearer "+string(token), &u); err != nil {
				return "", "", fmt.Errorf("GET /user: %w", err)
			}
			if u.Username == "" {
				return "", "", errors.New("GET /user: no username")
			}
			return u.Username, u.Name, nil
		},
		role: func(ctx context.Context, c *http.Client, token bot.Secret, repo string) (policies.Permission, error) {
			var p struct {
				Visibility  string `json:"visibility"`
				Permissions struct {
					Project *struct {
						AccessLevel int `json:"access_level"`
					} `json:"project_access"`
					Group *struct {
						AccessLevel int `json:"access_level"`
					} `json:"group_access"`
				} `json:"permissions"`
			}
			err := getJSON(ctx, c, api+"projects/"+url.PathEscape(repo), "Bearer "+string(token), &p)
			if errors.Is(err, errNoAccess) {
				return policies.PermNone, nil
			}
			if err != nil {
				return policies.PermNone, fmt.Errorf("GET /projects/%s: %w", repo, err)
			}
			level := 0
			if p.Permissions.Project != nil {
				level = p.Permissions.Project.AccessLevel
			}
			if p.Permissions.Group != nil {
				level = max(level, p.Permissions.Group.AccessLevel)
			}
			role := gitlab.Permission(level)
			// GitLab answers a public or internal project to any signed-in
			// user, who may then read its merge requests.
			if role < policies.PermRead && (p.Visibility == "public" || p.Visibility == "internal") {
				role = policies.PermRead
			}
			return role, nil
		},
	}
}
