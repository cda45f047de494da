package term

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want Date
	}{
		{"2023-10-14", New(2023, time.October, 14)},
		{"2024-02-29", New(2024, time.February, 29)},
		{"2000-02-29", New(2000, time.February, 29)},
		{"0001-01-01", New(1, time.January, 1)},
		{"9999-12-31", New(9999, time.December, 31)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			if got, want := got.String(), tt.in; got != want {
				t.Fatalf("String() = %q, want %q", got, want)
			}
		})
	}
}

func TestParseDateErrors(t *testing.T) {
	tests := []struct{ in, code string }{
		{"", CodeDateFormat},
		{"2023-1-05", CodeDateFormat},
		{"2023-01-5", CodeDateFormat},
		{"23-01-05", CodeDateFormat},
		{"2023/01/05", CodeDateFormat},
		{"2023-01-05T00:00:00Z", CodeDateFormat},
		{" 2023-01-05", CodeDateFormat},
		{"2023-01-05 ", CodeDateFormat},
		{"+023-01-05", CodeDateFormat},
		{"2023-0a-05", CodeDateFormat},
		{"２023-01-05", CodeDateFormat},
		{"2023-02-29", CodeDateInvalid},
		{"1900-02-29", CodeDateInvalid},
		{"2024-02-30", CodeDateInvalid},
		{"2023-04-31", CodeDateInvalid},
		{"2023-00-10", CodeDateInvalid},
		{"2023-13-10", CodeDateInvalid},
		{"2023-12-00", CodeDateInvalid},
		{"2023-12-32", CodeDateInvalid},
		{"0000-01-01", CodeDateInvalid}, // no year 0: Postgres refuses it
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if err == nil {
				t.Fatalf("accepted as %v", got)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("not an *Error: %v", err)
			}
			if got, want := e.Code, tt.code; got != want {
				t.Fatalf("code %q, want %q (%v)", got, want, err)
			}
		})
	}
}

func TestAddYears(t *testing.T) {
	tests := []struct {
		name string
		from string
		n    int
		want string
	}{
		{"plain", "2003-10-15", 20, "2023-10-15"},
		{"leap to leap", "2020-02-29", 4, "2024-02-29"},
		{"leap to non-leap is 28 Feb", "2020-02-29", 10, "2030-02-28"},
		{"leap to 2100 (not leap)", "2096-02-29", 4, "2100-02-28"},
		{"leap to 2000 (leap)", "1996-02-29", 4, "2000-02-29"},
		{"28 Feb stays", "2021-02-28", 3, "2024-02-28"},
		{"backwards", "2024-02-29", -1, "2023-02-28"},
		{"zero years", "2024-02-29", 0, "2024-02-29"},
		{"31 Dec", "2023-12-31", 1, "2024-12-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := MustParseDate(tt.from).AddYears(tt.n).String(), tt.want; got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
}

func TestAddMonthsAndDays(t *testing.T) {
	tests := []struct {
		name   string
		from   string
		months int
		days   int
		want   string
	}{
		{"month end clamps", "2024-08-31", 6, 0, "2025-02-28"},
		{"month end clamps leap", "2023-08-31", 6, 0, "2024-02-29"},
		{"across year", "2024-11-15", 3, 0, "2025-02-15"},
		{"negative months", "2024-03-31", -1, 0, "2024-02-29"},
		{"negative across year", "2024-01-15", -13, 0, "2022-12-15"},
		{"day before 1 Mar leap", "2024-03-01", 0, -1, "2024-02-29"},
		{"day before 1 Mar", "2023-03-01", 0, -1, "2023-02-28"},
		{"day after 31 Dec", "2023-12-31", 0, 1, "2024-01-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MustParseDate(tt.from).AddMonths(tt.months).AddDays(tt.days)
			if got, want := got.String(), tt.want; got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	a, b := MustParseDate("2023-10-14"), MustParseDate("2023-10-15")
	if !a.Before(b) || a.After(b) || a.Equal(b) || a.Compare(b) != -1 {
		t.Error("2023-10-14 should be before 2023-10-15")
	}
	if !b.After(a) || b.Compare(a) != 1 {
		t.Error("2023-10-15 should be after 2023-10-14")
	}
	if !a.Equal(New(2023, 10, 14)) || a.Compare(a) != 0 {
		t.Error("equal dates")
	}
	for _, pair := range [][2]string{{"2023-12-31", "2024-01-01"}, {"2024-01-31", "2024-02-01"}} {
		if !MustParseDate(pair[0]).Before(MustParseDate(pair[1])) {
			t.Errorf("%s should be before %s", pair[0], pair[1])
		}
	}
}

func TestZeroAndTime(t *testing.T) {
	var z Date
	if !z.IsZero() || z.String() != "" {
		t.Fatalf("zero Date: IsZero %v, String %q", z.IsZero(), z.String())
	}
	d := MustParseDate("2024-02-29")
	if got, want := d.Time(), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("Time() = %v, want %v", got, want)
	}
	// FromTime takes the day in t's own location: 23:30 UTC is the next day in Shanghai.
	sh := time.FixedZone("CST", 8*3600)
	if got, want := FromTime(time.Date(2024, 2, 28, 23, 30, 0, 0, time.UTC).In(sh)).String(), "2024-02-29"; got != want {
		t.Fatalf("FromTime = %s, want %s", got, want)
	}
	if got, want := New(2023, 2, 29).String(), "2023-03-01"; got != want {
		t.Fatalf("New normalises: got %s, want %s", got, want)
	}
}

func TestJSON(t *testing.T) {
	type rec struct {
		On  Date  `json:"on"`
		Off Date  `json:"off"`
		Ptr *Date `json:"ptr,omitempty"`
	}
	in := rec{On: MustParseDate("2023-10-14")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"on":"2023-10-14","off":null}`; got != want {
		t.Fatalf("Marshal = %s, want %s", got, want)
	}
	var out rec
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Fatalf("round trip: got %+v, want %+v", out, in)
	}
	for _, bad := range []string{`{"on":"2023-02-29"}`, `{"on":"14/10/2023"}`, `{"on":20231014}`} {
		t.Run(bad, func(t *testing.T) {
			if err := json.Unmarshal([]byte(bad), &out); err == nil {
				t.Fatalf("accepted %s", bad)
			}
		})
	}
	// Map keys go through MarshalText.
	m := map[Date]int{MustParseDate("2024-02-29"): 1}
	if b, err := json.Marshal(m); err != nil || string(b) != `{"2024-02-29":1}` {
		t.Fatalf("map key: %s, %v", b, err)
	}
	if _, err := json.Marshal(New(10000, 1, 1)); err == nil {
		t.Fatal("year 10000 marshalled")
	}
}

// AppendTo writes what fmt wrote for every day of the years the registry sees and at the
// edges of the four-digit years.
func TestDateAppendTo(t *testing.T) {
	for _, y := range []int{1, 9, 99, 999, 1000, 1999, 2000, 2024, 9999, 10000, -1} {
		for d := New(y, 1, 1); d.Year() == y; d = d.AddDays(1) {
			want := fmt.Sprintf("%04d-%02d-%02d", d.Year(), int(d.Month()), d.Day())
			if got := d.String(); got != want {
				t.Fatalf("String() = %q, want %q", got, want)
			}
			if got := string(d.AppendTo([]byte("x"))); got != "x"+want {
				t.Fatalf("AppendTo = %q, want %q", got, "x"+want)
			}
		}
	}
	if got := (Date{}).String(); got != "" {
		t.Fatalf("zero Date = %q", got)
	}
}
