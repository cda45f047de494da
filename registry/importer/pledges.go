package importer

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"ipledger/registry"
	"ipledger/registry/term"
)

// PledgeColumns are the pledges layout's columns (docs/IMPORT.md, Pledges). A row of type
// register is a registration (POST /v1/pledges); a row of another type is an event on the
// pledge its contract number (and pledgee) names (POST /v1/pledges/{id}/events).
var PledgeColumns = []string{"type", "contract_no", "pledgee", "pledgors", "rights", "amount", "registered_on", "starts_on",
	"ends_on", "released_on", "defaulted_on", "realised_on", "effective_on", "new_contract_no", "method", "proceeds",
	"equity_holder", "equity_share", "licensee", "licence_ends_on",
	"appraisal_value", "appraiser", "appraised_on", "appraisal_method", "note"}

// PledgeRegister is the pledges layout's row type for a registration; the others are the
// pledge event types (registry.PledgeEventTypes).
const PledgeRegister = "register"

var pledgeDates = []string{"registered_on", "starts_on", "ends_on", "released_on", "defaulted_on", "realised_on", "effective_on",
	"licence_ends_on", "appraised_on"}

var pledgeLayout = &rowLayout{
	name:     Pledges,
	columns:  PledgeColumns,
	required: []string{"type", "contract_no"},
	dates:    pledgeDates,
	keyed:    true,
	write:    writePledge,
}

var (
	registerFields = map[string]string{"pledgor_ids": "pledgors", "asset_ids": "rights", "pledgee_id": "pledgee", "realisation_method": "method",
		"appraisals.value": "appraisal_value", "appraisals.method": "appraisal_method", "appraisals.appraiser": "appraiser",
		"appraisals.appraised_on": "appraised_on"}
	pledgeEvFields = map[string]string{"asset_ids": "rights", "contract_no": "new_contract_no", "": "type",
		"equity_holder_id": "equity_holder", "licensee_id": "licensee",
		"appraisal.value": "appraisal_value", "appraisal.method": "appraisal_method", "appraisal.appraiser": "appraiser",
		"appraisal.appraised_on": "appraised_on", "appraisal": "appraisal_value"}
	// Columns only one side takes: given to the other, the row is refused (field_not_allowed),
	// as the API refuses a field its operation does not take.
	registerOnly = []string{"pledgors", "registered_on", "released_on", "defaulted_on", "realised_on"}
	eventOnly    = []string{"effective_on", "new_contract_no", "equity_holder", "equity_share", "licensee", "licence_ends_on"}
)

func writePledge(ctx context.Context, im *Importer, rw *row) (bool, *RowError, error) {
	typ := strings.ToLower(rw.get("type"))
	notAllowed, takes := eventOnly, "a pledge event"
	if typ != PledgeRegister {
		notAllowed, takes = registerOnly, "a registration"
	}
	for _, c := range notAllowed {
		if rw.get(c) != "" {
			return false, rw.fail(c, "field_not_allowed", "%s belongs only to %s, not to a %s row", c, takes, typ), nil
		}
	}
	dates := map[string]*term.Date{}
	for _, c := range pledgeDates {
		d, rerr := rw.date(c)
		if rerr != nil {
			return false, rerr, nil
		}
		dates[c] = &d
	}
	if typ == PledgeRegister {
		return im.registerPledge(ctx, rw, dates)
	}
	return im.pledgeEvent(ctx, rw, typ, dates)
}

func (im *Importer) registerPledge(ctx context.Context, rw *row, dates map[string]*term.Date) (bool, *RowError, error) {
	in := registry.PledgeInput{Amount: parseMoney(rw.get("amount")), ContractNo: rw.get("contract_no"),
		RegisteredOn: *dates["registered_on"], StartsOn: *dates["starts_on"], EndsOn: *dates["ends_on"],
		ReleasedOn: *dates["released_on"], DefaultedOn: *dates["defaulted_on"], RealisedOn: *dates["realised_on"],
		RealisationMethod: strings.ToLower(rw.get("method")), Proceeds: parseMoney(rw.get("proceeds")), Note: rw.get("note")}
	if a := appraisal(rw, dates); a != nil {
		in.Appraisals = []registry.AppraisalInput{*a}
	}
	v := rw.get("pledgee")
	if v == "" {
		return false, rw.fail("pledgee", "pledgee_required", "a registration names its pledgee"), nil
	}
	var rerr *RowError
	var err error
	if in.PledgeeID, rerr, err = im.party(ctx, rw, "pledgee", v); rerr != nil || err != nil {
		return false, rerr, err
	}
	if in.PledgorIDs, rerr, err = im.parties(ctx, rw, "pledgors"); rerr != nil || err != nil {
		return false, rerr, err
	}
	if in.AssetIDs, rerr, err = im.assets(ctx, rw, "rights"); rerr != nil || err != nil {
		return false, rerr, err
	}
	if _, err := im.s.RegisterPledge(ctx, in); err != nil {
		rerr, err := domainError(rw, err, registerFields)
		return false, rerr, err
	}
	return true, nil, nil
}

