package fakegithub

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// getRepo answers a repository; asked with a user token, it carries the
// user's permissions, and a private repository they cannot read is 404.
func getRepo(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	repo := c.repository(r)
	if login := c.s.userOf(c.r); login != "" {
		rank, _ := roleRank(r.role(login))
		if r.Private && rank < 1 {
			c.notFound()
			return
		}
		repo.Permissions = map[string]bool{"pull": true, "triage": rank >= 2, "push": rank >= 3, "maintain": rank >= 4, "admin": rank >= 5}
	}
	c.json(http.StatusOK, repo)
}

// getContents answers a file as base64 JSON, a folder as a listing, and
// 404 when neither exists at the ref (default: the default branch).
func getContents(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	ref := c.query.Get("ref")
	if ref == "" {
		ref = r.DefaultBranch
	}
	p := strings.Trim(c.params["path"], "/")
	if content, ok := r.file(ref, p); ok {
		c.json(http.StatusOK, c.fileContent(r, ref, p, content, true))
		return
	}
	files, dirs := r.dir(ref, p)
	if len(files)+len(dirs) == 0 {
		c.notFound()
		return
	}
	var list []*github.RepositoryContent
	for _, d := range dirs {
		list = append(list, &github.RepositoryContent{
			Type: ptr("dir"), Name: ptr(path.Base(d)), Path: ptr(d), Size: ptr(0),
			SHA: ptr(madeUpSHA(r.FullName, ref, d)),
			URL: ptr(c.apiURL("repos/%s/contents/%s?ref=%s", r.FullName, d, ref)),
		})
	}
	for _, f := range files {
		content, _ := r.file(ref, f)
		list = append(list, c.fileContent(r, ref, f, content, false))
	}
	c.json(http.StatusOK, list)
}

func (c *call) fileContent(r *repoState, ref, p, content string, withContent bool) *github.RepositoryContent {
	rc := &github.RepositoryContent{
		Type:        ptr("file"),
		Name:        ptr(path.Base(p)),
		Path:        ptr(p),
		Size:        ptr(len(content)),
		SHA:         ptr(blobSHA(content)),
		URL:         ptr(c.apiURL("repos/%s/contents/%s?ref=%s", r.FullName, p, ref)),
		GitURL:      ptr(c.apiURL("repos/%s/git/blobs/%s", r.FullName, blobSHA(content))),
		HTMLURL:     ptr(fmt.Sprintf("%s/%s/blob/%s/%s", c.s.srv.URL, r.FullName, ref, p)),
		DownloadURL: ptr(fmt.Sprintf("%s/raw/%s/%s/%s", c.s.srv.URL, r.FullName, ref, p)),
	}
	if withContent {
		rc.Encoding = ptr("base64")
		rc.Content = ptr(wrap60(base64.StdEncoding.EncodeToString([]byte(content))))
	}
	return rc
}

// wrap60 breaks base64 into lines of 60 characters, as GitHub does.
func wrap60(s string) string {
	var b strings.Builder
	for len(s) > 60 {
		b.WriteString(s[:60])
		b.WriteByte('\n')
		s = s[60:]
	}
	b.WriteString(s)
	b.WriteByte('\n')
	return b.String()
}

// blobSHA is git's object ID of a blob.
func blobSHA(content string) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00%s", len(content), content)
	return hex.EncodeToString(h.Sum(nil))
}

// oldPermission maps a role to the four levels of the "permission" field:
// maintain shows as write and triage as read.
func oldPermission(role string) string {
	switch role {
	case "admin":
		return "admin"
	case "maintain", "write":
		return "write"
	case "triage", "read":
		return "read"
	}
	return "none"
}

// permissionLevel is GitHub's answer, with role_name, which go-github v62
// does not decode.
type permissionLevel struct {
	Permission string       `json:"permission"`
	RoleName   string       `json:"role_name"`
	User       *github.User `json:"user"`
}

func getPermission(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	login := c.params["username"]
	role := r.role(login)
	u := c.user(login)
	rank, _ := roleRank(role)
	u.Permissions = map[string]bool{
		"pull": rank >= 1, "triage": rank >= 2, "push": rank >= 3, "maintain": rank >= 4, "admin": rank >= 5,
	}
	c.json(http.StatusOK, permissionLevel{Permission: oldPermission(role), RoleName: role, User: u})
}

func (c *call) team() *teamState {
	ts := c.s.st.teams[strings.ToLower(c.params["org"]+"/"+c.params["team_slug"])]
	if ts == nil {
		c.notFound()
	}
	return ts
}

func getTeamMembership(c *call) {
	ts := c.team()
	if ts == nil {
		return
	}
	for _, m := range ts.members {
		if strings.EqualFold(m, c.params["username"]) {
			c.json(http.StatusOK, &github.Membership{
				URL:   ptr(c.apiURL("organizations/%s/team/%s/memberships/%s", ts.org, ts.slug, m)),
				Role:  ptr("member"),
				State: ptr("active"),
			})
			return
		}
	}
	c.notFound()
}

