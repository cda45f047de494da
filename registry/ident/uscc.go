package ident

import (
	"strconv"
	"strings"
)

// usccAlphabet is GB 32100-2015's character set; a character's value is its
// index (0..30). I, O, S, V and Z are left out to avoid confusion with digits.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^(i-1) mod 31 for positions 1..17.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCCCheckChar computes the check character (position 18) for the first 17
// characters of a USCC: (31 − Σ value×weight mod 31) mod 31. ok is false if
// first17 is not 17 characters of the alphabet (uppercase).
func USCCCheckChar(first17 string) (c byte, ok bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccAlphabet, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31], true
}

// CheckUSCC validates a unified social credit code and returns it uppercased
// with white space removed.
//
// The error code tells the caller what kind of problem it is: uscc_length and
// uscc_char mean the input is not a code at all; uscc_check means it is well
// formed and only the check character disagrees. A few early pilot codes
// (e.g. 91350203M0001QAY9B) really are like that, so a caller may accept a
// uscc_check failure when the registrar explicitly confirms the code — and
// must never accept the other two.
func CheckUSCC(raw string) (string, error) {
	s := []rune(NormalizeUSCC(raw))
	if len(s) != 18 {
		return "", errorf(CodeUSCCLength, FieldUSCC,
			"a unified social credit code has 18 characters, not "+strconv.Itoa(len(s)))
	}
	for i, r := range s {
		if r > 0x7f || strings.IndexByte(usccAlphabet, byte(r)) < 0 {
			e := errorf(CodeUSCCChar, FieldUSCC,
				"character "+strconv.Itoa(i+1)+" is "+strconv.QuoteRune(r)+"; only digits and the letters "+usccAlphabet[10:]+" are used")
			e.Position = i + 1
			return "", e
		}
	}
	code := string(s)
	want, _ := USCCCheckChar(code[:17])
	if got := code[17]; got != want {
		e := errorf(CodeUSCCCheck, FieldUSCC,
			"check character is "+string(got)+", expected "+string(want))
		e.Position = 18
		return "", e
	}
	return code, nil
}

// NormalizeUSCC is the one spelling of a code that CheckUSCC checks and stores: spaces
// removed, full-width characters folded to ASCII, letters upper-case. A confirmed code whose
// check character is wrong is stored in this form too, so duplicates are still found.
func NormalizeUSCC(raw string) string { return upperASCII(squeeze(raw)) }
