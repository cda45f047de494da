package ident

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain pins the clock so "plausible year" bounds do not move under the
// tests: the current year is 2025.
func TestMain(m *testing.M) {
	now = func() time.Time { return time.Date(2025, time.June, 15, 12, 0, 0, 0, time.UTC) }
	os.Exit(m.Run())
}

func TestParseKind(t *testing.T) {
	for _, k := range Kinds() {
		t.Run(string(k), func(t *testing.T) {
			got, err := ParseKind(string(k))
			if err != nil {
				t.Fatal(err)
			}
			if got != k {
				t.Fatalf("got %q, want %q", got, k)
			}
		})
	}
	for _, s := range []string{"", "Trademark", " trademark", "patent", "well_known_mark"} {
		t.Run("refuse/"+s, func(t *testing.T) {
			_, err := ParseKind(s)
			if got, want := CodeOf(err), CodeKindUnknown; got != want {
				t.Fatalf("code %q, want %q (err %v)", got, want, err)
			}
		})
	}
	if got, want := len(Kinds()), 10; got != want {
		t.Fatalf("len(Kinds()) = %d, want %d", got, want)
	}
}

func TestKindPredicates(t *testing.T) {
	tests := []struct {
		k                      Kind
		patent, tmLike, pledge bool
	}{
		{InventionPatent, true, false, true},
		{UtilityModel, true, false, true},
		{DesignPatent, true, false, true},
		{Trademark, false, true, true},
		{GICertificationMark, false, true, false},
		{GICollectiveMark, false, true, false},
		{GIProduct, false, false, false},
		{SoftwareCopyright, false, false, true},
		{WorkCopyright, false, false, true},
		{PlantVariety, false, false, true},
		{Kind("bogus"), false, false, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.k), func(t *testing.T) {
			if got, want := tt.k.IsPatent(), tt.patent; got != want {
				t.Errorf("IsPatent = %v, want %v", got, want)
			}
			if got, want := tt.k.IsTrademarkLike(), tt.tmLike; got != want {
				t.Errorf("IsTrademarkLike = %v, want %v", got, want)
			}
			if got, want := tt.k.Pledgeable(), tt.pledge; got != want {
				t.Errorf("Pledgeable = %v, want %v", got, want)
			}
		})
	}
}

func TestPatentCheckChar(t *testing.T) {
	tests := []struct {
		name, body string
		want       byte
	}{
		// 2·2+0·3+1·4+3·5+1·6+0·7+6·8+9·9+9·2+7·3+4·4+4·5 = 233 = 21·11 + 2
		{"spec example", "201310699744", '2'},
		// 2·2+3·5+1·6+8·5 = 65 = 5·11 + 10
		{"remainder 10 is X", "200310000008", 'X'},
		// 8·2+8·3+1·4+0+0+0+0+1·9 = 16+24+4+9 = 53 = 4·11 + 9
		{"old form", "88100001", '9'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := PatentCheckChar(tt.body)
			if !ok {
				t.Fatal("not ok")
			}
			if got != tt.want {
				t.Fatalf("got %c, want %c", got, tt.want)
			}
		})
	}
	for _, body := range []string{"", "2013106997", "2013106997441", "20131069974a"} {
		t.Run("refuse/"+body, func(t *testing.T) {
			if _, ok := PatentCheckChar(body); ok {
				t.Fatal("ok for a malformed body")
			}
		})
	}
}

