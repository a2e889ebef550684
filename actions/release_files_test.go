package actions

// The files that release the Action: action.yml's image, .goreleaser.yaml
// and the workflows under .github/workflows/, held to one another offline.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"

	"github.com/shipgate/shipgate/policies/release"
)

// goreleaserYAML is the part of .goreleaser.yaml these tests read.
type goreleaserYAML struct {
	Version   int
	Builds    []goreleaserBuild
	DockersV2 []goreleaserImage `yaml:"dockers_v2"`
	Release   struct {
		GitHub struct{ Owner, Name string }
	}
}

type goreleaserBuild struct {
	ID, Main string
	Ldflags  []string
}

type goreleaserImage struct {
	ID        string
	IDs       []string
	Images    []string
	Tags      []string
	BuildArgs map[string]string `yaml:"build_args"`
	Flags     []string
}

// workflowYAML is the part of a workflow these tests read.
type workflowYAML struct {
	Name string
	On   yaml.Node
	Jobs map[string]struct {
		Name  string
		Uses  string
		Steps []workflowStep
	}
}

type workflowStep struct {
	Name, Uses, Run string
	With            map[string]string
	Env             map[string]string
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// actionImage splits action.yml's runs.image into the image's name and tag.
func actionImage(t *testing.T) (name, tag string) {
	t.Helper()
	ref, ok := strings.CutPrefix(readActionYAML(t).Runs.Image, "docker://")
	if !ok {
		t.Fatalf("action.yml's runs.image is %q, want the published image docker://NAME:vX.Y.Z", ref)
	}
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		t.Fatalf("action.yml's image %q has no tag: name the release's, docker://NAME:vX.Y.Z", ref)
	}
	return ref[:i], ref[i+1:]
}

// TestReleaseNamesAgree: action.yml runs the image the release publishes,
// under a tag that is a strict semantic version; in the release workflow
// (SHIPGATE_RELEASE_TAG set to the pushed tag) that tag must be the
// pushed one, or the release would publish an Action that runs another
// release's image.
func TestReleaseNamesAgree(t *testing.T) {
	name, tag := actionImage(t)
	if _, err := release.ParseTag("v", tag); err != nil {
		t.Errorf("action.yml's image tag %q is not a version tag vX.Y.Z: %v", tag, err)
	}
	if want := os.Getenv("SHIPGATE_RELEASE_TAG"); want != "" && tag != want {
		t.Errorf("action.yml runs %s:%s, but the release is %s: run scripts/release-prepare.sh %s, commit, and tag that commit", name, tag, want, want)
	}
	var gr goreleaserYAML
	readYAML(t, "../.goreleaser.yaml", &gr)
	i := slices.IndexFunc(gr.DockersV2, func(d goreleaserImage) bool { return slices.Equal(d.IDs, []string{"shipgate-action"}) })
	if i < 0 {
		t.Fatal(".goreleaser.yaml has no dockers_v2 image of the shipgate-action build")
	}
	img := gr.DockersV2[i]
	if !slices.Equal(img.Images, []string{name}) {
		t.Errorf(".goreleaser.yaml publishes the Action's image as %v, action.yml runs %s", img.Images, name)
	}
	if !slices.Contains(img.Tags, "{{ .Tag }}") {
		t.Errorf(".goreleaser.yaml tags the Action's image %v: it needs {{ .Tag }}, the tag action.yml names", img.Tags)
	}
	if slices.ContainsFunc(img.Flags, func(f string) bool { return strings.HasPrefix(f, "--target") }) {
		t.Errorf("the Action's image is the Dockerfile's default target, not %v", img.Flags)
	}
	if owner := "ghcr.io/" + gr.Release.GitHub.Owner + "/"; !strings.HasPrefix(name, owner) {
		t.Errorf("the Action's image %s is not under %s, the owner of the releases", name, owner)
	}
	checkReleaseWorkflow(t, name)
}

