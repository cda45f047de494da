package registry

import (
	"testing"

	"github.com/google/uuid"
)

// defaulted registers a pledge of a fresh patent of o1 to f.bank and records its default.
func (f *pledgeFixture) defaulted() Pledge {
	f.t.Helper()
	p := f.pledge(f.input([]uuid.UUID{f.o1.ID}, f.patent("2015-03-03", f.o1.ID).ID))
	f.pevent(p.ID, PledgeEventInput{Type: PledgeDefault, EffectiveOn: d("2025-09-01")})
	return p
}

func TestClaimLifecycle(t *testing.T) {
	f := newPledgeFixture(t)
	bank := BankViewer(f.bank.ID)
	p := f.defaulted()

	c, err := f.s.FileClaim(f.ctx, bank, p.ID, ClaimInput{Loss: "999999999999.99", EvidenceRef: "(2025)蒙0502民初123号", EffectiveOn: d("2025-10-01")})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != ClaimFiled || c.Loss.String() != "999999999999.99" || c.Claimant.ID != f.bank.ID || c.Claimant.Name != f.bank.Name ||
		c.RegionCode != "150502" || c.FiledOn != d("2025-10-01") || !c.DecidedOn.IsZero() {
		t.Fatalf("filed: %+v", c)
	}
	_, err = f.s.FileClaim(f.ctx, bank, p.ID, ClaimInput{Loss: "1.00", EvidenceRef: "x"})
	wantCode(t, err, Conflict, "claim_exists")

	// Another bank neither sees the claim nor may file on the pledge.
	other := BankViewer(f.bank2.ID)
	_, err = f.s.GetClaim(f.ctx, other, c.ID)
	wantCode(t, err, NotFound, "claim_not_found")
	_, err = f.s.FileClaim(f.ctx, other, p.ID, ClaimInput{Loss: "1.00", EvidenceRef: "x"})
	wantCode(t, err, NotFound, "pledge_not_found")
	if cs, _, err := f.s.ListClaims(f.ctx, other, ClaimFilter{}); err != nil || len(cs) != 0 {
		t.Fatalf("another bank lists %v, %v", cs, err)
	}

	office := OfficeViewer()
	_, err = f.s.ClaimEvent(f.ctx, office, c.ID, ClaimEventInput{Type: ClaimPay})
	wantCode(t, err, Invalid, "not_approved")
	_, err = f.s.ClaimEvent(f.ctx, office, c.ID, ClaimEventInput{Type: ClaimApprove, Amount: "1000000000000.00"})
	wantCode(t, err, Invalid, "amount_exceeds_loss")
	_, err = f.s.ClaimEvent(f.ctx, office, c.ID, ClaimEventInput{Type: ClaimApprove})
	wantCode(t, err, Invalid, "field_required")

	// A fund share of 40%: 999999999999.99 × 0.4 = 399999999999.996 → 399999999999.99 +
	// 0.006 rounds up to …400000000000.00.
	if err := f.s.SetParam(f.ctx, ParamRiskCompensationShareBP, 4000, d("2025-10-01")); err != nil {
		t.Fatal(err)
	}
	c, err = f.s.ClaimEvent(f.ctx, office, c.ID, ClaimEventInput{Type: ClaimApprove, Amount: "999999999999.99", EffectiveOn: d("2025-11-01")})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != ClaimApproved || c.FundShare() != "0.4000" || c.Payout.String() != "400000000000.00" || c.Approved.String() != "999999999999.99" {
		t.Fatalf("approved: %+v share %s", c, c.FundShare())
	}
	_, err = f.s.ClaimEvent(f.ctx, office, c.ID, ClaimEventInput{Type: ClaimReject})
	wantCode(t, err, Invalid, "already_approved")
	_, err = f.s.ClaimEvent(f.ctx, office, c.ID, ClaimEventInput{Type: ClaimPay, Amount: "999999999999.99"})
	wantCode(t, err, Invalid, "amount_mismatch")
	_, err = f.s.ClaimEvent(f.ctx, office, c.ID, ClaimEventInput{Type: ClaimPay, EffectiveOn: d("2025-10-31")})
	wantCode(t, err, Invalid, "before_last_change")
	c, err = f.s.ClaimEvent(f.ctx, office, c.ID, ClaimEventInput{Type: ClaimPay, Amount: "400000000000.00", EffectiveOn: d("2026-01-05")})
	if err != nil || c.Status != ClaimPaid || c.PaidOn != d("2026-01-05") {
		t.Fatalf("paid: %+v, %v", c, err)
	}
	_, err = f.s.ClaimEvent(f.ctx, office, c.ID, ClaimEventInput{Type: ClaimPay})
	wantCode(t, err, Invalid, "already_paid")

	rows, err := f.s.ClaimsByYearRegion(f.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Year != 2025 || rows[0].Filed != 1 || rows[0].Paid != 0 || rows[0].Loss.String() != "999999999999.99" ||
		rows[1].Year != 2026 || rows[1].Paid != 1 || rows[1].Payout.String() != "400000000000.00" {
		t.Fatalf("by year: %+v", rows)
	}
	// As known before the payout was recorded, 2026 has none.
	rows, err = f.s.ClaimsByYearRegion(f.ctx, c.UpdatedSeq-1)
	if err != nil || len(rows) != 1 || rows[0].Year != 2025 {
		t.Fatalf("known before payout: %+v, %v", rows, err)
	}
	f.rebuildMatches()
}

func TestClaimRefusals(t *testing.T) {
	f := newPledgeFixture(t)
	bank := BankViewer(f.bank.ID)
	active := f.pledge(f.input([]uuid.UUID{f.o1.ID}, f.patent("2015-03-03", f.o1.ID).ID))
	_, err := f.s.FileClaim(f.ctx, bank, active.ID, ClaimInput{Loss: "100.00", EvidenceRef: "x"})
	wantCode(t, err, Invalid, "not_defaulted")

	p := f.defaulted()
	_, err = f.s.FileClaim(f.ctx, bank, p.ID, ClaimInput{Loss: "100.00", EvidenceRef: "x", EffectiveOn: d("2025-08-31")})
	wantCode(t, err, Invalid, "before_last_change")
	_, err = f.s.FileClaim(f.ctx, bank, p.ID, ClaimInput{Loss: "0.00", EvidenceRef: "x"})
	wantCode(t, err, Invalid, "amount_invalid")
	_, err = f.s.FileClaim(f.ctx, bank, p.ID, ClaimInput{Loss: "100", EvidenceRef: "  "})
	wantCode(t, err, Invalid, "field_required")

	// A rejected claim leaves room for another.
	c, err := f.s.FileClaim(f.ctx, bank, p.ID, ClaimInput{Loss: "100", EvidenceRef: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ClaimEvent(f.ctx, OfficeViewer(), c.ID, ClaimEventInput{Type: ClaimReject, Amount: "1.00"}); err == nil {
		t.Fatal("reject with an amount accepted")
	}
	if c, err = f.s.ClaimEvent(f.ctx, OfficeViewer(), c.ID, ClaimEventInput{Type: ClaimReject}); err != nil || c.Status != ClaimRejected {
		t.Fatalf("reject: %+v %v", c, err)
	}
	_, err = f.s.ClaimEvent(f.ctx, OfficeViewer(), c.ID, ClaimEventInput{Type: ClaimApprove, Amount: "1.00"})
	wantCode(t, err, Invalid, "already_rejected")
	if _, err := f.s.FileClaim(f.ctx, bank, p.ID, ClaimInput{Loss: "100", EvidenceRef: "y"}); err != nil {
		t.Fatalf("refiling after rejection: %v", err)
	}

	// Released after default: repaid, nothing to compensate.
	r := f.defaulted()
	f.pevent(r.ID, PledgeEventInput{Type: PledgeRelease, EffectiveOn: d("2025-10-01")})
	_, err = f.s.FileClaim(f.ctx, bank, r.ID, ClaimInput{Loss: "100", EvidenceRef: "x"})
	wantCode(t, err, Invalid, "already_released")
}

func TestClaimPayoutRounding(t *testing.T) {
	for _, c := range []struct {
		approved int64
		bp       int
		want     int64
	}{
		{100, 10000, 100}, {1, 5000, 1}, {3, 5000, 2}, {1, 4999, 0}, {99_999_999_999_999, 4000, 40_000_000_000_000},
		{100_000_000_000_000, 10000, 100_000_000_000_000}, {12345, 3333, 4115},
	} {
		if got := claimPayout(c.approved, c.bp); got != c.want {
			t.Errorf("claimPayout(%d, %d) = %d, want %d", c.approved, c.bp, got, c.want)
		}
	}
}

// Two filings on one pledge at once: the ledger serialises writes, so exactly one is filed
// and the other finds it (claim_exists).
func TestClaimConcurrentFilings(t *testing.T) {
	f := newPledgeFixture(t)
	p := f.defaulted()
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := f.s.FileClaim(f.ctx, BankViewer(f.bank.ID), p.ID, ClaimInput{Loss: "100.00", EvidenceRef: "x"})
			errs <- err
		}()
	}
	var ok, exists int
	for range 2 {
		err := <-errs
		if err == nil {
			ok++
		} else if de, isDE := AsError(err); isDE && de.Code == "claim_exists" {
			exists++
		} else {
			t.Fatalf("unexpected: %v", err)
		}
	}
	if ok != 1 || exists != 1 {
		t.Fatalf("filed %d, refused %d; want 1 and 1", ok, exists)
	}
}
