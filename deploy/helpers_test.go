// Package deploy holds the deployment files of Shipgate's server — the
// compose file (compose/), the Kubernetes manifests (kubernetes/), the
// GitHub App and Slack app manifests — and the tests that validate them,
// with the Dockerfile's targets, offline: strict decoding into the
// Kubernetes API types, the compose loader and its JSON schema, BuildKit's
// Dockerfile parser, and the manifests against the server's events and
// calls. Only these tests import those modules; no shipped binary links
// them.
package deploy

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// serverShutdown is how long `shipgate serve` may take to stop after
// SIGTERM: bot.Server's ShutdownTimeout (10 s) for open requests and
// bot.Workers' Grace (20 s) for running jobs. A platform must wait longer
// before it kills the process.
const serverShutdown = 10*time.Second + 20*time.Second

// pinned reports why an image reference is not pinned to a release: it
// needs a tag other than latest, or a digest.
func pinned(image string) error {
	if strings.Contains(image, "@sha256:") {
		return nil
	}
	name := image[strings.LastIndex(image, "/")+1:]
	_, tag, ok := strings.Cut(name, ":")
	switch {
	case !ok || tag == "":
		return fmt.Errorf("image %q has no tag: pin a release (name:1.2.3) or a digest", image)
	case tag == "latest":
		return fmt.Errorf("image %q is :latest: pin a release (name:1.2.3) or a digest", image)
	}
	return nil
}

func TestPinned(t *testing.T) {
	for image, ok := range map[string]bool{
		"postgres:16-alpine": true, "registry.example.com:5000/shipgate/shipgate-server:1.0.0": true,
		"nginx@sha256:0123": true, "nginx": false, "nginx:latest": false, "registry.example.com:5000/shipgate": false,
	} {
		if err := pinned(image); (err == nil) != ok {
			t.Errorf("pinned(%q) = %v, want ok=%v", image, err, ok)
		}
	}
}

// copyDir copies the files under src to a new temporary directory, for a
// test that breaks a copy.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// edit replaces old (which must be there) with new in the file at path.
func edit(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q to replace", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

var settingName = regexp.MustCompile("`(SHIPGATE_[A-Z0-9_]+)`")

// documentedSettings returns the SHIPGATE_* variables the README names in
// code spans: those a deployment file may set. A misspelt name is ignored
// by the server, silently; here it fails.
func documentedSettings(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range settingName.FindAllStringSubmatch(string(b), -1) {
		names[m[1]] = true
	}
	return names
}
