package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/registry/term"
)

// Realisation methods of the 2023 action plan's item (272) beside auction, sale, transfer and
// licence, each with terms of its own:
//
//   - debt_to_equity (质权转股权): the secured debt becomes a share (EquityShare, in (0, 1]) of
//     the pledgor enterprise's equity, held by EquityHolderID (usually the pledgee or its
//     guarantor). The right stays with its owners: the enterprise keeps it and its creditor
//     becomes a shareholder, so the registry's ownership of the right does not change; the
//     pledge ends, realised, with the holder and share recorded.
//   - reverse_licence (反向许可): the right is licensed to LicenseeID until LicenceEndsOn and
//     the royalties service the debt. The pledge ends, realised, and a licence (asset.licensed,
//     ordinary 普通许可) is recorded on each right still in the pledge in the same write.
const (
	RealiseDebtToEquity   = "debt_to_equity"
	RealiseReverseLicence = "reverse_licence"
)

// pledgeServices are what the financing services add to a pledge event's payload.
type pledgeServices struct {
	realisationTerms                    // realise: debt_to_equity, reverse_licence
	Appraisals       []appraisalPayload `json:"appraisals,omitempty"` // appraise
}

// realisationTerms are the terms of a debt_to_equity or reverse_licence realisation, as its
// pledge.realised payload records them.
type realisationTerms struct {
	EquityHolderID *uuid.UUID `json:"equity_holder_id,omitempty"`
	EquityShare    string     `json:"equity_share,omitempty"` // 4 decimals, "0.1500"
	LicenseeID     *uuid.UUID `json:"licensee_id,omitempty"`
	LicenceEndsOn  *term.Date `json:"licence_ends_on,omitempty"`
}

// ParseShare reads a share in (0, 1] with at most 4 decimals ("0.15", "1", "1.0") and writes
// it with 4 ("0.1500"); ok is false for anything else (no sign, exponent or spaces).
func ParseShare(s string) (string, bool) {
	i, frac, dot := strings.Cut(s, ".")
	if (i != "0" && i != "1") || (dot && (len(frac) < 1 || len(frac) > 4 || !decimalDigits(frac))) {
		return "", false
	}
	frac += strings.Repeat("0", 4-len(frac))
	if (i == "0" && frac == "0000") || (i == "1" && frac != "0000") {
		return "", false
	}
	return i + "." + frac, true
}

// checkRealisationTerms holds each method to the terms it takes: debt_to_equity needs the
// equity holder (a party) and share; reverse_licence the licensee (a party) and the licence's
// end (after the realisation, on or before every remaining right's expiry); the other methods
// take neither.
func checkRealisationTerms(ctx context.Context, db bun.IDB, cur *pledgeRow, in PledgeEventInput, eff term.Date) (realisationTerms, error) {
	var t realisationTerms
	given := map[string]bool{"equity_holder_id": in.EquityHolderID != uuid.Nil, "equity_share": in.EquityShare != "",
		"licensee_id": in.LicenseeID != uuid.Nil, "licence_ends_on": !in.LicenceEndsOn.IsZero()}
	takes := map[string][]string{RealiseDebtToEquity: {"equity_holder_id", "equity_share"}, RealiseReverseLicence: {"licensee_id", "licence_ends_on"}}
	for _, f := range []string{"equity_holder_id", "equity_share", "licensee_id", "licence_ends_on"} {
		own := false
		for _, g := range takes[in.Method] {
			own = own || g == f
		}
		switch {
		case given[f] && !own:
			owner := RealiseDebtToEquity
			if strings.HasPrefix(f, "licen") {
				owner = RealiseReverseLicence
			}
			return t, Errorf(Invalid, "field_not_allowed", f, "%s does not belong to a %s realisation (only to %s)", f, in.Method, owner)
		case !given[f] && own:
			return t, Errorf(Invalid, "field_required", f, "a %s realisation names its %s", in.Method, strings.ReplaceAll(f, "_", " "))
		}
	}
	party := func(id uuid.UUID, code, field string) error {
		if _, err := getParty(ctx, db, id); err != nil {
			if de, ok := AsError(err); ok && de.Class == NotFound {
				return Errorf(Invalid, code, field, "no party %s", id)
			}
			return err
		}
		return nil
	}
	switch in.Method {
	case RealiseDebtToEquity:
		share, ok := ParseShare(in.EquityShare)
		if !ok {
			return t, Errorf(Invalid, "equity_share_invalid", "equity_share", "the equity share is a decimal string above 0 and at most 1, with at most 4 decimals (\"0.15\"); got %q", in.EquityShare)
		}
		if err := party(in.EquityHolderID, "equity_holder_unknown", "equity_holder_id"); err != nil {
			return t, err
		}
		h := in.EquityHolderID
		t.EquityHolderID, t.EquityShare = &h, share
	case RealiseReverseLicence:
		if err := party(in.LicenseeID, "licensee_unknown", "licensee_id"); err != nil {
			return t, err
		}
		if !in.LicenceEndsOn.After(eff) {
			return t, Errorf(Invalid, "term_invalid", "licence_ends_on", "the licence ends on %s, not after the realisation (%s)", in.LicenceEndsOn, eff)
		}
		ls, pol, err := loadPledgeAssets(ctx, db, cur.active)
		if err != nil {
			return t, err
		}
		for _, a := range cur.active {
			if l := ls[a]; l != nil {
				if err := checkTermWithin(fold(l.f, l.evs, pol, l.fin), l, in.LicenceEndsOn, "licence_ends_on"); err != nil {
					return t, err
				}
			}
		}
		id, ends := in.LicenseeID, in.LicenceEndsOn
		t.LicenseeID, t.LicenceEndsOn = &id, &ends
	}
	return t, nil
}

// recordRealisationEffects records what a realisation does to the rights beyond freeing them:
// a reverse licence is a licence on each right that was still in the pledge, recorded (after
// the pledge.realised entry, so no pledge consent is needed) through the asset event path.
func recordRealisationEffects(ctx context.Context, tx *ledger.Tx, cur *pledgeRow, ev pledgeEventPayload, eff term.Date) error {
	if ev.Method != RealiseReverseLicence || ev.LicenseeID == nil {
		return nil
	}
	for _, a := range cur.active {
		in := EventInput{Type: EventLicense, EffectiveOn: eff, LicenseeID: *ev.LicenseeID, LicenseType: LicenseOrdinary,
			Note: fmt.Sprintf("反向许可: reverse licence on the realisation of pledge %s, until %s", cur.id, *ev.LicenceEndsOn)}
		if err := recordEvent(ctx, tx, a, in, eventKinds[EventLicense], eff); err != nil {
			return err
		}
	}
	return nil
}