// checkReleaseWorkflow: the release workflow logs in to the image's
// registry, checks action.yml against the pushed tag, publishes with
// GoReleaser, and then runs the published Action through action.yml.
func checkReleaseWorkflow(t *testing.T, image string) {
	var wf workflowYAML
	readYAML(t, "../.github/workflows/release.yml", &wf)
	var steps []workflowStep
	for _, j := range wf.Jobs {
		steps = append(steps, j.Steps...)
	}
	registry, _, _ := strings.Cut(image, "/")
	login := slices.IndexFunc(steps, func(s workflowStep) bool {
		return strings.HasPrefix(s.Uses, "docker/login-action@") && s.With["registry"] == registry
	})
	agree := slices.IndexFunc(steps, func(s workflowStep) bool {
		return strings.Contains(s.Run, "TestReleaseNamesAgree") && s.Env["SHIPGATE_RELEASE_TAG"] == "${{ github.ref_name }}"
	})
	publish := slices.IndexFunc(steps, func(s workflowStep) bool { return strings.Contains(s.Run, "goreleaser release") })
	dogfood := slices.IndexFunc(steps, func(s workflowStep) bool { return s.Uses == "./" })
	switch {
	case login < 0:
		t.Errorf("release.yml must log in to %s (docker/login-action with registry: %s) to push %s", registry, registry, image)
	case agree < 0:
		t.Error("release.yml must run TestReleaseNamesAgree with SHIPGATE_RELEASE_TAG: ${{ github.ref_name }}")
	case publish < 0:
		t.Error("release.yml must run `goreleaser release`")
	case dogfood < 0:
		t.Error("release.yml must run the published Action through action.yml (uses: ./)")
	case !(agree < publish && login < publish && publish < dogfood):
		t.Errorf("release.yml's order: check action.yml (step %d) and log in (step %d) before GoReleaser publishes (step %d), and run the Action (step %d) after", agree, login, publish, dogfood)
	}
}

// TestGoReleaserBuildsWhatTheRepositoryShips: both binaries, with the
// ldflags that internal/buildinfo reads, and both images from the
// Dockerfile with the release's binaries.
func TestGoReleaserBuildsWhatTheRepositoryShips(t *testing.T) {
	var gr goreleaserYAML
	readYAML(t, "../.goreleaser.yaml", &gr)
	if gr.Version != 2 {
		t.Errorf(".goreleaser.yaml's version is %d, want 2", gr.Version)
	}
	for _, id := range []string{"shipgate", "shipgate-action"} {
		i := slices.IndexFunc(gr.Builds, func(b goreleaserBuild) bool { return b.ID == id })
		if i < 0 {
			t.Errorf(".goreleaser.yaml builds no %s", id)
			continue
		}
		b := gr.Builds[i]
		if b.Main != "./cmd/"+id {
			t.Errorf("build %s's main is %s, want ./cmd/%s", id, b.Main, id)
		}
		if _, err := os.Stat(filepath.Join("..", b.Main)); err != nil {
			t.Error(err)
		}
		flags := strings.Join(b.Ldflags, " ")
		for _, v := range []string{"version", "commit", "date"} {
			if !strings.Contains(flags, "-X github.com/shipgate/shipgate/internal/buildinfo."+v+"=") {
				t.Errorf("build %s does not set internal/buildinfo.%s: --version would not say the release", id, v)
			}
		}
	}
	dockerfile, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range gr.DockersV2 {
		if d.BuildArgs["BINARIES"] != "context" {
			t.Errorf("image %s must build with BINARIES=context (the release's binaries), has %v", d.ID, d.BuildArgs)
		}
		for _, f := range d.Flags {
			if target, ok := strings.CutPrefix(f, "--target="); ok && !bytes.Contains(dockerfile, []byte(" AS "+target+"\n")) {
				t.Errorf("image %s builds the target %s, which the Dockerfile has not", d.ID, target)
			}
		}
	}
	// The Kubernetes manifests run the published server image.
	i := slices.IndexFunc(gr.DockersV2, func(d goreleaserImage) bool { return slices.Equal(d.IDs, []string{"shipgate"}) })
	if i < 0 || len(gr.DockersV2[i].Images) != 1 {
		t.Fatal(".goreleaser.yaml has no dockers_v2 image of the shipgate build")
	}
	for _, f := range []string{"../deploy/kubernetes/deployment.yaml", "../deploy/kubernetes/migrate/job.yaml"} {
		data, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(data, []byte("image: "+gr.DockersV2[i].Images[0]+":")) {
			t.Errorf("%s does not run the published server image %s (%v)", f, gr.DockersV2[i].Images[0], err)
		}
	}
}

// pinnedRef is a release tag (v4, v4.1, v4.1.2) or a commit's full SHA.
var pinnedRef = regexp.MustCompile(`^(v\d+(\.\d+){0,2}|[0-9a-f]{40})$`)

// repoPath finds the repository's files that a run: script names.
var repoPath = regexp.MustCompile(`(?:^|[\s=])((?:\.{1,2}/)*(?:\.ci|\.github|cmd|scripts)/[\w./-]*\w)`)

// TestWorkflows: each workflow parses, names its jobs and steps, uses
// actions pinned to a release or a commit, and names files that exist;
// actionlint (its Go API) finds nothing.
func TestWorkflows(t *testing.T) {
	files, err := filepath.Glob("../.github/workflows/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows under .github/workflows: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			lint, err := lintWorkflow(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range append(checkWorkflow(path), lint...) {
				t.Error(err)
			}
		})
	}
	for _, want := range []struct{ file, text string }{
		{"ci.yml", "bash .ci/run"},
		{"release.yml", "uses: ./.github/workflows/ci.yml"},
		{"release.yml", "goreleaser release"},
	} {
		data, err := os.ReadFile("../.github/workflows/" + want.file)
		if err != nil || !bytes.Contains(data, []byte(want.text)) {
			t.Errorf("%s must contain %q (%v)", want.file, want.text, err)
		}
	}
	if _, err := os.Stat("../.goreleaser.yaml"); err != nil {
		t.Errorf("release.yml runs GoReleaser, which reads .goreleaser.yaml: %v", err)
	}
}

