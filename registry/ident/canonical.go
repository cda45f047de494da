package ident

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// now bounds the "plausible year" checks (a number cannot come from a future
// year). It is a variable so tests can pin the year; nothing else reads the
// clock.
var now = time.Now

// Earliest plausible years. Each is the start of the scheme, so anything
// earlier is a typo.
const (
	minPatentYear       = 1985 // Patent Law in force 1985-04-01
	minNewPatentYear    = 2003 // 12-digit application numbers since 2003-10-01
	maxOldPatentYear    = 2003 // 8-digit numbers until 2003-09-30
	minSoftwareYear     = 1992 // software registration measures of 1992
	minWorkYear         = 1994 // voluntary work registration, 1994 trial measures
	minPlantVarietyYear = 1999 // China joined UPOV and took applications from 1999
)

// Canonical validates raw as an identifier of the given kind and returns the
// one spelling the registry stores:
//
//	patents                application number with the dot, no ZL or CN: "201310699744.2"
//	trademark, GI marks    the registration number's digits: "1234567"
//	gi_product             the announcement number, trimmed
//	software_copyright     "2019SR0123456"
//	work_copyright         "国作登字-2019-F-00812345"
//	plant_variety          the application number's digits: "20191006012"
//
// Canonical is idempotent: Canonical(k, Canonical(k, x)) returns its input.
//
// A patent number is checked for shape, then check character, then year,
// then type digit: a number whose check character fails is reported as
// patent_check (a typo), and only a well-formed, correctly checked number
// of the wrong kind as patent_type_mismatch.
func Canonical(kind Kind, raw string) (string, error) {
	switch kind {
	case InventionPatent, UtilityModel, DesignPatent:
		return canonicalPatent(kind, raw)
	case Trademark, GICertificationMark, GICollectiveMark:
		return canonicalTrademark(raw)
	case GIProduct:
		return canonicalGIProduct(raw)
	case SoftwareCopyright:
		return canonicalSoftware(raw)
	case WorkCopyright:
		return canonicalWork(raw)
	case PlantVariety:
		return canonicalPlantVariety(raw)
	}
	return "", errorf(CodeKindUnknown, FieldKind, "unknown asset kind "+strconv.Quote(string(kind)))
}

// squeeze folds full-width ASCII (common in Chinese input methods) to ASCII
// and drops all white space, which never carries meaning inside a number.
func squeeze(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFF01 - 0x21
		case unicode.IsSpace(r):
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// upperASCII uppercases ASCII letters only: strings.ToUpper would also turn
// e.g. 'ſ' into 'S' and let odd spellings pass.
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// --- patents ---------------------------------------------------------------

// patentTypes lists the type digits each patent kind may carry; 8 and 9 mark
// PCT applications entering the national phase.
var patentTypes = map[Kind]string{
	InventionPatent: "18",
	UtilityModel:    "29",
	DesignPatent:    "3",
}

// PatentCheckChar computes the ZC 0006-2003 check character of a 12-digit or
// 8-digit application number body: weights 2,3,...,9,2,3,... left to right,
// sum mod 11, 10 written 'X'. ok is false if body is not 8 or 12 digits.
func PatentCheckChar(body string) (c byte, ok bool) {
	if (len(body) != 12 && len(body) != 8) || !allDigits(body) {
		return 0, false
	}
	sum := 0
	for i := 0; i < len(body); i++ {
		sum += int(body[i]-'0') * (2 + i%8)
	}
	r := sum % 11
	if r == 10 {
		return 'X', true
	}
	return byte('0' + r), true
}

func canonicalPatent(kind Kind, raw string) (string, error) {
	s := squeeze(raw)
	// ZL + application number is the patent number; CN + application number is how
	// WIPO, Espacenet and foreign filings cite it. Either prefix, not both.
	if len(s) >= 2 {
		if p := upperASCII(s[:2]); p == "ZL" || p == "CN" {
			s = s[2:]
		}
	}
	var body string
	var check byte
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if i != len(s)-2 {
			return "", errorf(CodePatentFormat, FieldNumber, "the dot must come right before the single check character")
		}
		body, check = s[:i], s[i+1]
	} else if len(s) >= 2 {
		body, check = s[:len(s)-1], s[len(s)-1]
	}
	if (len(body) != 12 && len(body) != 8) || !allDigits(body) {
		return "", errorf(CodePatentFormat, FieldNumber,
			"want an application number of 12 digits (8 before 2003-10-01) and a check character, optionally with ZL or CN and a dot")
	}
	if check == 'x' {
		check = 'X'
	}
	if (check < '0' || check > '9') && check != 'X' {
		return "", errorf(CodePatentFormat, FieldNumber, "the check character must be a digit or X")
	}
	if want, _ := PatentCheckChar(body); want != check {
		return "", errorf(CodePatentCheck, FieldNumber,
			"check character is "+string(check)+", but "+body+" gives "+string(want))
	}

	year, typ := patentYearType(body)
	max := now().Year()
	if len(body) == 12 && (year < minNewPatentYear || year > max) {
		return "", errorf(CodePatentYear, FieldNumber,
			"the 12-digit form starts with its filing year, 2003 to "+strconv.Itoa(max)+", not "+strconv.Itoa(year))
	}
	if len(body) == 8 && (year < minPatentYear || year > maxOldPatentYear || year > max) {
		return "", errorf(CodePatentYear, FieldNumber,
			"the 8-digit form was used for filings from 1985 to 2003-09-30; its year "+body[:2]+" is outside that")
	}
	if !strings.ContainsRune(patentTypes[kind], rune(typ)) {
		return "", errorf(CodePatentTypeMismatch, FieldNumber,
			"type digit "+string(typ)+" is not that of a "+string(kind)+" (want one of "+patentTypes[kind]+")")
	}
	return body + "." + string(check), nil
}

