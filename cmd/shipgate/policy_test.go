package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/golden"
	"github.com/shipgate/shipgate/policies"
)

// runPolicyCLI runs the command line and returns its exit code and output.
func runPolicyCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		goldenOut  string // compares stdout when set
		goldenErr  string // compares stderr when set
		stderrHas  string
		stdoutNone bool
	}{
		{name: "the example policy is valid and summarised",
			args: []string{"policy", "validate", "../../examples/.shipgate.yml"}, code: exitOK, goldenOut: "policy_validate_ok"},
		{name: "every problem is listed on its own line with its place",
			args: []string{"policy", "validate", "testdata/policy_invalid.shipgate.yml"}, code: exitUsage, goldenErr: "policy_validate_errors", stdoutNone: true},
		{name: "a missing file says how to create one",
			args: []string{"policy", "validate", "testdata/no-such.shipgate.yml"}, code: exitUsage,
			stderrHas: `shipgate: testdata/no-such.shipgate.yml: no such file; create it with 'shipgate policy init', or with the line "version: 1"`, stdoutNone: true},
		{name: "one file at a time",
			args: []string{"policy", "validate", "a.yml", "b.yml"}, code: exitUsage, stderrHas: "accepts at most 1 arg(s), received 2"},
		{name: "policy alone names its subcommands",
			args: []string{"policy"}, code: exitUsage, stderrHas: "try 'shipgate policy init', 'shipgate policy validate' or 'shipgate policy schema'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runPolicyCLI(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			if tt.goldenOut != "" {
				golden.Assert(t, tt.goldenOut, []byte(stdout))
			}
			if tt.goldenErr != "" {
				golden.Assert(t, tt.goldenErr, []byte(stderr))
			}
			if tt.stderrHas != "" && !strings.Contains(stderr, tt.stderrHas) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderrHas, stderr)
			}
			if tt.stdoutNone && stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

func TestPolicyValidateReadsDotShipgateByDefault(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".shipgate.yml"), []byte("version: 1\nbranches: [main]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, stdout, stderr := runPolicyCLI("policy", "validate")
	want := ".shipgate.yml: ok\ngates main; rules: hold; tags v*\n"
	if code != exitOK || stdout != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0, %q", code, stdout, stderr, want)
	}
}

func TestPolicyValidateReadsStandardInputForADash(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := runPolicyValidate(strings.NewReader("version: 1\nhold: {lable: x}\n"), &stdout, &stderr, "-", nil)
	if err == nil || err.Error() != "<stdin> is not a valid policy: 1 problem" {
		t.Errorf("err = %v", err)
	}
	want := `<stdin>:2:8: hold.lable: unknown key "lable" (did you mean "label"?); allowed keys: label, locked` + "\n"
	if stderr.String() != want || stdout.Len() != 0 {
		t.Errorf("stderr %q, stdout %q; want stderr %q", stderr.String(), stdout.String(), want)
	}
}

func TestPolicySchemaPrintsTheCommittedSchema(t *testing.T) {
	code, stdout, stderr := runPolicyCLI("policy", "schema")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	want, err := policies.Schema()
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("../../schema/shipgate.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(want) || stdout != string(committed) {
		t.Error("policy schema prints something other than policies.Schema() and schema/shipgate.schema.json")
	}
}
