package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"ipledger/ledger"
	"ipledger/registry/ident"
	"ipledger/registry/term"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// The asset event path before issue 13's batches, kept as the oracle of the property test
// (asset_event_prop_test.go): each event checked by statements against the database and
// projected by itself before the next is checked.

// recordEventDB checks one prepared event against the asset as it stands in tx and records it,
// projecting it by itself. Every rule is checked before anything is written, so a refusal
// (*Error) leaves tx as it was.
func recordEventDB(ctx context.Context, tx *ledger.Tx, id uuid.UUID, in EventInput, kind string, eff term.Date) error {
	db := tx.DB()
	pol, err := loadPolicy(ctx, db)
	if err != nil {
		return err
	}
	ls, err := loadAssets(ctx, db, 1<<62, `a.id = ?`, id.String())
	if err != nil {
		return err
	}
	if len(ls) == 0 {
		return Errorf(NotFound, "asset_not_found", "", "no asset %s", id)
	}
	l := ls[0]
	t := fold(l.f, l.evs, pol, l.fin)
	data, err := checkEventDB(ctx, db, l, t, in, eff)
	if err != nil {
		return err
	}
	data.AssetID, data.Type = id, in.Type
	e, err := tx.Append(ledger.Draft{Kind: kind, Subject: "asset/" + id.String(), EffectiveOn: eff.Time(), Payload: data})
	if err != nil {
		return err
	}
	return applyAssetEventDB(ctx, db, e)
}

