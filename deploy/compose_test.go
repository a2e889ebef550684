package deploy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads dir/compose.yaml as `docker compose` would after the
// documented `cp .env.example .env`: compose-go validates it against the
// compose specification's JSON schema (embedded in the module, offline), so
// an unknown or misspelt key is an error, and interpolates it from .env,
// so a variable the file requires and .env.example lacks is one too.
func loadCompose(dir string) (*types.Project, error) {
	example, err := os.ReadFile(filepath.Join(dir, ".env.example"))
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "shipgate-compose")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	for name, data := range map[string][]byte{".env": example} {
		if err := os.WriteFile(filepath.Join(work, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{"compose.yaml", "nginx.conf"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(work, name), data, 0o644); err != nil {
			return nil, err
		}
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(work, "compose.yaml")},
		cli.WithWorkingDirectory(work), cli.WithEnvFiles(filepath.Join(work, ".env")), cli.WithDotEnv, cli.WithConsistency(true))
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

func checkCompose(p *types.Project, nginxConf string) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for name, s := range p.Services {
		if err := pinned(s.Image); err != nil && s.Build == nil {
			fail("service %s: %v", name, err)
		}
		if s.Build != nil && s.Build.Target != "server" {
			fail("service %s builds target %q, want the Dockerfile's server target", name, s.Build.Target)
		}
	}
	pg, ok := p.Services["postgres"]
	if !ok || pg.HealthCheck == nil || len(pg.Volumes) == 0 {
		fail("a postgres service with a healthcheck and a volume is needed")
	}
	migrate, ok := p.Services["migrate"]
	if !ok || !slices.Equal(migrate.Command, []string{"migrate"}) || migrate.Build == nil {
		fail("a migrate service that builds the server image and runs `shipgate migrate` is needed")
		return errs
	}
	if migrate.DependsOn["postgres"].Condition != types.ServiceConditionHealthy {
		fail("migrate must wait until postgres is healthy")
	}
	dbURL := value(migrate.Environment, "SHIPGATE_DATABASE_URL")
	if !strings.HasPrefix(dbURL, "postgres://") || !strings.Contains(dbURL, "@postgres:5432/") {
		fail("migrate's SHIPGATE_DATABASE_URL %q must be the postgres service", redact(dbURL))
	}
	var replicas []string
	for name, s := range p.Services {
		if slices.Equal(s.Command, []string{"serve"}) {
			replicas = append(replicas, name)
		}
	}
	slices.Sort(replicas)
	if len(replicas) < 2 {
		fail("want at least two replicas (services running serve), have %v", replicas)
	}
	for _, name := range replicas {
		s := p.Services[name]
		switch {
		case s.Image != migrate.Image:
			fail("%s runs %s, migrate %s: one image", name, s.Image, migrate.Image)
		case value(s.Environment, "SHIPGATE_DATABASE_URL") != dbURL:
			fail("%s must use the database migrate migrates", name)
		case value(s.Environment, "SHIPGATE_MIGRATE") != "off":
			fail("%s must set SHIPGATE_MIGRATE=off: migrate migrates, once", name)
		case s.DependsOn["postgres"].Condition != types.ServiceConditionHealthy ||
			s.DependsOn["migrate"].Condition != types.ServiceConditionCompletedSuccessfully:
			fail("%s must start after postgres is healthy and migrate completed successfully", name)
		case s.HealthCheck == nil || !slices.Contains(s.HealthCheck.Test, "health") || !slices.Contains(s.HealthCheck.Test, "http://127.0.0.1:8080/readyz"):
			fail("%s's healthcheck must run `shipgate health` against /readyz (the image has no shell or curl)", name)
		case !s.ReadOnly:
			fail("%s must have a read-only root filesystem", name)
		}
	}
	proxy, ok := p.Services["proxy"]
	if !ok || len(proxy.Ports) == 0 {
		fail("a proxy service that publishes a port is needed")
		return errs
	}
	mounted := slices.ContainsFunc(proxy.Volumes, func(v types.ServiceVolumeConfig) bool {
		return filepath.Base(v.Source) == "nginx.conf" && v.Target == "/etc/nginx/nginx.conf" && v.ReadOnly
	})
	if !mounted {
		fail("the proxy must mount nginx.conf read-only at /etc/nginx/nginx.conf")
	}
	return append(errs, checkNginx(nginxConf, replicas)...)
}

func value(m types.MappingWithEquals, key string) string {
	if v := m[key]; v != nil {
		return *v
	}
	return ""
}

var password = regexp.MustCompile(`://([^:@/]+):[^@]*@`)

func redact(url string) string { return password.ReplaceAllString(url, "://$1:***@") }

var (
	upstreamServer = regexp.MustCompile(`(?m)^\s*server\s+([a-z0-9-]+):8080\b([^;]*);`)
	nextUpstream   = regexp.MustCompile(`(?m)^\s*proxy_next_upstream\s+([^;]*);`)
	bodySize       = regexp.MustCompile(`(?m)^\s*client_max_body_size\s+(\d+)m;`)
)

