package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/github"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/policies"
)

// auditLog is the part of the store the release side writes to.
type auditLog struct {
	gate.Store // nil: any other call panics, which the tests would see
	mu         sync.Mutex
	list       []store.AuditEvent
}

func (l *auditLog) AppendAudit(_ context.Context, e store.AuditEvent) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, e)
	return int64(len(l.list)), nil
}

// entries renders the log as "subject:outcome by actor".
func (l *auditLog) entries() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.list {
		out = append(out, fmt.Sprintf("%s:%s by %s", e.Subject, e.Outcome, e.Actor))
	}
	return out
}

// releaseRig is a fake GitHub holding a release history, and an adapter
// on it with an audit log.
type releaseRig struct {
	fake  *fakegithub.Server
	app   *github.App
	gate  *gate.Gate
	audit *auditLog
	// sha names the commits of the history.
	sha map[string]string
}

const releasePolicy = "version: 1\ntags:\n  branches: [main, \"release/*\"]\n  release: true\nrelease_notes:\n  none_label: release-note-none\n"

// newReleaseRig builds this history on acme/shop:
//
//	main:        init (v1.0.0) ← feat-a ← fix-b (v1.1.0) ← fix-c ← feat-d
//	release/1.1:                         fix-b ← backport
//	feature/x:                                           feat-d ← unmerged
//
// fix-c is PR #7's merge commit (with a release-note block) and feat-d PR
// #8's (labelled as needing no note).
func newReleaseRig(t *testing.T) *releaseRig {
	t.Helper()
	fake := fakegithub.New(t, fakegithub.WithToken(testToken))
	fake.AddRepo(fakegithub.Repo{FullName: testRepo})
	audit := &auditLog{}
	app, err := github.New(github.Config{
		APIURL: fake.URL(), Token: testToken, Transport: fake.HTTPClient().Transport,
		Now:   fakegithub.DefaultTime,
		Sleep: func(context.Context, time.Duration) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &releaseRig{fake: fake, app: app, audit: audit, sha: seedReleaseHistory(t, fake)}
	r.setDeployer(t, nil)
	return r
}

// setDeployer builds the rig's gate with a deployment orchestrator (nil:
// none).
func (r *releaseRig) setDeployer(t *testing.T, d gate.Deployer) {
	t.Helper()
	g, err := gate.New(gate.Config{Host: r.app, Store: r.audit, Acceptor: noQueue{}, Deployer: d, Now: fakegithub.DefaultTime})
	if err != nil {
		t.Fatal(err)
	}
	r.gate = g
}

// noQueue is an Acceptor for tests that queue nothing.
type noQueue struct{}

func (noQueue) Accept(context.Context, store.Delivery, ...store.Job) (bool, error) {
	return false, errors.New("nothing is queued here")
}

// processTag runs the bot's handling of a tag pushed (event push or
// create) by alice.
func (r *releaseRig) processTag(t *testing.T, event, name, defaultBranch string) {
	t.Helper()
	job := gate.TagJob(gate.TagPush{Host: policies.GitHub, Event: event, Repo: testRepo, Tag: name, DefaultBranch: defaultBranch, Sender: "alice"})
	if err := r.gate.Process(context.Background(), store.Batch{Key: job.Key, Jobs: []store.Job{job}}); err != nil {
		t.Fatalf("processing the tag %s: %v", name, err)
	}
}

// seedReleaseHistory puts newReleaseRig's history, policy and PRs into a
// fake GitHub and returns the SHAs by name.
func seedReleaseHistory(t *testing.T, fake *fakegithub.Server) map[string]string {
	t.Helper()
	sha := map[string]string{}
	add := func(name, parent, message, author string) {
		c := fakegithub.Commit{Message: message, Author: author}
		if parent != "" {
			c.Parents = []string{sha[parent]}
		}
		sha[name] = fake.AddCommit(testRepo, c)
	}
	add("init", "", "chore: init", "alice")
	add("feat-a", "init", "feat: search", "alice")
	add("fix-b", "feat-a", "fix: empty carts", "bob")
	add("fix-c", "fix-b", "fix: rounding of totals (#7)", "")
	add("feat-d", "fix-c", "feat: gift cards (#8)", "carol")
	add("backport", "fix-b", "fix: backport a crash", "bob")
	add("unmerged", "feat-d", "feat: unmerged work", "dave")
	fake.AddTag(testRepo, "v1.0.0", sha["init"])
	fake.AddTag(testRepo, "v1.1.0", sha["fix-b"])
	fake.SetBranch(testRepo, "main", sha["feat-d"])
	fake.SetBranch(testRepo, "release/1.1", sha["backport"])
	fake.SetBranch(testRepo, "feature/x", sha["unmerged"])
	fake.SetFile(testRepo, "main", github.PolicyFile, releasePolicy)
	fake.SetPermission(testRepo, "alice", "maintain") // who pushes the tags
	fake.AddPR(testRepo, fakegithub.PR{
		Number: 7, Title: "Fix rounding", Author: "erin", State: "closed", Merged: true, MergedAt: fakegithub.DefaultTime(),
		MergeCommitSHA: sha["fix-c"], Body: "Rounds to cents.\n\n```release-note\nTotals are rounded to the cent\nas receipts show them.\n```\n",
	})
	fake.AddPR(testRepo, fakegithub.PR{
		Number: 8, Title: "Gift cards", Author: "carol", State: "closed", Merged: true, MergedAt: fakegithub.DefaultTime(),
		MergeCommitSHA: sha["feat-d"], Labels: []string{"release-note-none"},
	})
	return sha
}

// tag runs the bot's handling of a pushed tag at the commit named at.
func (r *releaseRig) tag(t *testing.T, name, at string) {
	t.Helper()
	r.fake.AddTag(testRepo, name, r.sha[at])
	r.processTag(t, "push", name, "main")
}

func TestTagsInTheBot(t *testing.T) {
	tests := []struct {
		name string
		// before are tags that exist already (name → commit).
		before     [][2]string
		tag, at    string
		wantStatus string // "state: description prefix"
		wantAudit  string
		wantNotes  []string // lines of the release body; nil: no release
		wantPre    bool
	}{
		{name: "the next minor after a feature is valid and released", tag: "v1.2.0", at: "feat-d",
			wantStatus: "success: v1.2.0 is a valid version tag, released", wantAudit: "v1.2.0:released by alice",
			wantNotes: []string{"## v1.2.0 (2026-01-05)", "### Fixes",
				"- Totals are rounded to the cent as receipts show them. ([#7](" + "URL/acme/shop/pull/7)) by [@erin](URL/erin)"}},
		{name: "a name that is no version fails", tag: "latest", at: "feat-d",
			wantStatus: "failure: latest is not a valid version tag (semver)", wantAudit: "latest:invalid by alice"},
		{name: "a version below the highest tag goes backwards", tag: "v1.0.5", at: "feat-d",
			wantStatus: "failure: v1.0.5 is not a valid version tag (order)", wantAudit: "v1.0.5:invalid by alice"},
		{name: "a version that skips one fails", tag: "v1.4.0", at: "feat-d",
			wantStatus: "failure: v1.4.0 is not a valid version tag (skip)", wantAudit: "v1.4.0:invalid by alice"},
		{name: "a patch where a feature landed is too small a bump", tag: "v1.1.1", at: "feat-d",
			wantStatus: "failure: v1.1.1 is not a valid version tag (bump)", wantAudit: "v1.1.1:invalid by alice"},
		{name: "a commit on no allowed branch fails", tag: "v1.2.0", at: "unmerged",
			wantStatus: "failure: v1.2.0 is not a valid version tag (branch)", wantAudit: "v1.2.0:invalid by alice"},
		{name: "a backport on a release branch is checked against its line", tag: "v1.1.1", at: "backport",
			wantStatus: "success: v1.1.1 is a valid version tag, released", wantAudit: "v1.1.1:released by alice",
			wantNotes: []string{"## v1.1.1 (2026-01-05)", "### Fixes", "- backport a crash (" + "BACKPORT) by [@bob](URL/bob)"}},
		{name: "the first pre-release of the next version is valid and marked so", tag: "v1.2.0-rc.1", at: "feat-d",
			wantStatus: "success: v1.2.0-rc.1 is a valid version tag, released", wantAudit: "v1.2.0-rc.1:released by alice",
			wantNotes: []string{"## v1.2.0-rc.1 (2026-01-05)"}, wantPre: true},
		{name: "a pre-release numbered below an existing one goes backwards", before: [][2]string{{"v1.2.0-rc.2", "fix-c"}},
			tag: "v1.2.0-rc.1", at: "feat-d",
			wantStatus: "failure: v1.2.0-rc.1 is not a valid version tag (order)", wantAudit: "v1.2.0-rc.1:invalid by alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReleaseRig(t)
			for _, b := range tt.before {
				r.fake.AddTag(testRepo, b[0], r.sha[b[1]])
			}
			r.tag(t, tt.tag, tt.at)
			sts := r.fake.Statuses(testRepo, r.sha[tt.at])
			if len(sts) != 1 || sts[0].Context != gate.TagStatus {
				t.Fatalf("statuses on %s = %+v, want one %s", tt.at, sts, gate.TagStatus)
			}
			if got := sts[0].State + ": " + sts[0].Description; !strings.HasPrefix(got, tt.wantStatus) {
				t.Errorf("status = %q, want it to start %q", got, tt.wantStatus)
			}
			if got := r.audit.entries(); !slices.Equal(got, []string{tt.wantAudit}) {
				t.Errorf("audit = %q, want %q", got, tt.wantAudit)
			}
			rels := r.fake.Releases()
			if tt.wantNotes == nil {
				if len(rels) != 0 {
					t.Errorf("releases = %+v, want none", rels)
				}
				return
			}
			if len(rels) != 1 || rels[0].TagName != tt.tag || rels[0].Prerelease != tt.wantPre {
				t.Fatalf("releases = %+v, want one of %s (prerelease %v)", rels, tt.tag, tt.wantPre)
			}
			web := strings.TrimSuffix(r.fake.URL(), "/api/v3/")
			body := strings.ReplaceAll(rels[0].Body, web, "URL")
			body = strings.ReplaceAll(body, r.sha["backport"][:7], "BACKPORT")
			for _, line := range tt.wantNotes {
				if !slices.Contains(strings.Split(body, "\n"), line) {
					t.Errorf("release body lacks %q:\n%s", line, body)
				}
			}
			if strings.Contains(body, "gift cards") {
				t.Errorf("PR #8 needs no note, but the body lists it:\n%s", body)
			}
		})
	}
}

func TestTagHandledOnceForPushAndCreate(t *testing.T) {
	r := newReleaseRig(t)
	r.tag(t, "v1.2.0", "feat-d")
	r.processTag(t, "create", "v1.2.0", "main")
	if n := len(r.fake.Statuses(testRepo, r.sha["feat-d"])); n != 1 {
		t.Errorf("%d statuses, want 1", n)
	}
	if n := len(r.audit.entries()); n != 1 {
		t.Errorf("%d audit entries, want 1", n)
	}
	if n := len(r.fake.Releases()); n != 1 {
		t.Errorf("%d releases, want 1", n)
	}
}

func TestTagWithoutPolicyIsLeftAlone(t *testing.T) {
	// A repository with no policy on its default branch has not opted in.
	r2 := newReleaseRig(t)
	r2.fake.SetBranch(testRepo, "trunk", r2.sha["fix-c"])
	r2.fake.AddTag(testRepo, "v1.2.0", r2.sha["feat-d"])
	r2.processTag(t, "push", "v1.2.0", "trunk")
	if sts := r2.fake.Statuses(testRepo, r2.sha["feat-d"]); len(sts) != 0 {
		t.Errorf("statuses = %+v, want none", sts)
	}
}

func TestTagJobsTranslation(t *testing.T) {
	tests := []struct {
		name, event, payload string
		wantTag, wantIgnored string
	}{
		{"a tag push queues its tag", "push", `{"ref":"refs/tags/v1.2.0","repository":{"full_name":"acme/shop","default_branch":"main"},"sender":{"login":"alice"}}`, "v1.2.0", ""},
		{"a branch push is no tag", "push", `{"ref":"refs/heads/main","repository":{"full_name":"acme/shop"}}`, "", "push of refs/heads/main, not a tag"},
		{"a deleted tag is ignored", "push", `{"ref":"refs/tags/v1","deleted":true,"repository":{"full_name":"acme/shop"}}`, "", "tag deleted"},
		{"a created tag queues its tag", "create", `{"ref":"v1.2.0","ref_type":"tag","repository":{"full_name":"acme/shop"}}`, "v1.2.0", ""},
		{"a created branch is no tag", "create", `{"ref":"x","ref_type":"branch","repository":{"full_name":"acme/shop"}}`, "", "created a branch, not a tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs, ignored, err := tagJobs(tt.event, "d1", []byte(tt.payload))
			if err != nil || ignored != tt.wantIgnored {
				t.Fatalf("tagJobs = %v, %q, %v; want ignored %q", jobs, ignored, err, tt.wantIgnored)
			}
			if tt.wantTag == "" {
				return
			}
			var e gate.TagPush
			if len(jobs) != 1 || jobs[0].Key != gate.TagKey(policies.GitHub, "acme/shop", tt.wantTag) || json.Unmarshal(jobs[0].Payload, &e) != nil || e.Tag != tt.wantTag {
				t.Fatalf("jobs = %+v, want one for %s", jobs, tt.wantTag)
			}
		})
	}
}

