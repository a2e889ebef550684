// Command genrepo builds a large synthetic git repository for release
// benchmarks: by default 100,000 commits with realistic conventional
// messages (features, fixes, chores, docs, the odd breaking change and
// non-conventional or merge message, scopes, PR numbers, bodies and
// footers) and 500 version tags whose versions follow the commits' bumps,
// followed by unreleased commits that need a minor release.
//
// It writes one `git fast-import` stream, so 100,000 commits take seconds,
// not the hours of 100,000 `git commit` calls. Output is deterministic for
// a given -seed.
//
//	go run ./scripts/genrepo -out /tmp/bigrepo
//	go run ./scripts/genrepo -out /tmp/small -commits 2000 -tags 20
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
)

func main() {
	out := flag.String("out", "", "directory of the new repository (must not exist)")
	commits := flag.Int("commits", 100_000, "number of commits")
	tags := flag.Int("tags", 500, "number of version tags")
	unreleased := flag.Int("unreleased", 150, "commits after the last tag")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := generate(*out, *commits, *tags, *unreleased, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "genrepo:", err)
		os.Exit(1)
	}
}

func generate(dir string, commits, tags, unreleased int, seed uint64) error {
	switch {
	case dir == "":
		return errors.New("-out is required")
	case tags < 1 || unreleased < 1 || commits < tags+unreleased:
		return fmt.Errorf("need -tags ≥ 1, -unreleased ≥ 1 and -commits ≥ tags+unreleased (got %d, %d, %d)", tags, unreleased, commits)
	}
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%s exists: remove it or choose another -out", dir)
	}
	if err := git("", "init", "-q", "-b", "main", dir); err != nil {
		return err
	}
	cmd := exec.Command("git", "fast-import", "--quiet", "--done")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting git fast-import: %w", err)
	}
	w := bufio.NewWriterSize(stdin, 1<<20)
	g := &generator{w: w, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), version: [3]int{1, 0, 0}}
	writeErr := g.history(commits, tags, unreleased)
	if writeErr == nil {
		writeErr = w.Flush()
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git fast-import: %w", err)
	}
	if writeErr != nil {
		return fmt.Errorf("writing the fast-import stream: %w", writeErr)
	}
	if err := git(dir, "reset", "-q", "--hard", "main"); err != nil {
		return err
	}
	fmt.Printf("%s: %d commits, %d tags (last %s), %d unreleased commits\n", dir, commits, tags, g.tag(), commits-g.lastTagAt)
	return nil
}

// generator writes the fast-import stream and tracks the version so that
// tags follow the bumps of the commits before them.
type generator struct {
	w       io.Writer
	rng     *rand.Rand
	mark    int
	pr      int
	version [3]int
	// bump since the last tag: 0 none, 1 patch, 2 minor, 3 major.
	bump int
	// lastTagAt is the number of the last tagged commit.
	lastTagAt int
}

func (g *generator) tag() string {
	return fmt.Sprintf("v%d.%d.%d", g.version[0], g.version[1], g.version[2])
}

// history writes the commits, a tag every released/tags commits, then the
// unreleased tail, which starts with a feature so that it needs a minor.
func (g *generator) history(commits, tags, unreleased int) error {
	released := commits - unreleased
	every := released / tags
	tagged := 0
	for i := 1; i <= commits; i++ {
		msg, bump := g.message()
		if i == released+1 {
			msg, bump = fmt.Sprintf("feat(cli): add the --since flag (#%d)", g.nextPR()), 2
		}
		if err := g.commit(i, msg); err != nil {
			return err
		}
		g.bump = max(g.bump, bump)
		if i <= released && i%every == 0 && tagged < tags {
			if tagged > 0 {
				g.apply()
			} else {
				g.bump = 0 // the first tag is v1.0.0 whatever came before
			}
			tagged++
			g.lastTagAt = i
			if _, err := fmt.Fprintf(g.w, "reset refs/tags/%s\nfrom :%d\n\n", g.tag(), g.mark); err != nil {
				return err
			}
		}
	}
	_, err := io.WriteString(g.w, "done\n")
	return err
}

// apply bumps the version by what the commits since the last tag need; a
// tag always moves at least a patch.
func (g *generator) apply() {
	switch max(g.bump, 1) {
	case 3:
		g.version = [3]int{g.version[0] + 1, 0, 0}
	case 2:
		g.version = [3]int{g.version[0], g.version[1] + 1, 0}
	default:
		g.version[2]++
	}
	g.bump = 0
}

