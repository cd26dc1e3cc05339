package certpdf

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/harfbuzz"
	"github.com/go-text/typesetting/language"
	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/rasterizer"
	"golang.org/x/text/unicode/norm"
)

// seededNames covers every script certificates are printed in, with the
// features that break naive PDF text: stacked marks, subscripts, split and
// reordered vowels, kinzi, stacked diacritics, decomposed input.
var seededNames = []struct {
	label, name string
}{
	{"thai stacked vowel and tone marks", "สมศักดิ์ ศรีสุข"},
	{"thai stacked marks", "ณัฐวุฒิ"},
	{"thai yo ying", "ญาณิศา หญิงไทย"},
	{"khmer subscripts and split vowel", "សុខ ស្រីពេជ្រ"},
	{"khmer register shifter", "ចាន់ ស្រ៊ីម៉ៅ"},
	{"lao", "ສົມສັກ ພົມມະວົງ"},
	{"lao tone marks", "ພອນສະຫວັນ ແກ້ວມະນີ"},
	{"burmese reordered vowels and medials", "အောင်ဆန်းစုကြည်"},
	{"burmese kinzi", "မင်္ဂလာ"},
	{"burmese honorific", "ဒေါ်ခင်မြင့်"},
	{"vietnamese stacked diacritics", "Nguyễn Thị Ngọc Ánh"},
	{"vietnamese", "Trần Thị Hương"},
	{"vietnamese decomposed (NFD) input", norm.NFD.String("Phạm Đức Thắng")},
	{"latin acute", "José Rizal"},
	{"malay", "Siti Nurhaliza binti Tarudin"},
	{"filipino", "Ma. Teresa Dela Cruz-Ñañez"},
	{"mixed khmer and latin", "Sok Sreypich (សុខ ស្រីពេជ្រ)"},
	{"mixed thai, burmese and latin", "สมชาย Somchai အောင်"},
	{"khmer with a register shifter and a space", "សុខ ដារ៉ា"},
	{"singapore: chinese beside latin", "Lim Wei Ling 林慧玲"},
	{"chinese", "陈美玲"},
	{"tamil", "முத்துக்குமார் செல்வராஜ்"},
	{"jawi", "نور ڤوتري بنت عثمان"},
	{"an emoji beside latin (Symbola)", "Ana 😀 Cruz"},
	{"arabic script", "محمد حافظ بن عبدالله"},
	{"brunei: latin beside jawi", "Muhammad Hafiz محمد حافظ"},
	{"korean", "김민준"},
	{"japanese kana and han", "田中 さくら カナ"},
}

// testRenderer returns a Renderer on the system's Noto fonts
// ($ROLLCALL_FONT_DIR or DefaultFontDir). Without them the test is skipped,
// unless ROLLCALL_REQUIRE_FONTS is set (as in CI): then it fails.
func testRenderer(tb testing.TB) *Renderer {
	tb.Helper()
	dir := os.Getenv("ROLLCALL_FONT_DIR")
	if dir == "" {
		dir = DefaultFontDir
	}
	var missing []string
	for _, fam := range []string{"NotoSans", "NotoSansThai", "NotoSansKhmer", "NotoSansLao", "NotoSansMyanmar", "NotoSansTamil", "NotoSansArabic"} {
		for _, w := range []string{"Regular", "Bold"} {
			if _, err := os.Stat(filepath.Join(dir, fam+"-"+w+".ttf")); err != nil {
				missing = append(missing, fam+"-"+w+".ttf")
			}
		}
	}
	for _, w := range []string{"Regular", "Bold"} {
		name := cjkFamily + "-" + w + ".ttc"
		_, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			_, err = os.Stat(filepath.Join(DefaultCJKFontDir, name))
		}
		if err != nil {
			missing = append(missing, name+" (in "+DefaultCJKFontDir+")")
		}
	}
	if len(missing) > 0 {
		msg := "fonts missing in " + dir + ": " + strings.Join(missing, ", ") +
			" — install the Debian packages " + FontPackage + " and " + CJKFontPackage + " (see .ci/run) or set ROLLCALL_FONT_DIR"
		if os.Getenv("ROLLCALL_REQUIRE_FONTS") != "" {
			tb.Fatal(msg + " (ROLLCALL_REQUIRE_FONTS is set)")
		}
		tb.Skip(msg + " (set ROLLCALL_REQUIRE_FONTS to fail instead)")
	}
	r, err := NewRenderer(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func sampleCertificate(name string) Certificate {
	return Certificate{
		ID:         "K7QM4X2P9RTW3V8NHJ6C",
		Type:       TypeParticipation,
		FullName:   name,
		Role:       "participant",
		EventTitle: "SEAMEO Policy Dialogue on Teachers in Southeast Asia",
		Date:       time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC),
		VerifyURL:  "https://rollcall.example.org/verify/K7QM4X2P9RTW3V8NHJ6C",
	}
}

