package importer

import (
	"context"
	"strings"

	"ipledger/registry"
	"ipledger/registry/ident"
)

// PartyColumns are the parties layout's columns (docs/IMPORT.md, Parties).
var PartyColumns = []string{"name", "kind", "uscc", "uscc_confirmed", "region_code"}

// A party is identified by its unified social credit code, or, without one, by its name and
// unit: already registered with the same data it is unchanged (registering a party takes no
// date, so the data alone says whether it is there).
var partyLayout = &rowLayout{
	name:     Parties,
	columns:  PartyColumns,
	required: []string{"name", "kind", "region_code"},
	write:    writeParty,
}

var partyFields = map[string]string{"name": "name", "kind": "kind", "uscc": "uscc", "region_code": "region_code"}

func writeParty(ctx context.Context, im *Importer, rw *row) (bool, *RowError, error) {
	confirmed, ok := parseBool(rw.get("uscc_confirmed"))
	if !ok {
		return false, rw.fail("uscc_confirmed", "bool_format", "%q is not yes or no", rw.get("uscc_confirmed")), nil
	}
	in := registry.PartyInput{Name: rw.get("name"), Kind: registry.PartyKind(strings.ToLower(rw.get("kind"))),
		USCC: rw.get("uscc"), USCCConfirmed: confirmed, RegionCode: rw.get("region_code")}
	existing, rerr, err := im.existingParty(ctx, rw, in)
	if rerr != nil || err != nil {
		return false, rerr, err
	}
	if existing != nil {
		return false, nil, nil
	}
	if _, _, err := im.s.RegisterParty(ctx, in); err != nil {
		rerr, err := domainError(rw, err, partyFields)
		return false, rerr, err
	}
	return true, nil, nil
}

// existingParty finds the party the row describes: nil when there is none, a row error
// (party_exists, naming it) when it is registered with other data.
func (im *Importer) existingParty(ctx context.Context, rw *row, in registry.PartyInput) (*registry.Party, *RowError, error) {
	var found *registry.Party
	column := "uscc"
	if strings.TrimSpace(in.USCC) != "" {
		code, err := ident.CheckUSCC(in.USCC)
		if err != nil {
			if ident.CodeOf(err) != ident.CodeUSCCCheck {
				return nil, nil, nil // the service names what is wrong with it
			}
			code = ident.NormalizeUSCC(in.USCC)
		}
		ids, err := im.s.PartyIDsByUSCC(ctx, []string{code})
		if err != nil {
			return nil, nil, err
		}
		id, ok := ids[code]
		if !ok {
			return nil, nil, nil
		}
		p, err := im.s.GetParty(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		found = &p
	} else {
		column = "name"
		ps, err := im.s.PartiesByNameRegion(ctx, strings.TrimSpace(in.Name), in.RegionCode)
		if err != nil || len(ps) == 0 {
			return nil, nil, err
		}
		found = &ps[0]
	}
	if found.Name == strings.TrimSpace(in.Name) && found.Kind == in.Kind && found.RegionCode == in.RegionCode {
		return found, nil, nil
	}
	e := rw.fail(column, "party_exists", "party %s (%s, %s, unit %s) is registered already with other data; change it through its events",
		found.ID, found.Name, found.Kind, found.RegionCode)
	e.Ref = found.ID.String()
	return nil, e, nil
}