func TestCanonicalPatent(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		raw  string
		want string
	}{
		{"canonical", InventionPatent, "201310699744.2", "201310699744.2"},
		{"ZL and no dot", InventionPatent, "ZL2013106997442", "201310699744.2"},
		{"ZL space dot", InventionPatent, "ZL 201310699744.2", "201310699744.2"},
		{"lowercase zl", InventionPatent, "zl201310699744.2", "201310699744.2"},
		{"mixed case Zl", InventionPatent, "Zl201310699744.2", "201310699744.2"},
		{"no dot", InventionPatent, "2013106997442", "201310699744.2"},
		{"inner spaces", InventionPatent, " 2013 1069 9744 . 2 ", "201310699744.2"},
		{"full-width", InventionPatent, "ＺＬ２０１３１０６９９７４４．２", "201310699744.2"},
		{"ideographic space", InventionPatent, "ZL\u3000201310699744.2", "201310699744.2"},
		{"check X", InventionPatent, "200310000008.X", "200310000008.X"},
		{"check lowercase x", InventionPatent, "ZL200310000008x", "200310000008.X"},
		{"PCT invention", InventionPatent, "201880000002.7", "201880000002.7"},
		{"utility model", UtilityModel, "201920000001.4", "201920000001.4"},
		{"PCT utility model", UtilityModel, "201990000003.1", "201990000003.1"},
		{"design", DesignPatent, "202130000001.7", "202130000001.7"},
		{"12-digit form 2003", InventionPatent, "200310000008.X", "200310000008.X"},
		{"current year", InventionPatent, "202510000001.4", "202510000001.4"},
		{"old form 1988", InventionPatent, "88100001.9", "88100001.9"},
		{"old form 1985", InventionPatent, "ZL85100001.0", "85100001.0"},
		{"old form 2003", UtilityModel, "03200001.4", "03200001.4"},
		{"old form 2000 no dot", DesignPatent, "00300001x", "00300001.X"},
		{"CN prefix", InventionPatent, "CN201310699744.2", "201310699744.2"},
		{"CN prefix, spaces, no dot", InventionPatent, "cn 2019 1034 5678 6", "201910345678.6"},
		{"full-width CN", UtilityModel, "ＣＮ２０１９２００００００１．４", "201920000001.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(tt.kind, tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			again, err := Canonical(tt.kind, got)
			if err != nil || again != got {
				t.Fatalf("not idempotent: %q, %v", again, err)
			}
		})
	}
}

func TestCanonicalPatentErrors(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		raw  string
		code string
	}{
		{"empty", InventionPatent, "", CodePatentFormat},
		{"only ZL", InventionPatent, "ZL", CodePatentFormat},
		{"no check char", InventionPatent, "201310699744", CodePatentFormat},
		{"no check after dot", InventionPatent, "201310699744.", CodePatentFormat},
		{"dot misplaced", InventionPatent, "20131069974.42", CodePatentFormat},
		{"two dots", InventionPatent, "201310699744..2", CodePatentFormat},
		{"13 digits", InventionPatent, "2013106997441.2", CodePatentFormat},
		{"letter in body", InventionPatent, "2013106997A4.2", CodePatentFormat},
		{"check is a letter", InventionPatent, "201310699744.A", CodePatentFormat},
		{"CN and ZL", InventionPatent, "CNZL201310699744.2", CodePatentFormat},
		{"CN prefix, wrong check", InventionPatent, "CN201310699744.3", CodePatentCheck},
		{"double ZL", InventionPatent, "ZLZL201310699744.2", CodePatentFormat},
		{"wrong check", InventionPatent, "201310699744.3", CodePatentCheck},
		{"X where digit due", InventionPatent, "201310699744.X", CodePatentCheck},
		{"transposed digits", InventionPatent, "201301699744.2", CodePatentCheck},
		{"old form wrong check", InventionPatent, "88100001.8", CodePatentCheck},
		{"12-digit form before 2003", InventionPatent, "200210000001.3", CodePatentYear},
		{"12-digit form 1999", InventionPatent, "199910000001.0", CodePatentYear},
		{"future year", InventionPatent, "202610000001.9", CodePatentYear},
		{"old form 1984", InventionPatent, "84100001.8", CodePatentYear},
		{"old form 2004", InventionPatent, "04100001.3", CodePatentYear},
		{"utility number as invention", InventionPatent, "201920000001.4", CodePatentTypeMismatch},
		{"design number as invention", InventionPatent, "202130000001.7", CodePatentTypeMismatch},
		{"invention number as utility", UtilityModel, "201310699744.2", CodePatentTypeMismatch},
		{"PCT invention as design", DesignPatent, "201880000002.7", CodePatentTypeMismatch},
		{"unknown type digit 4", InventionPatent, "201940000001.5", CodePatentTypeMismatch},
		{"old form type mismatch", DesignPatent, "88100001.9", CodePatentTypeMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(tt.kind, tt.raw)
			if err == nil {
				t.Fatalf("accepted as %q", got)
			}
			if got, want := CodeOf(err), tt.code; got != want {
				t.Fatalf("code %q, want %q (%v)", got, want, err)
			}
			var e *Error
			if !errors.As(err, &e) || e.Field != FieldNumber {
				t.Fatalf("want *Error with field %q, got %#v", FieldNumber, err)
			}
		})
	}
}