func (g *generator) commit(i int, msg string) error {
	g.mark++
	a := authors[g.rng.IntN(len(authors))]
	when := 1_600_000_000 + int64(i)*300
	file := fmt.Sprintf("src/%s/file%d.go", scopes[i%len(scopes)], i%40)
	content := fmt.Sprintf("package %s\n\n// revision %d\n", scopes[i%len(scopes)], i)
	_, err := fmt.Fprintf(g.w, "commit refs/heads/main\nmark :%d\nauthor %s %d +0000\ncommitter %s %d +0000\ndata %d\n%s\nM 100644 inline %s\ndata %d\n%s\n",
		g.mark, a, when, a, when, len(msg), msg, file, len(content), content)
	return err
}

func (g *generator) nextPR() int {
	g.pr++
	return g.pr
}

// message returns a commit message and its bump (0 none … 3 major).
func (g *generator) message() (string, int) {
	scope := scopes[g.rng.IntN(len(scopes))]
	subject := subjects[g.rng.IntN(len(subjects))]
	pr := g.nextPR()
	switch r := g.rng.IntN(10_000); {
	case r < 5: // 0.05 %: breaking changes
		return fmt.Sprintf("feat(%s)!: %s (#%d)\n\nBREAKING CHANGE: the %s configuration moved to a new key.\n\nRefs: #%d", scope, subject, pr, scope, pr-1), 3
	case r < 2_500:
		return fmt.Sprintf("feat(%s): %s (#%d)", scope, subject, pr), 2
	case r < 5_500:
		if r%3 == 0 {
			return fmt.Sprintf("fix(%s): %s (#%d)\n\nThe previous code did not check the input.\nThis adds the check and a test.\n\nSigned-off-by: Dev <dev@example.com>\nRefs: #%d", scope, subject, pr, pr-3), 1
		}
		return fmt.Sprintf("fix(%s): %s (#%d)", scope, subject, pr), 1
	case r < 7_000:
		return fmt.Sprintf("chore(deps): bump %s from 1.%d.0 to 1.%d.0 (#%d)", deps[g.rng.IntN(len(deps))], r%30, r%30+1, pr), 0
	case r < 7_800:
		return fmt.Sprintf("docs: %s (#%d)", subject, pr), 0
	case r < 8_500:
		return fmt.Sprintf("refactor(%s): %s", scope, subject), 0
	case r < 8_800:
		return fmt.Sprintf("perf(%s): %s (#%d)", scope, subject, pr), 1
	case r < 9_300:
		return fmt.Sprintf("test(%s): cover %s", scope, subject), 0
	case r < 9_600:
		return fmt.Sprintf("ci: %s", subject), 0
	case r < 9_800:
		return fmt.Sprintf("Update %s.md", strings.ToUpper(scope)), 0
	default:
		return fmt.Sprintf("Merge pull request #%d from acme/%s-work\n\nchore(%s): %s", pr, scope, scope, subject), 0
	}
}

var (
	authors = []string{
		"Alice Ng <1001+alice@users.noreply.github.com>", "Bob Builder <bob@example.com>",
		"Carol Diaz <carol@example.org>", "Dan Wu <1004+danwu@users.noreply.github.com>",
		"Eve Martin <eve@example.com>", "Frank Ode <frank@example.net>",
		"Grace Kim <1007+gkim@users.noreply.github.com>", "Heidi Berg <heidi@example.com>",
		"dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>",
	}
	scopes   = []string{"api", "cli", "store", "ui", "auth", "deploy", "config", "notify", "parser", "webhooks"}
	subjects = []string{
		"handle empty configuration files", "add pagination to list endpoints", "retry on rate limits",
		"cache compiled policies", "support GitLab subgroups", "validate tag names strictly",
		"explain the freeze windows", "reduce allocations in the evaluator", "drop the legacy flag",
		"show the previous version in summaries", "fix a race in the worker pool", "sort reviews by time",
	}
	deps = []string{"golang.org/x/net", "github.com/spf13/cobra", "gopkg.in/yaml.v3", "github.com/rs/zerolog"}
)

func git(dir string, args ...string) error {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}
