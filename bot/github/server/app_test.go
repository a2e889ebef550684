package server

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/policies"
)

// appKey is a GitHub App's private key, as PEM, and its public half.
func appKey(t *testing.T) (bot.Secret, *rsa.PublicKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return bot.Secret(pemBytes), &key.PublicKey
}

func TestAsAGitHubApp(t *testing.T) {
	private, public := appKey(t)
	h := newHarness(t, harnessOption{
		fake: []fakegithub.Option{fakegithub.WithApp(fakegithub.App{ID: 42, PublicKey: public})},
		cfg:  func(c *github.Config) { c.Token, c.AppID, c.PrivateKey = "", 42, private },
	})
	h.people()
	h.fake.AddRepo(fakegithub.Repo{FullName: testRepo, InstallationID: 7})
	h.fake.SetFile(testRepo, "main", github.PolicyFile, strictPolicy)
	h.open(fakegithub.PR{Number: 1, Title: "Add gift cards", Author: "dave"}, shaA)
	h.drain()
	h.wantCheck(shaA, "completed", "failure")
	h.comment(1, "dave", "/semver minor")
	h.drain()
	h.wantCheck(shaA, "completed", "failure", "change_record")
	if got := h.fake.LabelsAdded(); len(got) != 1 || !strings.HasSuffix(got[0], ":semver:minor") {
		t.Errorf("labels added %q, want the App's semver:minor", got)
	}
	if got := h.fake.TokensIssued(); !slices.Equal(got, []string{"installation-7"}) {
		t.Errorf("tokens issued %q, want one for installation 7, cached", got)
	}
	if len(h.failures) > 0 {
		t.Errorf("processing failed: %v", h.failures)
	}

	// A second server with an empty store (the state is lost) finds the
	// sticky comment by its marker and author, and edits it.
	st, err := store.OpenWith(context.Background(), filepath.Join(t.TempDir(), "other.db"), store.Options{Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h.cfg = github.Config{APIURL: h.fake.URL(), AppID: 42, PrivateKey: private, Transport: h.fake.HTTPClient().Transport, Now: h.clock.Now}
	h.srvCfg.Store, h.srvCfg.Acceptor, h.store, h.acceptor.Acceptor = st, st, st, st
	h.restart()
	h.review(1, "bob", "APPROVED")
	h.drain()
	if n := len(h.stickyComments(1)); n != 1 {
		t.Errorf("%d sticky comments after the state was lost, want the one edited", n)
	}
	if !strings.Contains(h.stickyComments(1)[0].Body, "1 more approval") {
		t.Errorf("the sticky comment was not edited:\n%s", h.stickyComments(1)[0].Body)
	}
	if len(h.failures) > 0 {
		t.Errorf("processing failed: %v", h.failures)
	}
}

func TestSecretsStayOutOfLogs(t *testing.T) {
	private, _ := appKey(t)
	cfg := github.Config{Token: testToken, PrivateKey: private}
	srv := Config{WebhookSecret: testSecret}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, cfg) + fmt.Sprintf(format, srv)
		if strings.Contains(out, testToken) || strings.Contains(out, testSecret) || strings.Contains(out, "PRIVATE KEY") {
			t.Errorf("%s of the config shows a secret: %s", format, out)
		}
	}
	h := newHarness(t)
	h.fake.SetFile(testRepo, "main", github.PolicyFile, strictPolicy)
	h.open(fakegithub.PR{Number: 1, Title: "x", Author: "dave"}, shaA)
	h.drain()
	if logs := h.logs.String(); strings.Contains(logs, testToken) || strings.Contains(logs, testSecret) {
		t.Error("a secret reached the logs")
	}
}

func TestCheckLive(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, strictPolicy)
	h.fake.SetFile(testRepo, "broken", github.PolicyFile, "version: 2\n")
	h.addPR(fakegithub.PR{Number: 1, Title: "Add gift cards", Body: fixedBody, Author: "dave", HeadSHA: shaA, Labels: []string{"semver:minor"}})
	h.fake.AddReview(testRepo, 1, fakegithub.Review{Author: "bob", State: "APPROVED"})
	h.fake.AddReview(testRepo, 1, fakegithub.Review{Author: "alice", State: "APPROVED"})
	h.addPR(fakegithub.PR{Number: 2, Title: "x", Author: "dave", Base: "develop"})
	h.addPR(fakegithub.PR{Number: 3, Title: "x", Author: "dave", Base: "broken"})
	ctx := context.Background()

	v, c, err := h.app.CheckLive(ctx, testRepo, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v.Conclusion != policies.Success || c.Number != 1 || len(c.Reviews) != 2 || c.Permissions["bob"] != policies.PermMaintain {
		t.Errorf("verdict %+v on change %+v", v, c)
	}
	if _, _, err := h.app.CheckLive(ctx, testRepo, 2); !errors.Is(err, github.ErrNoPolicy) {
		t.Errorf("without a policy: %v, want github.ErrNoPolicy", err)
	}
	_, _, err = h.app.CheckLive(ctx, testRepo, 3)
	if fe := policies.FieldErrors(err); len(fe) == 0 {
		t.Errorf("with an invalid policy: %v, want its field errors", err)
	}
	if len(h.fake.CheckRuns(testRepo, shaA)) > 0 || len(h.fake.CommentsCreated()) > 0 {
		t.Error("CheckLive published something")
	}
}
