package indicator

import (
	"math/big"
	"regexp"
	"strings"
)

// Exact decimal arithmetic: values are big.Rat, written at a fixed scale. Nothing here goes
// through a float.

var decimalRE = regexp.MustCompile(`^(0|[1-9][0-9]{0,17})(\.[0-9]{1,4})?$`)

// parseDecimal reads a non-negative decimal with at most maxScale decimals.
func parseDecimal(s string, maxScale int) (*big.Rat, bool) {
	if !decimalRE.MatchString(s) {
		return nil, false
	}
	if _, frac, ok := strings.Cut(s, "."); ok && len(frac) > maxScale {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// roundHalfAway rounds r to scale decimals, half away from zero (四舍五入), and writes it.
func roundHalfAway(r *big.Rat, scale int) string {
	n := new(big.Int).Mul(r.Num(), pow10(scale))
	d := r.Denom()
	neg := n.Sign() < 0
	n.Abs(n)
	// q = floor((2n + d) / 2d)
	q := new(big.Int).Mul(n, big.NewInt(2))
	q.Add(q, d)
	q.Quo(q, new(big.Int).Mul(d, big.NewInt(2)))
	return formatScaled(q, scale, neg && q.Sign() != 0)
}

// roundUp rounds a non-negative r up to scale decimals.
func roundUp(r *big.Rat, scale int) string {
	n := new(big.Int).Mul(r.Num(), pow10(scale))
	q, m := new(big.Int).QuoRem(n, r.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return formatScaled(q, scale, false)
}

// formatScaled writes q / 10^scale with exactly scale decimals.
func formatScaled(q *big.Int, scale int, neg bool) string {
	s := q.String()
	if scale > 0 {
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// fenString writes an amount of fen as yuan with two decimals.
func fenString(fen *big.Int) string {
	neg := fen.Sign() < 0
	return formatScaled(new(big.Int).Abs(fen), 2, neg)
}

// ratOf reads a decimal string this package wrote.
func ratOf(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil
	}
	return r
}
