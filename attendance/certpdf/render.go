package certpdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // decode JPEG logos, backgrounds and signatures
	_ "image/png"  // decode PNG logos, backgrounds and signatures
	"io"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/pdf"
	"golang.org/x/image/draw"
	"golang.org/x/text/unicode/norm"
	"rsc.io/qr"
)

// DefaultDateLayout is the Go time layout of the date printed when a
// Certificate gives none: "2 January 2006".
const DefaultDateLayout = "2 January 2006"

// Page size of an A4 landscape certificate, in millimetres.
const (
	PageWidth  = 297.0
	PageHeight = 210.0
)

// Certificate is one issued certificate to print.
type Certificate struct {
	ID   string // the unguessable certificate id, printed small
	Type Type   // chooses the template
	// FullName is printed exactly as given (Unicode NFC, never re-cased);
	// a decomposed (NFD) name is composed to NFC, which changes no letter.
	FullName   string
	Role       string    // replaces {{role}}; a bare role id such as "speaker" is capitalised
	EventTitle string    // replaces {{event}}
	Date       time.Time // replaces {{date}}
	DateLayout string    // Go time layout of Date; DefaultDateLayout when empty
	VerifyURL  string    // encoded in the QR code, e.g. https://example.org/verify/ID
}

// Renderer draws certificates. It reads fonts from one directory once and
// is safe for concurrent use; build one and reuse it for every certificate.
type Renderer struct {
	dir string
	// cjkDir is searched for Noto Sans CJK after dir: DefaultCJKFontDir
	cjkDir string
	mu     sync.Mutex // guards files and data
	files  map[fontKey]fontFile
	data   map[string][]byte // font file contents by path
	sets   chan *fontSet     // idle parsed font sets, one per concurrent render

	// Noto Sans CJK is parsed once and shared: each weight costs some
	// 40 MB parsed (a 20 MB collection, written out again for the shaper),
	// so a copy per concurrent render took 10,000 certificates with Chinese
	// names among them from about 105 MB to 270 MB. Its shaper keeps caches
	// that are not safe for concurrent use, so a render that draws CJK
	// holds cjk until its font set is put back: CJK names render one at a
	// time, the others beside them as before. cjk also guards shared.
	cjk    sync.Mutex
	shared map[fontKey]*loadedFont
}

// NewRenderer returns a Renderer that reads the Noto fonts from fontDir, or
// from DefaultFontDir when fontDir is empty. The Latin font (NotoSans) must
// be there; fonts for other scripts are loaded when a text first needs them,
// and their absence is an error only then, naming the script.
func NewRenderer(fontDir string) (*Renderer, error) {
	if fontDir == "" {
		fontDir = DefaultFontDir
	}
	r := &Renderer{
		dir:    fontDir,
		cjkDir: DefaultCJKFontDir,
		files:  map[fontKey]fontFile{},
		data:   map[string][]byte{},
		sets:   make(chan *fontSet, runtime.GOMAXPROCS(0)),
		shared: map[fontKey]*loadedFont{},
	}
	fs := r.newFontSet()
	for _, bold := range []bool{false, true} {
		if _, err := fs.font(ScriptLatin, bold); err != nil {
			return nil, fmt.Errorf("certpdf: new renderer: %w", err)
		}
	}
	// read the fonts of Southeast Asia's scripts now where they are
	// installed; a missing one is reported when a name needs it
	for _, s := range []Script{ScriptThai, ScriptKhmer, ScriptLao, ScriptMyanmar} {
		for _, bold := range []bool{false, true} {
			_, err := fs.font(s, bold)
			var missing *MissingFontError
			if err != nil && !errors.As(err, &missing) {
				return nil, fmt.Errorf("certpdf: new renderer: %w", err)
			}
		}
	}
	r.putFontSet(fs)
	return r, nil
}

// FontDir returns the directory the fonts are read from.
func (r *Renderer) FontDir() string { return r.dir }

func (r *Renderer) newFontSet() *fontSet {
	return &fontSet{r: r, fonts: map[fontKey]*loadedFont{}}
}

func (r *Renderer) getFontSet() *fontSet {
	select {
	case fs := <-r.sets:
		return fs
	default:
		return r.newFontSet()
	}
}

func (r *Renderer) putFontSet(fs *fontSet) {
	fs.releaseShared()
	select {
	case r.sets <- fs:
	default: // enough idle sets; let this one go
	}
}

