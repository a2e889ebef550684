package gitlab

import (
	"context"
	"fmt"
	"sort"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// Pipeline is a GitLab pipeline as a deployment step follows it.
type Pipeline struct {
	ID int64
	// Status is GitLab's: created, waiting_for_resource, preparing,
	// pending, running, success, failed, canceled, skipped, manual,
	// scheduled.
	Status string
	WebURL string
}

// Done reports whether the pipeline has finished, and whether it passed.
func (p Pipeline) Done() (done, passed bool) {
	switch p.Status {
	case "success":
		return true, true
	case "failed", "canceled", "skipped":
		return true, false
	}
	return false, false
}

// CreatePipeline runs the project's pipeline for ref with variables (the
// gitlab_pipeline deployment step): POST /projects/:id/pipeline. Variables
// are sent in key order.
func (a *App) CreatePipeline(ctx context.Context, project, ref string, variables map[string]string) (Pipeline, error) {
	keys := make([]string, 0, len(variables))
	for k := range variables {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vars := make([]*gl.PipelineVariableOptions, 0, len(keys))
	for _, k := range keys {
		vars = append(vars, &gl.PipelineVariableOptions{Key: gl.Ptr(k), Value: gl.Ptr(variables[k]), VariableType: gl.Ptr(gl.EnvVariableType)})
	}
	p, _, err := a.gl.Pipelines.CreatePipeline(project, &gl.CreatePipelineOptions{Ref: gl.Ptr(ref), Variables: &vars}, gl.WithContext(ctx))
	if err != nil {
		return Pipeline{}, fmt.Errorf("creating a pipeline for %s in %s: %w", ref, project, err)
	}
	return Pipeline{ID: p.ID, Status: p.Status, WebURL: p.WebURL}, nil
}

// GetPipeline reads a pipeline, for when its Pipeline Hook is lost:
// GET /projects/:id/pipelines/:pipeline_id.
func (a *App) GetPipeline(ctx context.Context, project string, id int64) (Pipeline, error) {
	p, _, err := a.gl.Pipelines.GetPipeline(project, id, gl.WithContext(ctx))
	if err != nil {
		return Pipeline{}, fmt.Errorf("reading pipeline %d of %s: %w", id, project, err)
	}
	return Pipeline{ID: p.ID, Status: p.Status, WebURL: p.WebURL}, nil
}
