package deploy

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/shipgate/shipgate/bot"
)

// cluster is every file of deploy/kubernetes, each decoded strictly into
// its API type: a field the type does not have (a typo, a field at the
// wrong level) is an error.
type cluster struct {
	deployment *appsv1.Deployment
	service    *corev1.Service
	pdb        *policyv1.PodDisruptionBudget
	configMap  *corev1.ConfigMap
	secret     *corev1.Secret // the example Secret: its keys, not its values
	job        *batchv1.Job
	// kustomizations by the directory they are in, relative to the root;
	// manifests are the other files, relative to the root.
	kustomizations map[string]kustomization
	manifests      []string
}

// kustomization is the part of kustomize's Kustomization these files use;
// anything else in one is refused, so that a field kustomize would read is
// not silently ignored here.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
}

const exampleSecret = "secret.example.yaml"

// loadCluster reads and strictly decodes every YAML file under root.
func loadCluster(root string) (*cluster, error) {
	c := &cluster{kustomizations: map[string]kustomization{}}
	var errs []error
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if err := c.decode(path, rel); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rel, err))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for name, missing := range map[string]bool{
		"Deployment": c.deployment == nil, "Service": c.service == nil, "PodDisruptionBudget": c.pdb == nil,
		"ConfigMap": c.configMap == nil, "Secret (" + exampleSecret + ")": c.secret == nil, "Job": c.job == nil,
	} {
		if missing {
			errs = append(errs, fmt.Errorf("no %s in %s", name, root))
		}
	}
	return c, errors.Join(errs...)
}

func (c *cluster) decode(path, rel string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if strings.Contains(string(data), "\n---") {
		return errors.New("one object per file, please: the tests decode each file as one")
	}
	var meta metav1.TypeMeta
	if err := yaml.Unmarshal(data, &meta); err != nil {
		return err
	}
	var obj any
	switch meta.APIVersion + " " + meta.Kind {
	case "apps/v1 Deployment":
		c.deployment = &appsv1.Deployment{}
		obj = c.deployment
	case "v1 Service":
		c.service = &corev1.Service{}
		obj = c.service
	case "policy/v1 PodDisruptionBudget":
		c.pdb = &policyv1.PodDisruptionBudget{}
		obj = c.pdb
	case "v1 ConfigMap":
		c.configMap = &corev1.ConfigMap{}
		obj = c.configMap
	case "v1 Secret":
		if filepath.Base(rel) != exampleSecret {
			return fmt.Errorf("a Secret must only be the example %s: real secrets stay out of git", exampleSecret)
		}
		c.secret = &corev1.Secret{}
		obj = c.secret
	case "batch/v1 Job":
		c.job = &batchv1.Job{}
		obj = c.job
	case "kustomize.config.k8s.io/v1beta1 Kustomization":
		var k kustomization
		if err := decodeStrict(data, &k); err != nil {
			return err
		}
		c.kustomizations[filepath.Dir(rel)] = k
		return nil
	default:
		return fmt.Errorf("unexpected apiVersion %q kind %q", meta.APIVersion, meta.Kind)
	}
	c.manifests = append(c.manifests, rel)
	return decodeStrict(data, obj)
}

// decodeStrict decodes YAML as the API server's strict field validation
// does: field names are case-sensitive (encoding/json's are not, so
// restartpolicy would pass), and an unknown or duplicate field is an error
// that names its path.
func decodeStrict(data []byte, obj any) error {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// check returns what is wrong with the cluster's wiring.
func (c *cluster) check() []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	d := c.deployment
	pod := d.Spec.Template
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		fail("the Deployment must run 3 replicas")
	}
	if s := d.Spec.Strategy; s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil ||
		s.RollingUpdate.MaxUnavailable.String() != "0" || s.RollingUpdate.MaxSurge.String() != "1" {
		fail("the Deployment must roll one replica at a time: RollingUpdate with maxUnavailable 0 and maxSurge 1")
	}
	if g := pod.Spec.TerminationGracePeriodSeconds; g == nil || *g <= int64(serverShutdown.Seconds()) {
		fail("terminationGracePeriodSeconds must exceed the server's shutdown (%s)", serverShutdown)
	}
	for what, sel := range map[string]map[string]string{
		"the Deployment's selector": d.Spec.Selector.MatchLabels,
		"the Service's selector":    c.service.Spec.Selector,
		"the PDB's selector":        c.pdb.Spec.Selector.MatchLabels,
	} {
		if len(sel) == 0 || !selects(sel, pod.Labels) {
			fail("%s %v does not select the Deployment's pods %v", what, sel, pod.Labels)
		}
	}
	if c.pdb.Spec.MaxUnavailable == nil || c.pdb.Spec.MaxUnavailable.String() != "1" {
		fail("the PodDisruptionBudget must allow maxUnavailable 1")
	}
	if len(pod.Spec.Containers) != 1 {
		fail("the Deployment must have one container")
		return errs
	}
	ct := pod.Spec.Containers[0]
	errs = append(errs, c.checkPorts(ct)...)
	errs = append(errs, checkProbes(ct)...)
	if env(ct, "SHIPGATE_MIGRATE") != "off" {
		fail("the Deployment must set SHIPGATE_MIGRATE=off: the Job migrates, once")
	}
	job := c.job.Spec.Template.Spec
	if len(job.Containers) != 1 || !slices.Equal(append(job.Containers[0].Command, job.Containers[0].Args...), []string{"migrate"}) {
		fail("the Job must run `shipgate migrate` (args: [migrate])")
	} else if job.Containers[0].Image != ct.Image {
		fail("the Job's image %s is not the Deployment's %s: migrate with the release that will run", job.Containers[0].Image, ct.Image)
	}
	if job.RestartPolicy != corev1.RestartPolicyNever && job.RestartPolicy != corev1.RestartPolicyOnFailure {
		fail("the Job's restartPolicy must be Never or OnFailure")
	}
	for _, spec := range []corev1.PodSpec{pod.Spec, job} {
		errs = append(errs, checkContainers(spec)...)
	}
	errs = append(errs, c.checkSecretRefs()...)
	errs = append(errs, c.checkKustomizations()...)
	return errs
}