// Render writes one certificate as a one-page A4 landscape PDF to w. The
// PDF's Title, Subject and Keywords hold the exact name, the event and the
// certificate id. Nothing is written when the certificate cannot be drawn
// right, for example when a script of the name has no font.
func (r *Renderer) Render(ctx context.Context, w io.Writer, tpl Template, c Certificate) error {
	p, err := preparePage(tpl)
	if err != nil {
		return fmt.Errorf("certpdf: template %s: %w", tpl.Type, err)
	}
	return r.render(ctx, w, p, c, true)
}

// render draws c on p and writes the PDF to w. compress deflates the PDF's
// streams; RenderZIP leaves that to the archive, which does it faster.
func (r *Renderer) render(ctx context.Context, w io.Writer, p *page, c Certificate, compress bool) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("certpdf: render certificate %s: %w", c.ID, err)
	}
	// the font set stays taken until the PDF is written: canvas reads the
	// fonts again when it embeds them
	fs := r.getFontSet()
	defer r.putFontSet(fs)
	cv, _, info, err := drawPage(fs, p, c)
	if err != nil {
		return fmt.Errorf("certpdf: render certificate %s: %w", c.ID, err)
	}
	// canvas panics where a font cannot be subset; one certificate must
	// not take the daemon down
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("certpdf: write certificate %s: %v", c.ID, v)
		}
	}()
	var buf bytes.Buffer
	pw := pdf.New(&buf, PageWidth, PageHeight, &pdf.Options{Compress: compress, SubsetFonts: true, ImageEncoding: canvas.Lossless})
	pw.SetInfo(info.title, info.subject, info.keywords, info.author, "rollcall")
	latin, err := fs.font(ScriptLatin, false)
	if err != nil {
		return fmt.Errorf("certpdf: render certificate %s: %w", c.ID, err)
	}
	tl := &textLayer{PDF: pw, outline: fs.outline, marker: latin.Font}
	cv.RenderTo(tl)
	if err := pw.Close(); err != nil {
		return fmt.Errorf("certpdf: write certificate %s: %w", c.ID, err)
	}
	b, err := withActualText(buf.Bytes(), tl.spans)
	if err != nil {
		return fmt.Errorf("certpdf: write certificate %s: %w", c.ID, err)
	}
	b, err = hexInfoStrings(b)
	if err != nil {
		return fmt.Errorf("certpdf: write certificate %s: %w", c.ID, err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("certpdf: write certificate %s: %w", c.ID, err)
	}
	return nil
}

// docInfo is the PDF document information of a certificate.
type docInfo struct {
	title, subject, keywords, author string
}

// page is a template made ready for drawing: colours parsed, images decoded
// and scaled down once, body split around the name.
type page struct {
	tpl                      Template
	primary, accent, ink, bg color.RGBA
	logo, background         image.Image
	signatures               []image.Image // by signatory; nil where none
	beforeName, afterName    string
	nameInBody               bool
}

// largest pixel size of an image's long side: larger images only cost time
// and bytes in every PDF (canvas re-encodes images for each document).
const (
	maxBackgroundPixels = 1400
	maxLogoPixels       = 500
	maxSignaturePixels  = 500
)

func preparePage(tpl Template) (*page, error) {
	if err := tpl.Validate(); err != nil {
		return nil, err
	}
	p := &page{tpl: tpl}
	def := DefaultColors()
	for _, c := range []struct {
		dst      *color.RGBA
		val, def string
	}{
		{&p.primary, tpl.Colors.Primary, def.Primary}, {&p.accent, tpl.Colors.Accent, def.Accent},
		{&p.ink, tpl.Colors.Text, def.Text}, {&p.bg, tpl.Colors.Background, def.Background},
	} {
		v := c.val
		if v == "" {
			v = c.def
		}
		col, err := parseHex(v)
		if err != nil {
			return nil, err // Validate has checked; kept for safety
		}
		*c.dst = col
	}
	var err error
	if p.logo, err = loadImage(tpl.Logo, maxLogoPixels); err != nil {
		return nil, &FieldError{Field: "logo", Reason: err.Error()}
	}
	if p.background, err = loadImage(tpl.Background, maxBackgroundPixels); err != nil {
		return nil, &FieldError{Field: "background", Reason: err.Error()}
	}
	for i, s := range tpl.Signatories {
		img, err := loadImage(s.Signature, maxSignaturePixels)
		if err != nil {
			return nil, &FieldError{Field: fmt.Sprintf("signatories[%d].signature", i), Reason: err.Error()}
		}
		p.signatures = append(p.signatures, img)
	}
	if p.background == nil {
		// on a plain page, images are flattened onto its colour: an opaque
		// image needs no soft mask, one compressed stream less per image
		// in every PDF
		p.logo = flatten(p.logo, p.bg)
		for i := range p.signatures {
			p.signatures[i] = flatten(p.signatures[i], p.bg)
		}
	}
	body := norm.NFC.String(tpl.Body)
	if before, after, ok := strings.Cut(body, PlaceholderName); ok {
		p.beforeName, p.afterName, p.nameInBody = before, after, true
	} else {
		p.afterName = body
	}
	return p, nil
}