func TestPublishReleaseCreatesThenUpdates(t *testing.T) {
	r := newReleaseRig(t)
	ctx := context.Background()
	rel, err := r.app.Releases(ctx, testRepo)
	if err != nil {
		t.Fatal(err)
	}
	if err := rel.CreateTag(ctx, "v1.2.0", r.sha["feat-d"]); err != nil {
		t.Fatalf("CreateTag: %v", err)
	}
	if err := rel.CreateTag(ctx, "v1.2.0", r.sha["feat-d"]); err != nil {
		t.Fatalf("CreateTag again at the same commit: %v, want nil", err)
	}
	if err := rel.CreateTag(ctx, "v1.2.0", r.sha["fix-c"]); !errors.Is(err, github.ErrTagExists) {
		t.Fatalf("CreateTag elsewhere: %v, want github.ErrTagExists", err)
	}
	first, err := rel.PublishRelease(ctx, github.Release{Tag: "v1.2.0", Target: r.sha["feat-d"], Body: "one", Prerelease: true})
	if err != nil || !first.Created {
		t.Fatalf("PublishRelease = %+v, %v; want created", first, err)
	}
	second, err := rel.PublishRelease(ctx, github.Release{Tag: "v1.2.0", Body: "two"})
	if err != nil || second.Created || second.ID != first.ID {
		t.Fatalf("PublishRelease again = %+v, %v; want the same release updated", second, err)
	}
	rels := r.fake.Releases()
	if len(rels) != 1 || rels[0].Body != "two" || rels[0].Prerelease || rels[0].Name != "v1.2.0" {
		t.Errorf("releases = %+v", rels)
	}
	if got := r.fake.RefsCreated(); !slices.Equal(got, []string{testRepo + ":refs/tags/v1.2.0@" + r.sha["feat-d"]}) {
		t.Errorf("refs created = %q", got)
	}
}