// checkNginx: both replicas are upstream servers with passive health
// checks; a POST that reached a replica is never retried.
func checkNginx(conf string, replicas []string) []error {
	var errs []error
	var servers []string
	for _, m := range upstreamServer.FindAllStringSubmatch(conf, -1) {
		servers = append(servers, m[1])
		if !strings.Contains(m[2], "max_fails=") || !strings.Contains(m[2], "fail_timeout=") {
			errs = append(errs, fmt.Errorf("nginx.conf: server %s needs max_fails and fail_timeout (passive health checks)", m[1]))
		}
	}
	slices.Sort(servers)
	if !slices.Equal(servers, replicas) {
		errs = append(errs, fmt.Errorf("nginx.conf's upstream servers %v are not the replicas %v", servers, replicas))
	}
	m := nextUpstream.FindStringSubmatch(conf)
	switch {
	case m == nil:
		errs = append(errs, errors.New("nginx.conf: proxy_next_upstream must say which failures go to the other replica"))
	case strings.Contains(m[1], "non_idempotent"):
		errs = append(errs, errors.New("nginx.conf: proxy_next_upstream non_idempotent would send a webhook that reached a replica to another one"))
	case !strings.Contains(m[1], "error"):
		errs = append(errs, errors.New("nginx.conf: proxy_next_upstream must retry connection errors (error)"))
	}
	if m := bodySize.FindStringSubmatch(conf); m == nil || atoi(m[1]) < 25 {
		errs = append(errs, errors.New("nginx.conf: client_max_body_size must take a 25 MiB delivery"))
	}
	if !strings.Contains(conf, "proxy_pass http://shipgate;") {
		errs = append(errs, errors.New("nginx.conf: proxy_pass must send requests to the upstream shipgate"))
	}
	return errs
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func TestCompose(t *testing.T) {
	p, err := loadCompose("compose")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile("compose/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range checkCompose(p, string(conf)) {
		t.Error(err)
	}
}

// .env.example holds placeholders, never a secret, and every SHIPGATE_*
// name in it (commented out or not) is a documented setting.
func TestComposeEnvExample(t *testing.T) {
	f, err := os.Open("compose/.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	documented := documentedSettings(t)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "#"))
		name, val, ok := strings.Cut(line, "=")
		if !ok || strings.ContainsAny(name, " ") {
			continue
		}
		if strings.HasPrefix(name, "SHIPGATE_") && name != "SHIPGATE_PORT" && !documented[name] {
			t.Errorf(".env.example: %s is no setting the README documents (misspelt?)", name)
		}
		if strings.Contains(name, "SECRET") || strings.Contains(name, "TOKEN") || strings.Contains(name, "PASSWORD") {
			if !strings.Contains(val, "change-me") {
				t.Errorf(".env.example: %s must be a placeholder (change-me…), not a value", name)
			}
		}
	}
	ignore, err := os.ReadFile("compose/.gitignore")
	if err != nil || !strings.Contains(string(ignore), "/.env\n") {
		t.Errorf("compose/.gitignore must ignore .env, the real settings: %v", err)
	}
}

// The loader refuses a misspelt key (the JSON schema), and the checks a
// proxy that does not name a replica or retries POSTs.
func TestComposeValidatorRefusesMistakes(t *testing.T) {
	for _, tt := range []struct{ file, old, new, want string }{
		{"compose.yaml", "  depends_on:\n    postgres:", "  depend_on:\n    postgres:", "depend_on"},
		{"compose.yaml", "    healthcheck:\n      test: [\"CMD\", \"pg_isready\"", "    healthchek:\n      test: [\"CMD\", \"pg_isready\"", "healthchek"},
		{".env.example", "POSTGRES_PASSWORD=", "POSTGRES_PASSWROD=", "set POSTGRES_PASSWORD in .env"},
	} {
		t.Run(tt.new, func(t *testing.T) {
			dir := copyDir(t, "compose")
			edit(t, filepath.Join(dir, tt.file), tt.old, tt.new)
			if _, err := loadCompose(dir); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("loading with %q = %v, want an error about %s", tt.new, err, tt.want)
			}
		})
	}
	for _, tt := range []struct{ old, new, want string }{
		{"server shipgate-2:8080", "server shipgate-3:8080", "are not the replicas"},
		{"proxy_next_upstream error", "proxy_next_upstream error non_idempotent", "non_idempotent"},
		{"client_max_body_size 26m", "client_max_body_size 1m", "25 MiB"},
	} {
		t.Run(tt.new, func(t *testing.T) {
			dir := copyDir(t, "compose")
			edit(t, filepath.Join(dir, "nginx.conf"), tt.old, tt.new)
			p, err := loadCompose(dir)
			if err != nil {
				t.Fatal(err)
			}
			conf, _ := os.ReadFile(filepath.Join(dir, "nginx.conf"))
			if err := errors.Join(checkCompose(p, string(conf))...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("checking with %q = %v, want an error about %s", tt.new, err, tt.want)
			}
		})
	}
}
