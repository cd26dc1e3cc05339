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
	sfnt "github.com/tdewolff/font"
)

// DefaultFontDir is where Debian's fonts-noto-core package installs the Noto
// fonts that certpdf uses.
const DefaultFontDir = "/usr/share/fonts/truetype/noto"

// FontPackage is the Debian package that provides the fonts certpdf needs.
const FontPackage = "fonts-noto-core"

// DefaultCJKFontDir is where Debian's fonts-noto-cjk package installs Noto
// Sans CJK, one font collection (.ttc) per weight. It is searched after the
// font dir for the scripts of Chinese, Japanese and Korean names.
const DefaultCJKFontDir = "/usr/share/fonts/opentype/noto"

// SymbolFontPackage is the Debian package that provides Symbola, the
// outline font that draws emoji and pictographs in names; DefaultSymbolFontDir
// is where it installs it (searched after the font dir).
const (
	SymbolFontPackage    = "fonts-symbola"
	DefaultSymbolFontDir = "/usr/share/fonts/truetype/ancient-scripts"
	symbolFamily         = "Symbola"
)

// isSymbol reports whether r is a symbol that the Symbola fallback may
// draw when the Latin font lacks it: emoji and other pictographs.
func isSymbol(r rune) bool {
	return unicode.In(r, unicode.So, unicode.Sk, unicode.Sm)
}

// CJKFontPackage is the Debian package that provides Noto Sans CJK.
const CJKFontPackage = "fonts-noto-cjk"

// cjkFamily is the file name prefix of the Noto Sans CJK collections.
const cjkFamily = "NotoSansCJK"

// cjkFaceSC is the Simplified Chinese face of the Noto Sans CJK collection
// (NotoSansCJK-Regular.ttc holds JP, KR, SC, TC, HK in this order). Every
// face covers Han, kana, Hangul and Bopomofo; they differ only in the
// regional forms of some Han characters.
const cjkFaceSC = 2

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

// scriptPackage is the Debian package with the font of a script.
func scriptPackage(s Script) string {
	switch family, _ := fontFamily(s); family {
	case cjkFamily:
		return CJKFontPackage
	case symbolFamily:
		return SymbolFontPackage
	}
	return FontPackage
}

func installHint(s Script) string {
	switch s {
	case "Han", "Hiragana", "Katakana", "Hangul", "Bopomofo":
		return "install the Debian package " + CJKFontPackage + " (it puts " + cjkFamily + "-Regular.ttc in " + DefaultCJKFontDir + "), or set the font dir to a folder holding " + cjkFamily + "-Regular.ttc and -Bold.ttc"
	case ScriptSymbols:
		return "install the Debian package " + SymbolFontPackage + " (it puts Symbola_hint.ttf in " + DefaultSymbolFontDir + "), or set the font dir to a folder holding Symbola.ttf"
	}
	return "install the Debian package " + FontPackage + ", or set the font dir to a folder holding the Noto fonts"
}

// fontFamily is the Noto family (file name prefix) that draws a script, and
// the face of it within a font collection. Han, kana, Hangul and Bopomofo
// all print with the Simplified Chinese face of Noto Sans CJK: Singapore
// and Malaysia write simplified, the kana and Hangul glyphs are the same in
// every face, and one face keeps one parsed font (21 MiB) per renderer
// slot instead of three.
func fontFamily(s Script) (family string, index int) {
	switch s {
	case ScriptLatin, ScriptCommon, "Greek", "Cyrillic":
		return "NotoSans", 0
	case "Han", "Hiragana", "Katakana", "Hangul", "Bopomofo":
		return cjkFamily, cjkFaceSC
	case ScriptSymbols:
		return symbolFamily, 0
	}
	return "NotoSans" + strings.ReplaceAll(string(s), "_", ""), 0
}

type fontKey struct {
	family string
	index  int // face within a font collection; 0 for a single font
	bold   bool
}