// TestSeededNamesShapeWithoutMissingGlyphs shapes every seeded name with
// go-text/typesetting's HarfBuzz directly, with the font certpdf picks for
// each script run, and fails on .notdef (glyph 0) or a dotted circle.
func TestSeededNamesShapeWithoutMissingGlyphs(t *testing.T) {
	r := testRenderer(t)
	fs := r.getFontSet()
	defer r.putFontSet(fs)
	faces := map[string]*font.Face{}
	for _, tt := range seededNames {
		t.Run(tt.label, func(t *testing.T) {
			name := norm.NFC.String(tt.name)
			for _, bold := range []bool{true, false} {
				runs, err := fs.fontRuns(name, bold)
				if err != nil {
					t.Fatal(err)
				}
				for _, run := range runs {
					key := fmt.Sprintf("%s#%d", run.font.path, run.font.index)
					face := faces[key]
					if face == nil {
						b, err := os.ReadFile(run.font.path)
						if err != nil {
							t.Fatal(err)
						}
						if strings.HasSuffix(run.font.path, ".ttc") {
							all, err := font.ParseTTC(bytes.NewReader(b))
							if err != nil {
								t.Fatal(err)
							}
							face = all[run.font.index]
						} else if face, err = font.ParseTTF(bytes.NewReader(b)); err != nil {
							t.Fatal(err)
						}
						faces[key] = face
					}
					circle, _ := face.NominalGlyph('\u25cc')
					buf := harfbuzz.NewBuffer()
					buf.AddRunes([]rune(run.Text), 0, -1)
					buf.Props.Direction = harfbuzz.LeftToRight
					buf.Props.Script = language.LookupScript([]rune(strings.TrimLeft(run.Text, " (-."))[0])
					buf.GuessSegmentProperties()
					buf.Shape(harfbuzz.NewFont(face), nil)
					if len(buf.Info) == 0 {
						t.Fatalf("%s run %q shaped to no glyphs", run.Script, run.Text)
					}
					for _, g := range buf.Info {
						if g.Glyph == 0 {
							t.Errorf("%s run %q: .notdef for %U with %s", run.Script, run.Text, run.Text[g.Cluster:][0], run.font.file)
						}
						if g.Glyph == circle {
							t.Errorf("%s run %q: dotted circle (broken cluster) with %s", run.Script, run.Text, run.font.file)
						}
					}
				}
			}
		})
	}
}

