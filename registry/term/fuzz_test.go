package term

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzParseDate checks that ParseDate never panics, that an accepted string
// is exactly the date's String (one spelling per day), that JSON round-trips,
// and that the date arithmetic built on it stays on real calendar days.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2023-02-29", "0000-01-01", "9999-12-31", "2023-1-1", "", "２０２３-01-01"} {
		f.Add(s, int8(10))
	}
	f.Fuzz(func(t *testing.T, s string, n int8) {
		dt, err := ParseDate(s)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("ParseDate(%q): untyped error %v", s, err)
			}
			return
		}
		if got := dt.String(); got != s {
			t.Fatalf("ParseDate(%q).String() = %q", s, got)
		}
		b, err := json.Marshal(dt)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", dt, err)
		}
		var back Date
		if err := json.Unmarshal(b, &back); err != nil || back != dt {
			t.Fatalf("JSON round trip of %v: %v, %v", dt, back, err)
		}
		if !dt.Time().Equal(FromTime(dt.Time()).Time()) || FromTime(dt.Time()) != dt {
			t.Fatalf("Time round trip of %v", dt)
		}
		if got := dt.AddDays(1).AddDays(-1); got != dt {
			t.Fatalf("%v +1 −1 day = %v", dt, got)
		}
		ann := dt.AddYears(int(n))
		if ann != New(ann.Year(), ann.Month(), ann.Day()) {
			t.Fatalf("%v + %d years = %v is not a real day", dt, n, ann)
		}
		if ann.Year() != dt.Year()+int(n) || ann.Month() != dt.Month() {
			t.Fatalf("%v + %d years = %v changed month or year wrongly", dt, n, ann)
		}
		if n > 0 {
			exp := yearsFrom(dt, int(n))
			// The term ends the day before the anniversary, except that a term from 29
			// February ends on 28 February itself when the end year has no 29th.
			leapEnd := dt.Month() == time.February && dt.Day() == 29 && ann.Day() == 28
			if leapEnd && exp != ann || !leapEnd && !exp.Before(ann) || !dt.Before(exp.AddDays(1)) {
				t.Fatalf("term of %d years from %v ends %v, anniversary %v", n, dt, exp, ann)
			}
			if got, want := dt.Compare(exp), dt.Time().Compare(exp.Time()); got != want {
				t.Fatalf("Compare(%v, %v) = %d, time says %d", dt, exp, got, want)
			}
		}
	})
}