// fontFiles lists the paths tried for a family and weight, best first. A
// missing bold weight falls back to the regular one. Noto Sans CJK is a
// font collection, looked for in dir and then in cjkDir (DefaultCJKFontDir).
func fontFiles(dir, cjkDir string, k fontKey) []string {
	var names []string
	if k.family == symbolFamily {
		// one weight: a bold name draws its symbols regular
		names = append(names, filepath.Join(dir, "Symbola.ttf"), filepath.Join(dir, "Symbola_hint.ttf"))
		if filepath.Clean(dir) != DefaultSymbolFontDir {
			names = append(names, filepath.Join(DefaultSymbolFontDir, "Symbola_hint.ttf"), filepath.Join(DefaultSymbolFontDir, "Symbola.ttf"))
		}
		return names
	}
	if k.family == cjkFamily {
		dirs := []string{dir}
		if cjkDir != "" && filepath.Clean(dir) != filepath.Clean(cjkDir) {
			dirs = append(dirs, cjkDir)
		}
		for _, w := range weights(k.bold) {
			for _, d := range dirs {
				names = append(names, filepath.Join(d, k.family+"-"+w+".ttc"))
			}
		}
		return names
	}
	for _, w := range weights(k.bold) {
		names = append(names, filepath.Join(dir, k.family+"-"+w+".ttf"), filepath.Join(dir, k.family+"-"+w+".otf"))
	}
	return names
}

func weights(bold bool) []string {
	if bold {
		return []string{"Bold", "Regular"}
	}
	return []string{"Regular"}
}

// fontBytes returns the raw bytes of a font file and its path, read once
// per Renderer: the faces of one collection share them.
func (r *Renderer) fontBytes(k fontKey, s Script) ([]byte, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.files[k]; ok {
		var mf *MissingFontError
		if errors.As(f.err, &mf) && mf.Script != s {
			// several scripts share a font: name the one asked for
			cp := *mf
			cp.Script = s
			return nil, "", &cp
		}
		return f.data, f.path, f.err
	}
	var f fontFile
	paths := fontFiles(r.dir, r.cjkDir, k)
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = p
		if filepath.Dir(p) == filepath.Clean(r.dir) {
			names[i] = filepath.Base(p)
		}
	}
	f.err = &MissingFontError{Script: s, Dir: r.dir, Files: names}
	for _, path := range paths {
		if b, ok := r.data[path]; ok {
			f = fontFile{data: b, path: path}
			break
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			f.err = fmt.Errorf("read font %s: %w", path, err)
			break
		}
		r.data[path] = b
		f = fontFile{data: b, path: path}
		break
	}
	r.files[k] = f
	return f.data, f.path, f.err
}

type fontFile struct {
	data []byte
	path string
	err  error
}

// loadedFont is a parsed font with what the glyph checks need.
type loadedFont struct {
	*canvas.Font
	file         string // the font file's name, for errors
	path         string // the font file
	index        int    // the face within a collection
	dottedCircle uint16 // glyph id of U+25CC, which HarfBuzz inserts into broken clusters
	outline      bool   // canvas cannot embed a subset: its glyphs are drawn as outlines
}

// fontSet holds parsed fonts for one render at a time: shaping keeps caches
// in the font, so concurrent renders each take their own set from the
// Renderer's pool.
type fontSet struct {
	r     *Renderer
	fonts map[fontKey]*loadedFont
	// outlined holds the fonts canvas cannot embed as a subset, whose
	// glyphs are drawn as outlines (see textLayer)
	outlined map[*canvas.Font]bool
	// holdsCJK is set while this set uses the Renderer's shared CJK fonts
	// (and holds its cjk lock)
	holdsCJK bool
}

// sharedFont returns the Renderer's one parsed copy of a CJK font, taking
// the Renderer's cjk lock for this set first (held until the set is put
// back). The font is parsed at first need.
func (fs *fontSet) sharedFont(k fontKey, s Script) (*loadedFont, error) {
	r := fs.r
	if !fs.holdsCJK {
		r.cjk.Lock()
		fs.holdsCJK = true
	}
	if f, ok := r.shared[k]; ok {
		return f, nil
	}
	// an absent file is remembered by fontBytes, not looked for again
	f, err := fs.load(k, s)
	if err != nil {
		return nil, err
	}
	r.shared[k] = f
	return f, nil
}

// releaseShared forgets the shared CJK fonts this set used and lets
// another render use them.
func (fs *fontSet) releaseShared() {
	if !fs.holdsCJK {
		return
	}
	for k, f := range fs.fonts {
		if k.family == cjkFamily {
			delete(fs.outlined, f.Font)
			delete(fs.fonts, k)
		}
	}
	fs.holdsCJK = false
	fs.r.cjk.Unlock()
}

