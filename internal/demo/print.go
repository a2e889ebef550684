package demo

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
)

// printer prints the demo's story: colour on a terminal (unless NO_COLOR
// is set), plain text otherwise.
type printer struct {
	w     io.Writer
	color bool
}

// isTerminal says whether f is a terminal (not a pipe, a file or
// /dev/null).
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && (isatty.IsTerminal(file.Fd()) || isatty.IsCygwinTerminal(file.Fd()))
}

func newPrinter(w io.Writer, getenv func(string) string) printer {
	return printer{w: w, color: isTerminal(w) && getenv("NO_COLOR") == ""}
}

const (
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
	ansiReset = "\x1b[0m"
)

func (o printer) paint(code, s string) string {
	if !o.color {
		return s
	}
	return code + s + ansiReset
}

// act prints an act's heading.
func (o printer) act(n int, title string) {
	fmt.Fprintf(o.w, "\n%s\n", o.paint(ansiBold+ansiCyan, fmt.Sprintf("── Act %d · %s", n, title)))
}

// say prints a line of the story.
func (o printer) say(format string, args ...any) {
	fmt.Fprintf(o.w, "  %s\n", fmt.Sprintf(format, args...))
}

// ok and bad print an outcome.
func (o printer) ok(format string, args ...any) {
	fmt.Fprintf(o.w, "  %s %s\n", o.paint(ansiGreen, "✓"), fmt.Sprintf(format, args...))
}

func (o printer) bad(format string, args ...any) {
	fmt.Fprintf(o.w, "  %s %s\n", o.paint(ansiRed, "✗"), fmt.Sprintf(format, args...))
}

// show prints what a person would see somewhere (a check run, a comment,
// a Slack message): a label, then the text indented, at most maxLines.
func (o printer) show(label, text string) {
	const maxLines = 14
	fmt.Fprintf(o.w, "  %s\n", o.paint(ansiDim, label+":"))
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i, l := range lines {
		if i == maxLines {
			fmt.Fprintf(o.w, "    %s\n", o.paint(ansiDim, fmt.Sprintf("… (%d more lines)", len(lines)-maxLines)))
			break
		}
		fmt.Fprintf(o.w, "    │ %s\n", strings.TrimRight(l, " "))
	}
}