func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func env(ct corev1.Container, name string) string {
	for _, e := range ct.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// checkPorts: the Service reaches the container's port, which is the one
// the server image listens on.
func (c *cluster) checkPorts(ct corev1.Container) []error {
	var errs []error
	if len(ct.Ports) != 1 || ct.Ports[0].ContainerPort != 8080 {
		errs = append(errs, errors.New("the container must expose the server's port 8080 (SHIPGATE_ADDR's default, the image's EXPOSE)"))
		return errs
	}
	for _, p := range c.service.Spec.Ports {
		if p.TargetPort.String() != ct.Ports[0].Name && p.TargetPort.IntValue() != int(ct.Ports[0].ContainerPort) {
			errs = append(errs, fmt.Errorf("the Service's targetPort %s is not the container's port", p.TargetPort.String()))
		}
	}
	return errs
}

// checkProbes: readiness on /readyz, liveness and startup on /healthz, at
// the container's port, and the paths are the ones bot.Server serves.
func checkProbes(ct corev1.Container) []error {
	var errs []error
	served := (&bot.Server{}).Handler()
	for name, p := range map[string]struct {
		probe *corev1.Probe
		path  string
	}{
		"readinessProbe": {ct.ReadinessProbe, "/readyz"},
		"livenessProbe":  {ct.LivenessProbe, "/healthz"},
		"startupProbe":   {ct.StartupProbe, "/healthz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			errs = append(errs, fmt.Errorf("%s must GET %s", name, p.path))
			continue
		}
		g := p.probe.HTTPGet
		if g.Path != p.path {
			errs = append(errs, fmt.Errorf("%s GETs %s, want %s", name, g.Path, p.path))
		}
		if g.Port.String() != ct.Ports[0].Name && g.Port.IntValue() != int(ct.Ports[0].ContainerPort) {
			errs = append(errs, fmt.Errorf("%s's port %s is not the container's", name, g.Port.String()))
		}
		rec := httptest.NewRecorder()
		served.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, g.Path, nil))
		if rec.Code != http.StatusOK {
			errs = append(errs, fmt.Errorf("%s: the server answers GET %s with %d", name, g.Path, rec.Code))
		}
	}
	return errs
}

// checkContainers: pinned images, non-root, read-only, no capabilities,
// bounded memory.
func checkContainers(spec corev1.PodSpec) []error {
	var errs []error
	if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		errs = append(errs, errors.New("every pod must set securityContext.runAsNonRoot"))
	}
	for _, ct := range spec.Containers {
		if err := pinned(ct.Image); err != nil {
			errs = append(errs, fmt.Errorf("container %s: %w", ct.Name, err))
		}
		sc := ct.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
			errs = append(errs, fmt.Errorf("container %s: securityContext must set readOnlyRootFilesystem, allowPrivilegeEscalation: false and drop ALL capabilities", ct.Name))
		}
		if ct.Resources.Requests.Memory().IsZero() || ct.Resources.Limits.Memory().IsZero() || ct.Resources.Requests.Cpu().IsZero() {
			errs = append(errs, fmt.Errorf("container %s: set CPU and memory requests and a memory limit", ct.Name))
		}
	}
	return errs
}

