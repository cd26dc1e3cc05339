package attendance

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// CodeAlphabet holds the symbols of attendance codes: digits and capitals
// without 0 O 1 I L U, which are misread or misheard (and U avoids accidental
// words).
const CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

// CodeLength is the number of symbols in an attendance code: 30^8 ≈ 6.6e11
// codes, so guessing one of 100,000 live codes takes millions of tries.
const CodeLength = 8

// NewCode returns a fresh random attendance code in its display form, two
// groups of four: "K7QM-4X2P". It uses crypto/rand.
func NewCode() (string, error) {
	var b strings.Builder
	max := big.NewInt(int64(len(CodeAlphabet)))
	for i := 0; i < CodeLength; i++ {
		if i == CodeLength/2 {
			b.WriteByte('-')
		}
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("attendance: generate code: %w", err)
		}
		b.WriteByte(CodeAlphabet[n.Int64()])
	}
	return b.String(), nil
}

// NormalizeCode returns the canonical form of a typed code (upper case, no
// spaces or dashes, half-width), or "" if what remains is not a well-formed
// code. "k7qm 4x2p", "K7QM–4X2P" and "Ｋ７ＱＭ－４Ｘ２Ｐ" all give "K7QM4X2P".
func NormalizeCode(s string) string {
	var b strings.Builder
	for _, r := range width.Fold.String(s) {
		switch {
		case unicode.IsSpace(r) || isDash(r):
			continue
		case r < 0x80:
			b.WriteRune(unicode.ToUpper(r))
		default:
			return ""
		}
	}
	c := b.String()
	if !validCode(c) {
		return ""
	}
	return c
}

// FormatCode returns the display form of a canonical code: "K7QM-4X2P".
func FormatCode(canonical string) string {
	if len(canonical) != CodeLength {
		return canonical
	}
	return canonical[:CodeLength/2] + "-" + canonical[CodeLength/2:]
}

func validCode(c string) bool {
	if len(c) != CodeLength {
		return false
	}
	for i := 0; i < len(c); i++ {
		if strings.IndexByte(CodeAlphabet, c[i]) < 0 {
			return false
		}
	}
	return true
}

// isDash reports whether r is one of the dashes people (and phones) type.
func isDash(r rune) bool {
	switch r {
	case '-', '‐', '‑', '‒', '–', '—', '―', '−', '﹣', '－', '_', 'ー':
		return true
	}
	return false
}

// ExtractCodes returns the candidate codes that appear in a chat message, in
// canonical form, in order of appearance and without repeats. Candidates are
// matched against the event's real codes, so an ordinary word that happens to
// read as a code ("STRENGTH") costs nothing. A code may stand inside a
// sentence, in lower case, without its dash or with spaces around it, and in
// full-width forms; it must not be glued to other letters or digits ("XK7QM4X2P"
// is no code), so that ordinary words are not read as codes. Where a word
// before a code could be read as its first half, both readings are returned:
// the caller keeps the one that is a registered code.
func ExtractCodes(text string) []string {
	if !enoughCodeSymbols(text) {
		return nil // most chat lines: no folding, no allocation
	}
	folded := []rune(width.Fold.String(text))
	var out []string
	seen := map[string]bool{}
	for start := 0; start < len(folded); start++ {
		if !isCodeSymbol(folded[start]) || (start > 0 && isWordRune(folded[start-1])) {
			continue
		}
		var b strings.Builder
		i := start
		sepRun := 0
		for i < len(folded) && b.Len() < CodeLength {
			r := folded[i]
			if isCodeSymbol(r) {
				b.WriteRune(unicode.ToUpper(r))
				sepRun = 0
			} else if (isDash(r) || r == ' ') && b.Len() == CodeLength/2 && sepRun < 3 {
				// one separator group between the two halves only
				sepRun++
			} else {
				break
			}
			i++
		}
		if b.Len() != CodeLength || (i < len(folded) && isWordRune(folded[i])) {
			continue
		}
		c := b.String()
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
		// No skipping past the match: in "Penh K7QM-4X2P" both "PENHK7QM"
		// and "K7QM4X2P" are candidates, and only a registered code links.
	}
	return out
}

// enoughCodeSymbols reports whether text holds at least CodeLength symbols
// that could belong to a code, half- or full-width.
func enoughCodeSymbols(text string) bool {
	n := 0
	for _, r := range text {
		if r >= 0xFF10 && r <= 0xFF5A { // full-width digits and letters
			r = r - 0xFF10 + '0'
		}
		if isCodeSymbol(r) {
			if n++; n >= CodeLength {
				return true
			}
		}
	}
	return false
}

func isCodeSymbol(r rune) bool {
	return r < 0x80 && strings.IndexRune(CodeAlphabet, unicode.ToUpper(r)) >= 0
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
