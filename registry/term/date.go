// Package term holds the registry's calendar rules: a civil Date type and the
// terms of rights — when a patent, mark or plant-variety right expires, when a
// mark's renewal grace ends, and from when a patent counts as "maintained
// more than N years".
//
// The rules live here, apart from storage and HTTP, because every indicator
// asked "as of" a date depends on them and they must give the same answer in
// the API, in imports and in a ledger replay. All term lengths that policy or
// law may change are in Params, not constants.
package term

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Date is a calendar day with no time of day and no time zone: business dates
// (filing, grant, effective_on) are days in the office's calendar, and a
// time.Time would invite off-by-one errors across zones.
//
// Date is comparable with == and usable as a map key. The zero Date means
// "no date" (IsZero) and marshals to JSON null.
type Date struct {
	y int
	m time.Month
	d int
}

// New returns the Date y-m-d, normalised like time.Date (2023-02-29 becomes
// 2023-03-01).
func New(y int, m time.Month, d int) Date {
	return FromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// FromTime returns the calendar day of t in t's own location.
func FromTime(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// Today returns the current day in loc. Callers pass the office's location
// (Asia/Shanghai); the domain does not pick one.
func Today(loc *time.Location) Date { return FromTime(time.Now().In(loc)) }

// Time returns midnight UTC at the start of d.
func (d Date) Time() time.Time { return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC) }

func (d Date) Year() int         { return d.y }
func (d Date) Month() time.Month { return d.m }
func (d Date) Day() int          { return d.d }
func (d Date) IsZero() bool      { return d == Date{} }

// String formats d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	var b [10]byte
	return string(d.AppendTo(b[:0]))
}

// AppendTo appends d as String writes it, without fmt: a bulk write formats a date per row and
// column (fmt's took 0.28 s of a 100,000-asset import's Go time; docs/BENCHMARKS.md).
func (d Date) AppendTo(b []byte) []byte {
	if d.IsZero() {
		return b
	}
	if d.y < 0 || d.y > 9999 {
		return fmt.Appendf(b, "%04d-%02d-%02d", d.y, int(d.m), d.d)
	}
	return append(b, byte('0'+d.y/1000), byte('0'+d.y/100%10), byte('0'+d.y/10%10), byte('0'+d.y%10), '-',
		byte('0'+int(d.m)/10), byte('0'+int(d.m)%10), '-', byte('0'+d.d/10), byte('0'+d.d%10))
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.y != e.y:
		return cmp(d.y, e.y)
	case d.m != e.m:
		return cmp(int(d.m), int(e.m))
	default:
		return cmp(d.d, e.d)
	}
}

func cmp(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }
func (d Date) After(e Date) bool  { return d.Compare(e) > 0 }
func (d Date) Equal(e Date) bool  { return d == e }

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return New(d.y, d.m, d.d+n) }

// AddYears returns the n-th anniversary of d. The anniversary of 29 February
// in a year without one is 28 February: it stays in the same month (as
// CNIPA's and the yoy indicator's "same calendar span" do), where time.Date
// would roll over to 1 March.
func (d Date) AddYears(n int) Date {
	return d.AddMonths(12 * n)
}

// AddMonths returns the same day n months later, or the last day of that
// month when it is shorter (31 August + 6 months = 28 or 29 February).
func (d Date) AddMonths(n int) Date {
	total := int(d.m) - 1 + n
	y := d.y + floorDiv(total, 12)
	m := time.Month(total - 12*floorDiv(total, 12) + 1)
	day := d.d
	if last := daysIn(y, m); day > last {
		day = last
	}
	return Date{y, m, day}
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Error codes for dates; stable, like ident's.
const (
	CodeDateFormat  = "date_format"  // not YYYY-MM-DD
	CodeDateInvalid = "date_invalid" // well formed but no such day (2023-02-29)
)

// Error is the error type of this package, shaped like ident.Error so a
// transport can treat both alike (ErrorCode, ErrorField).
type Error struct {
	Code   string
	Field  string
	Detail string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Detail + " (" + e.Code + ")"
	}
	return e.Field + ": " + e.Detail + " (" + e.Code + ")"
}

// Is matches on Code alone: errors.Is(err, &term.Error{Code: CodeDateFormat}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func (e *Error) ErrorCode() string  { return e.Code }
func (e *Error) ErrorField() string { return e.Field }

// ParseDate parses exactly YYYY-MM-DD (ISO 8601 calendar date, 4-digit year,
// zero-padded), years 1 to 9999: there is no year 0 in the calendar the office
// (and Postgres) uses. It is stricter than time.Parse on purpose: one spelling per
// day keeps ledger payloads and their hashes canonical. The returned error's
// Field is empty; the caller knows which field it parsed.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s[:4]) || !digits(s[5:7]) || !digits(s[8:]) {
		return Date{}, &Error{Code: CodeDateFormat, Detail: "want a date as YYYY-MM-DD, got " + strconv.Quote(s)}
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:])
	if y < 1 {
		return Date{}, &Error{Code: CodeDateInvalid, Detail: "years run from 0001 to 9999, not " + s[:4]}
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return Date{}, &Error{Code: CodeDateInvalid, Detail: "there is no day " + s}
	}
	return Date{y, time.Month(m), d}, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MustParseDate is ParseDate for constants and tests; it panics on error.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// MarshalText writes YYYY-MM-DD. A zero Date or a year outside 0..9999 has no
// such form and is an error.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() || d.y < 0 || d.y > 9999 {
		return nil, errors.New("term.Date.MarshalText: date has no YYYY-MM-DD form")
	}
	return []byte(d.String()), nil
}

// UnmarshalText parses YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes "YYYY-MM-DD", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	b, err := d.MarshalText()
	if err != nil {
		return nil, err
	}
	return []byte(`"` + string(b) + `"`), nil
}

// UnmarshalJSON reads "YYYY-MM-DD" or null (the zero Date).
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return &Error{Code: CodeDateFormat, Detail: "want a date as a JSON string \"YYYY-MM-DD\""}
	}
	return d.UnmarshalText(b[1 : len(b)-1])
}
