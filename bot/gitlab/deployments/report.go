package deployments

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot/gitlab"
	"github.com/shipgate/shipgate/bot/report"
	"github.com/shipgate/shipgate/policies"
)

var _ report.Host = (*GitLab)(nil)

// maxReportCommits caps the commits a report reads.
const maxReportCommits = 1000

// mergeRequestRef finds the MR a GitLab merge commit names in its
// message: "See merge request group/proj!12".
var mergeRequestRef = regexp.MustCompile(`(?m)^See merge request \S+!(\d+)\s*$`)

// ReleaseCommits implements report.Host: tag's commits since previous,
// newest first (GET /projects/:id/repository/compare?from=PREVIOUS&to=TAG),
// each merge commit with the MR its message names, and the commits it
// merged with it too. A first release lists none.
func (g *GitLab) ReleaseCommits(ctx context.Context, repo, previous, tag string) ([]policies.Commit, error) {
	if previous == "" {
		return nil, nil
	}
	c, resp, err := g.gl.Repositories.Compare(repo, &gl.CompareOptions{From: gl.Ptr(previous), To: gl.Ptr(tag), Straight: gl.Ptr(true)}, gl.WithContext(ctx))
	if gitlab.IsNotFound(resp, err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("comparing %s with %s in %s: %w", previous, tag, repo, err)
	}
	out := make([]policies.Commit, 0, min(len(c.Commits), maxReportCommits))
	for j := len(c.Commits) - 1; j >= 0 && len(out) < maxReportCommits; j-- { // newest first
		cm := c.Commits[j]
		pc := policies.Commit{SHA: cm.ID, Message: cm.Title, AuthorName: cm.AuthorName}
		if cm.CommittedDate != nil {
			pc.Time = *cm.CommittedDate
		}
		if m := mergeRequestRef.FindStringSubmatch(cm.Message); m != nil {
			pc.PR, _ = strconv.Atoi(m[1])
		}
		out = append(out, pc)
	}
	return out, nil
}

// AttachReport implements report.Host: the report becomes a section of the
// release's description, replaced in place (GET and PUT
// /projects/:id/releases/:tag_name); a tag without a release is left
// alone.
func (g *GitLab) AttachReport(ctx context.Context, repo, tag, section string) (bool, error) {
	rel, resp, err := g.gl.Releases.GetRelease(repo, tag, gl.WithContext(ctx))
	if gitlab.IsNotFound(resp, err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the release %s of %s: %w", tag, repo, err)
	}
	body := report.WithSection(rel.Description, section)
	if body == rel.Description {
		return true, nil
	}
	if _, _, err := g.gl.Releases.UpdateRelease(repo, tag, &gl.UpdateReleaseOptions{Description: gl.Ptr(body)}, gl.WithContext(ctx)); err != nil {
		return true, fmt.Errorf("editing the release %s of %s: %w", tag, repo, err)
	}
	return true, nil
}