// outline tells whether f's glyphs are drawn as outlines.
func (fs *fontSet) outline(f *canvas.Font) bool { return fs.outlined[f] }

// canSubset tells whether canvas's PDF writer can embed a subset of f. It
// cannot for CID-keyed CFF fonts with several private dictionaries, as
// Noto Sans CJK is: it would panic when the PDF is written.
func canSubset(f *canvas.Font) bool {
	if !f.SFNT.IsCFF {
		return true
	}
	n := min(int(f.SFNT.NumGlyphs()), 64)
	ids := make([]uint16, n)
	for i := range ids {
		ids[i] = uint16(i)
	}
	_, err := f.SFNT.Subset(ids, sfnt.SubsetOptions{Tables: sfnt.KeepPDFTables})
	return err == nil
}

func (fs *fontSet) font(s Script, bold bool) (*loadedFont, error) {
	family, index := fontFamily(s)
	k := fontKey{family: family, index: index, bold: bold}
	if f, ok := fs.fonts[k]; ok {
		return f, nil
	}
	var f *loadedFont
	var err error
	if k.family == cjkFamily {
		f, err = fs.sharedFont(k, s)
	} else {
		f, err = fs.load(k, s)
	}
	if err != nil {
		return nil, err
	}
	if f.outline {
		if fs.outlined == nil {
			fs.outlined = map[*canvas.Font]bool{}
		}
		fs.outlined[f.Font] = true
	}
	fs.fonts[k] = f
	return f, nil
}

// load parses the font of a key from its file.
func (fs *fontSet) load(k fontKey, s Script) (*loadedFont, error) {
	b, path, err := fs.r.fontBytes(k, s)
	if err != nil {
		return nil, err
	}
	style := canvas.FontRegular
	if k.bold {
		style = canvas.FontBold
	}
	cf, err := canvas.LoadFont(b, k.index, style)
	if err != nil {
		return nil, fmt.Errorf("parse font %s (face %d): %w", path, k.index, err)
	}
	return &loadedFont{Font: cf, file: filepath.Base(path), path: path, index: k.index, dottedCircle: cf.SFNT.GlyphIndex('\u25cc'),
		outline: !canSubset(cf)}, nil
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
// own, drawn with the Latin font, and symbols the Latin font cannot draw
// into runs drawn with Symbola. Every rune is checked to have a glyph.
func (fs *fontSet) fontRuns(text string, bold bool) ([]fontRun, error) {
	var out []fontRun
	for _, run := range SplitRuns(text) {
		f, err := fs.font(run.Script, bold)
		if err != nil {
			return nil, err
		}
		if run.Script == ScriptLatin || run.Script == ScriptCommon {
			// symbols the Latin font lacks (emoji) are drawn with Symbola;
			// a joiner or variation selector stays with its symbol
			out, err = fs.fallbackRuns(out, run, f, ScriptSymbols, bold, func(r rune, inFallback bool) bool {
				if ignorable(r) {
					return inFallback
				}
				return isSymbol(r) && f.SFNT.GlyphIndex(r) == 0
			})
		} else {
			// neutral runes this script's font lacks are drawn with the
			// Latin font
			out, err = fs.fallbackRuns(out, run, f, ScriptCommon, bold, func(r rune, _ bool) bool {
				return runeClass(r) == classNeutral && !ignorable(r) && f.SFNT.GlyphIndex(r) == 0
			})
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fallbackRuns splits run into stretches drawn with f and stretches that
// the font of the fallback script draws, checks each stretch's glyphs and
// appends them to out. moves tells whether a rune goes to the fallback
// font, given whether the rune before it did.
func (fs *fontSet) fallbackRuns(out []fontRun, run Run, f *loadedFont, fallback Script, bold bool, moves func(r rune, inFallback bool) bool) ([]fontRun, error) {
	start, inFallback := 0, false
	flush := func(end int) error {
		if start == end {
			return nil
		}
		sub, font := Run{Script: run.Script, Text: run.Text[start:end]}, f
		if inFallback {
			sub.Script = fallback
			var err error
			if font, err = fs.font(fallback, bold); err != nil {
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
		if m := moves(r, inFallback); m != inFallback {
			if err := flush(i); err != nil {
				return nil, err
			}
			inFallback = m
		}
	}
	if err := flush(len(run.Text)); err != nil {
		return nil, err
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