func (im *Importer) pledgeEvent(ctx context.Context, rw *row, typ string, dates map[string]*term.Date) (bool, *RowError, error) {
	id, rerr, err := im.pledge(ctx, rw)
	if rerr != nil || err != nil {
		return false, rerr, err
	}
	in := registry.PledgeEventInput{Type: typ, EffectiveOn: *dates["effective_on"], Amount: parseMoney(rw.get("amount")),
		StartsOn: *dates["starts_on"], EndsOn: *dates["ends_on"], ContractNo: rw.get("new_contract_no"),
		Method: strings.ToLower(rw.get("method")), Proceeds: parseMoney(rw.get("proceeds")), Note: rw.get("note"),
		EquityShare: rw.get("equity_share"), LicenceEndsOn: *dates["licence_ends_on"], Appraisal: appraisal(rw, dates)}
	if in.AssetIDs, rerr, err = im.assets(ctx, rw, "rights"); rerr != nil || err != nil {
		return false, rerr, err
	}
	for _, p := range []struct {
		column string
		dst    *uuid.UUID
	}{{"equity_holder", &in.EquityHolderID}, {"licensee", &in.LicenseeID}} {
		if v := rw.get(p.column); v != "" {
			if *p.dst, rerr, err = im.party(ctx, rw, p.column, v); rerr != nil || err != nil {
				return false, rerr, err
			}
		}
	}
	if _, err := im.s.PledgeEvent(ctx, registry.OfficeViewer(), id, in); err != nil {
		rerr, err := domainError(rw, err, pledgeEvFields)
		return false, rerr, err
	}
	return true, nil, nil
}

// pledge resolves the pledge a row names by its current contract number, of the pledgee when
// one is given. Of several such pledges (a renewal may keep the number), the one still active
// is meant; more than one active is ambiguous.
func (im *Importer) pledge(ctx context.Context, rw *row) (uuid.UUID, *RowError, error) {
	var pledgee uuid.UUID
	if v := rw.get("pledgee"); v != "" {
		id, rerr, err := im.party(ctx, rw, "pledgee", v)
		if rerr != nil || err != nil {
			return uuid.Nil, rerr, err
		}
		pledgee = id
	}
	contract := rw.get("contract_no")
	ps, err := im.s.PledgesByContract(ctx, contract, pledgee)
	if err != nil {
		return uuid.Nil, nil, err
	}
	if len(ps) > 1 {
		var active []registry.PledgeRef
		for _, p := range ps {
			if p.Status == registry.PledgeActive {
				active = append(active, p)
			}
		}
		if len(active) == 1 {
			ps = active
		}
	}
	switch len(ps) {
	case 0:
		of := ""
		if pledgee != uuid.Nil {
			of = " of pledgee " + rw.get("pledgee")
		}
		return uuid.Nil, rw.fail("contract_no", "pledge_unknown", "no pledge%s has the contract number %s (register it in an earlier row)", of, contract), nil
	case 1:
		return ps[0].ID, nil, nil
	}
	e := rw.fail("contract_no", "pledge_ambiguous", "%d pledges have the contract number %s: name the pledgee, or tell them apart by contract number", len(ps), contract)
	e.Ref = ps[0].ID.String()
	return uuid.Nil, e, nil
}

// appraisal is the row's appraisal of the rights (the appraise event's, or one given with a
// registration), nil when the row has none.
func appraisal(rw *row, dates map[string]*term.Date) *registry.AppraisalInput {
	a := registry.AppraisalInput{Value: parseMoney(rw.get("appraisal_value")), Appraiser: rw.get("appraiser"),
		AppraisedOn: *dates["appraised_on"], Method: strings.ToLower(rw.get("appraisal_method"))}
	if a == (registry.AppraisalInput{}) {
		return nil
	}
	return &a
}