// checkWorkflow returns what is wrong with one workflow file.
func checkWorkflow(path string) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	data, err := os.ReadFile(path)
	if err != nil {
		return []error{err}
	}
	var wf workflowYAML
	if err := yaml.Unmarshal(data, &wf); err != nil {
		return []error{fmt.Errorf("%s does not parse: %w", path, err)}
	}
	if wf.Name == "" || wf.On.Kind == 0 || len(wf.Jobs) == 0 {
		fail("%s needs a name, on: and jobs", path)
	}
	for id, job := range wf.Jobs {
		if job.Name == "" {
			fail("job %s has no name", id)
		}
		if job.Uses != "" {
			errs = append(errs, checkUses(job.Uses)...)
		}
		for i, s := range job.Steps {
			if s.Name == "" {
				fail("job %s: step %d has no name", id, i+1)
			}
			if s.Uses != "" {
				errs = append(errs, checkUses(s.Uses)...)
			}
			for _, m := range repoPath.FindAllStringSubmatch(s.Run, -1) {
				if _, err := os.Stat(filepath.Join("..", m[1])); err != nil {
					fail("job %s, step %q runs %s, which does not exist", id, s.Name, m[1])
				}
			}
		}
	}
	return errs
}

// checkUses: a local action or workflow exists; any other is pinned.
func checkUses(uses string) []error {
	if local, ok := strings.CutPrefix(uses, "./"); ok {
		if _, err := os.Stat(filepath.Join("..", local)); err != nil {
			return []error{fmt.Errorf("uses: %s does not exist", uses)}
		}
		if local == "" {
			if _, err := os.Stat("../action.yml"); err != nil {
				return []error{fmt.Errorf("uses: ./ needs action.yml")}
			}
		}
		return nil
	}
	_, ref, ok := strings.Cut(uses, "@")
	if !ok || !pinnedRef.MatchString(ref) {
		return []error{fmt.Errorf("uses: %s is not pinned: name a release (@v4) or a commit's SHA", uses)}
	}
	return nil
}

// lintWorkflow runs actionlint on a workflow (no shellcheck: it is not
// installed everywhere the tests run) and returns what it finds.
func lintWorkflow(path string) ([]error, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	root, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{WorkingDir: root})
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	found, err := l.Lint(abs, data, nil)
	var errs []error
	for _, e := range found {
		errs = append(errs, fmt.Errorf("actionlint: %s:%d:%d: %s [%s]", filepath.Base(path), e.Line, e.Column, e.Message, e.Kind))
	}
	return errs, err
}

// TestWorkflowChecksRefuseMistakes: each check above fails on a workflow
// that breaks its rule.
func TestWorkflowChecksRefuseMistakes(t *testing.T) {
	for _, tt := range []struct{ old, new, want string }{
		{"uses: actions/checkout@v4", "uses: actions/checkout@main", "is not pinned"},
		{"uses: docker/login-action@v3", "uses: docker/login-action", "is not pinned"},
		{"      - name: Set up Go\n", "      - \n", "has no name"},
		{"    name: Release ${{ github.ref_name }}\n", "", "job release has no name"},
		{"bash .ci/run", "bash .ci/nothere", ".ci/nothere, which does not exist"},
		{"uses: ./\n", "uses: ./nothere\n", "./nothere does not exist"},
		{"    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    timeout-minutes: ten\n", "actionlint"},
		{"${{ github.ref_name }}", "${{ github.nothere }}", "actionlint"},
	} {
		t.Run(tt.new, func(t *testing.T) {
			var errs []error
			for _, name := range []string{"ci.yml", "release.yml"} {
				data, err := os.ReadFile("../.github/workflows/" + name)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(data), tt.old) {
					continue
				}
				broken := filepath.Join(t.TempDir(), name)
				if err := os.WriteFile(broken, []byte(strings.Replace(string(data), tt.old, tt.new, 1)), 0o644); err != nil {
					t.Fatal(err)
				}
				lint, err := lintWorkflow(broken)
				if err != nil {
					t.Fatal(err)
				}
				errs = append(append(errs, checkWorkflow(broken)...), lint...)
			}
			if err := errors.Join(errs...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("with %q for %q: %v, want an error about %s", tt.new, tt.old, err, tt.want)
			}
		})
	}
}
