package term

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"time"
)

var (
	_ sql.Scanner   = (*Date)(nil)
	_ driver.Valuer = Date{}
)

// Scan reads a Postgres date column: NULL is the zero Date, as "no date" is everywhere else
// (JSON null, an absent field). Drivers deliver a date as text (pgdriver: "2023-01-05") or as
// a time.Time (lib/pq, pgx), whose calendar day in its own location is taken. Text is read as
// strictly as ParseDate reads input, so a day outside 0001..9999 ("infinity", "0044-03-15 BC",
// "10000-01-01") or any other type is an error naming what arrived, never a silent zero.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	case time.Time:
		*d = FromTime(v)
		return nil
	}
	return fmt.Errorf("term.Date.Scan: cannot read a %T as a date", src)
}

func (d *Date) scanText(s string) error {
	v, err := ParseDate(s)
	if err != nil {
		return fmt.Errorf("term.Date.Scan: %w", err)
	}
	*d = v
	return nil
}

// Value binds d as its YYYY-MM-DD text, which Postgres reads as a date wherever one is
// expected, and the zero Date as NULL. Text rather than a time.Time: a timestamp cast to date
// would take the session's time zone. A day outside 0001..9999 has no such text and is an
// error rather than a value Postgres would refuse or misread.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	if d.y < 1 || d.y > 9999 {
		return nil, fmt.Errorf("term.Date.Value: year %d is outside 0001..9999", d.y)
	}
	return d.String(), nil
}