func TestPatentFilingYearAndDisplay(t *testing.T) {
	tests := []struct {
		canonical string
		year      int
		display   string
	}{
		{"201310699744.2", 2013, "ZL201310699744.2"},
		{"88100001.9", 1988, "ZL88100001.9"},
		{"03200001.4", 2003, "ZL03200001.4"},
		{"85100001.0", 1985, "ZL85100001.0"},
		{"ZL201310699744.2", 0, "ZLZL201310699744.2"}, // not canonical: no year
		{"", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.canonical, func(t *testing.T) {
			if got, want := PatentFilingYear(tt.canonical), tt.year; got != want {
				t.Errorf("PatentFilingYear = %d, want %d", got, want)
			}
			if got, want := PatentNumberDisplay(tt.canonical), tt.display; got != want {
				t.Errorf("PatentNumberDisplay = %q, want %q", got, want)
			}
		})
	}
}

func TestCheckPatentFiledOn(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name      string
		canonical string
		filedOn   time.Time
		code      string // "" for no error
	}{
		{"old form last day", "03200001.4", day(2003, 9, 30), ""},
		{"old form on switch day", "03200001.4", day(2003, 10, 1), CodePatentFilingDate},
		{"new form on switch day", "200310000008.X", day(2003, 10, 1), ""},
		{"new form day before switch", "200310000008.X", day(2003, 9, 30), CodePatentFilingDate},
		{"new form end of year", "200310000008.X", day(2003, 12, 31), ""},
		{"year agrees", "201310699744.2", day(2013, 12, 31), ""},
		{"year disagrees", "201310699744.2", day(2014, 1, 1), CodePatentFilingDate},
		{"old form 1988", "88100001.9", day(1988, 1, 4), ""},
		{"old form wrong year", "88100001.9", day(1989, 1, 4), CodePatentFilingDate},
		{"not canonical", "ZL201310699744.2", day(2013, 1, 1), CodePatentFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPatentFiledOn(tt.canonical, tt.filedOn)
			if got, want := CodeOf(err), tt.code; got != want {
				t.Fatalf("code %q, want %q (%v)", got, want, err)
			}
		})
	}
}