// patentYearType reads the filing year and type digit of a 12- or 8-digit
// body. Two-digit years 85..99 are 19xx, the rest 20xx.
func patentYearType(body string) (year int, typ byte) {
	if len(body) == 12 {
		return atoi(body[:4]), body[4]
	}
	yy := atoi(body[:2])
	if yy >= 85 {
		return 1900 + yy, body[2]
	}
	return 2000 + yy, body[2]
}

// splitCanonicalPatent returns the body of a canonical patent number, or ""
// if s is not shaped like one.
func splitCanonicalPatent(s string) string {
	if n := len(s); (n == 14 || n == 10) && s[n-2] == '.' && allDigits(s[:n-2]) {
		return s[:n-2]
	}
	return ""
}

// PatentFilingYear returns the filing year encoded in a canonical application
// number, or 0 if canonical is not one.
func PatentFilingYear(canonical string) int {
	body := splitCanonicalPatent(canonical)
	if body == "" {
		return 0
	}
	y, _ := patentYearType(body)
	return y
}

// PatentNumberDisplay returns the patent number ("ZL" + application number)
// under which a granted patent is cited, e.g. "ZL201310699744.2".
func PatentNumberDisplay(canonical string) string {
	if canonical == "" {
		return ""
	}
	return "ZL" + canonical
}

// CheckPatentFiledOn checks that a canonical application number agrees with
// the recorded filing date: same year, and the 12-digit form only for filings
// from 2003-10-01 (the 8-digit form only before). A disagreement means one of
// the two was mistyped. Only filedOn's calendar date is used.
func CheckPatentFiledOn(canonical string, filedOn time.Time) error {
	body := splitCanonicalPatent(canonical)
	if body == "" {
		return errorf(CodePatentFormat, FieldNumber, "not a canonical application number")
	}
	y, m, _ := filedOn.Date()
	if year, _ := patentYearType(body); year != y {
		return errorf(CodePatentFilingDate, FieldNumber,
			"the application number says it was filed in "+strconv.Itoa(year)+", the filing date says "+strconv.Itoa(y))
	}
	newForm := y > 2003 || (y == 2003 && m >= time.October)
	if newForm != (len(body) == 12) {
		return errorf(CodePatentFilingDate, FieldNumber,
			"applications filed before 2003-10-01 have 8-digit numbers, later ones 12-digit numbers")
	}
	return nil
}

// --- trademarks and GI marks -------------------------------------------------

// canonicalTrademark keeps the digits as written (leading zeros included):
// the office prints no zeros, so a leading zero is data the registrar typed,
// and silently dropping it could merge two distinct inputs.
func canonicalTrademark(raw string) (string, error) {
	s := squeeze(raw)
	if len(s) < 1 || len(s) > 9 || !allDigits(s) {
		return "", errorf(CodeTrademarkFormat, FieldNumber, "a registration number is 1 to 9 digits")
	}
	if strings.Trim(s, "0") == "" {
		return "", errorf(CodeTrademarkFormat, FieldNumber, "a registration number cannot be all zeros")
	}
	return s, nil
}

