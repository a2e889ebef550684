package deployments

import (
	"context"
	"fmt"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot/gitlab"
)

// CreateDeployment implements deploy.Mirror: a deployment of ref to
// environment, status created (POST /projects/:id/deployments; GitLab
// creates the environment when it is new). GitLab wants the commit and
// whether ref is a tag: a tag of that name wins over a branch, as a
// release's version is a tag. GitLab keeps no description.
func (g *GitLab) CreateDeployment(ctx context.Context, repo, ref, environment, _ string) (int64, error) {
	sha, tag, err := g.resolve(ctx, repo, ref)
	if err != nil {
		return 0, err
	}
	d, _, err := g.gl.Deployments.CreateProjectDeployment(repo, &gl.CreateProjectDeploymentOptions{Environment: gl.Ptr(environment),
		Ref: gl.Ptr(ref), SHA: gl.Ptr(sha), Tag: gl.Ptr(tag), Status: gl.Ptr(gl.DeploymentStatusCreated)}, gl.WithContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("creating the deployment of %s to %s in %s: %w", ref, environment, repo, err)
	}
	return d.ID, nil
}

// resolve returns the commit of ref and whether ref is a tag:
// GET /projects/:id/repository/tags/:tag, else …/commits/:ref.
func (g *GitLab) resolve(ctx context.Context, repo, ref string) (sha string, tag bool, err error) {
	t, resp, err := g.gl.Tags.GetTag(repo, ref, gl.WithContext(ctx))
	switch {
	case err == nil && t.Commit != nil:
		return t.Commit.ID, true, nil
	case err != nil && !gitlab.IsNotFound(resp, err):
		return "", false, fmt.Errorf("reading the tag %s of %s: %w", ref, repo, err)
	}
	sha, found, err := g.ResolveRef(ctx, repo, ref)
	if err != nil {
		return "", false, err
	}
	if !found {
		return "", false, fmt.Errorf("%s names no tag, branch or commit of %s", ref, repo)
	}
	return sha, false, nil
}

// SetDeploymentStatus implements deploy.Mirror on GitLab's states (PUT
// /projects/:id/deployments/:deployment_id): in_progress → running,
// success → success, failure → failed, or canceled when the deployment
// never ran (still created: a gate rejected or expired). queued is the
// created it was created with, and inactive (superseded) is no state of
// GitLab's, which shows an environment's last successful deployment
// itself: neither calls GitLab.
func (g *GitLab) SetDeploymentStatus(ctx context.Context, repo string, id int64, state, _ string) error {
	var to gl.DeploymentStatusValue
	switch state {
	case "in_progress":
		to = gl.DeploymentStatusRunning
	case "success":
		to = gl.DeploymentStatusSuccess
	case "failure", "error":
		d, _, err := g.gl.Deployments.GetProjectDeployment(repo, id, gl.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("reading deployment %d of %s: %w", id, repo, err)
		}
		to = gl.DeploymentStatusFailed
		if d.Status == string(gl.DeploymentStatusCreated) {
			to = gl.DeploymentStatusCanceled
		}
	default:
		return nil
	}
	if _, _, err := g.gl.Deployments.UpdateProjectDeployment(repo, id, &gl.UpdateProjectDeploymentOptions{Status: gl.Ptr(to)}, gl.WithContext(ctx)); err != nil {
		return fmt.Errorf("setting deployment %d of %s to %s: %w", id, repo, to, err)
	}
	return nil
}