// checkEventDB applies the rules of one event type to the asset's timeline as of the event's
// date, and returns the payload to record.
func checkEventDB(ctx context.Context, db bun.IDB, l *loaded, t *timeline, in EventInput, eff term.Date) (eventData, error) {
	d := eventData{Note: strings.TrimSpace(in.Note)}
	k := l.f.Kind
	earliest := minDate(l.f.FiledOn, t.granted)
	if earliest.IsZero() {
		earliest = t.start
	}
	if !earliest.IsZero() && eff.Before(earliest) {
		return d, Errorf(Invalid, "before_filing", "effective_on", "%s is before the asset was filed or registered (%s)", eff, earliest)
	}
	st := t.at(eff)
	invalid := func(code, format string, args ...any) (eventData, error) {
		return d, Errorf(Invalid, code, "effective_on", format, args...)
	}
	if !t.invalidatedOn.IsZero() && !eff.Before(t.invalidatedOn) && in.Type != EventFreeze && in.Type != EventUnfreeze {
		return invalid("already_invalidated", "the right was invalidated on %s", t.invalidatedOn)
	}
	granted := !st.Granted.IsZero()
	switch in.Type {
	case EventGrant:
		if !needsGrant(k) {
			return invalid("grant_not_applicable", "a %s is not granted: its registration date is recorded at registration", k)
		}
		if !t.granted.IsZero() {
			return invalid("already_granted", "granted on %s already", t.granted)
		}
	case EventRenew:
		if !k.IsTrademarkLike() {
			return invalid("not_trademark", "only marks are renewed; a %s has a fixed term", k)
		}
		if !granted {
			return invalid("not_granted", "the mark is not registered on %s", eff)
		}
		last := t.expiries[len(t.expiries)-1]
		if eff.After(term.TrademarkGraceEnd(last)) {
			return invalid("renewal_too_late", "the mark expired on %s and the 6-month grace ended on %s", last, term.TrademarkGraceEnd(last))
		}
		if eff.Before(last.AddMonths(-12)) {
			return invalid("renewal_too_early", "a renewal may be made from 12 months before expiry (%s), not on %s", last.AddMonths(-12), eff)
		}
	case EventLapse:
		if !k.IsPatent() {
			return invalid("not_patent", "only patents lapse for an unpaid annuity")
		}
		if !granted {
			return invalid("not_granted", "the patent is not granted on %s", eff)
		}
		if !t.lapsedOn.IsZero() {
			return invalid("already_lapsed", "the patent lapsed on %s already", t.lapsedOn)
		}
		if st.Status == StatusExpired {
			return invalid("already_expired", "the patent expired on %s", st.ExpiresOn)
		}
	case EventRestore:
		if t.lapsedOn.IsZero() {
			return invalid("not_lapsed", "the right has no lapse to restore")
		}
		if eff.Before(t.lapsedOn) {
			return invalid("before_lapse", "the lapse took effect on %s, after %s", t.lapsedOn, eff)
		}
	case EventInvalidate:
		if needsGrant(k) && !granted {
			return invalid("not_granted", "the right is not granted on %s", eff)
		}
	case EventTransfer, EventLicense:
		if needsGrant(k) && !granted {
			return invalid("not_granted", "the right is not granted on %s", eff)
		}
		if in.Type == EventTransfer {
			if st.Frozen {
				// Court preservation: the right may not change hands until unfrozen.
				return invalid("asset_frozen", "the right is frozen by a court on %s: it cannot be transferred", eff)
			}
			if len(in.OwnerIDs) == 0 {
				return d, Errorf(Invalid, "owners_required", "owner_ids", "a transfer names the new owners")
			}
			var ids []string
			for i, o := range in.OwnerIDs {
				if slices.Contains(in.OwnerIDs[:i], o) {
					return d, Errorf(Invalid, "owner_duplicate", fmt.Sprintf("owner_ids[%d]", i), "owner %s is listed twice", o)
				}
				ids = append(ids, o.String())
			}
			regions, err := partyRegions(ctx, db, ids)
			if err != nil {
				return d, err
			}
			for i, o := range in.OwnerIDs {
				if _, ok := regions[o]; !ok {
					return d, Errorf(Invalid, "owner_unknown", fmt.Sprintf("owner_ids[%d]", i), "no party %s", o)
				}
			}
			d.OwnerIDs = slices.Clone(in.OwnerIDs)
			// CNIPA attributes a right to its first owner's address: unless the registrar set
			// the unit explicitly, it follows the new first owner.
			if !l.explicit {
				if r := regions[in.OwnerIDs[0]]; r != st.Region {
					d.RegionCode = r
				}
			}
		} else {
			if _, err := getParty(ctx, db, in.LicenseeID); err != nil {
				if de, ok := AsError(err); ok && de.Class == NotFound {
					return d, Errorf(Invalid, "licensee_unknown", "licensee_id", "no party %s", in.LicenseeID)
				}
				return d, err
			}
			lid := in.LicenseeID
			d.LicenseeID = &lid
			d.LicenseType = in.LicenseType
		}
		d.PledgeeConsent = in.PledgeeConsent
		if !in.PledgeeConsent {
			var pledge uuid.UUID
			err := db.QueryRowContext(ctx, `SELECT pledge_id FROM registry.pledge_assets WHERE asset_id = ? AND active LIMIT 1`, l.id.String()).Scan(&pledge)
			if err == nil {
				e := Errorf(Conflict, "asset_pledged", "pledgee_consent",
					"the right is in active pledge %s: a %s needs the pledgee's consent", pledge, in.Type)
				e.Ref = pledge.String()
				return d, e
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return d, err
			}
		}
	case EventFreeze, EventUnfreeze:
		if in.Type == EventFreeze && st.Frozen {
			return invalid("already_frozen", "the right is frozen on %s already", eff)
		}
		if in.Type == EventUnfreeze && !st.Frozen {
			return invalid("not_frozen", "the right is not frozen on %s", eff)
		}
		d.CaseNumber = strings.TrimSpace(in.CaseNumber)
	case EventDesignate:
		if k != ident.InventionPatent {
			return invalid("not_invention_patent", "strategic-industry designation counts for invention patents only")
		}
		d.Industry = strings.TrimSpace(in.Industry)
		if d.Industry == "" {
			return d, Errorf(Invalid, "industry_required", "industry", "name the strategic emerging industry")
		}
	case EventForeignFamily:
		if !k.IsPatent() {
			return invalid("not_patent", "overseas family members are recorded on patents")
		}
		d.Country = strings.ToUpper(strings.TrimSpace(in.Country))
		if !countryRE.MatchString(d.Country) || d.Country == "CN" {
			return d, Errorf(Invalid, "country_invalid", "country", "want an overseas office code such as US, EP, JP or WO")
		}
		d.FamilyNumber = strings.TrimSpace(in.FamilyNumber)
		if d.FamilyNumber == "" {
			return d, Errorf(Invalid, "family_number_required", "family_number", "the family member's number is required")
		}
		if in.FamilyDate.After(eff) {
			return d, Errorf(Invalid, "date_in_future", "family_date", "the family member's date %s is after the event's date %s", in.FamilyDate, eff)
		}
		d.FamilyDate = in.FamilyDate
		if err := checkFamilyStatus(in, d.Country, l.f.FiledOn, eff); err != nil {
			return d, err
		}
		d.FamilyStatus, d.FamilyGrantedOn = in.FamilyStatus, in.FamilyGrantedOn
	case EventAward:
		if !k.IsPatent() {
			return invalid("not_patent", "awards are recorded on patents")
		}
		d.Award, d.Level = in.Award, strings.TrimSpace(in.Level)
	case EventWellKnown:
		if !k.IsTrademarkLike() {
			return invalid("not_trademark", "only marks are recognised as well-known")
		}
		if !granted {
			return invalid("not_granted", "the mark is not registered on %s", eff)
		}
		if !t.wellKnownFrom.IsZero() {
			return invalid("already_well_known", "recognised as well-known on %s already", t.wellKnownFrom)
		}
	case EventSetRegion:
		units, err := unitCodes(ctx, db)
		if err != nil {
			return d, err
		}
		if !units[in.RegionCode] {
			return d, Errorf(Invalid, "region_unknown", "region_code",
				"%q is not one of the city's county-level units (the city code %s itself is not a unit)", in.RegionCode, CityCode)
		}
		d.RegionCode = in.RegionCode
	}
	return d, nil
}

