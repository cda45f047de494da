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

// docTable writes the rows TestDocsMatchDefinitions expects (used to write the document).
func docTable() string {
	var sb strings.Builder
	sb.WriteString("| code | 指标 / indicator | unit | scope | how it is computed |\n|---|---|---|---|---|\n")
	for _, d := range Definitions() {
		sb.WriteString("| `" + d.Code + "` | " + d.NameZH + " / " + d.NameEN + " | " + d.Unit + " | " + d.Scope + " | " + d.Definition + " |\n")
	}
	return sb.String()
}

func TestPrintDocTable(t *testing.T) {
	if os.Getenv("IPLEDGER_PRINT_DOCS") == "" {
		t.Skip("set IPLEDGER_PRINT_DOCS=1 to print the table for docs/INDICATORS.md")
	}
	os.WriteFile(os.Getenv("IPLEDGER_PRINT_DOCS"), []byte(docTable()+"\n"+rulesText()), 0o644)
}

func rulesText() string {
	var sb strings.Builder
	for _, r := range Rules() {
		sb.WriteString("**" + r[0] + ".** " + r[1] + "\n\n")
	}
	return sb.String()
}