func TestCanonicalOtherKinds(t *testing.T) {
	long := strings.Repeat("号", 64)
	tests := []struct {
		name string
		kind Kind
		raw  string
		want string
	}{
		{"trademark", Trademark, "1234567", "1234567"},
		{"trademark spaces", Trademark, " 12 345 678 ", "12345678"},
		{"trademark one digit", Trademark, "7", "7"},
		{"trademark nine digits", Trademark, "123456789", "123456789"},
		{"trademark leading zero kept", Trademark, "0123", "0123"},
		{"trademark full-width", Trademark, "１２３４", "1234"},
		{"GI certification mark", GICertificationMark, "5432109", "5432109"},
		{"GI collective mark", GICollectiveMark, "5432108", "5432108"},

		{"gi product", GIProduct, "  2008年第137号公告  ", "2008年第137号公告"},
		{"gi product 64 runes", GIProduct, long, long},
		{"gi product inner space kept", GIProduct, "No. 12", "No. 12"},

		{"software", SoftwareCopyright, "2019SR0123456", "2019SR0123456"},
		{"software lowercase", SoftwareCopyright, "2019sr0123456", "2019SR0123456"},
		{"software six digits", SoftwareCopyright, "2010SR012345", "2010SR012345"},
		{"software spaces", SoftwareCopyright, " 2019 SR 0123456", "2019SR0123456"},
		{"software ten digits", SoftwareCopyright, "2024SR0123456789", "2024SR0123456789"},

		{"work", WorkCopyright, "国作登字-2019-F-00812345", "国作登字-2019-F-00812345"},
		{"work em dash", WorkCopyright, "国作登字—2019—F—00812345", "国作登字-2019-F-00812345"},
		{"work full-width hyphen", WorkCopyright, "国作登字－2019－F－00812345", "国作登字-2019-F-00812345"},
		{"work lowercase letter", WorkCopyright, "国作登字-2020-l-00000001", "国作登字-2020-L-00000001"},
		{"work category A", WorkCopyright, "国作登字-2021-A-12345678", "国作登字-2021-A-12345678"},
		{"work spaces", WorkCopyright, " 国作登字 - 2019 - F - 00812345 ", "国作登字-2019-F-00812345"},

		{"plant variety", PlantVariety, "20191006012", "20191006012"},
		{"plant variety CNA", PlantVariety, "CNA20191006012", "20191006012"},
		{"plant variety cna space", PlantVariety, "cna 20191006012", "20191006012"},
		{"plant variety 9 digits", PlantVariety, "199900001", "199900001"},
		{"plant variety 12 digits", PlantVariety, "202510000001", "202510000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(tt.kind, tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			again, err := Canonical(tt.kind, got)
			if err != nil || again != got {
				t.Fatalf("not idempotent: %q, %v", again, err)
			}
		})
	}
}