// applyAssetEventDB projects one asset event by itself: a statement per table and a
// recompute of the asset's spans from the database.
func applyAssetEventDB(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	var d eventData
	if err := decode(e, &d); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO registry.asset_events (asset_id, seq, type, effective_on, payload)
		VALUES (?, ?, ?, ?, ?)`, d.AssetID.String(), e.Seq, d.Type, e.EffectiveDate(), string(e.Payload)); err != nil {
		return err
	}
	pol, err := loadPolicy(ctx, db)
	if err != nil {
		return err
	}
	tls, err := recompute(ctx, db, pol, e.Seq, `a.id = ?`, d.AssetID.String())
	if err != nil {
		return err
	}
	t := tls[d.AssetID]
	if t == nil {
		return fmt.Errorf("registry: %s #%d: no asset %s", e.Kind, e.Seq, d.AssetID)
	}
	// The current columns of registry.assets follow the timeline's latest state.
	cur := t.at(term.New(9999, 12, 31))
	if _, err := db.ExecContext(ctx, `UPDATE registry.assets SET granted_on = ?, region_code = ?,
		region_explicit = region_explicit OR ?, updated_seq = ? WHERE id = ?`,
		dateArg(t.granted), cur.Region, d.Type == EventSetRegion, e.Seq, d.AssetID.String()); err != nil {
		return err
	}
	// The overseas family members (migration 0022) as the asset's events now say, in SQL: a
	// member whose filing day or unit changed is closed at this seq and known anew from it.
	if _, err := db.ExecContext(ctx, `WITH st AS (
		  SELECT m.country, m.number, m.filed, coalesce((SELECT x.payload->>'region_code' FROM registry.asset_events x
		      WHERE x.asset_id = ?0 AND x.effective_on <= m.filed AND x.type IN ('set_region', 'transfer') AND x.payload->>'region_code' <> ''
		      ORDER BY x.effective_on DESC, x.seq DESC LIMIT 1),
		    (SELECT registered_region FROM registry.assets WHERE id = ?0), '') AS region
		  FROM (SELECT payload->>'country' AS country, payload->>'family_number' AS number,
		      min(coalesce((payload->>'family_date')::date, effective_on)) AS filed
		    FROM registry.asset_events WHERE asset_id = ?0 AND type = 'add_foreign_family' GROUP BY 1, 2) m
		), ch AS (
		  SELECT st.* FROM st LEFT JOIN registry.foreign_family_members c
		    ON c.asset_id = ?0 AND c.known_to IS NULL AND c.country = st.country AND c.family_number = st.number
		  WHERE c.asset_id IS NULL OR c.filed_on <> st.filed OR c.region_code <> st.region
		), closed AS (
		  UPDATE registry.foreign_family_members c SET known_to = ?1 FROM ch
		  WHERE c.asset_id = ?0 AND c.known_to IS NULL AND c.country = ch.country AND c.family_number = ch.number
		)
		INSERT INTO registry.foreign_family_members (asset_id, country, family_number, filed_on, region_code, known_from)
		SELECT ?0, country, number, filed, region, ?1 FROM ch`, d.AssetID.String(), e.Seq); err != nil {
		return err
	}
	if d.Type == EventTransfer {
		if _, err := db.ExecContext(ctx, `DELETE FROM registry.asset_owners WHERE asset_id = ?`, d.AssetID.String()); err != nil {
			return err
		}
		ids := make([]string, len(cur.Owners))
		for i, o := range cur.Owners {
			ids[i] = o.String()
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO registry.asset_owners (asset_id, position, party_id)
			SELECT ?, o.ord - 1, o.id FROM unnest(?::uuid[]) WITH ORDINALITY AS o(id, ord)`,
			d.AssetID.String(), pgdialect.Array(ids)); err != nil {
			return err
		}
	}
	return nil
}
