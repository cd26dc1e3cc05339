// Package certpdf renders rollcall's certificates as A4 landscape PDF files.
//
// Names of Southeast Asian teachers come in Thai, Khmer, Lao, Burmese,
// Vietnamese and every Latin orthography, often mixed in one name. A PDF
// library that only maps runes to glyphs prints such names broken: stacked
// Thai marks collide, Khmer subscripts and Burmese reordered vowels come out
// as dotted circles. certpdf therefore shapes every string with HarfBuzz (the
// pure-Go port in github.com/go-text/typesetting, through
// github.com/tdewolff/canvas), after splitting it into runs by script and
// giving each run a Noto font of its own: canvas does no font fallback.
//
// Fonts are read from the system (Debian's fonts-noto-core installs them in
// DefaultFontDir); the project ships no font files. A string in a script for
// which no font is installed, or a rune its font has no glyph for, is an
// error that names the script — a certificate is never printed with a blank
// or a tofu box where a name should be.
//
// Every certificate carries its id and a QR code of its verification URL,
// drawn as vector rectangles. RenderZIP streams thousands of certificates
// into one ZIP archive without holding them in memory.
package certpdf
