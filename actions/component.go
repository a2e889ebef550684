package actions

import (
	"fmt"
	"strings"
)

// forComponent moves the workspace to the version line of the component
// input (policy key components); none given, it keeps the repository's.
// A component the policy file does not declare is an error that lists
// those it does.
func (st *State) forComponent(ws *workspace, file string) error {
	name := st.input(inComponent)
	if name == "" {
		return nil
	}
	if ws.policy == nil {
		return fmt.Errorf("input component is %q but there is no policy file %s, so no components: declare them under its components key", name, file)
	}
	k, ok := ws.policy.Component(name)
	if !ok {
		known := ws.policy.KnownComponents()
		return fmt.Errorf("input component is %q, which %s does not declare; its components: %s", name, file, known)
	}
	ws.settings = k.Release
	return nil
}

// forTag moves the workspace to the version line a pushed tag belongs to
// (its prefix). With a component input, a tag of another line is not
// this run's to release: a workflow that releases each component in its
// own job (a matrix) skips the others' tags.
func (st *State) forTag(ws *workspace, tag string) error {
	if ws.policy == nil {
		return nil
	}
	ws.settings = ws.policy.ReleaseOf(tag)
	want := st.input(inComponent)
	got := ""
	if k := ws.settings.Component; k != nil {
		got = k.Name
	}
	if want != "" && !strings.EqualFold(got, want) {
		return skip("the tag %s belongs to %s, not to component %s: this run releases %s's tags only", tag, ws.settings.LineName(), want, want)
	}
	return nil
}