// checkSecretRefs: every key the Deployment and the Job read from a Secret
// is in the example Secret, and every key of the example is read.
func (c *cluster) checkSecretRefs() []error {
	var errs []error
	keys := map[string]bool{}
	for k := range c.secret.StringData {
		keys[k] = false
	}
	for k := range c.secret.Data {
		keys[k] = false
	}
	use := func(where, secret, key string) {
		switch {
		case secret != c.secret.Name:
			errs = append(errs, fmt.Errorf("%s reads the Secret %q, but the example Secret is %q", where, secret, c.secret.Name))
		case !keysHas(keys, key):
			errs = append(errs, fmt.Errorf("%s reads the key %q, which the example Secret does not have", where, key))
		default:
			keys[key] = true
		}
	}
	for _, spec := range []corev1.PodSpec{c.deployment.Spec.Template.Spec, c.job.Spec.Template.Spec} {
		for _, ct := range spec.Containers {
			for _, e := range ct.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					use("env "+e.Name, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
				}
			}
			for _, from := range ct.EnvFrom {
				if from.ConfigMapRef != nil && from.ConfigMapRef.Name != c.configMap.Name {
					errs = append(errs, fmt.Errorf("container %s reads the ConfigMap %q, but it is %q", ct.Name, from.ConfigMapRef.Name, c.configMap.Name))
				}
			}
		}
		for _, v := range spec.Volumes {
			if v.Secret == nil {
				continue
			}
			for _, item := range v.Secret.Items {
				use("volume "+v.Name, v.Secret.SecretName, item.Key)
			}
		}
	}
	for k, used := range keys {
		if !used {
			errs = append(errs, fmt.Errorf("the example Secret's key %q is read by nothing", k))
		}
	}
	return errs
}

func keysHas(keys map[string]bool, k string) bool {
	_, ok := keys[k]
	return ok
}

// checkKustomizations: every manifest but the example Secret is listed by
// exactly one kustomization, and every listed file exists.
func (c *cluster) checkKustomizations() []error {
	var errs []error
	listed := map[string]int{}
	for dir, k := range c.kustomizations {
		for _, r := range k.Resources {
			listed[filepath.Join(dir, r)]++
		}
	}
	for _, m := range c.manifests {
		want := 1
		if filepath.Base(m) == exampleSecret {
			want = 0
		}
		if listed[m] != want {
			errs = append(errs, fmt.Errorf("%s is listed by %d kustomizations, want %d", m, listed[m], want))
		}
		delete(listed, m)
	}
	for r := range listed {
		errs = append(errs, fmt.Errorf("a kustomization lists %s, which is not a manifest here", r))
	}
	return errs
}

func TestKubernetesManifests(t *testing.T) {
	c, err := loadCluster("kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range c.check() {
		t.Error(err)
	}
	documented := documentedSettings(t)
	names := slices.Collect(func(yield func(string) bool) {
		for k := range c.configMap.Data {
			yield(k)
		}
		for _, spec := range []corev1.PodSpec{c.deployment.Spec.Template.Spec, c.job.Spec.Template.Spec} {
			for _, ct := range spec.Containers {
				for _, e := range ct.Env {
					yield(e.Name)
				}
			}
		}
	})
	for _, n := range names {
		if !documented[n] {
			t.Errorf("%s is set but is no setting the README documents (misspelt?)", n)
		}
	}
}

// The validator fails on a misspelt field, at any depth, and on a
// selector that misses the pods.
func TestKubernetesValidatorRefusesMistakes(t *testing.T) {
	for _, tt := range []struct{ file, old, new, want string }{
		{"deployment.yaml", "readinessProbe:", "readynessProbe:", `unknown field "spec.template.spec.containers[0].readynessProbe"`},
		{"deployment.yaml", "  replicas: 3", "  replica: 3", `unknown field "spec.replica"`},
		{"pdb.yaml", "maxUnavailable: 1", "maxUnavailible: 1", `unknown field "spec.maxUnavailible"`},
		{"migrate/job.yaml", "restartPolicy: Never", "restartpolicy: Never", `unknown field "spec.template.spec.restartpolicy"`},
		{"kustomization.yaml", "resources:", "resource:", `unknown field "resource"`},
	} {
		t.Run(tt.file+" "+tt.new, func(t *testing.T) {
			dir := copyDir(t, "kubernetes")
			edit(t, filepath.Join(dir, tt.file), tt.old, tt.new)
			_, err := loadCluster(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("loading with %q = %v, want an error with %s", tt.new, err, tt.want)
			}
		})
	}
	for _, tt := range []struct{ file, old, new, want string }{
		{"pdb.yaml", "app.kubernetes.io/component: server", "app.kubernetes.io/component: web", "the PDB's selector"},
		{"deployment.yaml", "key: github-webhook-secret", "key: github-webhook-secert", `"github-webhook-secert", which the example Secret does not have`},
		{"deployment.yaml", "path: /readyz", "path: /ready", "readinessProbe GETs /ready"},
		{"migrate/job.yaml", "shipgate-server:1.0.0", "shipgate-server:latest", ":latest"},
	} {
		t.Run(tt.file+" "+tt.new, func(t *testing.T) {
			dir := copyDir(t, "kubernetes")
			edit(t, filepath.Join(dir, tt.file), tt.old, tt.new)
			c, err := loadCluster(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := errors.Join(c.check()...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("checking with %q = %v, want an error with %s", tt.new, err, tt.want)
			}
		})
	}
}
