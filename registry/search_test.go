package registry

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"ipledger/registry/ident"
)

// fullWidth writes ASCII the way a Chinese input method in full-width mode does.
func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > 0x20 && r < 0x7f {
			r += 0xFF01 - 0x21
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestListAssetsFindsARightByAnySpellingOfItsNumber(t *testing.T) {
	f := newFixture(t)
	owner := f.party("150502")
	patent := f.asset(AssetInput{Kind: ident.InventionPatent, Number: "201910345678.6", Title: "一种装置",
		OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2019-05-06"), GrantedOn: d("2021-08-10")})
	mark := f.asset(AssetInput{Kind: ident.Trademark, Number: "12345678", Title: "科尔沁",
		OwnerIDs: []uuid.UUID{owner.ID}, GrantedOn: d("2014-03-07")})
	// A second patent, so a search that matched everything would show.
	f.asset(AssetInput{Kind: ident.InventionPatent, Number: patentNo(2020, '1', 7), Title: "另一种方法",
		OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2020-01-06"), GrantedOn: d("2022-01-10")})

	find := func(t *testing.T, q string) []uuid.UUID {
		t.Helper()
		got, _, err := f.s.ListAssets(f.ctx, AssetFilter{Q: q})
		if err != nil {
			t.Fatalf("q=%q: %v", q, err)
		}
		ids := make([]uuid.UUID, len(got))
		for i, a := range got {
			ids[i] = a.ID
		}
		return ids
	}
	for _, q := range []string{
		"201910345678.6", "ZL201910345678.6", "CN201910345678.6", "zl2019103456786",
		"ZL 2019 1034 5678.6", "cn 201910345678 6", fullWidth("ZL201910345678.6"), "ＺＬ２０１９１０３４５６７８．６",
		"2019103456",
	} {
		t.Run("patent/"+q, func(t *testing.T) {
			if got := find(t, q); len(got) != 1 || got[0] != patent.ID {
				t.Fatalf("q=%q found %v, want only %s", q, got, patent.ID)
			}
		})
	}
	for _, q := range []string{"12345678", " 1234 5678 ", fullWidth("12345678")} {
		t.Run("mark/"+q, func(t *testing.T) {
			if got := find(t, q); len(got) != 1 || got[0] != mark.ID {
				t.Fatalf("q=%q found %v, want only %s", q, got, mark.ID)
			}
		})
	}
	t.Run("title still matches", func(t *testing.T) {
		if got := find(t, "装置"); len(got) != 1 || got[0] != patent.ID {
			t.Fatalf("found %v, want only %s", got, patent.ID)
		}
	})
	t.Run("a mistyped check character finds nothing and is no error", func(t *testing.T) {
		for _, q := range []string{"201910345678.7", "ZL201910345678.7", "CN2019103456787"} {
			if got := find(t, q); len(got) != 0 {
				t.Fatalf("q=%q found %v, want nothing", q, got)
			}
		}
	})
}

func TestListPartiesFindsAUSCCInAnyCaseOrWidth(t *testing.T) {
	f := newFixture(t)
	code := usccFor("91150502MA0Q1XY3R")
	p, _, err := f.s.RegisterParty(f.ctx, PartyInput{Name: "通辽某科技有限公司", Kind: Enterprise, USCC: code, RegionCode: "150502"})
	if err != nil {
		t.Fatal(err)
	}
	// A pilot code whose check character is wrong, confirmed by the registrar, is found too.
	pilot, _, err := f.s.RegisterParty(f.ctx, PartyInput{Name: "试点企业", Kind: Enterprise, USCC: "91350203M0001QAY9B", USCCConfirmed: true, RegionCode: "150502"})
	if err != nil {
		t.Fatal(err)
	}
	f.party("150502") // noise
	find := func(t *testing.T, q string) []uuid.UUID {
		t.Helper()
		got, _, err := f.s.ListParties(f.ctx, PartyFilter{Q: q})
		if err != nil {
			t.Fatalf("q=%q: %v", q, err)
		}
		ids := make([]uuid.UUID, len(got))
		for i, x := range got {
			ids[i] = x.ID
		}
		return ids
	}
	for _, q := range []string{code, strings.ToLower(code), fullWidth(code), " " + code[:9] + " " + code[9:] + " ", fullWidth(strings.ToLower(code))} {
		if got := find(t, q); len(got) != 1 || got[0] != p.ID {
			t.Errorf("q=%q found %v, want only %s", q, got, p.ID)
		}
	}
	if got := find(t, "91350203m0001qay9b"); len(got) != 1 || got[0] != pilot.ID {
		t.Errorf("pilot code found %v, want only %s", got, pilot.ID)
	}
	if got := find(t, "科技"); len(got) != 1 || got[0] != p.ID {
		t.Errorf("name substring found %v, want only %s", got, p.ID)
	}
	other := code[:17] + "0"
	if code[17] == '0' {
		other = code[:17] + "1"
	}
	if got := find(t, other); len(got) != 0 {
		t.Errorf("a code with another check character found %v", got)
	}
}
