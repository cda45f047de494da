package term

import (
	"testing"

	"ipledger/registry/ident"
)

func d(s string) Date { return MustParseDate(s) }

func TestExpiry(t *testing.T) {
	p := DefaultParams()
	tests := []struct {
		name    string
		kind    ident.Kind
		filed   string
		granted string
		want    string // "" means ok == false
	}{
		{"invention spec example", ident.InventionPatent, "2003-10-15", "", "2023-10-14"},
		{"invention granted date ignored", ident.InventionPatent, "2003-10-15", "2006-01-01", "2023-10-14"},
		{"invention filed 1 Jan", ident.InventionPatent, "2005-01-01", "", "2024-12-31"},
		{"invention filed 1 Mar leap", ident.InventionPatent, "2004-03-01", "", "2024-02-29"},
		{"invention filed 1 Mar to non-leap", ident.InventionPatent, "2005-03-01", "", "2025-02-28"},
		{"invention filed 29 Feb to leap", ident.InventionPatent, "2004-02-29", "", "2024-02-28"},
		{"utility filed 29 Feb to non-leap", ident.UtilityModel, "2020-02-29", "", "2030-02-28"},
		{"utility 10 years", ident.UtilityModel, "2015-06-30", "", "2025-06-29"},
		{"invention old-form filing", ident.InventionPatent, "2003-09-30", "", "2023-09-29"},
		{"invention new-form first day", ident.InventionPatent, "2003-10-01", "", "2023-09-30"},

		{"design last day of 10-year regime", ident.DesignPatent, "2021-05-31", "", "2031-05-30"},
		{"design first day of 15-year regime", ident.DesignPatent, "2021-06-01", "", "2036-05-31"},
		{"design day after change", ident.DesignPatent, "2021-06-02", "", "2036-06-01"},
		{"design granted after change, filed before", ident.DesignPatent, "2021-01-10", "2021-08-01", "2031-01-09"},
		{"design 29 Feb before change", ident.DesignPatent, "2016-02-29", "", "2026-02-28"},

		{"trademark", ident.Trademark, "2013-01-01", "2014-03-07", "2024-03-06"},
		{"trademark filing ignored", ident.Trademark, "", "2014-03-07", "2024-03-06"},
		{"trademark registered 29 Feb", ident.Trademark, "", "2012-02-29", "2022-02-28"},
		{"GI certification mark", ident.GICertificationMark, "", "2010-07-14", "2020-07-13"},
		{"GI collective mark", ident.GICollectiveMark, "", "2010-07-14", "2020-07-13"},
		{"trademark not yet registered", ident.Trademark, "2024-01-01", "", ""},

		{"plant variety day before change", ident.PlantVariety, "2019-01-01", "2025-05-31", "2040-05-30"},
		{"plant variety change day", ident.PlantVariety, "2019-01-01", "2025-06-01", "2045-05-31"},
		{"plant variety after change", ident.PlantVariety, "2019-01-01", "2025-06-02", "2045-06-01"},
		{"plant variety not granted", ident.PlantVariety, "2019-01-01", "", ""},

		{"patent without filing date", ident.InventionPatent, "", "2010-01-01", ""},
		{"gi product has no term", ident.GIProduct, "2008-01-01", "2008-06-01", ""},
		{"software copyright not tracked", ident.SoftwareCopyright, "2019-01-01", "2019-03-01", ""},
		{"work copyright not tracked", ident.WorkCopyright, "2019-01-01", "2019-03-01", ""},
		{"unknown kind", ident.Kind("bogus"), "2019-01-01", "2019-03-01", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var filed, granted Date
			if tt.filed != "" {
				filed = d(tt.filed)
			}
			if tt.granted != "" {
				granted = d(tt.granted)
			}
			got, ok := Expiry(tt.kind, filed, granted, p)
			if tt.want == "" {
				if ok {
					t.Fatalf("got %s, want no expiry", got)
				}
				return
			}
			if !ok {
				t.Fatalf("no expiry, want %s", tt.want)
			}
			if got, want := got.String(), tt.want; got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
}

// TestExpiryValidity spells out "expires_on is the last valid day" at the
// edges: valid on the day before and on expires_on, not the day after.
func TestExpiryValidity(t *testing.T) {
	valid := func(on, expires Date) bool { return !on.After(expires) }
	exp, _ := Expiry(ident.InventionPatent, d("2003-10-15"), Date{}, DefaultParams())
	tests := []struct {
		on   string
		want bool
	}{
		{"2023-10-13", true},
		{"2023-10-14", true},
		{"2023-10-15", false},
	}
	for _, tt := range tests {
		t.Run(tt.on, func(t *testing.T) {
			if got, want := valid(d(tt.on), exp), tt.want; got != want {
				t.Fatalf("valid on %s = %v, want %v (expires %s)", tt.on, got, want, exp)
			}
		})
	}
}

func TestPlantVarietyExpiry(t *testing.T) {
	p := DefaultParams()
	tests := []struct {
		name    string
		granted string
		tree    bool
		want    string
	}{
		{"general before", "2025-05-31", false, "2040-05-30"},
		{"tree before", "2025-05-31", true, "2045-05-30"},
		{"general from change", "2025-06-01", false, "2045-05-31"},
		{"tree from change", "2025-06-01", true, "2050-05-31"},
		{"tree 29 Feb before", "2024-02-29", true, "2044-02-28"},
		{"general 29 Feb before", "2024-02-29", false, "2039-02-28"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := PlantVarietyExpiry(d(tt.granted), tt.tree, p)
			if !ok {
				t.Fatal("not ok")
			}
			if got, want := got.String(), tt.want; got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
	if _, ok := PlantVarietyExpiry(Date{}, true, p); ok {
		t.Fatal("ok without grant date")
	}
}

func TestParamsChangeBoundaries(t *testing.T) {
	// Moving a boundary is an admin act; Expiry must follow the parameter.
	p := DefaultParams()
	p.DesignChangeOn = d("2022-01-01")
	if got, _ := Expiry(ident.DesignPatent, d("2021-06-01"), Date{}, p); got.String() != "2031-05-31" {
		t.Fatalf("design with moved boundary: got %s, want 2031-05-31", got)
	}
	p.InventionYears = 25
	if got, _ := Expiry(ident.InventionPatent, d("2003-10-15"), Date{}, p); got.String() != "2028-10-14" {
		t.Fatalf("invention with 25 years: got %s, want 2028-10-14", got)
	}
}

func TestParamsValidate(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	tests := []struct {
		name   string
		modify func(*Params)
	}{
		{"zero invention years", func(p *Params) { p.InventionYears = 0 }},
		{"negative maintained years", func(p *Params) { p.MaintainedYears = -1 }},
		{"absurd trademark years", func(p *Params) { p.TrademarkYears = 1000 }},
		{"no design change date", func(p *Params) { p.DesignChangeOn = Date{} }},
		{"no plant change date", func(p *Params) { p.PlantVarietyChangeOn = Date{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultParams()
			tt.modify(&p)
			err := p.Validate()
			e, ok := err.(*Error)
			if !ok || e.Code != CodeParamsInvalid {
				t.Fatalf("got %v, want %s", err, CodeParamsInvalid)
			}
		})
	}
}

func TestRenewedExpiry(t *testing.T) {
	tests := []struct {
		name, prev, want string
	}{
		{"plain", "2024-03-06", "2034-03-06"},
		{"prev 28 Feb leap year", "2024-02-28", "2034-02-28"}, // from 2024-02-29: 2034 has no 29 Feb, so its last day ends the term
		{"prev 27 Feb", "2022-02-27", "2032-02-27"},           // from 2022-02-28
		{"prev 29 Feb", "2024-02-29", "2034-02-28"},           // from 2024-03-01 → 2034-03-01 − 1
		{"prev 31 Dec", "2023-12-31", "2033-12-31"},           // from 2024-01-01
		{"chained twice", "2034-03-06", "2044-03-06"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := RenewedExpiry(d(tt.prev)).String(), tt.want; got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
}

func TestTrademarkGraceEnd(t *testing.T) {
	tests := []struct{ expires, want string }{
		{"2024-03-06", "2024-09-06"},
		{"2024-08-31", "2025-02-28"},
		{"2023-08-31", "2024-02-29"},
		{"2024-12-31", "2025-06-30"},
		{"2024-02-29", "2024-08-29"},
		{"2024-07-15", "2025-01-15"},
	}
	for _, tt := range tests {
		t.Run(tt.expires, func(t *testing.T) {
			if got, want := TrademarkGraceEnd(d(tt.expires)).String(), tt.want; got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
}

func TestMaintainedSince(t *testing.T) {
	tests := []struct {
		name, filed string
		years       int
		want        string
	}{
		{"spec", "2010-05-01", 10, "2020-05-02"},
		{"filed 29 Feb to non-leap", "2012-02-29", 10, "2022-03-01"},
		{"filed 29 Feb to leap", "2012-02-29", 12, "2024-03-01"},
		{"filed 28 Feb to leap", "2014-02-28", 10, "2024-02-29"},
		{"filed 31 Dec", "2013-12-31", 10, "2024-01-01"},
		{"default parameter", "2015-06-15", DefaultParams().MaintainedYears, "2025-06-16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := MaintainedSince(d(tt.filed), tt.years).String(), tt.want; got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
	// At the edge: filed 2010-05-01 is not maintained > 10 years on the
	// anniversary itself, and is the day after.
	since := MaintainedSince(d("2010-05-01"), 10)
	for _, tt := range []struct {
		on   string
		want bool
	}{{"2020-04-30", false}, {"2020-05-01", false}, {"2020-05-02", true}} {
		t.Run("edge/"+tt.on, func(t *testing.T) {
			if got, want := !d(tt.on).Before(since), tt.want; got != want {
				t.Fatalf("maintained on %s = %v, want %v", tt.on, got, want)
			}
		})
	}
}