func TestPullRequestNotes(t *testing.T) {
	r := newReleaseRig(t)
	ctx := context.Background()
	rel, err := r.app.Releases(ctx, testRepo)
	if err != nil {
		t.Fatal(err)
	}
	in := []policies.Commit{
		{SHA: r.sha["feat-d"], Message: "feat: gift cards (#8)"},
		{SHA: r.sha["fix-c"], Message: "fix: rounding of totals (#7)"},
		{SHA: r.sha["fix-b"], Message: "fix: empty carts", Author: policies.Actor{Login: "bob"}},
	}
	commits, overrides, err := rel.PullRequestNotes(ctx, nil, in, fakegithub.DefaultTime())
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%d@%s %d@%s %d@%s", commits[0].PR, commits[0].Author.Login, commits[1].PR, commits[1].Author.Login, commits[2].PR, commits[2].Author.Login)
	if want := "8@carol 7@erin 0@bob"; got != want {
		t.Errorf("PRs and authors = %s, want %s", got, want)
	}
	// Without a policy the none label means nothing; the block still counts.
	want := fmt.Sprint([]any{7, "Totals are rounded to the cent as receipts show them.", false})
	if len(overrides) != 1 || fmt.Sprint([]any{overrides[0].PR, overrides[0].Text, overrides[0].Omit}) != want {
		t.Errorf("overrides = %+v, want %s", overrides, want)
	}
	if in[1].PR != 0 {
		t.Error("PullRequestNotes changed its input")
	}
}