func TestCanonicalOtherKindsErrors(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		raw  string
		code string
	}{
		{"unknown kind", Kind("patent"), "201310699744.2", CodeKindUnknown},
		{"empty kind", Kind(""), "1", CodeKindUnknown},

		{"trademark empty", Trademark, "", CodeTrademarkFormat},
		{"trademark blank", Trademark, "   ", CodeTrademarkFormat},
		{"trademark ten digits", Trademark, "1234567890", CodeTrademarkFormat},
		{"trademark letter", Trademark, "12345A", CodeTrademarkFormat},
		{"trademark sign", Trademark, "-12345", CodeTrademarkFormat},
		{"trademark zero", Trademark, "0", CodeTrademarkFormat},
		{"trademark zeros", Trademark, "0000", CodeTrademarkFormat},
		{"GI mark letter", GICollectiveMark, "G123", CodeTrademarkFormat},

		{"gi product empty", GIProduct, "", CodeGIProductFormat},
		{"gi product blank", GIProduct, " \t\n", CodeGIProductFormat},
		{"gi product 65 runes", GIProduct, strings.Repeat("号", 65), CodeGIProductFormat},
		{"gi product control", GIProduct, "2008\x00137", CodeGIProductFormat},
		{"gi product inner newline", GIProduct, "2008\n137", CodeGIProductFormat},
		{"gi product bad utf-8", GIProduct, "2008\xff", CodeGIProductFormat},

		{"software no SR", SoftwareCopyright, "20190123456", CodeSoftwareCopyrightFormat},
		{"software five digits", SoftwareCopyright, "2019SR01234", CodeSoftwareCopyrightFormat},
		{"software eleven digits", SoftwareCopyright, "2019SR01234567890", CodeSoftwareCopyrightFormat},
		{"software letter serial", SoftwareCopyright, "2019SR01234A6", CodeSoftwareCopyrightFormat},
		{"software future year", SoftwareCopyright, "2026SR0123456", CodeSoftwareCopyrightFormat},
		{"software 1991", SoftwareCopyright, "1991SR012345", CodeSoftwareCopyrightFormat},
		{"software long-s", SoftwareCopyright, "2019ſR0123456", CodeSoftwareCopyrightFormat},

		{"work missing prefix", WorkCopyright, "2019-F-00812345", CodeWorkCopyrightFormat},
		{"work other office", WorkCopyright, "渝作登字-2019-F-00812345", CodeWorkCopyrightFormat},
		{"work category M", WorkCopyright, "国作登字-2019-M-00812345", CodeWorkCopyrightFormat},
		{"work category digit", WorkCopyright, "国作登字-2019-1-00812345", CodeWorkCopyrightFormat},
		{"work seven digits", WorkCopyright, "国作登字-2019-F-0081234", CodeWorkCopyrightFormat},
		{"work nine digits", WorkCopyright, "国作登字-2019-F-008123456", CodeWorkCopyrightFormat},
		{"work no hyphens", WorkCopyright, "国作登字2019F00812345", CodeWorkCopyrightFormat},
		{"work future year", WorkCopyright, "国作登字-2026-F-00812345", CodeWorkCopyrightFormat},
		{"work 1993", WorkCopyright, "国作登字-1993-F-00812345", CodeWorkCopyrightFormat},

		{"plant variety 8 digits", PlantVariety, "20191006", CodePlantVarietyFormat},
		{"plant variety 13 digits", PlantVariety, "2019100601234", CodePlantVarietyFormat},
		{"plant variety 1998", PlantVariety, "19981006012", CodePlantVarietyFormat},
		{"plant variety future", PlantVariety, "20261006012", CodePlantVarietyFormat},
		{"plant variety letter", PlantVariety, "2019100601X", CodePlantVarietyFormat},
		{"plant variety only CNA", PlantVariety, "CNA", CodePlantVarietyFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(tt.kind, tt.raw)
			if err == nil {
				t.Fatalf("accepted as %q", got)
			}
			if got, want := CodeOf(err), tt.code; got != want {
				t.Fatalf("code %q, want %q (%v)", got, want, err)
			}
		})
	}
}

