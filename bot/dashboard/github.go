package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/policies"
)

// errNoAccess is a repository the token cannot see (404 or 403).
var errNoAccess = errors.New("no access")

// newGitHubProvider is sign-in with GitHub: OAuth under the web URL, the
// user and the repository's permissions from the REST API.
func newGitHubProvider(h OAuthHost, redirect string) *oauthProvider {
	web := strings.TrimSuffix(h.WebURL, "/")
	api := strings.TrimSuffix(h.APIURL, "/") + "/"
	return &oauthProvider{
		host:  policies.GitHub,
		label: "GitHub",
		conf: oauth2.Config{
			ClientID: h.ClientID, ClientSecret: string(h.ClientSecret), RedirectURL: redirect,
			Endpoint: oauth2.Endpoint{AuthURL: web + "/login/oauth/authorize", TokenURL: web + "/login/oauth/access_token",
				AuthStyle: oauth2.AuthStyleInParams},
		},
		user: func(ctx context.Context, c *http.Client, token bot.Secret) (string, string, error) {
			var u struct{ Login, Name string }
			if err := getJSON(ctx, c, api+"user", "Bearer "+string(token), &u); err != nil {
				return "", "", fmt.Errorf("GET /user: %w", err)
			}
			if u.Login == "" {
				return "", "", errors.New("GET /user: no login")
			}
			return u.Login, u.Name, nil
		},
		role: func(ctx context.Context, c *http.Client, token bot.Secret, repo string) (policies.Permission, error) {
			owner, name, ok := strings.Cut(repo, "/")
			if !ok {
				return policies.PermNone, nil
			}
			var r struct {
				Permissions map[string]bool `json:"permissions"`
			}
			err := getJSON(ctx, c, api+"repos/"+url.PathEscape(owner)+"/"+url.PathEscape(name), "Bearer "+string(token), &r)
			if errors.Is(err, errNoAccess) {
				return policies.PermNone, nil
			}
			if err != nil {
				return policies.PermNone, fmt.Errorf("GET /repos/%s: %w", repo, err)
			}
			return githubRole(r.Permissions), nil
		},
	}
}

// githubRole maps the repository's "permissions" object onto a role.
func githubRole(p map[string]bool) policies.Permission {
	switch {
	case p["admin"]:
		return policies.PermAdmin
	case p["maintain"]:
		return policies.PermMaintain
	case p["push"]:
		return policies.PermWrite
	case p["triage"]:
		return policies.PermTriage
	case p["pull"]:
		return policies.PermRead
	}
	return policies.PermNone
}

// getJSON GETs u with the authorization header and decodes the JSON
// answer into v; 401, 403 and 404 are errNoAccess.
func getJSON(ctx context.Context, c *http.Client, u, auth string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return fmt.Errorf("%s: %w", resp.Status, errNoAccess)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("answered %s", resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}
