package certpdf

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"image/color"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/pdf"
	"github.com/tdewolff/canvas/text"
)

// textLayer is the canvas.Renderer that draws a certificate into canvas's
// PDF renderer and remembers the Unicode text of every text object it
// writes, in order, so that withActualText can give each its exact text.
//
// A PDF reader extracts text through each font's ToUnicode map, glyph by
// glyph. A shaped run of Khmer, Burmese, Tamil or Arabic has glyphs that
// stand for several characters, or for a part of one, and reordered ones:
// the map cannot give the name back (សុខ ដារ៉ា came out as សុខ). The
// marked-content property /ActualText replaces a span's glyphs by the text
// it gives, as poppler, pdf.js and Acrobat honour for copying, search and
// screen readers.
//
// It also draws the runs of fonts whose glyphs canvas cannot embed as a
// subset (the CID-keyed CFF outlines of Noto Sans CJK) as vector outlines,
// each with a row of invisible glyphs of the Latin font, as wide as the
// run, that carries the run's text.
type textLayer struct {
	*pdf.PDF
	outline func(*canvas.Font) bool // draw this font's glyphs as outlines
	marker  *canvas.Font            // draws the invisible glyph of an outlined run
	spans   []string                // the text of each text object written
}

// RenderText draws text, one PDF text object per span.
func (t *textLayer) RenderText(text *canvas.Text, m canvas.Matrix) {
	split := false
	text.WalkSpans(func(_, _ float64, s canvas.TextSpan) {
		split = split || (s.IsText() && t.outline(s.Face.Font))
	})
	if !split {
		t.record(text)
		t.PDF.RenderText(text, m)
		return
	}
	text.WalkSpans(func(x, y float64, s canvas.TextSpan) {
		if !s.IsText() {
			return // certpdf draws no objects in text
		}
		at := m.Translate(x, y)
		if !t.outline(s.Face.Font) {
			line := canvas.NewTextLine(s.Face, s.Text, canvas.Left)
			t.record(line)
			t.PDF.RenderText(line, at)
			return
		}
		p, _, err := s.Face.ToPath(s.Text)
		if err != nil {
			panic(fmt.Errorf("outline of %s text: %w", s.Face.Font.Name(), err)) // render recovers it
		}
		style := canvas.DefaultStyle
		style.Fill = s.Face.Fill
		t.PDF.RenderPath(p, style, at)
		// an invisible glyph carries the run's text
		// invisible dots across the run's width carry its text: poppler
		// places the actual text where the glyphs inside the span are
		face := t.marker.Face(s.Face.Size*ptPerMM, invisible)
		n := 1
		if w := face.TextWidth("."); w > 0 {
			n = max(1, int(s.Width/w))
		}
		mark := canvas.NewTextLine(face, strings.Repeat(".", n), canvas.Left)
		t.spans = append(t.spans, spanText(s))
		t.PDF.RenderText(mark, at)
	})
}

// invisible is the colour of the glyph that carries an outlined run's
// text: all but transparent (canvas writes a fully transparent colour as
// NaN), so that no reader's text extraction skips it and no eye sees it.
var invisible = color.RGBA{A: 1}

// ptPerMM converts canvas's face sizes (millimetres) back to points.
const ptPerMM = 72 / 25.4

func (t *textLayer) record(text *canvas.Text) {
	text.WalkSpans(func(_, _ float64, s canvas.TextSpan) {
		if s.IsText() {
			t.spans = append(t.spans, spanText(s))
		}
	})
}

// spanText is the actual text of a span as poppler wants it: a
// right-to-left span (Arabic, Jawi) in visual order, rune by rune
// reversed, since poppler reverses the text of a right-to-left line
// (assuming glyphs drawn left to right) and would otherwise give the name
// back reversed.
func spanText(s canvas.TextSpan) string {
	if s.Direction != text.RightToLeft {
		return s.Text
	}
	rs := []rune(s.Text)
	slices.Reverse(rs)
	return string(rs)
}

var contentsRef = regexp.MustCompile(`/Contents (\d+) 0 R`)

// withActualText wraps the i-th text object (BT … ET) of the page's
// content stream in a /Span marked-content sequence whose /ActualText is
// spans[i], as UTF-16BE. It fails when the page holds a different number
// of text objects than spans: a text layer that is not the page's text
// is worse than none.
func withActualText(doc []byte, spans []string) ([]byte, error) {
	m := contentsRef.FindSubmatch(doc)
	if m == nil {
		return nil, errors.New("text layer: no page contents")
	}
	num, _ := strconv.Atoi(string(m[1]))
	return replaceObject(doc, num, func(body []byte) ([]byte, error) {
		i := bytes.Index(body, []byte("stream\n"))
		if i < 0 || !bytes.HasSuffix(body, []byte("\nendstream\n")) {
			return nil, errors.New("text layer: contents is not a stream")
		}
		dict, data := body[:i], body[i+len("stream\n"):len(body)-len("\nendstream\n")]
		flate := bytes.Contains(dict, []byte("/FlateDecode"))
		if flate {
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("text layer: inflate contents: %w", err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				return nil, fmt.Errorf("text layer: inflate contents: %w", err)
			}
		}
		content, err := markText(data, spans)
		if err != nil {
			return nil, err
		}
		if flate {
			// the fastest level: a page's content is small, and the
			// default level's compressor costs more to set up than to run
			var buf bytes.Buffer
			zw, err := zlib.NewWriterLevel(&buf, zlib.BestSpeed)
			if err != nil {
				return nil, err
			}
			if _, err := zw.Write(content); err != nil {
				return nil, err
			}
			if err := zw.Close(); err != nil {
				return nil, err
			}
			content = buf.Bytes()
		}
		length := regexp.MustCompile(`/Length \d+`)
		if !length.Match(dict) {
			return nil, errors.New("text layer: contents has no length")
		}
		dict = length.ReplaceAll(dict, []byte("/Length "+strconv.Itoa(len(content))))
		out := append([]byte{}, dict...)
		out = append(out, "stream\n"...)
		out = append(out, content...)
		return append(out, "\nendstream\n"...), nil
	})
}

