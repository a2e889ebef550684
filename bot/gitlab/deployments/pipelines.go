package deployments

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/gitlab"
	"github.com/shipgate/shipgate/policies"
)

// maxListed bounds the pipelines ListPipelines reads (with their user and
// variables): it looks for one pipeline of one step.
const maxListed = 10

// CreatePipeline implements deploy.Pipelines: it runs the project's
// pipeline for ref with variables, sent in key order as env_var variables
// (POST /projects/:id/pipeline).
func (g *GitLab) CreatePipeline(ctx context.Context, repo, ref string, variables map[string]string) (deploy.WorkflowRun, error) {
	keys := make([]string, 0, len(variables))
	for k := range variables {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vars := make([]*gl.PipelineVariableOptions, 0, len(keys))
	for _, k := range keys {
		vars = append(vars, &gl.PipelineVariableOptions{Key: gl.Ptr(k), Value: gl.Ptr(variables[k]), VariableType: gl.Ptr(gl.EnvVariableType)})
	}
	p, _, err := g.gl.Pipelines.CreatePipeline(repo, &gl.CreatePipelineOptions{Ref: gl.Ptr(ref), Variables: &vars}, gl.WithContext(ctx))
	if err != nil {
		return deploy.WorkflowRun{}, fmt.Errorf("creating a pipeline for %s in %s: %w", ref, repo, err)
	}
	return runOf(repo, p), nil
}

// GetPipeline implements deploy.Pipelines, without the pipeline's keys:
// GET /projects/:id/pipelines/:pipeline_id.
func (g *GitLab) GetPipeline(ctx context.Context, repo string, id int64) (deploy.WorkflowRun, error) {
	p, _, err := g.gl.Pipelines.GetPipeline(repo, id, gl.WithContext(ctx))
	if err != nil {
		return deploy.WorkflowRun{}, fmt.Errorf("reading pipeline %d of %s: %w", id, repo, err)
	}
	return runOf(repo, p), nil
}

// ReadPipeline reads a pipeline with its keys (its deploy.KeyVariable
// variables); found is false when GitLab shows Shipgate no such pipeline
// in repo (404, or 403 for a project Shipgate's token cannot read): a
// hook about it is no deployment's, and no retry would change that.
// GET /projects/:id/pipelines/:pipeline_id and …/variables.
func (g *GitLab) ReadPipeline(ctx context.Context, repo string, id int64) (run deploy.WorkflowRun, found bool, err error) {
	p, resp, err := g.gl.Pipelines.GetPipeline(repo, id, gl.WithContext(ctx))
	switch {
	case gitlab.IsNotFound(resp, err), err != nil && resp != nil && resp.StatusCode == http.StatusForbidden:
		return deploy.WorkflowRun{}, false, nil
	case err != nil:
		return deploy.WorkflowRun{}, false, fmt.Errorf("reading pipeline %d of %s: %w", id, repo, err)
	}
	vars, _, err := g.gl.Pipelines.GetPipelineVariables(repo, id, gl.WithContext(ctx))
	if err != nil {
		return deploy.WorkflowRun{}, false, fmt.Errorf("reading the variables of pipeline %d of %s: %w", id, repo, err)
	}
	run = runOf(repo, p)
	for _, v := range vars {
		if v.Key == deploy.KeyVariable {
			run.Keys = append(run.Keys, v.Value)
		}
	}
	return run, true, nil
}

// ListPipelines implements deploy.Pipelines: the newest pipelines of ref
// that Shipgate's user created through the API, updated since `since`
// (GET /projects/:id/pipelines?ref=&source=api&username=&updated_after=),
// each read whole (ReadPipeline): the list shows no user and no
// variables, and a filter GitLab ignored would let another user's through.
func (g *GitLab) ListPipelines(ctx context.Context, repo, ref string, since time.Time) ([]deploy.WorkflowRun, error) {
	self, err := g.Self(ctx)
	if err != nil {
		return nil, err
	}
	opt := &gl.ListProjectPipelinesOptions{ListOptions: gl.ListOptions{PerPage: maxListed}, Ref: gl.Ptr(ref), Source: gl.Ptr(deploy.EventAPI),
		Username: gl.Ptr(self), UpdatedAfter: gl.Ptr(since.UTC()), OrderBy: gl.Ptr("id"), Sort: gl.Ptr("desc")}
	list, _, err := g.gl.Pipelines.ListProjectPipelines(repo, opt, gl.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("listing the pipelines of %s in %s: %w", ref, repo, err)
	}
	out := make([]deploy.WorkflowRun, 0, len(list))
	for _, p := range list {
		run, found, err := g.ReadPipeline(ctx, repo, p.ID)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, run)
		}
	}
	return out, nil
}

// runOf translates a pipeline into the facts the orchestrator checks: its
// source is the run's event, its ref the head branch, its user the actor.
// repo is the project asked about.
func runOf(repo string, p *gl.Pipeline) deploy.WorkflowRun {
	run := deploy.WorkflowRun{ID: p.ID, Host: policies.GitLab, Repo: repo, URL: p.WebURL, Event: string(p.Source), HeadBranch: p.Ref}
	if p.User != nil {
		run.Actor = p.User.Username
	}
	if p.CreatedAt != nil {
		run.CreatedAt = p.CreatedAt.UTC()
	}
	run.Status, run.Conclusion = runStatus(p.Status)
	return run
}

// runStatus maps GitLab's pipeline statuses onto a run's: success, failed,
// canceled and skipped end it (a skipped pipeline deployed nothing);
// running and manual (waiting on a manual job) are in progress; created,
// waiting_for_resource, preparing, pending and scheduled are queued.
func runStatus(s string) (status, conclusion string) {
	switch s {
	case "success":
		return "completed", "success"
	case "failed":
		return "completed", "failure"
	case "canceled":
		return "completed", "cancelled"
	case "skipped":
		return "completed", "skipped"
	case "running", "manual":
		return "in_progress", ""
	}
	return "queued", ""
}
