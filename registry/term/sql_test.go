package term

import (
	"database/sql/driver"
	"strings"
	"testing"
	"time"
)

func TestDateScan(t *testing.T) {
	shanghai := time.FixedZone("UTC+8", 8*3600)
	tests := []struct {
		name string
		src  any
		want Date
	}{
		{"NULL", nil, Date{}},
		{"text", "2023-10-14", New(2023, time.October, 14)},
		{"bytes", []byte("2024-02-29"), New(2024, time.February, 29)},
		{"first day", "0001-01-01", New(1, time.January, 1)},
		{"last day", "9999-12-31", New(9999, time.December, 31)},
		{"new year's eve", "2023-12-31", New(2023, time.December, 31)},
		{"new year's day", "2024-01-01", New(2024, time.January, 1)},
		{"time at midnight UTC", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), New(2024, time.January, 1)},
		// The day in the time's own location, not UTC's (2023-12-31 in UTC).
		{"time in UTC+8", time.Date(2024, 1, 1, 1, 0, 0, 0, shanghai), New(2024, time.January, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New(1999, 9, 9) // a Scan overwrites what was there, NULL included
			if err := got.Scan(tt.src); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Scan(%#v) = %v, want %v", tt.src, got, tt.want)
			}
		})
	}
}

func TestDateScanRefuses(t *testing.T) {
	tests := []struct {
		name string
		src  any
		want string // in the error's text
	}{
		{"int64", int64(20231014), "int64"},
		{"float64", 2023.5, "float64"},
		{"bool", true, "bool"},
		{"timestamp text", "2023-10-14 00:00:00", CodeDateFormat},
		{"BC", "0044-03-15 BC", CodeDateFormat},
		{"infinity", "infinity", CodeDateFormat},
		{"five-digit year", "10000-01-01", CodeDateFormat},
		{"year 0", "0000-01-01", CodeDateInvalid},
		{"no such day", "2023-02-29", CodeDateInvalid},
		{"empty text", "", CodeDateFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New(1999, 9, 9)
			err := got.Scan(tt.src)
			if err == nil {
				t.Fatalf("Scan(%#v) accepted as %v", tt.src, got)
			}
			if !strings.HasPrefix(err.Error(), "term.Date.Scan: ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Scan(%#v): error %q, want it to name term.Date.Scan and %q", tt.src, err, tt.want)
			}
			if got != New(1999, 9, 9) {
				t.Fatalf("a refused Scan changed the date to %v", got)
			}
		})
	}
}

func TestDateValue(t *testing.T) {
	tests := []struct {
		d    Date
		want driver.Value
	}{
		{Date{}, nil},
		{New(2023, time.October, 14), "2023-10-14"},
		{New(2024, time.February, 29), "2024-02-29"},
		{New(1, time.January, 1), "0001-01-01"},
		{New(9999, time.December, 31), "9999-12-31"},
	}
	for _, tt := range tests {
		got, err := tt.d.Value()
		if err != nil {
			t.Fatalf("%v.Value(): %v", tt.d, err)
		}
		if got != tt.want {
			t.Fatalf("%v.Value() = %#v, want %#v", tt.d, got, tt.want)
		}
	}
	var nilPtr *Date
	if _, ok := any(nilPtr).(driver.Valuer); !ok {
		t.Fatal("*Date is not a driver.Valuer")
	}
	for _, d := range []Date{New(0, time.December, 31), New(10000, time.January, 1), New(-5, time.March, 1)} {
		if v, err := d.Value(); err == nil || !strings.Contains(err.Error(), "outside 0001..9999") {
			t.Fatalf("%#v.Value() = %#v, %v; want a refusal", d, v, err)
		}
	}
}

// FuzzDateSQL checks that Scan never panics, accepts text exactly when ParseDate does (the
// same day), and that a Value scans back to the date it came from, across year boundaries
// and the ends of the calendar.
func FuzzDateSQL(f *testing.F) {
	for _, s := range []string{"2023-12-31", "2024-01-01", "0001-01-01", "9999-12-31", "0000-12-31", "10000-01-01", "2024-02-29", "infinity", ""} {
		f.Add(s, int32(1))
	}
	f.Add("1999-12-31", int32(-1))
	f.Add("9999-12-30", int32(2))
	f.Fuzz(func(t *testing.T, s string, days int32) {
		var got Date
		err := got.Scan(s)
		want, perr := ParseDate(s)
		if (err == nil) != (perr == nil) || got != want {
			t.Fatalf("Scan(%q) = %v, %v; ParseDate = %v, %v", s, got, err, want, perr)
		}
		if perr != nil {
			return
		}
		d := want.AddDays(int(days % 800_000))
		v, err := d.Value()
		if d.Year() < 1 || d.Year() > 9999 {
			if err == nil {
				t.Fatalf("%v (year %d).Value() = %#v, want a refusal", d, d.Year(), v)
			}
			return
		}
		if err != nil {
			t.Fatalf("%v.Value(): %v", d, err)
		}
		var back Date
		if err := back.Scan(v); err != nil || back != d {
			t.Fatalf("%v: Value %#v scans back as %v, %v", d, v, back, err)
		}
		if err := back.Scan(d.Time()); err != nil || back != d {
			t.Fatalf("%v: its Time scans back as %v, %v", d, back, err)
		}
	})
}
