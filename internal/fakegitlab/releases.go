package fakegitlab

import (
	"encoding/json"
	"net/http"
)

// getRelease answers a release by its tag.
func (s *Server) getRelease(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, args ...string) {
	for _, rel := range p.Releases {
		if rel.TagName == args[1] {
			writeJSON(w, http.StatusOK, map[string]any{"tag_name": rel.TagName, "name": rel.Name, "description": rel.Description})
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not Found"})
}

// updateRelease edits a release's name or description.
func (s *Server) updateRelease(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, body []byte, args ...string) {
	var in struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "400 Bad request"})
		return
	}
	for i := range p.Releases {
		rel := &p.Releases[i]
		if rel.TagName != args[1] {
			continue
		}
		if in.Name != nil {
			rel.Name = *in.Name
		}
		if in.Description != nil {
			rel.Description = *in.Description
		}
		s.releasesEdited = append(s.releasesEdited, p.Path+"@"+rel.TagName)
		writeJSON(w, http.StatusOK, map[string]any{"tag_name": rel.TagName, "name": rel.Name, "description": rel.Description})
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not Found"})
}

// ReleasesEdited lists releases edited, as "group/proj@tag".
func (s *Server) ReleasesEdited() []string { return s.effects(&s.releasesEdited) }

// ReleaseDescription returns the description of a project's release of
// tag, and whether there is one.
func (s *Server) ReleaseDescription(path, tag string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.projects {
		if p.Path != path {
			continue
		}
		for _, rel := range p.Releases {
			if rel.TagName == tag {
				return rel.Description, true
			}
		}
	}
	return "", false
}
