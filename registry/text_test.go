package registry

import (
	"testing"

	"github.com/google/uuid"

	"ipledger/registry/ident"
)

// Every face of the registry (API, console forms, imports) reaches these calls, so text that
// Postgres cannot hold, or that no person typed, is refused by the domain and not only by the
// HTTP body gate; nothing is written.
func TestRegistryRefusesTextThatCannotBeStored(t *testing.T) {
	f := newFixture(t)
	owner := f.party("150502")
	head := func() int64 {
		var n int64
		if err := f.db.App.QueryRow(`SELECT count(*) FROM ledger.entries`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := head()
	for _, bad := range []string{"a\x00b", "a\x01b", "a\nb", "a\xffb"} {
		_, _, err := f.s.RegisterParty(f.ctx, PartyInput{Name: bad, Kind: Enterprise, RegionCode: "150502"})
		if de := wantCode(t, err, Invalid, "text_invalid"); de.Field != "name" {
			t.Fatalf("party name %q: field %q", bad, de.Field)
		}
		_, err = f.s.PartyEvent(f.ctx, owner.ID, PartyEventInput{Type: "rename", Name: bad})
		if de := wantCode(t, err, Invalid, "text_invalid"); de.Field != "name" {
			t.Fatalf("rename %q: field %q", bad, de.Field)
		}
		_, err = f.s.RegisterAsset(f.ctx, AssetInput{Kind: ident.Trademark, Number: "31234567", Title: bad,
			OwnerIDs: []uuid.UUID{owner.ID}, GrantedOn: d("2020-01-02")})
		if de := wantCode(t, err, Invalid, "text_invalid"); de.Field != "title" {
			t.Fatalf("asset title %q: field %q", bad, de.Field)
		}
	}
	if got := head(); got != before {
		t.Fatalf("refused text wrote %d ledger entries", got-before)
	}
}
