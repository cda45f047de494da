package importer

import (
	"context"
	"strings"

	"ipledger/registry"
	"ipledger/registry/ident"
)

// EventColumns are the events layout's columns (docs/IMPORT.md, Asset events): the right
// (kind optional, number), the event's type and date, and the fields of the API's asset event
// body, with parties named by reference instead of id (owners, licensee).
var EventColumns = []string{"type", "kind", "number", "effective_on", "owners", "pledgee_consent", "licensee", "license_type",
	"case_number", "industry", "country", "family_number", "family_date", "family_status", "family_granted_on", "award", "level", "region_code", "note"}

var eventLayout = &rowLayout{
	name:     Events,
	columns:  EventColumns,
	required: []string{"type", "number"},
	dates:    []string{"effective_on", "family_date", "family_granted_on"},
	keyed:    true,
	write:    writeEvent,
}

var eventFields = map[string]string{"owner_ids": "owners", "licensee_id": "licensee", "": "type"}

func writeEvent(ctx context.Context, im *Importer, rw *row) (bool, *RowError, error) {
	var kind ident.Kind
	if v := rw.get("kind"); v != "" {
		k, err := ident.ParseKind(strings.ToLower(v))
		if err != nil {
			return false, rw.fail("kind", ident.CodeKindUnknown, "unknown kind %q", v), nil
		}
		kind = k
	}
	in := registry.EventInput{Type: strings.ToLower(rw.get("type")), LicenseType: strings.ToLower(rw.get("license_type")),
		CaseNumber: rw.get("case_number"), Industry: rw.get("industry"), Country: strings.ToUpper(rw.get("country")),
		FamilyNumber: rw.get("family_number"), FamilyStatus: strings.ToLower(rw.get("family_status")), Award: strings.ToLower(rw.get("award")), Level: rw.get("level"),
		RegionCode: rw.get("region_code"), Note: rw.get("note")}
	var rerr *RowError
	if in.EffectiveOn, rerr = rw.date("effective_on"); rerr != nil {
		return false, rerr, nil
	}
	if in.FamilyDate, rerr = rw.date("family_date"); rerr != nil {
		return false, rerr, nil
	}
	if in.FamilyGrantedOn, rerr = rw.date("family_granted_on"); rerr != nil {
		return false, rerr, nil
	}
	consent, ok := parseBool(rw.get("pledgee_consent"))
	if !ok {
		return false, rw.fail("pledgee_consent", "bool_format", "%q is not yes or no", rw.get("pledgee_consent")), nil
	}
	in.PledgeeConsent = consent
	id, rerr, err := im.asset(ctx, rw, "number", rw.get("number"), kind)
	if rerr != nil || err != nil {
		return false, rerr, err
	}
	if in.OwnerIDs, rerr, err = im.parties(ctx, rw, "owners"); rerr != nil || err != nil {
		return false, rerr, err
	}
	if v := rw.get("licensee"); v != "" {
		if in.LicenseeID, rerr, err = im.party(ctx, rw, "licensee", v); rerr != nil || err != nil {
			return false, rerr, err
		}
	}
	if _, err := im.s.AssetEvent(ctx, id, in); err != nil {
		rerr, err := domainError(rw, err, eventFields)
		return false, rerr, err
	}
	return true, nil, nil
}
