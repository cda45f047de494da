package importer_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
	"ipledger/registry"
	"ipledger/registry/importer"
	"ipledger/registry/indicator"
	"ipledger/registry/term"
)

const historyDir = "../../docs/examples/history/"

// newService is a seeded registry on a fresh database, with no parties.
func newService(t testing.TB) (*registry.Service, context.Context) {
	t.Helper()
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	t.Cleanup(func() { l.Close() })
	s := registry.New(l, registry.WithClock(func() time.Time { return today.Time() }))
	ctx := ledger.WithActor(context.Background(), "principal/importer-test")
	if err := s.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	return s, ctx
}

// loadHistory imports docs/examples/history/ in order and fails on any refused row.
func loadHistory(t *testing.T, s *registry.Service, ctx context.Context) map[string]importer.Report {
	t.Helper()
	out := map[string]importer.Report{}
	for _, layout := range importer.Layouts() {
		start := time.Now()
		rep := importFile(t, s, ctx, layout)
		t.Logf("%s: %d rows in %v", layout, rep.Rows, time.Since(start).Round(time.Millisecond))
		if rep.Failed != 0 || rep.Added != rep.Rows {
			t.Fatalf("%s: rows %d added %d unchanged %d failed %d: %+v", layout, rep.Rows, rep.Added, rep.Unchanged, rep.Failed, rep.Errors)
		}
		out[layout] = rep
	}
	return out
}

// importFile imports the example history's file of the layout.
func importFile(t *testing.T, s *registry.Service, ctx context.Context, layout string) importer.Report {
	t.Helper()
	f, err := os.Open(historyDir + layout + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := importer.New(s).ImportLayout(ctx, layout, f, importer.CSV, nil)
	if err != nil {
		t.Fatalf("%s: %v", layout, err)
	}
	return rep
}

func TestImportHistory(t *testing.T) {
	s, ctx := newService(t)
	first := loadHistory(t, s, ctx)
	total := 0
	for _, r := range first {
		total += r.Rows
	}
	if total < 200 {
		t.Fatalf("the example history has %d rows, want a few hundred", total)
	}
	t.Run("ReimportAddsNothing", func(t *testing.T) {
		head, err := ledger.LastSeq(ctx, s.Ledger().DB())
		if err != nil {
			t.Fatal(err)
		}
		// Another actor imports the same files: every row is there already, whoever wrote it.
		other := ledger.WithActor(context.Background(), "operator/someone-else")
		for _, layout := range importer.Layouts() {
			rep := importFile(t, s, other, layout)
			if rep.Added != 0 || rep.Failed != 0 || rep.Unchanged != first[layout].Rows {
				t.Fatalf("%s again: added %d unchanged %d failed %d, want all %d unchanged: %+v", layout, rep.Added, rep.Unchanged, rep.Failed, first[layout].Rows, rep.Errors)
			}
		}
		after, err := ledger.LastSeq(ctx, s.Ledger().DB())
		if err != nil {
			t.Fatal(err)
		}
		if after != head {
			t.Fatalf("the second import wrote entries %d..%d", head+1, after)
		}
	})
	t.Run("Figures2023", func(t *testing.T) {
		is := indicator.New(s)
		if err := is.Seed(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := is.Compute(ctx, registry.CityCode, term.New(2023, 12, 31), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var computed strings.Builder
		computed.WriteString("| code | 2023 |\n|---|---|\n")
		got := map[string]string{}
		for _, v := range rep.Indicators {
			val := "null"
			if v.Value != nil {
				val = *v.Value
			}
			got[v.Code] = val
			fmt.Fprintf(&computed, "| `%s` | %s |\n", v.Code, val)
		}
		documented, err := documentedFigures("../../docs/IMPORT.md")
		if err != nil {
			t.Fatal(err)
		}
		ok := len(documented) == len(got)
		for code, want := range documented {
			if got[code] != want {
				ok = false
				t.Errorf("%s: computed %s, docs/IMPORT.md says %s", code, got[code], want)
			}
		}
		if !ok {
			t.Fatalf("docs/IMPORT.md's figures table disagrees with the code (%d documented, %d computed); if the counting rules changed on purpose, paste this between the figures markers:\n\n%s", len(documented), len(got), computed.String())
		}
	})
}

// documentedFigures reads the table between the figures markers of docs/IMPORT.md:
// rows "| `code` | value |".
func documentedFigures(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "<!-- figures:begin -->":
			in = true
		case line == "<!-- figures:end -->":
			return out, nil
		case in && strings.HasPrefix(line, "| `"):
			cells := strings.Split(strings.Trim(line, "|"), "|")
			if len(cells) < 2 {
				return nil, fmt.Errorf("%s: bad figures row %q", path, line)
			}
			out[strings.Trim(strings.TrimSpace(cells[0]), "`")] = strings.TrimSpace(cells[1])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%s: no figures table between <!-- figures:begin --> and <!-- figures:end -->", path)
}