// markText wraps the text objects of a content stream, skipping the PDF
// strings in it, where the bytes of glyph ids may spell anything.
func markText(content []byte, spans []string) ([]byte, error) {
	out := make([]byte, 0, len(content)+len(spans)*64)
	n := 0
	delim := func(i int) bool {
		if i < 0 || i >= len(content) {
			return true
		}
		switch content[i] {
		case ' ', '\n', '\r', '\t', '[', ']', '(', ')', '<', '>', '/':
			return true
		}
		return false
	}
	for i := 0; i < len(content); i++ {
		c := content[i]
		switch {
		case c == '(':
			j, err := skipString(content, i)
			if err != nil {
				return nil, err
			}
			out = append(out, content[i:j]...)
			i = j - 1
			continue
		case c == 'B' && i+1 < len(content) && content[i+1] == 'T' && delim(i-1) && delim(i+2):
			if n == len(spans) {
				return nil, fmt.Errorf("text layer: more text objects than the %d drawn", len(spans))
			}
			out = append(out, "/Span <</ActualText <FEFF"...)
			for _, u := range utf16.Encode([]rune(spans[n])) {
				out = fmt.Appendf(out, "%04X", u)
			}
			out = append(out, ">>> BDC BT"...)
			n++
			i++
			continue
		case c == 'E' && i+1 < len(content) && content[i+1] == 'T' && delim(i-1) && delim(i+2):
			out = append(out, "ET EMC"...)
			i++
			continue
		}
		out = append(out, c)
	}
	if n != len(spans) {
		return nil, fmt.Errorf("text layer: %d text objects for %d drawn", n, len(spans))
	}
	return out, nil
}

// skipString returns the index after the PDF literal string that starts
// at content[i] == '('.
func skipString(content []byte, i int) (int, error) {
	depth := 0
	for ; i < len(content); i++ {
		switch content[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		}
	}
	return 0, errors.New("text layer: unterminated string in contents")
}

// replaceObject replaces the body of object num (between "num 0 obj\n"
// and "\nendobj\n") by what edit makes of it and moves the objects after
// it, the cross-reference table and startxref accordingly. It reads the
// simple layout canvas writes: one xref section, objects in order.
func replaceObject(doc []byte, num int, edit func(body []byte) ([]byte, error)) ([]byte, error) {
	xref := bytes.LastIndex(doc, []byte("\nxref\n"))
	if xref < 0 {
		return nil, errors.New("pdf: no xref table")
	}
	xref++
	lines := bytes.SplitN(doc[xref:], []byte("\n"), 3)
	if len(lines) < 3 || string(lines[0]) != "xref" {
		return nil, errors.New("pdf: malformed xref table")
	}
	var first, count int
	if _, err := fmt.Sscanf(string(lines[1]), "%d %d", &first, &count); err != nil || first != 0 {
		return nil, errors.New("pdf: malformed xref subsection")
	}
	entries := lines[2]
	if len(entries) < 20*count || num <= 0 || num >= count {
		return nil, fmt.Errorf("pdf: no object %d", num)
	}
	offsets := make([]int, count)
	for i := range count {
		off, err := strconv.Atoi(string(entries[20*i : 20*i+10]))
		if err != nil {
			return nil, errors.New("pdf: malformed xref entry")
		}
		offsets[i] = off
	}
	start := offsets[num]
	header := fmt.Sprintf("%d 0 obj\n", num)
	if start+len(header) > xref || string(doc[start:start+len(header)]) != header {
		return nil, fmt.Errorf("pdf: object %d is not where the xref says", num)
	}
	end := xref // the object ends where the next one starts
	for i, off := range offsets {
		if i > 0 && entries[20*i+17] == 'n' && off > start && off < end {
			end = off
		}
	}
	bodyStart, bodyEnd := start+len(header), end-len("\nendobj\n")
	if bodyEnd < bodyStart || string(doc[bodyEnd:end]) != "\nendobj\n" {
		return nil, fmt.Errorf("pdf: object %d not closed", num)
	}
	body, err := edit(doc[bodyStart:bodyEnd])
	if err != nil {
		return nil, err
	}
	delta := len(body) - (bodyEnd - bodyStart)

	out := make([]byte, 0, len(doc)+delta+16)
	out = append(out, doc[:bodyStart]...)
	out = append(out, body...)
	out = append(out, doc[bodyEnd:xref]...)
	out = append(out, "xref\n"...)
	out = append(out, lines[1]...)
	out = append(out, '\n')
	for i := range count {
		e := entries[20*i : 20*i+20]
		off := offsets[i]
		if e[17] == 'n' && off > start {
			off += delta
		}
		out = fmt.Appendf(out, "%010d", off)
		out = append(out, e[10:]...)
	}
	tail := entries[20*count:]
	sx := bytes.LastIndex(tail, []byte("startxref\n"))
	if sx < 0 {
		return nil, errors.New("pdf: no startxref")
	}
	out = append(out, tail[:sx]...)
	out = fmt.Appendf(out, "startxref\n%d\n%%%%EOF\n", xref+delta)
	return out, nil
}
