package registry

import (
	"slices"
	"testing"
)

// The concordance reads back as loaded, in (ipc_prefix, industry) order; before any load it
// is empty.
func TestConcordanceReadsBack(t *testing.T) {
	f := newFixture(t)
	got, err := f.s.Concordance(f.ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("before a load: %+v, %v", got, err)
	}
	rows := []ConcordanceRow{{IPCPrefix: "H01M", Industry: "新能源"}, {IPCPrefix: "G06N3/", Industry: "人工智能"}, {IPCPrefix: "G06N3/", Industry: "数字经济"}}
	if err := f.s.LoadConcordance(f.ctx, rows); err != nil {
		t.Fatal(err)
	}
	got, err = f.s.Concordance(f.ctx)
	want := []ConcordanceRow{rows[1], rows[2], rows[0]}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("concordance = %+v, %v; want %+v", got, err, want)
	}
}
