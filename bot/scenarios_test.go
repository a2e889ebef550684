package bot_test

// The both-hosts table: each scenario is a list of steps, run once through
// the GitHub adapter and once through the GitLab adapter (the gate, the
// real store and queue, each host's fake; internal/testbed), and every
// step must give the same verdict, the same answer to its commands, and
// the same tag and release effects on both. The per-rule logic is tested
// in policies/; this table tests that both hosts carry it out alike.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/testbed"
	"github.com/shipgate/shipgate/policies"
)

// lifecyclePolicy gates main: a change record, a release note, a semver
// label, and one approval by a reviewer.
const lifecyclePolicy = `version: 1
branches: [main, "release/*"]
change_record:
  patterns: ['[A-Z][A-Z0-9]+-\d+']
  sources: [title, body, branch]
approvals:
  - name: reviewers
    required: 1
    from: [alice, bob]
release_notes:
  block: release-note
  none_label: release-note-none
semver:
  labels: {major: "semver:major", minor: "semver:minor", patch: "semver:patch", none: "semver:none"}
tags:
  prefix: v
  branches: [main]
  release: true
`

// crew: dave opens changes; alice and bob review (bob maintains); erin
// triages; carol reads.
var crew = testbed.People{"dave": policies.PermWrite, "alice": policies.PermWrite, "bob": policies.PermMaintain,
	"erin": policies.PermTriage, "carol": policies.PermRead}

const fixedDescription = "Adds gift cards (SHOP-12).\n\n```release-note\nCheckout accepts gift cards.\n```\n"

// observed is what a step left behind, in host-neutral terms.
type observed struct {
	Verdict, Reply string
	Acked          bool
	Labels         []string
	TagVerdict     string
	Released, Tags []string
	// Deployments are staging's and production's newest deployments;
	// Mirror the host's record of them.
	Deployments string
	Mirror      []string
}

// want is what a step must leave behind; zero fields are not checked.
type want struct {
	verdict    string   // the conclusion on change 1's head for its base
	verdictHas []string // words its text holds
	replyHas   string   // the newest reply holds it
	noReply    bool     // the step got no reply
	acked      bool     // the step's comment got a 👍
	labels     []string // change 1's labels
	tagVerdict string   // the conclusion of the tag's status
	tagHas     string
	released   []string
	tags       []string // tags Shipgate created
	// deployments are staging's and production's newest deployments,
	// "version state|version state"; mirror the host's record of them.
	deployments string
	mirror      []string
}

type step struct {
	name string
	do   func(h testbed.Host, s *state)
	want want
}

// state carries what a scenario's steps share on one host.
type state struct {
	head, base string
	comment    int64
	replies    int
	tagSHA     string
}

type scenario struct {
	name, policy string
	steps        []step
}

func TestBothHosts(t *testing.T) {
	target := deployTarget(t)
	for _, sc := range scenarios(target) {
		t.Run(sc.name, func(t *testing.T) {
			var seen [2][]observed
			for i, host := range []policies.Host{policies.GitHub, policies.GitLab} {
				seen[i] = runScenario(t, host, sc)
			}
			for i := range sc.steps {
				if gh, gl := seen[0][i], seen[1][i]; !sameObserved(gh, gl) {
					t.Errorf("%s: the hosts differ:\n GitHub %+v\n GitLab %+v", sc.steps[i].name, gh, gl)
				}
			}
		})
	}
}

// runScenario runs the steps on one host and checks each; it returns what
// each step left behind.
func runScenario(t *testing.T, host policies.Host, sc scenario) []observed {
	t.Helper()
	h := testbed.NewHost(t, host, sc.policy, crew)
	s := &state{head: shaX, base: "main"}
	var out []observed
	for _, st := range sc.steps {
		s.comment = 0
		st.do(h, s)
		h.Drain()
		o := observe(h, s)
		if err := st.want.check(o, s); err != "" {
			t.Errorf("%s: %s: %s", host, st.name, err)
		}
		s.replies = len(h.Replies(1))
		out = append(out, o)
	}
	return out
}

