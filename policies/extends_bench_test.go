package policies

import (
	"os"
	"testing"
)

// BenchmarkLoadExtended compares loading the design sketch alone (Load),
// through LoadExtended without a base (the bot's path for every policy),
// and merged over a base that locks a rule (the bot loads the policy once
// per evaluation).
func BenchmarkLoadExtended(b *testing.B) {
	sketch, err := os.ReadFile("testdata/design-sketch.shipgate.yml")
	if err != nil {
		b.Fatal(err)
	}
	withBase := append([]byte("extends: "+orgRef+"\n"), sketch...)
	// A base the sketch satisfies: it locks keys the sketch keeps as strict.
	base := "version: 1\nlocked: [branches]\nbranches: [main, \"release/*\"]\nfreeze:\n  windows:\n" +
		"    - {name: audit, start: 2027-03-01T00:00:00Z, end: 2027-03-02T00:00:00Z}\napprovals:\n  - name: security\n    from: [\"@acme/security\"]\n"
	resolve := files(map[string]string{orgRef: base})
	b.Run("Load", func(b *testing.B) {
		for range b.N {
			if _, err := Load(".shipgate.yml", sketch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("no-base", func(b *testing.B) {
		for range b.N {
			if _, _, err := LoadExtended(".shipgate.yml", repoSrc, sketch, resolve); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("one-base", func(b *testing.B) {
		for range b.N {
			if _, _, err := LoadExtended(".shipgate.yml", repoSrc, withBase, resolve); err != nil {
				b.Fatal(err)
			}
		}
	})
}
