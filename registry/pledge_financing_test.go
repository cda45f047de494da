package registry

import (
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// TestAmendmentCountsAboveHighest: an amendment counts only the part of its amount above the
// highest amount already counted for the registration — live and after Rebuild alike.
func TestAmendmentCountsAboveHighest(t *testing.T) {
	f := newPledgeFixture(t)
	o1 := []uuid.UUID{f.o1.ID}
	cases := []struct {
		name    string
		amounts []string // registration, then each amendment
		want    []int64  // the counted rows, in fen, registration first
	}{
		{"10M→5M→10M counts 10M", []string{"10000000.00", "5000000.00", "10000000.00"}, []int64{1_000_000_000}},
		{"10M→5M→12M counts 12M", []string{"10000000.00", "5000000.00", "12000000.00"}, []int64{1_000_000_000, 200_000_000}},
		{"back to exactly the highest counts 0", []string{"10000000.00", "12000000.00", "5000000.00", "12000000.00"}, []int64{1_000_000_000, 200_000_000}},
		{"one fen above the highest counts one fen", []string{"10000000.00", "9000000.00", "10000000.01"}, []int64{1_000_000_000, 1}},
	}
	for i, c := range cases {
		in := f.input(o1, f.patent("2015-01-01", f.o1.ID).ID)
		in.RegisteredOn, in.Amount = d("2022-01-01"), c.amounts[0]
		p := f.pledge(in)
		for j, a := range c.amounts[1:] {
			p = f.pevent(p.ID, PledgeEventInput{Type: PledgeAmend, EffectiveOn: d("2022-02-01").AddDays(j), Amount: a})
		}
		var sum int64
		for _, v := range c.want {
			sum += v
		}
		if int64(p.Financing) != sum {
			t.Errorf("case %d %s: financing %s, want %d fen", i, c.name, p.Financing, sum)
		}
		var got []int64
		if err := f.db.App.QueryRowContext(f.ctx, `SELECT array_agg(amount_fen ORDER BY seq) FROM registry.pledge_financing WHERE pledge_id = ?`,
			p.ID.String()).Scan(pgdialect.Array(&got)); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("case %d %s: counted rows %v, want %v", i, c.name, got, c.want)
		}
	}
	f.rebuildMatches()
}