func observe(h testbed.Host, s *state) observed {
	v := h.Verdict(s.head, s.base)
	o := observed{Verdict: v.Conclusion + "\n" + v.Text, Labels: h.Labels(1), Released: h.Released(), Tags: h.TagsCreated(),
		Deployments: h.Deployment("staging") + "|" + h.Deployment("production"), Mirror: h.Mirrored()}
	if r := h.Replies(1); len(r) > s.replies {
		o.Reply = r[len(r)-1]
	}
	if s.comment != 0 {
		o.Acked = h.Acknowledged(1, s.comment)
	}
	if s.tagSHA != "" {
		tv := h.TagVerdict(s.tagSHA)
		o.TagVerdict = tv.Conclusion + "\n" + tv.Text
	}
	return o
}

func (w want) check(o observed, s *state) string {
	conclusion, text, _ := strings.Cut(o.Verdict, "\n")
	switch {
	case w.verdict != "" && conclusion != w.verdict:
		return "verdict " + conclusion + " (" + text + "), want " + w.verdict
	case w.replyHas != "" && !strings.Contains(o.Reply, w.replyHas):
		return "reply " + strings.TrimSpace(o.Reply) + ", want one with " + w.replyHas
	case w.noReply && o.Reply != "":
		return "reply " + o.Reply + ", want none"
	case w.acked && !o.Acked:
		return "the comment got no 👍"
	case w.labels != nil && !sameSet(o.Labels, w.labels):
		return "labels " + strings.Join(o.Labels, ",") + ", want " + strings.Join(w.labels, ",")
	case w.released != nil && !sameSet(o.Released, w.released):
		return "released " + strings.Join(o.Released, ",") + ", want " + strings.Join(w.released, ",")
	case w.tags != nil && !sameSet(o.Tags, w.tags):
		return "tags created " + strings.Join(o.Tags, ",") + ", want " + strings.Join(w.tags, ",")
	case w.deployments != "" && o.Deployments != w.deployments:
		return "deployments " + o.Deployments + ", want " + w.deployments
	case w.mirror != nil && !slices.Equal(o.Mirror, w.mirror):
		return "the host's deployments " + strings.Join(o.Mirror, ", ") + ", want " + strings.Join(w.mirror, ", ")
	}
	for _, has := range w.verdictHas {
		if !strings.Contains(text, has) {
			return "verdict " + text + ", want it to mention " + has
		}
	}
	tagConclusion, tagText, _ := strings.Cut(o.TagVerdict, "\n")
	if w.tagVerdict != "" && (tagConclusion != w.tagVerdict || !strings.Contains(tagText, w.tagHas)) {
		return "tag status " + o.TagVerdict + ", want " + w.tagVerdict + " with " + w.tagHas
	}
	return ""
}

// hostWords are the words that name a host's things, which the two hosts
// are allowed to say differently.
var hostWords = regexp.MustCompile(`pull request|merge request|#(\d)|!(\d)|https?://\S+`)

// sameObserved compares what the hosts left behind: the same conclusion
// and first line of verdict, the same reply but for the host's nouns, the
// same labels, tag status and releases.
func sameObserved(a, b observed) bool {
	norm := func(s string) string { return hostWords.ReplaceAllString(s, "·") }
	// The conclusion and the start of the first line: the hosts cut a
	// status description at different lengths.
	firstLine := func(s string) string {
		c, rest, _ := strings.Cut(s, "\n")
		l, _, _ := strings.Cut(norm(rest), "\n")
		if r := []rune(l); len(r) > 100 {
			l = string(r[:100])
		}
		return c + " " + l
	}
	return firstLine(a.Verdict) == firstLine(b.Verdict) && norm(a.Reply) == norm(b.Reply) && a.Acked == b.Acked &&
		sameSet(a.Labels, b.Labels) && firstLine(a.TagVerdict) == firstLine(b.TagVerdict) &&
		sameSet(a.Released, b.Released) && sameSet(a.Tags, b.Tags) && a.Deployments == b.Deployments && slices.Equal(a.Mirror, b.Mirror)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// deployTarget is where the deployment scenarios' webhook steps deploy:
// it takes every version but v1.2.0, and every rollback.
func deployTarget(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Version string `json:"version"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if r.URL.Path == "/deploy" && body.Version == "v1.2.0" {
			http.Error(w, "v1.2.0 does not start", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
