package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipgate/shipgate/githistory"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/presets"
)

// policyInitOptions are the flags of `shipgate policy init`.
type policyInitOptions struct {
	preset, repo, output string
	force                bool
}

// newPolicyInitCmd is `shipgate policy init`.
func newPolicyInitCmd() *cobra.Command {
	var o policyInitOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a starter .shipgate.yml from a preset",
		Long: `Write a short, commented .shipgate.yml from a preset, fitted to the
repository in --repo:
  minimal    approvals, semver and release notes
  regulated  change records with sections, two approvals (with code owners
             when the repository has a CODEOWNERS file), a weekend freeze
             with an override, and version tags with releases
  deploy     minimal, tags, and deployments to staging and, after an
             approval, production

It reads the default branch (origin/HEAD, else main or master, else the
branch checked out), the CODEOWNERS file (.github/, the root or docs/) and
the pull request template: a "## Release note" heading is where authors
write the note, and change-control headings ("## Change record",
"## Testing", "## Rollback"…) become the sections a change record needs.
The file is validated before it is written; an existing file is kept
unless --force.`,
		Example: `  shipgate policy init
  shipgate policy init --preset regulated
  shipgate policy init --preset deploy --repo ../widgets --output ../widgets/.shipgate.yml --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPolicyInit(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.preset, "preset", "minimal", "the preset: "+strings.Join(presets.Names(), ", "))
	f.StringVar(&o.repo, "repo", ".", "the git repository to fit the policy to")
	f.StringVar(&o.output, "output", "", "the `FILE` to write (default: .shipgate.yml at the root of --repo)")
	f.BoolVar(&o.force, "force", false, "overwrite an existing file")
	return cmd
}

// runPolicyInit detects the repository's facts, renders the preset,
// validates it and writes it.
func runPolicyInit(ctx context.Context, out io.Writer, o policyInitOptions) error {
	repo, err := githistory.Open(ctx, o.repo)
	if err != nil {
		return usageError(fmt.Errorf("%w; run 'shipgate policy init' in a git repository or pass --repo DIR", err))
	}
	root, err := repo.TopLevel(ctx)
	if err != nil {
		return usageError(err)
	}
	facts, err := detectFacts(ctx, repo, root)
	if err != nil {
		return err
	}
	data, err := presets.Render(o.preset, facts)
	if err != nil {
		return usageError(err)
	}
	file := o.output
	if file == "" {
		file = filepath.Join(root, ".shipgate.yml")
	}
	if _, err := policies.Load(file, data); err != nil {
		return fmt.Errorf("the %s preset does not validate for this repository (a bug in Shipgate; please report it): %w", o.preset, err)
	}
	if err := writeNew(file, data, o.force); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s (preset %s): gates %s", file, o.preset, facts.DefaultBranch)
	if facts.CodeOwners != "" {
		fmt.Fprintf(out, ", code owners from %s", facts.CodeOwners)
	}
	if facts.PRTemplate != "" {
		fmt.Fprintf(out, ", sections from %s", facts.PRTemplate)
	}
	fmt.Fprintf(out, "\ncheck it with: shipgate policy validate %s\n", file)
	return nil
}

// writeNew writes data to file, refusing to replace an existing file
// unless force.
func writeNew(file string, data []byte, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(file, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return usageError(fmt.Errorf("%s exists; keep it, or replace it with --force (check a change with 'shipgate policy validate %s')", file, file))
	}
	if err != nil {
		return usageError(fmt.Errorf("writing %s: %w", file, err))
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return f.Close()
}

// detectFacts reads what the presets adapt to from the repository at root.
func detectFacts(ctx context.Context, repo *githistory.Repo, root string) (presets.Facts, error) {
	var facts presets.Facts
	branch, err := repo.DefaultBranch(ctx)
	if err == nil && branch == "" {
		branch, err = repo.CurrentBranch(ctx)
	}
	if err != nil {
		return facts, err
	}
	facts.DefaultBranch = branch
	origin, err := repo.OriginURL(ctx)
	if err != nil {
		return facts, err
	}
	facts.Owner = ownerOf(origin)
	facts.CodeOwners, _, err = firstFile(root, codeOwnersPaths)
	if err != nil {
		return facts, err
	}
	path, body, err := firstFile(root, prTemplatePaths(root))
	if err != nil {
		return facts, err
	}
	facts.PRTemplate = path
	facts.ReleaseNoteSection, facts.ChangeSections = templateSections(string(body))
	return facts, nil
}

// codeOwnersPaths are where GitHub and GitLab look for CODEOWNERS, in
// their order.
var codeOwnersPaths = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// prTemplatePaths are where GitHub looks for a pull request template (and
// GitLab's default merge request template), then the first file of a
// .github/PULL_REQUEST_TEMPLATE directory.
func prTemplatePaths(root string) []string {
	var paths []string
	for _, dir := range []string{".github", "", "docs"} {
		for _, name := range []string{"pull_request_template.md", "PULL_REQUEST_TEMPLATE.md"} {
			paths = append(paths, filepath.ToSlash(filepath.Join(dir, name)))
		}
	}
	paths = append(paths, ".gitlab/merge_request_templates/Default.md")
	if many, _ := filepath.Glob(filepath.Join(root, ".github", "PULL_REQUEST_TEMPLATE", "*.md")); len(many) > 0 {
		rel, _ := filepath.Rel(root, many[0])
		paths = append(paths, filepath.ToSlash(rel))
	}
	return paths
}

// firstFile returns the first of paths (relative to root) that is a
// regular file, with its content; "" when none is.
func firstFile(root string, paths []string) (string, []byte, error) {
	for _, p := range paths {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		switch {
		case err == nil:
			return p, data, nil
		case errors.Is(err, fs.ErrNotExist), isDirErr(err):
			continue
		default:
			return "", nil, fmt.Errorf("reading %s: %w", p, err)
		}
	}
	return "", nil, nil
}

// isDirErr reports a read of a directory.
func isDirErr(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "is a directory")
}

var (
	// atxHeading is a Markdown heading line: "## Testing", "### Rollback:".
	atxHeading = regexp.MustCompile(`^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$`)
	// releaseNoteHeading names the section that holds the release note.
	releaseNoteHeading = regexp.MustCompile(`(?i)^release[ -]?notes?$`)
	// changeHeading names a change-control section.
	changeHeading = regexp.MustCompile(`(?i)\b(change record|change request|ticket|reason|motivation|why|impact|risks?|testing|tests?|test plan|verification|how to test|rollback|roll back|back ?out)\b`)
	// ownerOfURL is the owner in an https or scp-style remote URL.
	ownerOfURL = regexp.MustCompile(`^(?:[a-z+]+://[^/]+/|[^@/]+@[^:/]+:)([^/]+)/`)
)

// templateSections returns a PR template's release-note heading and its
// change-control headings, outside fenced code blocks.
func templateSections(body string) (releaseNote string, change []string) {
	fenced := false
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fenced = !fenced
			continue
		}
		m := atxHeading.FindStringSubmatch(line)
		if fenced || m == nil {
			continue
		}
		heading := strings.TrimSpace(strings.TrimRight(m[1], ":"))
		switch {
		case releaseNoteHeading.MatchString(heading):
			if releaseNote == "" {
				releaseNote = heading
			}
		case changeHeading.MatchString(heading):
			change = append(change, heading)
		}
	}
	return releaseNote, change
}

// ownerOf returns the owner in a remote URL such as
// https://github.com/acme/widgets.git or git@github.com:acme/widgets; ""
// when it has none.
func ownerOf(url string) string {
	if m := ownerOfURL.FindStringSubmatch(url); m != nil {
		return m[1]
	}
	return ""
}
