package gitlab

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/internal/fixtures"
)

// hookHeader is the X-Gitlab-Event GitLab sends with a payload of this
// object_kind (PROVENANCE.md).
func hookHeader(objectKind string) string {
	switch objectKind {
	case "merge_request":
		return "Merge Request Hook"
	case "note":
		return "Note Hook"
	case "tag_push":
		return "Tag Push Hook"
	case "push":
		return "Push Hook"
	case "pipeline":
		return "Pipeline Hook"
	case "deployment":
		return "Deployment Hook"
	case "release":
		return "Release Hook"
	case "build":
		return "Job Hook"
	}
	return ""
}

// ignoredKinds are the recorded payloads Shipgate answers without storing
// anything: a Pipeline Hook of a pipeline with no SHIPGATE_ID is no
// deployment's (bot/gitlab/deployments tests one that is); GitLab's own
// deployments, jobs and releases are not followed.
var ignoredKinds = map[string]string{
	"pipeline":   "pipeline without SHIPGATE_ID",
	"deployment": "is not handled",
	"build":      "is not handled",
	"release":    "is not handled",
}

// TestConformanceFixtures delivers every recorded GitLab payload with the
// right token: each is accepted (queued or ignored), and what is queued is
// processed without error against a fake holding its project and MR.
func TestConformanceFixtures(t *testing.T) {
	for _, file := range fixtures.Glob(t, "gitlab/webhooks/*.json") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var p struct {
				ObjectKind string `json:"object_kind"`
				Project    struct {
					ID   int64  `json:"id"`
					Path string `json:"path_with_namespace"`
				} `json:"project"`
				ObjectAttributes struct {
					IID int `json:"iid"`
				} `json:"object_attributes"`
				MergeRequest struct {
					IID int `json:"iid"`
				} `json:"merge_request"`
			}
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			event := hookHeader(p.ObjectKind)
			if event == "" {
				t.Fatalf("no X-Gitlab-Event known for object_kind %q", p.ObjectKind)
			}
			h := newHarness(t)
			if p.Project.ID != 0 && p.Project.ID != testProjectID {
				iid := max(p.ObjectAttributes.IID, p.MergeRequest.IID)
				proj := h.fake.AddProject(&fakegitlab.Project{ID: p.Project.ID, Path: p.Project.Path, DefaultBranch: "main"})
				if iid > 0 && (p.ObjectKind == "merge_request" || p.ObjectKind == "note") {
					proj.MRs[iid] = &fakegitlab.MR{IID: iid, Title: "fixture", Author: fakegitlab.User{ID: 1, Username: "user1"},
						TargetBranch: "main", SHA: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", State: "opened"}
				}
			}
			w := h.post(event, "fixture-"+filepath.Base(file), testSecret, body)
			if w.Code != http.StatusAccepted && w.Code != http.StatusOK {
				t.Fatalf("%s answered %d %s", event, w.Code, w.Body)
			}
			t.Logf("%s: %d %s", event, w.Code, w.Body)
			if why, ok := ignoredKinds[p.ObjectKind]; ok && !strings.Contains(w.Body.String(), why) {
				t.Errorf("%s answered %q, want it ignored (%s)", event, w.Body, why)
			}
			h.drain()
		})
	}
}
