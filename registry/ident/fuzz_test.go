package ident

import (
	"strings"
	"testing"
)

// FuzzCanonical checks, for every kind, that Canonical never panics, that
// its output re-parses to itself, and that errors are always *Error with a
// code; for patents, that the output carries a correct check character.
func FuzzCanonical(f *testing.F) {
	seeds := []string{
		"ZL2013106997442", "ZL 201310699744.2", "200310000008.x", "88100001.9", "00300001X",
		"1234567", "0", "2008年第137号公告", "2019sr0123456", "国作登字—2019—f—00812345",
		"CNA20191006012", "ＺＬ２０１３１０６９９７４４．２", "", " ", "\xff", "ZL.", "..2",
		"CN201910345678.6", "cn 2019 1034 5678 6", "CNZL201910345678.6", "CN", "ＣＮ８８１００００１９",
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, k uint8, raw string) {
		kind := kinds[int(k)%len(kinds)]
		got, err := Canonical(kind, raw)
		if err != nil {
			if CodeOf(err) == "" {
				t.Fatalf("Canonical(%s, %q): untyped error %v", kind, raw, err)
			}
			return
		}
		again, err := Canonical(kind, got)
		if err != nil || again != got {
			t.Fatalf("Canonical(%s, %q) = %q, which re-parses to %q, %v", kind, raw, got, again, err)
		}
		if kind.IsPatent() {
			body := splitCanonicalPatent(got)
			if body == "" {
				t.Fatalf("Canonical(%s, %q) = %q: not patent-shaped", kind, raw, got)
			}
			if want, _ := PatentCheckChar(body); got[len(got)-1] != want {
				t.Fatalf("Canonical(%s, %q) = %q: check should be %c", kind, raw, got, want)
			}
			if PatentFilingYear(got) == 0 {
				t.Fatalf("PatentFilingYear(%q) = 0", got)
			}
			// The display form and the CN citation must be accepted back.
			if back, err := Canonical(kind, PatentNumberDisplay(got)); err != nil || back != got {
				t.Fatalf("display %q re-parses to %q, %v", PatentNumberDisplay(got), back, err)
			}
			if back, err := Canonical(kind, "CN"+got); err != nil || back != got {
				t.Fatalf("CN%s re-parses to %q, %v", got, back, err)
			}
		}
		if kind == PlantVariety {
			if back, err := Canonical(kind, PlantVarietyRightNumber(got)); err != nil || back != got {
				t.Fatalf("right number %q re-parses to %q, %v", PlantVarietyRightNumber(got), back, err)
			}
		}
		if kind != GIProduct && strings.ContainsAny(got, " \t\r\n") {
			t.Fatalf("Canonical(%s, %q) = %q keeps white space", kind, raw, got)
		}
		// A search reads raw under every kind: this kind's reading must be among them.
		found := false
		for _, r := range Readings(raw) {
			found = found || r == Reading{kind, got}
		}
		if !found {
			t.Fatalf("Readings(%q) lacks %s %q", raw, kind, got)
		}
	})
}

// FuzzCheckUSCC checks that CheckUSCC never panics, is idempotent, and that
// completing any 17 valid characters with USCCCheckChar gives a valid code,
// while a uscc_check error names exactly the character that would fix it.
func FuzzCheckUSCC(f *testing.F) {
	for _, s := range []string{
		"91110000802100433B", "914403001922038216", "91350203M0001QAY9B", "91110108551385082q",
		"", "9111000080210043IB", "１A0000000000000000", "\xff\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := CheckUSCC(raw)
		if err == nil {
			if again, err := CheckUSCC(got); err != nil || again != got {
				t.Fatalf("CheckUSCC(%q) = %q, which re-checks to %q, %v", raw, got, again, err)
			}
			if len(got) != 18 {
				t.Fatalf("CheckUSCC(%q) = %q: length %d", raw, got, len(got))
			}
		} else if CodeOf(err) == CodeUSCCCheck {
			// Only the check character is wrong: fixing it must validate.
			s := upperASCII(squeeze(raw))
			want, ok := USCCCheckChar(s[:17])
			if !ok {
				t.Fatalf("uscc_check for %q but the body is not valid", raw)
			}
			if _, err := CheckUSCC(s[:17] + string(want)); err != nil {
				t.Fatalf("fixed code %q refused: %v", s[:17]+string(want), err)
			}
		} else if c := CodeOf(err); c != CodeUSCCLength && c != CodeUSCCChar {
			t.Fatalf("CheckUSCC(%q): unexpected error %v", raw, err)
		}

		// Round trip: any 17 characters of the alphabet plus their check
		// character form a valid code.
		var b strings.Builder
		for i := 0; i < 17 && i < len(raw); i++ {
			b.WriteByte(usccAlphabet[int(raw[i])%len(usccAlphabet)])
		}
		if b.Len() == 17 {
			body := b.String()
			c, ok := USCCCheckChar(body)
			if !ok {
				t.Fatalf("USCCCheckChar(%q) not ok", body)
			}
			if _, err := CheckUSCC(body + string(c)); err != nil {
				t.Fatalf("round trip %q: %v", body+string(c), err)
			}
			// Any other check character is a uscc_check error.
			other := usccAlphabet[(strings.IndexByte(usccAlphabet, c)+1)%len(usccAlphabet)]
			if _, err := CheckUSCC(body + string(other)); CodeOf(err) != CodeUSCCCheck {
				t.Fatalf("wrong check %q: got %v, want uscc_check", body+string(other), err)
			}
		}
	})
}
