package certpdf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/tdewolff/canvas"
)

// DefaultFontDir is where Debian's fonts-noto-core package installs the Noto
// fonts that certpdf uses.
const DefaultFontDir = "/usr/share/fonts/truetype/noto"

// FontPackage is the Debian package that provides the fonts certpdf needs.
const FontPackage = "fonts-noto-core"

// MissingFontError reports that no font file for a script was found.
type MissingFontError struct {
	Script Script   // the script that has no font
	Dir    string   // the font directory searched
	Files  []string // the file names looked for
}

// Error names the script, the files looked for and the package to install.
func (e *MissingFontError) Error() string {
	return fmt.Sprintf("no font for %s script in %s (looked for %s): %s",
		e.Script, e.Dir, strings.Join(e.Files, ", "), installHint(e.Script))
}

// MissingGlyphError reports that the font chosen for a script cannot draw a
// rune (it would print as .notdef, an empty box) or that shaping produced a
// broken cluster (it would print a dotted circle).
type MissingGlyphError struct {
	Script Script
	Font   string // the font's file name
	Rune   rune   // the rune without a glyph; 0 for a broken cluster
	Text   string // the run that was being drawn
}

// Error names the script, the rune and the font.
func (e *MissingGlyphError) Error() string {
	if e.Rune == 0 {
		return fmt.Sprintf("%s script text %q shapes to a missing glyph or a dotted circle with font %s: %s",
			e.Script, e.Text, e.Font, glyphHint)
	}
	return fmt.Sprintf("font %s has no glyph for %U %q (%s script, in %q): %s",
		e.Font, e.Rune, e.Rune, e.Script, e.Text, glyphHint)
}

// glyphHint follows a MissingGlyphError: the text, not the set-up, is the
// likely culprit.
const glyphHint = "it cannot be printed with the installed fonts; correct the text, or install a font that has it (the Debian package " + FontPackage + " covers the scripts of Southeast Asia)"

func installHint(s Script) string {
	switch s {
	case "Han", "Hiragana", "Katakana", "Hangul", "Bopomofo":
		return "install the Debian package fonts-noto-cjk (and " + FontPackage + "), or set the font dir to a folder holding a font for it"
	}
	return "install the Debian package " + FontPackage + ", or set the font dir to a folder holding the Noto fonts"
}

// fontFamily is the Noto family (file name prefix) that draws a script.
func fontFamily(s Script) string {
	switch s {
	case ScriptLatin, ScriptCommon, "Greek", "Cyrillic":
		return "NotoSans"
	}
	return "NotoSans" + strings.ReplaceAll(string(s), "_", "")
}

type fontKey struct {
	family string
	bold   bool
}

// fontFiles lists the file names tried for a family and weight, best first.
// A missing bold weight falls back to the regular one.
func fontFiles(k fontKey) []string {
	var names []string
	if k.bold {
		names = append(names, k.family+"-Bold.ttf", k.family+"-Bold.otf")
	}
	return append(names, k.family+"-Regular.ttf", k.family+"-Regular.otf")
}

// fontBytes returns the raw bytes of a font file, read once per Renderer.
func (r *Renderer) fontBytes(k fontKey, s Script) ([]byte, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.files[k]; ok {
		return f.data, f.name, f.err
	}
	var f fontFile
	names := fontFiles(k)
	f.err = &MissingFontError{Script: s, Dir: r.dir, Files: names}
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(r.dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			f.err = fmt.Errorf("read font %s: %w", name, err)
			break
		}
		f = fontFile{data: b, name: name}
		break
	}
	r.files[k] = f
	return f.data, f.name, f.err
}

type fontFile struct {
	data []byte
	name string
	err  error
}

// loadedFont is a parsed font with what the glyph checks need.
type loadedFont struct {
	*canvas.Font
	file         string
	dottedCircle uint16 // glyph id of U+25CC, which HarfBuzz inserts into broken clusters
}

