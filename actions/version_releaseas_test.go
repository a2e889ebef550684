package actions

import (
	"slices"
	"strings"
	"testing"
)

// pushHead sets up a push of main at the commit named at.
func (r *runner) pushHead(h history, at string) *runner {
	return r.event("push", "refs/heads/main", h[at], map[string]any{"ref": "refs/heads/main", "after": h[at], "repository": repository})
}

func TestVersionOutputFollowsReleaseAs(t *testing.T) {
	r, h := releasedRunner(t)
	h["pin"] = r.ws.commit("chore: open the 2.0 line\n\nRelease-As: 2.0.0")
	res := r.input("command", "version").pushHead(h, "pin").run()
	want := map[string]string{"version": "v2.0.0", "previous-version": "v1.1.0", "bump": "major"}
	if res.code != 0 || !mapsEqual(res.outputs, want) {
		t.Fatalf("exit %d, outputs %v; want 0 and %v\n%s", res.code, res.outputs, want, res.stdout)
	}
	if !strings.Contains(res.summary, "set by Release-As: 2.0.0 in commit "+h["pin"][:7]) {
		t.Errorf("the summary does not say where the version comes from:\n%s", res.summary)
	}
}

func TestAttackADowngradingReleaseAsSetsNoVersionOutput(t *testing.T) {
	r, h := releasedRunner(t)
	h["down"] = r.ws.commit("fix: harmless\n\nRelease-As: 0.9.0")
	res := r.input("command", "version").pushHead(h, "down").run()
	if res.code != 1 || len(res.outputs) != 0 {
		t.Fatalf("exit %d, outputs %v; want 1 and none\n%s", res.code, res.outputs, res.stdout)
	}
	want := "::error title=Release-As cannot be followed::Release-As: commit " + h["down"][:7] + " says Release-As: 0.9.0, which is not greater than the previous version v1.1.0"
	if !slices.ContainsFunc(annotations(res.stdout), func(a string) bool { return strings.HasPrefix(a, want) }) {
		t.Errorf("no annotation starting %q:\n%s", want, res.stdout)
	}
}

func TestVersionOutputOfAnEmptyRelease(t *testing.T) {
	r, h := releasedRunner(t)
	r.ws.git("tag", "v1.2.0", h["docs"])
	h["chore"] = r.ws.commit("chore: bump the base image")
	r.ws.write(".shipgate.yml", releasePolicy+"semver:\n  empty_release: patch\n")
	res := r.input("command", "version").pushHead(h, "chore").run()
	want := map[string]string{"version": "v1.2.1", "previous-version": "v1.2.0", "bump": "patch"}
	if res.code != 0 || !mapsEqual(res.outputs, want) {
		t.Fatalf("exit %d, outputs %v; want 0 and %v\n%s", res.code, res.outputs, want, res.stdout)
	}
}
