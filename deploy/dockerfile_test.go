package deploy

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"gopkg.in/yaml.v3"
)

// stage is one FROM … AS name of a Dockerfile and its instructions.
type stage struct {
	name, base string
	nodes      []*parser.Node
}

// parseStages parses a Dockerfile with BuildKit's own parser (no Docker
// engine needed) and splits it into stages.
func parseStages(path string) ([]stage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		return nil, err
	}
	var stages []stage
	globals := map[string]string{} // the global ARGs' defaults, which FROM may use
	for _, n := range res.AST.Children {
		if strings.EqualFold(n.Value, "from") {
			args := append([]string{os.Expand(words(n)[0], func(k string) string { return globals[k] })}, words(n)[1:]...)
			s := stage{base: args[0]}
			if len(args) == 3 && strings.EqualFold(args[1], "as") {
				s.name = args[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			if name, def, ok := strings.Cut(strings.Join(words(n), ""), "="); ok && strings.EqualFold(n.Value, "arg") {
				globals[name] = def // a global ARG with a default
			}
			continue
		}
		stages[len(stages)-1].nodes = append(stages[len(stages)-1].nodes, n)
	}
	return stages, nil
}

// words returns an instruction's arguments.
func words(n *parser.Node) []string {
	var out []string
	for a := n.Next; a != nil; a = a.Next {
		out = append(out, a.Value)
	}
	return out
}

// instructions returns the stage's instructions named cmd (lower case).
func (s stage) instructions(cmd string) []*parser.Node {
	var out []*parser.Node
	for _, n := range s.nodes {
		if strings.EqualFold(n.Value, cmd) {
			out = append(out, n)
		}
	}
	return out
}

// last returns the arguments of the stage's last cmd instruction (the one
// that counts for USER, ENTRYPOINT and CMD), and whether it is JSON form.
func (s stage) last(cmd string) (args []string, json, ok bool) {
	ns := s.instructions(cmd)
	if len(ns) == 0 {
		return nil, false, false
	}
	n := ns[len(ns)-1]
	return words(n), n.Attributes["json"], true
}

func stageNamed(stages []stage, name string) (stage, int) {
	for i, s := range stages {
		if s.name == name {
			return s, i
		}
	}
	return stage{}, -1
}

// checkDockerfile: the Action's image is the last stage (action.yml builds
// the default target) and stays root with its own entry point; the server
// target is the full binary as a non-root user.
func checkDockerfile(stages []stage) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	server, si := stageNamed(stages, "server")
	if si < 0 {
		fail("no stage named server")
		return errs
	}
	if si == len(stages)-1 {
		fail("server is the last stage: the last one must stay the Action's image (action.yml builds the default target)")
	}
	action := stages[len(stages)-1]
	if ep, json, _ := action.last("entrypoint"); !json || !slices.Equal(ep, []string{"/usr/local/bin/shipgate-action"}) {
		fail("the last stage's ENTRYPOINT is %v, want the Action's [\"/usr/local/bin/shipgate-action\"]", ep)
	}
	if _, _, ok := action.last("user"); ok {
		fail("the Action's stage must not set USER: GitHub runs Docker actions as the image's user, which must be root")
	}
	if !strings.HasPrefix(server.base, "gcr.io/distroless/static") || !strings.HasSuffix(server.base, ":nonroot") {
		fail("the server's base is %s, want gcr.io/distroless/static…:nonroot", server.base)
	}
	if user, _, _ := server.last("user"); !slices.Equal(user, []string{"65532:65532"}) && !slices.Equal(user, []string{"65532"}) {
		fail("the server's USER is %v, want 65532 (distroless nonroot)", user)
	}
	if ep, json, _ := server.last("entrypoint"); !json || !slices.Equal(ep, []string{"/usr/local/bin/shipgate"}) {
		fail("the server's ENTRYPOINT is %v, want [\"/usr/local/bin/shipgate\"] in JSON form", ep)
	}
	if cmd, json, _ := server.last("cmd"); !json || !slices.Equal(cmd, []string{"serve"}) {
		fail("the server's CMD is %v, want [\"serve\"]", cmd)
	}
	if expose, _, _ := server.last("expose"); !slices.Equal(expose, []string{"8080"}) {
		fail("the server must EXPOSE 8080 (SHIPGATE_ADDR's default), has %v", expose)
	}
	if env, _, _ := server.last("env"); !slices.Contains(env, "SHIPGATE_DATABASE_URL") ||
		!strings.HasPrefix(env[slices.Index(env, "SHIPGATE_DATABASE_URL")+1], "/var/lib/shipgate/") {
		fail("the server must default SHIPGATE_DATABASE_URL to a file in /var/lib/shipgate, has ENV %v", env)
	}
	dataDir := slices.ContainsFunc(server.instructions("copy"), func(n *parser.Node) bool {
		args := words(n)
		return slices.Contains(n.Flags, "--chown=65532:65532") && args[len(args)-1] == "/var/lib/shipgate"
	})
	if !dataDir {
		fail("the server needs /var/lib/shipgate owned by 65532 (COPY --chown=65532:65532 … /var/lib/shipgate)")
	}
	errs = append(errs, checkServerBuild(stages, server)...)
	return errs
}

