package registry

import (
	"strconv"
	"strings"
)

// Money is an amount in CNY, held exactly as integer fen (0.01 CNY). It is written as a
// decimal string with two decimals ("150000000.00"), never as a float.
type Money int64

// MaxMoney is the largest amount a pledge may carry: 10^12 CNY.
const MaxMoney Money = 1_000_000_000_000_00

// ParseMoney reads a positive decimal amount in CNY with at most two decimals ("1500",
// "1500.5", "1500.50"), up to MaxMoney, from the string alone: no sign, exponent, spaces,
// thousands separators or leading zeros. It never goes through a float.
func ParseMoney(s string) (Money, bool) {
	intPart, frac, dot := strings.Cut(s, ".")
	if intPart == "" || len(intPart) > 13 || !decimalDigits(intPart) || (len(intPart) > 1 && intPart[0] == '0') {
		return 0, false
	}
	if dot && (len(frac) < 1 || len(frac) > 2 || !decimalDigits(frac)) {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil || n <= 0 || Money(n) > MaxMoney {
		return 0, false
	}
	return Money(n), true
}

func decimalDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String writes the amount with two decimals: 15000000000 fen is "150000000.00".
func (m Money) String() string {
	sign := ""
	n := int64(m)
	if n < 0 {
		sign, n = "-", -n
	}
	return sign + strconv.FormatInt(n/100, 10) + "." + string(rune('0'+n%100/10)) + string(rune('0'+n%10))
}

// MarshalText writes the decimal string, so JSON carries money as a string.
func (m Money) MarshalText() ([]byte, error) { return []byte(m.String()), nil }
