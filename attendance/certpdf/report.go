package certpdf

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// FailuresName is the name of the failure report at the end of a ZIP
// archive of certificates, present only when a certificate is missing.
const FailuresName = "FAILURES.txt"

// Report says what a render of many certificates did.
type Report struct {
	Rendered int       // PDFs written
	Failures []Failure // certificates left out, in order
}

// Failure is a certificate that could not be rendered.
type Failure struct {
	ID, Name string // the certificate id and the name as given
	// Missing holds the characters of the name that no installed font
	// has, when that is why; it is empty for other failures.
	Missing []rune
	Err     error
}

// Failure describes why c could not be rendered: err, and the characters
// of its name no installed font has where that is the cause.
func (r *Renderer) Failure(c Certificate, err error) Failure {
	f := Failure{ID: c.ID, Name: c.FullName, Err: err}
	var mf *MissingFontError
	var mg *MissingGlyphError
	if errors.As(err, &mf) || errors.As(err, &mg) {
		f.Missing = r.Unprintable(c.FullName)
	}
	return f
}

// Reason is the failure in a few words: the missing characters, else the
// error.
func (f Failure) Reason() string {
	var mf *MissingFontError
	if errors.As(f.Err, &mf) && len(f.Missing) > 0 {
		return fmt.Sprintf("no font for %s script (Debian package %s): %s", mf.Script, scriptPackage(mf.Script), FormatRunes(f.Missing))
	}
	if len(f.Missing) > 0 {
		return "no installed font has " + FormatRunes(f.Missing)
	}
	return f.Err.Error()
}

// FormatRunes lists characters as "U+1F600 😀, U+E000": code point, and
// the character itself where it is not a control or private-use one.
func FormatRunes(rs []rune) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%U", r)
		if printableRune(r) {
			parts[i] += " " + string(r)
		}
	}
	return strings.Join(parts, ", ")
}

// WriteText writes the report for staff: one paragraph per failure with
// the certificate id, the name, the missing characters and the error.
func (rep Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d certificates could not be rendered; their PDFs are not in this archive.\r\n",
		len(rep.Failures), len(rep.Failures)+rep.Rendered)
	b.WriteString("Correct the names (or install a font that has the characters) and render again.\r\n")
	for _, f := range rep.Failures {
		fmt.Fprintf(&b, "\r\ncertificate %s\r\n  name:    %s\r\n", f.ID, f.Name)
		if len(f.Missing) > 0 {
			fmt.Fprintf(&b, "  missing: %s\r\n", FormatRunes(f.Missing))
		}
		fmt.Fprintf(&b, "  error:   %s\r\n", f.Err)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("certpdf: write failure report: %w", err)
	}
	return nil
}

// Unprintable returns the characters of name, as a certificate prints it
// (NFC, bold), that no installed font has: those of a script without a
// font, and those its font lacks. Joiners, variation selectors and other
// runes that draw nothing are never counted. The result is empty when
// every character has a glyph (shaping may still fail; CheckName says).
func (r *Renderer) Unprintable(name string) []rune {
	name = norm.NFC.String(strings.TrimSpace(name))
	fs := r.getFontSet()
	defer r.putFontSet(fs)
	latin, _ := fs.font(ScriptCommon, true)
	symbols, _ := fs.font(ScriptSymbols, true)
	var out []rune
	seen := map[rune]bool{}
	add := func(c rune) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	for _, run := range SplitRuns(name) {
		f, err := fs.font(run.Script, true)
		for _, c := range run.Text {
			if ignorable(c) || c == ' ' {
				continue
			}
			if err == nil && f.SFNT.GlyphIndex(c) != 0 {
				continue
			}
			// a neutral rune the script's font lacks is drawn with the Latin font
			if runeClass(c) == classNeutral && latin != nil && latin.SFNT.GlyphIndex(c) != 0 {
				continue
			}
			// and a symbol the Latin font lacks with Symbola
			if isSymbol(c) && symbols != nil && symbols.SFNT.GlyphIndex(c) != 0 && (run.Script == ScriptLatin || run.Script == ScriptCommon) {
				continue
			}
			add(c)
		}
	}
	return out
}

// Diagnose tells whether name can be printed, fast enough for every row of
// an import: the characters no installed font has (Unprintable), and, for
// a name with a run outside Latin (where marks stack, vowels reorder and a
// broken cluster prints a dotted circle), what CheckName says after
// shaping it. Latin names are not shaped: 40 µs instead of 800 per name.
// err is nil when the name prints.
func (r *Renderer) Diagnose(name string) (missing []rune, err error) {
	if missing = r.Unprintable(name); len(missing) > 0 {
		return missing, r.CheckName(name)
	}
	for _, run := range SplitRuns(norm.NFC.String(name)) {
		if run.Script != ScriptLatin && run.Script != ScriptCommon {
			return nil, r.CheckName(name)
		}
	}
	if strings.TrimSpace(name) == "" {
		return nil, errors.New("certpdf: empty name")
	}
	return nil, nil
}

// printableRune tells whether r may be shown as itself in a report.
func printableRune(r rune) bool {
	return !ignorable(r) && !isPrivateUse(r) && r != '\uFFFD'
}

// isPrivateUse tells whether r is in a private use area: no font of ours
// has it, and whatever one has there means nothing to anyone else.
func isPrivateUse(r rune) bool {
	return (r >= 0xE000 && r <= 0xF8FF) || (r >= 0xF0000 && r <= 0xFFFFD) || (r >= 0x100000 && r <= 0x10FFFD)
}