func listTeamMembers(c *call) {
	ts := c.team()
	if ts == nil {
		return
	}
	if role := c.query.Get("role"); role == "maintainer" {
		c.json(http.StatusOK, []*github.User{})
		return
	}
	users := make([]*github.User, 0, len(ts.members))
	for _, m := range ts.members {
		users = append(users, c.user(m))
	}
	c.json(http.StatusOK, paginate(c, users))
}

func (c *call) app() *github.App {
	app := App{ID: 1, Slug: "shipgate"}
	if c.s.app != nil {
		app = *c.s.app
	}
	return &github.App{
		ID:      ptr(app.ID),
		Slug:    ptr(app.Slug),
		Name:    ptr(app.Slug),
		NodeID:  ptr(fmt.Sprintf("A_%d", app.ID)),
		HTMLURL: ptr(c.s.srv.URL + "/apps/" + app.Slug),
	}
}

func getApp(c *call) { c.json(http.StatusOK, c.app()) }

func (c *call) installation(id int64, account string) *github.Installation {
	app := c.app()
	return &github.Installation{
		ID:              ptr(id),
		AppID:           app.ID,
		AppSlug:         app.Slug,
		Account:         c.user(account),
		TargetType:      ptr("Organization"),
		AccessTokensURL: ptr(c.apiURL("app/installations/%d/access_tokens", id)),
		RepositoriesURL: ptr(c.apiURL("installation/repositories")),
	}
}

func getRepoInstallation(c *call) {
	if r := c.repo(); r != nil {
		c.json(http.StatusOK, c.installation(r.InstallationID, r.owner))
	}
}

func createInstallationToken(c *call) {
	id, ok := c.number("installation_id")
	if !ok {
		return
	}
	known := id == 1
	for _, key := range c.s.repoKeys() {
		known = known || c.s.st.repos[key].InstallationID == id
	}
	if !known {
		c.notFound()
		return
	}
	c.s.st.nextTok++
	token := "ghs_" + madeUpSHA("installation token", fmt.Sprint(id), fmt.Sprint(c.s.st.nextTok))[:36]
	c.s.st.tokens[token] = id
	c.s.effects.tokensIssued = append(c.s.effects.tokensIssued, fmt.Sprintf("installation-%d", id))
	c.json(http.StatusCreated, map[string]any{
		"token":                token,
		"expires_at":           c.s.clock().Add(time.Hour).UTC().Format(time.RFC3339),
		"permissions":          map[string]string{},
		"repository_selection": "all",
	})
}

// authenticate checks the request's credentials for the route: the App's
// JWT for App endpoints; else, when the fake has a token or an App, a
// known token. It returns GitHub's message when they do not do.
func (s *Server) authenticate(r *http.Request, rt *route) (string, bool) {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	cred = strings.TrimSpace(cred)
	if rt.auth == authJWT {
		if !strings.EqualFold(scheme, "Bearer") || cred == "" {
			return "A JSON web token could not be decoded", false
		}
		if err := s.checkJWT(cred, time.Now()); err != nil {
			return err.Error(), false
		}
		return "", true
	}
	if s.token == "" && s.app == nil {
		return "", true
	}
	if !strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return "Requires authentication", false
	}
	if s.token != "" && cred == s.token {
		return "", true
	}
	if s.isUserToken(cred) {
		return "", true
	}
	s.mu.Lock()
	_, issued := s.st.tokens[cred]
	s.mu.Unlock()
	if issued {
		return "", true
	}
	return "Bad credentials", false
}

// checkJWT checks that token is an RS256 JWT as GitHub wants from an App:
// issued by the App, expiring after it was issued and at most ten minutes
// from now (the real clock, which signers use), signed by the App's key
// when the fake knows it.
func (s *Server) checkJWT(token string, now time.Time) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("A JSON web token could not be decoded")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat int64           `json:"iat"`
		Exp int64           `json:"exp"`
	}
	for i, v := range []any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(b, v) != nil {
			return errors.New("A JSON web token could not be decoded")
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || header.Alg != "RS256" || len(sig) < 128 {
		return errors.New("A JSON web token could not be decoded: want an RS256 signature")
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	if s.app != nil && iss != fmt.Sprint(s.app.ID) {
		return fmt.Errorf("'Issuer' claim ('iss') must match the App ID %d, not %s", s.app.ID, claims.Iss)
	}
	if iss == "" || claims.Iat == 0 || claims.Exp <= claims.Iat {
		return errors.New("A JSON web token could not be decoded: iss, iat and exp are required, exp after iat")
	}
	const skew = time.Minute
	if time.Unix(claims.Exp, 0).Before(now.Add(-skew)) {
		return errors.New("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires")
	}
	if time.Unix(claims.Exp, 0).After(now.Add(10*time.Minute + skew)) {
		return errors.New("'Expiration time' claim ('exp') is too far in the future")
	}
	if s.app != nil && s.app.PublicKey != nil {
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(s.app.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
			return errors.New("A JSON web token could not be decoded: bad signature")
		}
	}
	return nil
}
