package policies

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// FuzzLoad loads arbitrary bytes. Its seed corpus (testdata/fuzz/FuzzLoad)
// holds the example policy and broken variants. Load must not panic, must
// answer the same twice, and every error it returns must be a FieldError
// on one line, placed at a line of the file wherever YAML could place it.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("version: 1\n"))
	yamlLine := regexp.MustCompile(`^yaml: line \d+: `)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load("fuzz.yml", data)
		if _, again := Load("fuzz.yml", data); fuzzErrString(err) != fuzzErrString(again) {
			t.Fatalf("Load is not deterministic:\n%v\n---\n%v", err, again)
		}
		if err == nil {
			if p == nil {
				t.Fatal("no policy and no error")
			}
			if p.Freeze != nil {
				for _, w := range p.Freeze.Windows {
					w.Active(time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC))
				}
			}
			return
		}
		if p != nil {
			t.Fatal("a policy with an error")
		}
		fes := FieldErrors(err)
		joined, _ := err.(interface{ Unwrap() []error })
		if len(fes) == 0 || joined == nil || len(joined.Unwrap()) != len(fes) {
			t.Fatalf("errors are not all FieldErrors: %#v", err)
		}
		// Where does YAML place its own error, if it has one?
		syntaxPlaced, syntaxErr := true, fuzzYAMLError(data)
		if syntaxErr != nil && !yamlLine.MatchString(syntaxErr.Error()) {
			syntaxPlaced = false
		}
		// YAML breaks lines at \n, \r\n, a lone \r, NEL, LS and PS.
		breaks := strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n")
		lines := strings.Count(breaks.Replace(string(data)), "\n") + 1
		for _, fe := range fes {
			if fe.File != "fuzz.yml" || fe.Msg == "" || strings.ContainsAny(fe.Error(), "\n\r") {
				t.Errorf("malformed error %q", fe.Error())
			}
			if fe.Line > lines {
				t.Errorf("line %d beyond the file's %d lines: %v", fe.Line, lines, fe)
			}
			switch {
			case syntaxErr == nil && (fe.Line < 1 || fe.Column < 1):
				t.Errorf("error without position: %v", fe)
			case syntaxErr != nil && syntaxPlaced && fe.Line < 1:
				t.Errorf("YAML placed %q but the error has no line: %v", syntaxErr, fe)
			}
		}
	})
}

// fuzzErrString is err's text, "" for nil.
func fuzzErrString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// fuzzYAMLError returns yaml.v3's own error for data, over all documents.
func fuzzYAMLError(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}