func decodeImage(b []byte) (image.Image, error) {
	img, format, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode image (want PNG or JPEG): %w", err)
	}
	if format != "png" && format != "jpeg" {
		return nil, fmt.Errorf("image is %s, want PNG or JPEG", format)
	}
	return img, nil
}

// loadImage decodes b and scales it down so that its long side has at most
// maxPixels pixels. It returns nil for no bytes.
func loadImage(b []byte, maxPixels int) (image.Image, error) {
	if len(b) == 0 {
		return nil, nil
	}
	img, err := decodeImage(b)
	if err != nil {
		return nil, err
	}
	sz := img.Bounds().Size()
	w, h := sz.X, sz.Y
	long := max(w, h)
	if long <= maxPixels {
		return img, nil
	}
	w, h = max(1, w*maxPixels/long), max(1, h*maxPixels/long)
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
	return dst, nil
}

// flatten draws img over the colour bg and returns the opaque result; nil
// stays nil.
func flatten(img image.Image, bg color.RGBA) image.Image {
	if img == nil {
		return nil
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
	return dst
}

// printedRole returns role as printed: rollcall's role identifiers are
// capitalised, anything else is kept as given.
func printedRole(role string) string {
	switch role {
	case "participant", "speaker", "panelist", "moderator", "organizer":
		r, n := utf8.DecodeRuneInString(role)
		return string(unicode.ToUpper(r)) + role[n:]
	}
	return role
}

// fill replaces the placeholders other than the name's first occurrence.
func fill(s string, c Certificate, name string) string {
	layout := c.DateLayout
	if layout == "" {
		layout = DefaultDateLayout
	}
	return strings.NewReplacer(
		PlaceholderName, name,
		PlaceholderEvent, norm.NFC.String(c.EventTitle),
		PlaceholderDate, c.Date.Format(layout),
		PlaceholderRole, norm.NFC.String(printedRole(c.Role)),
	).Replace(s)
}

// Layout of the page, in millimetres from the bottom-left corner.
const (
	textWidth     = 240.0 // body and name
	nameSize      = 34.0  // points
	nameMinSize   = 16.0
	titleSize     = 30.0
	bodySize      = 14.0
	signatoryLine = 44.0 // y of the line the signatories sign on
	qrSize        = 24.0
	qrX, qrY      = PageWidth - 16 - qrSize, 17.0
	smallSize     = 7.5
)

// nameBox is where the name is drawn, in millimetres from the bottom left.
type nameBox struct{ x0, y0, x1, y1 float64 }

// drawPage lays the certificate out on a canvas, using the fonts of fs. It
// fails before anything is written when a text cannot be drawn right. The
// name's box is returned for tests that look for its ink.
func drawPage(fs *fontSet, p *page, c Certificate) (*canvas.Canvas, nameBox, docInfo, error) {
	var box nameBox
	name := norm.NFC.String(strings.TrimSpace(c.FullName))
	switch {
	case strings.TrimSpace(c.ID) == "":
		return nil, box, docInfo{}, errors.New("certificate has no id")
	case name == "":
		return nil, box, docInfo{}, errors.New("certificate has no name")
	case c.VerifyURL == "":
		return nil, box, docInfo{}, errors.New("certificate has no verification url")
	}

	cv := canvas.New(PageWidth, PageHeight)
	ctx := canvas.NewContext(cv)

	// background and frame
	if p.background != nil {
		sz := p.background.Bounds().Size()
		cv.RenderImage(p.background, canvas.Identity.Scale(PageWidth/float64(sz.X), PageHeight/float64(sz.Y)))
	} else {
		ctx.SetFillColor(p.bg)
		ctx.SetStrokeColor(canvas.Transparent)
		ctx.DrawPath(0, 0, canvas.Rectangle(PageWidth, PageHeight))
		ctx.SetFillColor(canvas.Transparent)
		ctx.SetStrokeColor(p.primary)
		ctx.SetStrokeWidth(2.2)
		ctx.DrawPath(8, 8, canvas.Rectangle(PageWidth-16, PageHeight-16))
		ctx.SetStrokeColor(p.accent)
		ctx.SetStrokeWidth(0.5)
		ctx.DrawPath(11, 11, canvas.Rectangle(PageWidth-22, PageHeight-22))
	}

	// lay the blocks out first, then centre them between the frame and the
	// signatories
	type block struct {
		height, gap float64
		draw        func(top float64)
	}
	var blocks []block
	left := (PageWidth - textWidth) / 2
	addText := func(s string, size float64, bold bool, col color.RGBA, gap float64) error {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		t, err := fs.text(s, size, bold, col, textWidth)
		if err != nil {
			return err
		}
		blocks = append(blocks, block{t.Bounds().H(), gap, func(top float64) { ctx.DrawText(left, top, t) }})
		return nil
	}

	if p.logo != nil {
		blocks = append(blocks, block{22, 7, func(top float64) { drawImageIn(ctx, p.logo, PageWidth/2-40, top-22, 80, 22) }})
	}
	if err := addText(p.tpl.Title, titleSize, true, p.primary, 9); err != nil {
		return nil, box, docInfo{}, fmt.Errorf("title: %w", err)
	}
	if err := addText(fill(p.beforeName, c, name), bodySize, false, p.ink, 5); err != nil {
		return nil, box, docInfo{}, fmt.Errorf("body: %w", err)
	}

	// the name: as large as fits on one line, down to nameMinSize, then wrapped
	size := nameSize
	t, err := fs.text(name, size, true, p.accent, 0)
	if err != nil {
		return nil, box, docInfo{}, fmt.Errorf("name: %w", err)
	}
	if w := t.Bounds().W(); w > textWidth {
		size = max(nameMinSize, size*textWidth/w)
	}
	if t, err = fs.text(name, size, true, p.accent, textWidth); err != nil {
		return nil, box, docInfo{}, fmt.Errorf("name: %w", err)
	}
	nameHeight := t.Bounds().H()
	blocks = append(blocks, block{nameHeight, 3.5, func(top float64) {
		ctx.DrawText(left, top, t)
		box = nameBox{x0: left, y0: top - nameHeight, x1: left + textWidth, y1: top}
	}})
	blocks = append(blocks, block{0, 6, func(top float64) {
		ctx.SetFillColor(canvas.Transparent)
		ctx.SetStrokeColor(p.accent)
		ctx.SetStrokeWidth(0.4)
		ctx.DrawPath(PageWidth/2-70, top, canvas.Line(140, 0))
	}})

	if err := addText(fill(p.afterName, c, name), bodySize, false, p.ink, 0); err != nil {
		return nil, box, docInfo{}, fmt.Errorf("body: %w", err)
	}

	top, bottom := PageHeight-22.0, 34.0
	if len(p.tpl.Signatories) > 0 {
		bottom = signatoryLine + 20
	}
	total := 0.0
	for _, b := range blocks {
		total += b.height + b.gap
	}
	y := top - max(0, (top-bottom-total)/2)
	for _, b := range blocks {
		b.draw(y)
		y -= b.height + b.gap
	}

	if err := drawSignatories(ctx, fs, p); err != nil {
		return nil, box, docInfo{}, err
	}
	if err := drawVerification(ctx, fs, p, c); err != nil {
		return nil, box, docInfo{}, err
	}

	info := docInfo{
		title:    p.tpl.Title + ": " + name,
		subject:  name + " — " + norm.NFC.String(c.EventTitle),
		keywords: "certificate " + c.ID + ", " + string(p.tpl.Type) + ", " + name,
		author:   name,
	}
	return cv, box, info, nil
}

// drawSignatories draws up to three signatories across the bottom of the page.
func drawSignatories(ctx *canvas.Context, fs *fontSet, p *page) error {
	n := len(p.tpl.Signatories)
	if n == 0 {
		return nil
	}
	const width = 62.0
	var centers []float64
	switch n {
	case 1:
		centers = []float64{PageWidth / 2}
	case 2:
		centers = []float64{PageWidth/2 - 55, PageWidth/2 + 55}
	default:
		centers = []float64{PageWidth/2 - 80, PageWidth / 2, PageWidth/2 + 80}
	}
	for i, s := range p.tpl.Signatories {
		x := centers[i] - width/2
		if img := p.signatures[i]; img != nil {
			drawImageIn(ctx, img, x+4, signatoryLine+1, width-8, 16)
		}
		ctx.SetFillColor(canvas.Transparent)
		ctx.SetStrokeColor(p.ink)
		ctx.SetStrokeWidth(0.3)
		ctx.DrawPath(x, signatoryLine, canvas.Line(width, 0))
		y := signatoryLine - 1.5
		t, err := fs.text(strings.TrimSpace(s.Name), 11, true, p.ink, width)
		if err != nil {
			return fmt.Errorf("signatories[%d].name: %w", i, err)
		}
		ctx.DrawText(x, y, t)
		y -= t.Bounds().H() + 0.8
		if title := strings.TrimSpace(s.Title); title != "" {
			t, err := fs.text(title, 9, false, p.ink, width)
			if err != nil {
				return fmt.Errorf("signatories[%d].title: %w", i, err)
			}
			ctx.DrawText(x, y, t)
		}
	}
	return nil
}

// drawVerification draws the QR code of the verification URL at the bottom
// right and the certificate id at the bottom left.
func drawVerification(ctx *canvas.Context, fs *fontSet, p *page, c Certificate) error {
	code, err := qr.Encode(c.VerifyURL, qr.M)
	if err != nil {
		return fmt.Errorf("qr code of %q: %w", c.VerifyURL, err)
	}
	ctx.SetStrokeColor(canvas.Transparent)
	ctx.SetFillColor(canvas.White)
	ctx.DrawPath(qrX, qrY, canvas.Rectangle(qrSize, qrSize))
	ctx.SetFillColor(canvas.Black)
	ctx.DrawPath(qrX, qrY, qrPath(code, qrSize))

	t, err := fs.text("Verify", 6.5, false, p.ink, qrSize)
	if err != nil {
		return fmt.Errorf("qr caption: %w", err)
	}
	ctx.DrawText(qrX, qrY-0.8, t)

	small := "Certificate ID: " + c.ID + "    Verify at " + c.VerifyURL
	t, err = fs.textAligned(small, smallSize, false, p.ink, 0, canvas.Left)
	if err != nil {
		return fmt.Errorf("certificate id: %w", err)
	}
	ctx.DrawText(16, 19, t)
	return nil
}

// qrPath returns the dark modules of code as one path of rectangles, size
// millimetres square including the four-module quiet zone. Horizontal runs
// of dark modules are merged into one rectangle.
func qrPath(code *qr.Code, size float64) *canvas.Path {
	const quiet = 4
	n := code.Size
	m := size / float64(n+2*quiet)
	p := &canvas.Path{}
	for row := 0; row < n; row++ {
		y := size - float64(row+quiet+1)*m
		for col := 0; col < n; {
			if !code.Black(col, row) {
				col++
				continue
			}
			start := col
			for col < n && code.Black(col, row) {
				col++
			}
			x0, x1 := float64(start+quiet)*m, float64(col+quiet)*m
			p.MoveTo(x0, y)
			p.LineTo(x1, y)
			p.LineTo(x1, y+m)
			p.LineTo(x0, y+m)
			p.Close()
		}
	}
	return p
}

// drawImageIn draws img as large as fits in the box, centred.
func drawImageIn(ctx *canvas.Context, img image.Image, x, y, w, h float64) {
	sz := img.Bounds().Size()
	scale := min(w/float64(sz.X), h/float64(sz.Y)) // millimetres per pixel
	dw, dh := float64(sz.X)*scale, float64(sz.Y)*scale
	ctx.DrawImage(x+(w-dw)/2, y+(h-dh)/2, img, canvas.DPMM(1/scale))
}

// text shapes s, centred in a box width millimetres wide (0: no wrapping),
// each script run in its own font.
func (fs *fontSet) text(s string, size float64, bold bool, col color.RGBA, width float64) (*canvas.Text, error) {
	return fs.textAligned(s, size, bold, col, width, canvas.Center)
}

func (fs *fontSet) textAligned(s string, size float64, bold bool, col color.RGBA, width float64, align canvas.TextAlign) (*canvas.Text, error) {
	runs, err := fs.fontRuns(s, bold)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, errors.New("empty text")
	}
	faces := make([]*canvas.FontFace, len(runs))
	for i, run := range runs {
		face := run.font.Face(size, col)
		ids := glyphIDs(face, run.Text)
		if err := checkShaped(run.font, run.Run, ids); err != nil {
			return nil, err
		}
		faces[i] = face
	}
	rt := canvas.NewRichText(faces[0])
	for i, run := range runs {
		rt.WriteFace(faces[i], run.Text)
	}
	if width == 0 {
		align = canvas.Left
	}
	return rt.ToText(width, 0, align, canvas.Top, nil), nil
}

// glyphIDs shapes s with face's font per line (as canvas will) and returns
// the glyph ids, skipping those of line breaks.
func glyphIDs(face *canvas.FontFace, s string) []uint16 {
	var ids []uint16
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimRight(line, "\r"); line == "" {
			continue
		}
		for _, g := range face.Glyphs(line) {
			ids = append(ids, g.ID)
		}
	}
	return ids
}