// checkServerBuild: the binary the server copies is the whole
// ./cmd/shipgate, static, in the default build (BINARIES=build; a release
// copies GoReleaser's binaries, built with the same flags). The stage it
// copies from may be an alias (FROM ${BINARIES}-server AS …) of the stage
// that builds it.
func checkServerBuild(stages []stage, server stage) []error {
	var from string
	for _, n := range server.instructions("copy") {
		if slices.Contains(words(n), "/usr/local/bin/shipgate") {
			for _, f := range n.Flags {
				from, _ = strings.CutPrefix(f, "--from=")
			}
		}
	}
	build, i := stageNamed(stages, from)
	if i < 0 {
		return []error{fmt.Errorf("the server copies /usr/local/bin/shipgate from %q, which is no stage", from)}
	}
	for alias, j := stageNamed(stages, build.base); len(build.nodes) == 0 && j >= 0; alias, j = stageNamed(stages, build.base) {
		build = alias
	}
	for _, n := range build.instructions("run") {
		run := strings.Join(words(n), " ")
		if strings.Contains(run, "CGO_ENABLED=0 go build") && strings.Contains(run, " ./cmd/shipgate") && !strings.Contains(run, "-tags") {
			return nil
		}
	}
	return []error{fmt.Errorf("stage %s must build the whole ./cmd/shipgate with CGO_ENABLED=0 and no build tags", build.name)}
}

func TestDockerfile(t *testing.T) {
	stages, err := parseStages("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range checkDockerfile(stages) {
		t.Error(err)
	}
	// The Dockerfile's default target is published as the Action's image
	// (.goreleaser.yaml), which action.yml runs by tag; actions/'s
	// TestReleaseNamesAgree holds the name and the tag to the release.
	var action struct {
		Runs struct{ Using, Image string }
	}
	data, err := os.ReadFile("../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &action); err != nil || action.Runs.Using != "docker" || !strings.HasPrefix(action.Runs.Image, "docker://") {
		t.Errorf("action.yml must run the published image of the Dockerfile's default target (runs: using docker, image docker://…): %+v %v", action.Runs, err)
	}
}

func TestDockerfileCheckRefusesMistakes(t *testing.T) {
	for _, tt := range []struct{ old, new, want string }{
		{"USER 65532:65532", "USER root", "USER is [root]"},
		{"CMD [\"serve\"]", "CMD serve", "CMD is [serve]"},
		{`ENTRYPOINT ["/usr/local/bin/shipgate-action"]`, `ENTRYPOINT ["/usr/local/bin/shipgate", "action"]`, "the last stage's ENTRYPOINT"},
		{`ENTRYPOINT ["/usr/local/bin/shipgate-action"]`, "USER 65532\nENTRYPOINT [\"/usr/local/bin/shipgate-action\"]", "must not set USER"},
		{"./cmd/shipgate \\", "-tags shipgate_action ./cmd/shipgate \\", "no build tags"},
	} {
		t.Run(tt.new, func(t *testing.T) {
			dir := t.TempDir()
			data, err := os.ReadFile("../Dockerfile")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), tt.old) {
				t.Fatalf("the Dockerfile has no %q", tt.old)
			}
			broken := dir + "/Dockerfile"
			os.WriteFile(broken, []byte(strings.Replace(string(data), tt.old, tt.new, 1)), 0o644)
			stages, err := parseStages(broken)
			if err != nil {
				t.Fatal(err)
			}
			if err := errors.Join(checkDockerfile(stages)...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("checking with %q = %v, want an error about %s", tt.new, err, tt.want)
			}
		})
	}
}