// fontSet holds parsed fonts for one render at a time: shaping keeps caches
// in the font, so concurrent renders each take their own set from the
// Renderer's pool.
type fontSet struct {
	r     *Renderer
	fonts map[fontKey]*loadedFont
}

func (fs *fontSet) font(s Script, bold bool) (*loadedFont, error) {
	k := fontKey{family: fontFamily(s), bold: bold}
	if f, ok := fs.fonts[k]; ok {
		return f, nil
	}
	b, name, err := fs.r.fontBytes(k, s)
	if err != nil {
		return nil, err
	}
	style := canvas.FontRegular
	if bold {
		style = canvas.FontBold
	}
	cf, err := canvas.LoadFont(b, 0, style)
	if err != nil {
		return nil, fmt.Errorf("parse font %s: %w", name, err)
	}
	f := &loadedFont{Font: cf, file: name, dottedCircle: cf.SFNT.GlyphIndex('\u25cc')}
	fs.fonts[k] = f
	return f, nil
}

// fontRun is a run of text with the font that draws it.
type fontRun struct {
	Run
	font *loadedFont
}

// ignorable runes draw nothing and need no glyph: joiners, direction marks,
// soft hyphens, variation selectors, control characters.
func ignorable(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Cc) || unicode.Is(unicode.Variation_Selector, r)
}

// fontRuns splits text into script runs and gives each its font. Spaces and
// punctuation that a script's font cannot draw are moved into runs of their
// own, drawn with the Latin font. Every rune is checked to have a glyph.
func (fs *fontSet) fontRuns(text string, bold bool) ([]fontRun, error) {
	var out []fontRun
	for _, run := range SplitRuns(text) {
		f, err := fs.font(run.Script, bold)
		if err != nil {
			return nil, err
		}
		if run.Script == ScriptLatin || run.Script == ScriptCommon {
			if err := checkGlyphs(f, run); err != nil {
				return nil, err
			}
			out = appendRun(out, fontRun{Run: run, font: f})
			continue
		}
		// split off neutral runes this script's font lacks
		start := 0
		inNeutral := false
		flush := func(end int) error {
			if start == end {
				return nil
			}
			sub := Run{Script: run.Script, Text: run.Text[start:end]}
			font := f
			if inNeutral {
				sub.Script = ScriptCommon
				var err error
				if font, err = fs.font(ScriptCommon, bold); err != nil {
					return err
				}
			}
			if err := checkGlyphs(font, sub); err != nil {
				return err
			}
			out = appendRun(out, fontRun{Run: sub, font: font})
			start = end
			return nil
		}
		for i, r := range run.Text {
			lacks := runeClass(r) == classNeutral && !ignorable(r) && f.SFNT.GlyphIndex(r) == 0
			if lacks != inNeutral {
				if err := flush(i); err != nil {
					return nil, err
				}
				inNeutral = lacks
			}
		}
		if err := flush(len(run.Text)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// appendRun appends r, merging it into the previous run when both use the
// same font.
func appendRun(runs []fontRun, r fontRun) []fontRun {
	if n := len(runs); n > 0 && runs[n-1].font == r.font {
		runs[n-1].Text += r.Text
		return runs
	}
	return append(runs, r)
}

// checkGlyphs fails when a rune of run has no glyph in f.
func checkGlyphs(f *loadedFont, run Run) error {
	for _, r := range run.Text {
		if ignorable(r) {
			continue
		}
		if f.SFNT.GlyphIndex(r) == 0 {
			return &MissingGlyphError{Script: run.Script, Font: f.file, Rune: r, Text: run.Text}
		}
	}
	return nil
}

// checkShaped fails when shaping run produced .notdef (glyph 0) or a dotted
// circle that the text did not ask for.
func checkShaped(f *loadedFont, run Run, ids []uint16) error {
	wantCircle := strings.ContainsRune(run.Text, '\u25cc')
	for _, id := range ids {
		if id == 0 || (!wantCircle && f.dottedCircle != 0 && id == f.dottedCircle) {
			return &MissingGlyphError{Script: run.Script, Font: f.file, Text: run.Text}
		}
	}
	return nil
}
