package indicator

import (
	"os"
	"strings"
	"testing"
)

// TestDocsMatchDefinitions: docs/INDICATORS.md carries the same text as GET
// /v1/indicators/definitions (generate its tables with -update-docs semantics by hand: every
// definition and rule must appear verbatim).
func TestDocsMatchDefinitions(t *testing.T) {
	b, err := os.ReadFile("../../docs/INDICATORS.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, r := range Rules() {
		if !strings.Contains(doc, r[1]) {
			t.Errorf("docs/INDICATORS.md lacks the %s rule text:\n%s", r[0], r[1])
		}
	}
	for _, d := range Definitions() {
		line := "| `" + d.Code + "` | " + d.NameZH + " / " + d.NameEN + " | " + d.Unit + " | " + d.Scope + " | " + d.Definition + " |"
		if !strings.Contains(doc, line) {
			t.Errorf("docs/INDICATORS.md lacks the row:\n%s", line)
		}
	}
}
