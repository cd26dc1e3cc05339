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
// DefaultFontDir); the project ships no font files. Chinese, Japanese and
// Korean runs take Noto Sans CJK from Debian's fonts-noto-cjk, a font
// collection (NotoSansCJK-Regular.ttc, -Bold.ttc) looked for in the font
// dir and then in DefaultCJKFontDir, all with its Simplified Chinese face
// (Singapore and Malaysia write simplified; kana and Hangul look the same
// in every face, and one face is one parsed font instead of three). canvas cannot embed a subset of a CID-keyed
// CFF font such as Noto Sans CJK, and the whole face would add 16 MB to
// every PDF, so those runs are drawn as vector outlines.
//
// A string in a script for which no font is installed, or a rune its font
// has no glyph for, is an error that names the script — a certificate is
// never printed with a blank or a tofu box where a name should be.
// Unprintable lists such runes, for import checks and reports. RenderZIP
// never stops at one such certificate: it leaves it out, renders every
// other one, and ends the archive with FailuresName, which names each
// failed certificate, its name and the missing characters.
//
// The text layer is true: a PDF reader extracts text glyph by glyph through
// each font's ToUnicode map, which cannot give back a shaped Khmer, Burmese,
// Tamil or Arabic run (ligatures, reordered and split vowels), nor a run
// drawn as outlines. Each text object therefore sits in a marked-content
// span whose /ActualText is the run's exact NFC text (withActualText edits
// the page's content stream after canvas wrote it; textLayer records the
// runs in drawing order and the counts must agree). An outlined run carries
// its text with a row of all but transparent glyphs of the Latin font as
// wide as the run. Right-to-left runs carry their text in visual order:
// poppler, which reads the PDF for pdftotext, reverses right-to-left text
// it extracts, and the tests hold rollcall to what pdftotext gives back.
//
// Every certificate carries its id and a QR code of its verification URL,
// drawn as vector rectangles. RenderZIP streams thousands of certificates
// into one ZIP archive without holding them in memory.
package certpdf
