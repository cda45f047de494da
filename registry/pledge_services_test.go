package registry

import (
	"testing"

	"github.com/google/uuid"
)

func TestLoanToValueRounding(t *testing.T) {
	for _, c := range []struct {
		amount, value Money
		want          string
	}{
		{5_000_000_00, 10_000_000_00, "0.5000"},
		{1, 3, "0.3333"},
		{2, 3, "0.6667"},
		{1, 20000, "0.0001"}, // exactly half of the 4th decimal: away from zero
		{1, 20001, "0.0000"}, // just under half
		{3, 2, "1.5000"},     // over-secured is shown as it is
		{MaxMoney, 1, "100000000000000.0000"},
		{99_999_999_999_999, MaxMoney, "1.0000"}, // 0.99999999999999 rounds up
	} {
		if got := LoanToValue(c.amount, c.value); got != c.want {
			t.Errorf("LoanToValue(%d, %d) = %s, want %s", c.amount, c.value, got, c.want)
		}
	}
}

func TestParseShare(t *testing.T) {
	for in, want := range map[string]string{"0.15": "0.1500", "1": "1.0000", "1.0": "1.0000", "0.0001": "0.0001", "0.9999": "0.9999"} {
		if got, ok := ParseShare(in); !ok || got != want {
			t.Errorf("ParseShare(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"0", "0.0", "0.00000", "1.0001", "2", "-0.1", ".5", "0.", "1e-1", " 0.1", "0.12345", "00.1", ""} {
		if got, ok := ParseShare(in); ok {
			t.Errorf("ParseShare(%q) = %q, accepted", in, got)
		}
	}
}

func TestAppraisalsAndLoanToValue(t *testing.T) {
	f := newPledgeFixture(t)
	in := f.input([]uuid.UUID{f.o1.ID}, f.inv.ID)
	in.Appraisals = []AppraisalInput{
		{Value: "12000000.00", Appraiser: "中联资产评估", AppraisedOn: d("2025-05-20"), Method: "income"},
		{Value: "15000000.00", Appraiser: "北京天健兴业", AppraisedOn: d("2025-04-01"), Method: "market"},
	}
	p := f.pledge(in) // amount 5000000.00; the latest appraisal (2025-05-20) is 12000000.00
	if p.LoanToValue != "0.4167" || len(p.Appraisals) != 2 {
		t.Fatalf("registered: ltv %q, %+v", p.LoanToValue, p.Appraisals)
	}
	got, err := f.s.GetPledge(f.ctx, OfficeViewer(), p.ID)
	if err != nil || got.LoanToValue != "0.4167" || got.Appraisals[0].Value.String() != "12000000.00" {
		t.Fatalf("read: %+v %v", got, err)
	}
	// A later appraisal, an amendment: the ratio follows both.
	f.pevent(p.ID, PledgeEventInput{Type: PledgeAppraise, EffectiveOn: d("2025-12-01"),
		Appraisal: &AppraisalInput{Value: "9000000.00", Appraiser: "中联资产评估", AppraisedOn: d("2025-11-30"), Method: "cost"}})
	p = f.pevent(p.ID, PledgeEventInput{Type: PledgeAmend, Amount: "6000000.00", EffectiveOn: d("2025-12-02")})
	if p.LoanToValue != "0.6667" || len(p.Appraisals) != 3 {
		t.Fatalf("after appraise and amend: %q %+v", p.LoanToValue, p.Appraisals)
	}
	// Refusals name the field.
	_, err = f.s.PledgeEvent(f.ctx, OfficeViewer(), p.ID, PledgeEventInput{Type: PledgeAppraise, EffectiveOn: d("2025-12-03"),
		Appraisal: &AppraisalInput{Value: "1.00", Appraiser: "x", AppraisedOn: d("2025-12-04"), Method: "cost"}})
	wantField(t, err, "date_in_future", "appraisal.appraised_on")
	_, err = f.s.PledgeEvent(f.ctx, OfficeViewer(), p.ID, PledgeEventInput{Type: PledgeAppraise})
	wantField(t, err, "field_required", "appraisal")
	_, err = f.s.PledgeEvent(f.ctx, OfficeViewer(), p.ID, PledgeEventInput{Type: PledgeRelease,
		Appraisal: &AppraisalInput{Value: "1.00", Appraiser: "x", AppraisedOn: d("2025-12-01"), Method: "cost"}})
	wantField(t, err, "field_not_allowed", "appraisal")
	bad := f.input([]uuid.UUID{f.o2.ID}, f.patent("2015-03-03", f.o2.ID).ID)
	bad.Appraisals = []AppraisalInput{{Value: "1.00", Appraiser: "x", AppraisedOn: d("2025-01-01"), Method: "guess"}}
	_, err = f.s.RegisterPledge(f.ctx, bad)
	wantField(t, err, "appraisal_method_invalid", "appraisals[0].method")

	// Without an appraisal there is no ratio.
	plain := f.pledge(f.input([]uuid.UUID{f.o3.ID}, f.patent("2015-03-03", f.o3.ID).ID))
	if plain.LoanToValue != "" || len(plain.Appraisals) != 0 {
		t.Fatalf("no appraisal: %+v", plain)
	}
	f.rebuildMatches()
}

func wantField(t *testing.T, err error, code, field string) {
	t.Helper()
	de, ok := AsError(err)
	if !ok || de.Code != code || de.Field != field {
		t.Fatalf("err = %v, want %s at %s", err, code, field)
	}
}

func TestRealiseDebtToEquityAndReverseLicence(t *testing.T) {
	f := newPledgeFixture(t)
	office := OfficeViewer()

	p := f.defaulted()
	for _, c := range []struct {
		in          PledgeEventInput
		code, field string
	}{
		{PledgeEventInput{Method: RealiseDebtToEquity, Proceeds: "1.00", EquityShare: "0.15"}, "field_required", "equity_holder_id"},
		{PledgeEventInput{Method: RealiseDebtToEquity, Proceeds: "1.00", EquityHolderID: f.bank.ID}, "field_required", "equity_share"},
		{PledgeEventInput{Method: RealiseDebtToEquity, Proceeds: "1.00", EquityHolderID: f.bank.ID, EquityShare: "1.5"}, "equity_share_invalid", "equity_share"},
		{PledgeEventInput{Method: RealiseDebtToEquity, Proceeds: "1.00", EquityHolderID: uuid.New(), EquityShare: "0.15"}, "equity_holder_unknown", "equity_holder_id"},
		{PledgeEventInput{Method: RealiseDebtToEquity, Proceeds: "1.00", EquityHolderID: f.bank.ID, EquityShare: "0.15", LicenseeID: f.o2.ID}, "field_not_allowed", "licensee_id"},
		{PledgeEventInput{Method: "auction", Proceeds: "1.00", EquityShare: "0.15"}, "field_not_allowed", "equity_share"},
		{PledgeEventInput{Method: RealiseReverseLicence, Proceeds: "1.00", LicenseeID: f.o2.ID}, "field_required", "licence_ends_on"},
		{PledgeEventInput{Method: RealiseReverseLicence, Proceeds: "1.00", LicenseeID: f.o2.ID, LicenceEndsOn: d("2040-01-01")}, "term_past_expiry", "licence_ends_on"},
		{PledgeEventInput{Method: RealiseReverseLicence, Proceeds: "1.00", LicenseeID: f.o2.ID, LicenceEndsOn: d("2025-09-01")}, "term_invalid", "licence_ends_on"},
	} {
		c.in.Type, c.in.EffectiveOn = PledgeRealise, d("2025-10-01")
		_, err := f.s.PledgeEvent(f.ctx, office, p.ID, c.in)
		wantField(t, err, c.code, c.field)
	}
	_, err := f.s.PledgeEvent(f.ctx, office, p.ID, PledgeEventInput{Type: PledgeDefault, EffectiveOn: d("2025-10-01"), EquityShare: "0.1"})
	wantField(t, err, "field_not_allowed", "equity_share")

	owners := f.get(p.Assets[0].ID, "2025-09-30").Owners
	r := f.pevent(p.ID, PledgeEventInput{Type: PledgeRealise, EffectiveOn: d("2025-10-01"), Method: RealiseDebtToEquity, Proceeds: "5000000.00",
		EquityHolderID: f.bank.ID, EquityShare: "0.15"})
	if r.Status != PledgeRealised || r.Realisation == nil || r.Realisation.Method != RealiseDebtToEquity ||
		r.Realisation.EquityShare != "0.1500" || r.Realisation.EquityHolder == nil || r.Realisation.EquityHolder.ID != f.bank.ID {
		t.Fatalf("debt_to_equity: %+v", r.Realisation)
	}
	// The right stays with its owners (the enterprise keeps it; its creditor becomes a shareholder).
	if after := f.get(p.Assets[0].ID, "2025-10-02").Owners; len(after) != len(owners) || after[0].ID != owners[0].ID {
		t.Fatalf("owners changed: %v → %v", owners, after)
	}

	// reverse_licence: a licence on every right still in the pledge, in the same write.
	a1, a2 := f.patent("2015-03-03", f.o1.ID), f.patent("2015-03-03", f.o1.ID)
	q := f.pledge(f.input([]uuid.UUID{f.o1.ID}, a1.ID, a2.ID))
	f.pevent(q.ID, PledgeEventInput{Type: PledgeDefault, EffectiveOn: d("2025-09-01")})
	head := f.head()
	q = f.pevent(q.ID, PledgeEventInput{Type: PledgeRealise, EffectiveOn: d("2025-10-01"), Method: RealiseReverseLicence, Proceeds: "800000.00",
		LicenseeID: f.o2.ID, LicenceEndsOn: d("2030-09-30")})
	if q.Realisation == nil || q.Realisation.Licensee == nil || q.Realisation.Licensee.ID != f.o2.ID || q.Realisation.LicenceEndsOn != d("2030-09-30") {
		t.Fatalf("reverse_licence: %+v", q.Realisation)
	}
	// Read back through the pool's prepared read: the terms name their parties.
	for _, c := range []struct {
		id   uuid.UUID
		want string
		got  func(*Realisation) *Owner
	}{
		{p.ID, f.bank.Name, func(r *Realisation) *Owner { return r.EquityHolder }},
		{q.ID, f.o2.Name, func(r *Realisation) *Owner { return r.Licensee }},
	} {
		g, err := f.s.GetPledge(f.ctx, OfficeViewer(), c.id)
		if err != nil || g.Realisation == nil || c.got(g.Realisation) == nil || c.got(g.Realisation).Name != c.want || c.want == "" {
			t.Fatalf("pledge %s read back: %+v %v, want the party named %q", c.id, g.Realisation, err, c.want)
		}
	}
	if n := f.head() - head; n != 3 {
		t.Fatalf("%d entries written, want the realisation and a licence per right (3)", n)
	}
	var licences int
	if err := f.db.App.QueryRowContext(f.ctx, `SELECT count(*) FROM registry.asset_events WHERE type = 'license' AND asset_id IN (?, ?)`,
		a1.ID.String(), a2.ID.String()).Scan(&licences); err != nil || licences != 2 {
		t.Fatalf("licences recorded: %d, %v", licences, err)
	}
	f.rebuildMatches()
}