// --- GI products -------------------------------------------------------------

const maxGIProductRunes = 64

// canonicalGIProduct accepts free text, because announcement numbers of the
// former AQSIQ and of CNIPA follow no single pattern; only the outer space is
// trimmed.
func canonicalGIProduct(raw string) (string, error) {
	if !utf8.ValidString(raw) {
		return "", errorf(CodeGIProductFormat, FieldNumber, "the announcement number is not valid UTF-8")
	}
	s := strings.TrimSpace(raw)
	if n := utf8.RuneCountInString(s); n < 1 || n > maxGIProductRunes {
		return "", errorf(CodeGIProductFormat, FieldNumber, "the announcement number must have 1 to 64 characters")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", errorf(CodeGIProductFormat, FieldNumber, "the announcement number contains a control character")
		}
	}
	return s, nil
}

// --- copyrights --------------------------------------------------------------

// maxSoftwareSerial caps the serial so an absurdly long string is refused;
// serials have 7 digits today.
const maxSoftwareSerial = 10

func canonicalSoftware(raw string) (string, error) {
	s := upperASCII(squeeze(raw))
	bad := errorf(CodeSoftwareCopyrightFormat, FieldNumber, "want YYYY, SR and 6 or more digits, e.g. 2019SR0123456")
	if len(s) < 4+2+6 || len(s) > 4+2+maxSoftwareSerial || !allDigits(s[:4]) || s[4:6] != "SR" || !allDigits(s[6:]) {
		return "", bad
	}
	if y := atoi(s[:4]); y < minSoftwareYear || y > now().Year() {
		return "", errorf(CodeSoftwareCopyrightFormat, FieldNumber,
			"year "+s[:4]+" is outside "+strconv.Itoa(minSoftwareYear)+" to "+strconv.Itoa(now().Year()))
	}
	return s, nil
}

const workPrefix = "国作登字"

// dashes are what people paste for the hyphen in 国作登字-YYYY-X-########.
var dashes = strings.NewReplacer("—", "-", "–", "-", "‐", "-", "‑", "-", "−", "-", "－", "-")

func canonicalWork(raw string) (string, error) {
	s := squeeze(dashes.Replace(raw))
	bad := errorf(CodeWorkCopyrightFormat, FieldNumber, "want 国作登字-YYYY-X-######## with X a category letter A to L")
	rest, ok := strings.CutPrefix(s, workPrefix+"-")
	// rest is YYYY-X-######## : 4+1+1+1+8 = 15 bytes.
	if !ok || len(rest) != 15 || !allDigits(rest[:4]) || rest[4] != '-' || rest[6] != '-' || !allDigits(rest[7:]) {
		return "", bad
	}
	cat := upperASCII(rest[5:6])
	if cat < "A" || cat > "L" {
		return "", bad
	}
	if y := atoi(rest[:4]); y < minWorkYear || y > now().Year() {
		return "", errorf(CodeWorkCopyrightFormat, FieldNumber,
			"year "+rest[:4]+" is outside "+strconv.Itoa(minWorkYear)+" to "+strconv.Itoa(now().Year()))
	}
	return workPrefix + "-" + rest[:4] + "-" + cat + "-" + rest[7:], nil
}

// --- plant varieties ---------------------------------------------------------

// canonicalPlantVariety stores the application number; the right number is
// derived from it (PlantVarietyRightNumber), so "CNA" is accepted and dropped.
func canonicalPlantVariety(raw string) (string, error) {
	s := squeeze(raw)
	if len(s) >= 3 && upperASCII(s[:3]) == "CNA" {
		s = s[3:]
	}
	if len(s) < 9 || len(s) > 12 || !allDigits(s) {
		return "", errorf(CodePlantVarietyFormat, FieldNumber,
			"want the application number, 9 to 12 digits starting with the year (e.g. 20191006012), optionally after CNA")
	}
	if y := atoi(s[:4]); y < minPlantVarietyYear || y > now().Year() {
		return "", errorf(CodePlantVarietyFormat, FieldNumber,
			"year "+s[:4]+" is outside "+strconv.Itoa(minPlantVarietyYear)+" to "+strconv.Itoa(now().Year()))
	}
	return s, nil
}

// PlantVarietyRightNumber returns the right number ("CNA" + application
// number) of a canonical plant-variety application number.
func PlantVarietyRightNumber(app string) string {
	if app == "" {
		return ""
	}
	return "CNA" + app
}
