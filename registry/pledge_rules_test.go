package registry

import (
	"testing"

	"github.com/google/uuid"
)

func TestCheckRegistrar(t *testing.T) {
	own, other := uuid.New(), uuid.New()
	tests := []struct {
		name    string
		by      Viewer
		pledgee uuid.UUID
		refused bool
	}{
		{"the office names any bank", OfficeViewer(), other, false},
		{"a bank names itself", BankViewer(own), own, false},
		{"a bank names another", BankViewer(own), other, true},
		{"a bank names no one", BankViewer(own), uuid.Nil, true},
		{"a viewer seeing nothing names anyone", Viewer{}, own, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			de := checkRegistrar(tt.by, tt.pledgee)
			if (de != nil) != tt.refused {
				t.Fatalf("refused = %v (%v), want %v", de != nil, de, tt.refused)
			}
			if de != nil && (de.Class != Forbidden || de.Code != "pledgee_not_caller" || de.Field != "pledgee_id") {
				t.Fatalf("refusal = %+v, want Forbidden pledgee_not_caller at pledgee_id", de)
			}
		})
	}
}

// A bank registers pledges to itself only, one at a time and in a batch, and a refused
// registration writes nothing; the office (no viewer in the context) names any bank.
func TestBankPledgesToItself(t *testing.T) {
	f := newPledgeFixture(t)
	asBank := WithViewer(f.ctx, BankViewer(f.bank.ID))
	in := f.input([]uuid.UUID{f.o1.ID}, f.inv.ID)
	in.PledgeeID = f.bank2.ID
	before := f.head()
	_, err := f.s.RegisterPledge(asBank, in)
	if de := wantCode(t, err, Forbidden, "pledgee_not_caller"); de.Field != "pledgee_id" {
		t.Fatalf("field = %q, want pledgee_id", de.Field)
	}
	res, err := f.s.RegisterPledges(asBank, []PledgeInput{in})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err == nil || res[0].Err.Code != "pledgee_not_caller" || res[0].Err.Field != "pledgee_id" {
		t.Fatalf("batch: %+v", res[0])
	}
	if got := f.head(); got != before {
		t.Fatalf("refused registrations wrote entries: head %d -> %d", before, got)
	}

	in.PledgeeID = f.bank.ID
	p, err := f.s.RegisterPledge(asBank, in)
	if err != nil || p.Pledgee.ID != f.bank.ID {
		t.Fatalf("the bank's own pledge: %+v, %v", p.Pledgee, err)
	}
	other := f.patent("2015-03-03", f.o1.ID)
	in = f.input([]uuid.UUID{f.o1.ID}, other.ID)
	in.PledgeeID = f.bank2.ID
	if p := f.pledge(in); p.Pledgee.ID != f.bank2.ID {
		t.Fatalf("the office's pledge to bank2: %+v", p.Pledgee)
	}
}