// TestRenderSeededNames renders each seeded name to a PDF, checks the PDF's
// metadata holds the exact NFC name, and rasterises the drawn page to check
// that the name's area has ink: a name that shaped into invisible glyphs
// fails here.
func TestRenderSeededNames(t *testing.T) {
	r := testRenderer(t)
	tpl, _ := DefaultTemplate(TypeParticipation)
	p, err := preparePage(tpl)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range seededNames {
		t.Run(tt.label, func(t *testing.T) {
			c := sampleCertificate(tt.name)
			var buf bytes.Buffer
			if err := r.Render(context.Background(), &buf, tpl, c); err != nil {
				t.Fatal(err)
			}
			pdf := buf.Bytes()
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
				t.Fatalf("not a PDF: %q…", pdf[:min(len(pdf), 16)])
			}
			want := norm.NFC.String(tt.name)
			info := pdfInfo(t, pdf)
			if !strings.Contains(info["Title"], want) || !strings.Contains(info["Subject"], want) || !strings.Contains(info["Keywords"], want) {
				t.Errorf("PDF info %q does not hold the name %q", info, want)
			}
			if tt.name != want && strings.Contains(info["Title"], tt.name) {
				t.Errorf("PDF info holds the decomposed name")
			}

			cv, box, _, err := drawTest(t, r, p, c)
			if err != nil {
				t.Fatal(err)
			}
			img := rasterizer.Draw(cv, canvas.DPMM(4), canvas.DefaultColorSpace)
			if ink := inkIn(img, box, 4, p.accent); ink < 300 {
				t.Errorf("name %q: only %d pixels of ink in the name's box: blank or missing glyphs", tt.name, ink)
			}

			// the same in the PDF itself, with its embedded font subsets, where poppler is installed
			if pdftoppm, err := exec.LookPath("pdftoppm"); err == nil {
				dir := t.TempDir()
				path := filepath.Join(dir, "name.pdf")
				if err := os.WriteFile(path, pdf, 0o644); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command(pdftoppm, "-r", "100", "-png", "-singlefile", path, filepath.Join(dir, "name")).CombinedOutput(); err != nil {
					t.Fatalf("pdftoppm: %v: %s", err, out)
				}
				f, err := os.Open(filepath.Join(dir, "name.png"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				img, err := png.Decode(f)
				if err != nil {
					t.Fatal(err)
				}
				if ink := inkIn(img, box, 100/25.4, p.accent); ink < 300 {
					t.Errorf("name %q: only %d pixels of ink in the name's box of the PDF as poppler draws it", tt.name, ink)
				}
			}
		})
	}
}

// inkIn counts the pixels in box (millimetres, y up) of img (dpmm pixels
// per millimetre) that are close to the colour col.
func inkIn(img image.Image, box nameBox, dpmm float64, col color.RGBA) int {
	b := img.Bounds()
	x0, x1 := int(box.x0*dpmm), int(box.x1*dpmm)
	y0, y1 := b.Dy()-int(box.y1*dpmm), b.Dy()-int(box.y0*dpmm)
	n := 0
	for y := max(y0, b.Min.Y); y < min(y1, b.Max.Y); y++ {
		for x := max(x0, b.Min.X); x < min(x1, b.Max.X); x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			d := absDiff(r>>8, uint32(col.R)) + absDiff(g>>8, uint32(col.G)) + absDiff(bl>>8, uint32(col.B))
			if d < 60 {
				n++
			}
		}
	}
	return n
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

var infoString = regexp.MustCompile(`/(Title|Subject|Keywords|Author)<([0-9a-fA-F]*)>`)

// pdfInfo decodes the document information strings of a certpdf PDF.
func pdfInfo(t *testing.T, pdf []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range infoString.FindAllSubmatch(pdf, -1) {
		b, err := hex.DecodeString(string(m[2]))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(b, []byte{0xfe, 0xff}) {
			u := make([]uint16, 0, len(b)/2)
			for i := 2; i+1 < len(b); i += 2 {
				u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
			}
			out[string(m[1])] = string(utf16.Decode(u))
		} else {
			out[string(m[1])] = string(b)
		}
	}
	if len(out) == 0 {
		t.Fatal("PDF has no document information strings")
	}
	return out
}

// TestRenderPNG renders a multi-script certificate, turns its first page
// into a PNG with pdftoppm (poppler-utils) and prints the PNG's path, kept
// in $ROLLCALL_ARTIFACT_DIR when set. The PNG must have ink where the name is.
func TestRenderPNG(t *testing.T) {
	r := testRenderer(t)
	pdftoppm, err := exec.LookPath("pdftoppm")
	if err != nil {
		if os.Getenv("ROLLCALL_REQUIRE_FONTS") != "" {
			t.Fatal("pdftoppm not on PATH: install the Debian package poppler-utils (see .ci/run)")
		}
		t.Skip("pdftoppm not on PATH: install poppler-utils to render the PNG")
	}
	dir := os.Getenv("ROLLCALL_ARTIFACT_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tpl, _ := DefaultTemplate(TypeAppreciation)
	tpl.Logo = testPNG(t, 300, 120, color.RGBA{0x0b, 0x3d, 0x6e, 0xff})
	tpl.Signatories = []Signatory{
		{Name: "ณัฐวุฒิ ศรีสุข", Title: "ผู้อำนวยการ", Signature: testPNG(t, 240, 80, color.RGBA{0x22, 0x22, 0x88, 0xff})},
		{Name: "ចាន់ ស្រ៊ីម៉ៅ", Title: "Director, SEAMEO Secretariat"},
		{Name: "Trần Thị Hương", Title: "ສົມສັກ ພົມມະວົງ"},
	}
	c := sampleCertificate("សុខ ស្រីពេជ្រ · สมศักดิ์ · မင်္ဂလာ · Nguyễn Thị Ngọc Ánh")
	c.Type, c.Role = TypeAppreciation, "speaker"
	pdfPath := filepath.Join(dir, "certpdf-multiscript.pdf")
	f, err := os.Create(pdfPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Render(context.Background(), f, tpl, c); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	const dpi = 100
	base := strings.TrimSuffix(pdfPath, ".pdf")
	if out, err := exec.Command(pdftoppm, "-f", "1", "-l", "1", "-r", "100", "-png", "-singlefile", pdfPath, base).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	pngPath := base + ".png"
	pf, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	img, err := png.Decode(pf)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := preparePage(tpl)
	_, box, _, err := drawTest(t, r, p, c)
	if err != nil {
		t.Fatal(err)
	}
	if ink := inkIn(img, box, dpi/25.4, p.accent); ink < 500 {
		t.Errorf("PNG %s: only %d pixels of ink where the name is", pngPath, ink)
	}
	t.Logf("certificate PNG: %s", pngPath)
	os.Stdout.WriteString("certpdf: certificate PNG: " + pngPath + "\n")
}

func testPNG(t *testing.T, w, h int, col color.RGBA) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if (x/20+y/20)%2 == 0 || y == h/2 {
				img.Set(x, y, col)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// latinOnlyDir returns a font dir holding only Noto Sans, as on a machine
// without fonts-noto-core but with some Latin font.
func latinOnlyDir(t *testing.T, r *Renderer) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"NotoSans-Regular.ttf", "NotoSans-Bold.ttf"} {
		if err := os.Symlink(filepath.Join(r.FontDir(), name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// latinOnlyRenderer returns a Renderer with Latin fonts only, which does
// not look for Noto Sans CJK in Debian's folder either.
func latinOnlyRenderer(t *testing.T, r *Renderer) *Renderer {
	t.Helper()
	latin, err := NewRenderer(latinOnlyDir(t, r))
	if err != nil {
		t.Fatal(err)
	}
	latin.cjkDir = ""
	return latin
}

func TestMissingScriptFontIsAClearError(t *testing.T) {
	r := testRenderer(t)
	latin := latinOnlyRenderer(t, r)
	tpl, _ := DefaultTemplate(TypeParticipation)
	for _, tt := range []struct {
		name   string
		script Script
	}{
		{"สมศักดิ์ ศรีสุข", ScriptThai},
		{"សុខ ស្រីពេជ្រ", ScriptKhmer},
		{"ສົມສັກ ພົມມະວົງ", ScriptLao},
		{"အောင်ဆန်းစုကြည်", ScriptMyanmar},
		{"José Rizal (สมชาย)", ScriptThai},
		{"Lim Wei Ling 林慧玲", "Han"},
		{"김민준", "Hangul"},
	} {
		t.Run(string(tt.script), func(t *testing.T) {
			var buf bytes.Buffer
			err := latin.Render(context.Background(), &buf, tpl, sampleCertificate(tt.name))
			var mf *MissingFontError
			if !errors.As(err, &mf) {
				t.Fatalf("Render(%q) = %v, want a MissingFontError", tt.name, err)
			}
			if mf.Script != tt.script {
				t.Errorf("error names script %s, want %s", mf.Script, tt.script)
			}
			pkg := FontPackage
			if tt.script == "Han" || tt.script == "Hangul" {
				pkg = CJKFontPackage
			}
			for _, want := range []string{string(tt.script), pkg, sampleCertificate("").ID} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written despite the error", buf.Len())
			}
		})
	}
	// Latin names still render with Latin fonts only.
	if err := latin.Render(context.Background(), new(bytes.Buffer), tpl, sampleCertificate("Nguyễn Thị Ngọc Ánh")); err != nil {
		t.Errorf("latin name with latin fonts only: %v", err)
	}
}

func TestNewRendererWithoutFonts(t *testing.T) {
	_, err := NewRenderer(t.TempDir())
	var mf *MissingFontError
	if !errors.As(err, &mf) || mf.Script != ScriptLatin || !strings.Contains(err.Error(), "fonts-noto-core") {
		t.Fatalf("NewRenderer(empty dir) = %v, want a MissingFontError for Latin naming fonts-noto-core", err)
	}
}

func TestMissingGlyphIsAnError(t *testing.T) {
	r := testRenderer(t)
	tpl, _ := DefaultTemplate(TypeParticipation)
	for _, tt := range []struct {
		label, name string
		want        any
	}{
		{"emoji newer than Symbola", "Ana 🥲 Cruz", new(*MissingGlyphError)},
	} {
		t.Run(tt.label, func(t *testing.T) {
			err := r.Render(context.Background(), new(bytes.Buffer), tpl, sampleCertificate(tt.name))
			if err == nil || !errors.As(err, tt.want) {
				t.Fatalf("Render(%q) = %v, want %T", tt.name, err, tt.want)
			}
			t.Log(err)
		})
	}
}

func TestRenderRejectsIncompleteCertificates(t *testing.T) {
	r := testRenderer(t)
	tpl, _ := DefaultTemplate(TypeParticipation)
	for label, mutate := range map[string]func(*Certificate){
		"no id":         func(c *Certificate) { c.ID = " " },
		"no name":       func(c *Certificate) { c.FullName = " \t" },
		"no verify url": func(c *Certificate) { c.VerifyURL = "" },
	} {
		t.Run(label, func(t *testing.T) {
			c := sampleCertificate("José Rizal")
			mutate(&c)
			var buf bytes.Buffer
			if err := r.Render(context.Background(), &buf, tpl, c); err == nil || buf.Len() != 0 {
				t.Fatalf("Render = %v with %d bytes, want an error and nothing written", err, buf.Len())
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Render(ctx, new(bytes.Buffer), tpl, sampleCertificate("José Rizal")); !errors.Is(err, context.Canceled) {
		t.Errorf("Render with a cancelled context = %v", err)
	}
}

func TestRenderZIP(t *testing.T) {
	r := testRenderer(t)
	certs := []Certificate{sampleCertificate("สมศักดิ์ ศรีสุข"), sampleCertificate("José Rizal"), sampleCertificate("မင်္ဂလာ")}
	certs[0].ID, certs[1].ID, certs[2].ID = "AAAA", "BBBB", "CC/../CC"
	certs[1].Type = TypeAppreciation
	var buf bytes.Buffer
	rep, err := r.RenderZIP(context.Background(), &buf, nil, slices.Values(certs))
	if err != nil || len(rep.Failures) > 0 || rep.Rendered != 3 {
		t.Fatalf("RenderZIP = %+v, %v; want 3 rendered", rep, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 5)
		if _, err := rc.Read(head); err != nil || string(head) != "%PDF-" {
			t.Errorf("%s does not start as a PDF: %q %v", f.Name, head, err)
		}
		rc.Close()
	}
	want := []string{"participation-AAAA.pdf", "appreciation-BBBB.pdf", "participation-CC____CC.pdf"}
	if !slices.Equal(names, want) {
		t.Errorf("zip holds %q, want %q", names, want)
	}
}

// TestRenderZIPGoesOnPastFailures renders the held-out names of every
// country with names no font covers, an unknown type and a duplicate id in
// one run: every other certificate is in the archive, each failure is in
// the report with its id, name and missing characters, and, where poppler
// is installed, each PDF gives its name back to pdftotext.
func TestRenderZIPGoesOnPastFailures(t *testing.T) {
	r := testRenderer(t)
	var certs []Certificate
	for i, tt := range seededNames {
		c := sampleCertificate(tt.name)
		c.ID = fmt.Sprintf("OK%02d", i)
		certs = append(certs, c)
	}
	bad := []struct {
		id, name string
		mutate   func(*Certificate)
		missing  []rune
	}{
		{"EMOJI", "Ana 🥲 Cruz", nil, []rune{'🥲'}},
		{"PRIVATE", "Siti  Aminah", nil, []rune{'\ue000'}},
		{"TANGUT", "Lim 𗀀 林慧玲", nil, []rune{'𗀀'}},
		{"GRATITUDE", "José Rizal", func(c *Certificate) { c.Type = "gratitude" }, nil},
		{"OK00", "Juan Dela Cruz", nil, nil}, // the id of the first certificate again
	}
	for i, b := range bad {
		c := sampleCertificate(b.name)
		c.ID = b.id
		if b.mutate != nil {
			b.mutate(&c)
		}
		// spread them among the good ones
		at := min(len(certs), 3*i+2)
		certs = slices.Insert(certs, at, c)
	}
	var buf bytes.Buffer
	rep, err := r.RenderZIP(context.Background(), &buf, nil, slices.Values(certs))
	if err != nil {
		t.Fatalf("RenderZIP = %v, want the run to finish", err)
	}
	if rep.Rendered != len(seededNames) || len(rep.Failures) != len(bad) {
		t.Fatalf("rendered %d with %d failures, want %d and %d: %+v", rep.Rendered, len(rep.Failures), len(seededNames), len(bad), rep.Failures)
	}
	for i, f := range rep.Failures {
		if f.ID != bad[i].id || f.Name != bad[i].name || !slices.Equal(f.Missing, bad[i].missing) {
			t.Errorf("failure %d = %s %q missing %q (%v), want %s %q missing %q", i, f.ID, f.Name, f.Missing, f.Err, bad[i].id, bad[i].name, bad[i].missing)
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	tool, _ := exec.LookPath("pdftotext")
	var report string
	pdfs := 0
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == FailuresName {
			report = string(b)
			continue
		}
		pdfs++
		var i int
		if _, err := fmt.Sscanf(f.Name, "participation-OK%02d.pdf", &i); err != nil {
			t.Errorf("unexpected file %s in the archive", f.Name)
			continue
		}
		if tool == "" {
			continue
		}
		want := norm.NFC.String(seededNames[i].name)
		if lines := extractedLines(t, tool, b); !slices.Contains(lines, want) {
			t.Errorf("%s: pdftotext does not give back %q: %q", f.Name, want, lines)
		}
	}
	if pdfs != len(seededNames) {
		t.Errorf("%d PDFs in the archive, want %d", pdfs, len(seededNames))
	}
	for _, want := range []string{fmt.Sprintf("%d of %d certificates could not be rendered", len(bad), len(bad)+len(seededNames)), "certificate EMOJI", "Ana 🥲 Cruz", "U+1F972 🥲",
		"certificate PRIVATE", "U+E000", "U+17000 𗀀", "gratitude", "two certificates would be named participation-OK00.pdf"} {
		if !strings.Contains(report, want) {
			t.Errorf("%s does not say %q:\n%s", FailuresName, want, report)
		}
	}
	if strings.Contains(report, "U+E000 \ue000") {
		t.Error("the report prints a private-use character as itself")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.RenderZIP(ctx, new(bytes.Buffer), nil, slices.Values(certs)); !errors.Is(err, context.Canceled) {
		t.Fatalf("RenderZIP with a cancelled context = %v", err)
	}
}

// TestRenderConcurrently renders from several goroutines on one Renderer,
// as the dashboard does; run with -race.
func TestRenderConcurrently(t *testing.T) {
	r := testRenderer(t)
	tpl, _ := DefaultTemplate(TypeParticipation)
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			var buf bytes.Buffer
			errs <- r.Render(context.Background(), &buf, tpl, sampleCertificate(seededNames[i%len(seededNames)].name))
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// drawTest draws c on p with a font set of r, put back when the test ends
// (a set that drew CJK holds the Renderer's CJK fonts until then).
func drawTest(t testing.TB, r *Renderer, p *page, c Certificate) (*canvas.Canvas, nameBox, docInfo, error) {
	fs := r.getFontSet()
	t.Cleanup(func() { r.putFontSet(fs) })
	return drawPage(fs, p, c)
}

// TestCJKFontsShared: Noto Sans CJK is parsed once per weight and shared
// by every render (a copy per concurrent render cost some 80 MB each);
// renders of Chinese, Japanese and Korean names at once, beside Thai ones,
// all succeed (under -race, the shared fonts' lock is checked), and the
// lock is free when they are done.
func TestCJKFontsShared(t *testing.T) {
	r := testRenderer(t)
	tpl := DefaultTemplates()[TypeParticipation]
	names := []string{"Lim Wei Ling 林慧玲", "김민준", "さくら 田中", "สมศรี ใจดี", "陳大文", "Ng Siew Lan 黄秀兰"}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(names))
	for range 4 {
		for _, n := range names {
			wg.Go(func() {
				if err := r.Render(context.Background(), io.Discard, tpl, sampleCertificate(n)); err != nil {
					errs <- fmt.Errorf("%s: %w", n, err)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if !r.cjk.TryLock() {
		t.Fatal("the CJK fonts are still held after every render ended")
	}
	shared := len(r.shared)
	r.cjk.Unlock()
	if shared == 0 || shared > 2 {
		t.Errorf("%d shared CJK fonts, want one per weight used", shared)
	}
}