func TestPlantVarietyRightNumber(t *testing.T) {
	if got, want := PlantVarietyRightNumber("20191006012"), "CNA20191006012"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got, want := PlantVarietyRightNumber(""), ""; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestCheckUSCC(t *testing.T) {
	// Each valid code below was checked by hand as well as by the code, e.g.
	// 91110000802100433B: values 9,1,1,1,0,0,0,0,8,0,2,1,0,0,4,3,3 times the
	// weights sum to 485; 485 mod 31 = 20; 31−20 = 11 = 'B'.
	// 914403001922038216: Σ = 831; 831 mod 31 = 25; 31−25 = 6.
	// 91110108551385082Q: Σ = 999; 999 mod 31 = 7; 31−7 = 24 = 'Q'.
	tests := []struct {
		name, raw, want string
	}{
		{"91110000802100433B", "91110000802100433B", "91110000802100433B"},
		{"914403001922038216", "914403001922038216", "914403001922038216"},
		{"91110108551385082Q", "91110108551385082Q", "91110108551385082Q"},
		{"lowercase", "91110108551385082q", "91110108551385082Q"},
		{"spaces", " 9111 0000 8021 0043 3B ", "91110000802100433B"},
		{"full-width", "９１１１０１０８５５１３８５０８２Ｑ", "91110108551385082Q"},
		// 9·1+1·3+1·9+1·27 = 48; 48 mod 31 = 17; 31−17 = 14 = 'E'.
		{"synthetic E", "91110000000000000E", "91110000000000000E"},
		// 1·1+10·3 = 31 ≡ 0, so the check value is (31−0) mod 31 = 0.
		{"check value 0", "1A0000000000000000", "1A0000000000000000"},
		// 1·1 = 1; 31−1 = 30 = 'Y', the last character.
		{"check value 30", "10000000000000000Y", "10000000000000000Y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckUSCC(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckUSCCErrors(t *testing.T) {
	tests := []struct {
		name, raw string
		code      string
		position  int
	}{
		{"empty", "", CodeUSCCLength, 0},
		{"17 chars", "91110000802100433", CodeUSCCLength, 0},
		{"19 chars", "91110000802100433BB", CodeUSCCLength, 0},
		{"letter I", "9111000080210043IB", CodeUSCCChar, 17},
		{"letter O first", "O1110000802100433B", CodeUSCCChar, 1},
		{"letter Z", "91110000802100433Z", CodeUSCCChar, 18},
		{"hyphen", "911100008021-0433B", CodeUSCCChar, 13},
		{"CJK", "9111000080210043中B", CodeUSCCChar, 17},
		{"wrong check", "91110000802100433C", CodeUSCCCheck, 18},
		{"typo in body", "91110000802100434B", CodeUSCCCheck, 18},
		{"pilot code", "91350203M0001QAY9B", CodeUSCCCheck, 18},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckUSCC(tt.raw)
			if err == nil {
				t.Fatalf("accepted as %q", got)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("not an *Error: %v", err)
			}
			if got, want := e.Code, tt.code; got != want {
				t.Fatalf("code %q, want %q (%v)", got, want, err)
			}
			if got, want := e.Position, tt.position; got != want {
				t.Errorf("position %d, want %d", got, want)
			}
			if got, want := e.Field, FieldUSCC; got != want {
				t.Errorf("field %q, want %q", got, want)
			}
			if !errors.Is(err, &Error{Code: tt.code}) {
				t.Errorf("errors.Is by code failed")
			}
		})
	}
	t.Run("pilot code detail", func(t *testing.T) {
		_, err := CheckUSCC("91350203M0001QAY9B")
		if got, want := err.Error(), "uscc: check character is B, expected 9 (uscc_check)"; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

func TestReadingsFindOneRightUnderEverySpelling(t *testing.T) {
	for _, raw := range []string{
		"201910345678.6", "ZL201910345678.6", "CN201910345678.6", "zl 2019 1034 5678 6",
		"ＣＮ２０１９１０３４５６７８．６", "2019103456786",
	} {
		t.Run(raw, func(t *testing.T) {
			var patents []Reading
			for _, r := range Readings(raw) {
				if r.Kind.IsPatent() {
					patents = append(patents, r)
				}
			}
			if want := []Reading{{InventionPatent, "201910345678.6"}}; len(patents) != 1 || patents[0] != want[0] {
				t.Fatalf("patent readings %v, want %v", patents, want)
			}
		})
	}
}

func TestReadingsOfAMistypedNumberAreNotPatents(t *testing.T) {
	// 201910345678 has check character 6: with 7 no patent kind accepts the number, and
	// Readings reports no error either — it only has fewer readings.
	for _, r := range Readings("201910345678.7") {
		if r.Kind.IsPatent() {
			t.Fatalf("mistyped check character read as %v", r)
		}
	}
}

func TestReadingsOfDigitsAreEveryKindTheyFit(t *testing.T) {
	got := map[Kind]string{}
	for _, r := range Readings(" １２３４５６７８ ") {
		got[r.Kind] = r.Number
	}
	for _, k := range []Kind{Trademark, GICertificationMark, GICollectiveMark} {
		if got[k] != "12345678" {
			t.Errorf("%s: %q, want 12345678 (readings %v)", k, got[k], got)
		}
	}
	for _, k := range []Kind{InventionPatent, SoftwareCopyright, WorkCopyright, PlantVariety} {
		if n, ok := got[k]; ok {
			t.Errorf("%s read %q from eight digits", k, n)
		}
	}
}
