package certpdf

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// hexInfoStrings rewrites the literal strings of a canvas-written PDF's
// document information dictionary (object 2) as hex strings and fixes the
// cross-reference table that follows it.
//
// canvas writes the UTF-16BE of a non-ASCII title as a literal string and
// escapes only \, ( and ). A code unit with a 0x0D byte (Thai ญ U+0E0D,
// Myanmar ဍ U+100D, č U+010D) then puts a bare carriage return in the
// string, which a conforming reader turns into 0x0A: the name in the
// metadata would change. Hex strings carry every byte as it is.
func hexInfoStrings(pdf []byte) ([]byte, error) {
	xref := bytes.LastIndex(pdf, []byte("\nxref\n"))
	if xref < 0 {
		return nil, errors.New("pdf info: no xref table")
	}
	xref++
	start := bytes.LastIndex(pdf[:xref], []byte("\n2 0 obj\n"))
	if start < 0 {
		return nil, errors.New("pdf info: no info object")
	}
	start++
	dictStart := start + len("2 0 obj\n")
	n := bytes.Index(pdf[dictStart:xref], []byte("\nendobj\n"))
	if n < 0 {
		return nil, errors.New("pdf info: info object not closed")
	}
	dictEnd := dictStart + n
	dict, err := hexStrings(pdf[dictStart:dictEnd])
	if err != nil {
		return nil, fmt.Errorf("pdf info: %w", err)
	}
	delta := len(dict) - (dictEnd - dictStart)

	out := make([]byte, 0, len(pdf)+delta+16)
	out = append(out, pdf[:dictStart]...)
	out = append(out, dict...)
	out = append(out, pdf[dictEnd:xref]...)

	// xref: "xref\n0 N\n" then N entries of 20 bytes "oooooooooo ggggg n \n"
	rest := pdf[xref:]
	lines := bytes.SplitN(rest, []byte("\n"), 3)
	if len(lines) < 3 || string(lines[0]) != "xref" {
		return nil, errors.New("pdf info: malformed xref table")
	}
	var first, count int
	if _, err := fmt.Sscanf(string(lines[1]), "%d %d", &first, &count); err != nil || first != 0 {
		return nil, errors.New("pdf info: malformed xref subsection")
	}
	out = append(out, "xref\n"...)
	out = append(out, lines[1]...)
	out = append(out, '\n')
	entries := lines[2]
	if len(entries) < 20*count {
		return nil, errors.New("pdf info: short xref table")
	}
	for i := 0; i < count; i++ {
		e := entries[20*i : 20*i+20]
		off, err := strconv.Atoi(string(e[:10]))
		if err != nil {
			return nil, errors.New("pdf info: malformed xref entry")
		}
		if i == 2 && off != start {
			return nil, errors.New("pdf info: info object is not where the xref says")
		}
		if e[17] == 'n' && off > start {
			off += delta
		}
		out = append(out, fmt.Sprintf("%010d", off)...)
		out = append(out, e[10:]...)
	}
	tail := entries[20*count:]
	sx := bytes.LastIndex(tail, []byte("startxref\n"))
	if sx < 0 {
		return nil, errors.New("pdf info: no startxref")
	}
	out = append(out, tail[:sx]...)
	out = append(out, fmt.Sprintf("startxref\n%d\n%%%%EOF\n", xref+delta)...)
	return out, nil
}

// hexStrings rewrites every literal string "(…)" of a PDF dictionary as a hex
// string "<…>".
func hexStrings(dict []byte) ([]byte, error) {
	var out, str []byte
	depth := 0
	for i := 0; i < len(dict); i++ {
		c := dict[i]
		if depth == 0 {
			if c == '(' {
				depth, str = 1, str[:0]
				continue
			}
			out = append(out, c)
			continue
		}
		switch c {
		case '\\':
			if i+1 == len(dict) {
				return nil, errors.New("string ends in an escape")
			}
			i++
			switch e := dict[i]; e {
			case 'n':
				str = append(str, '\n')
			case 'r':
				str = append(str, '\r')
			case 't':
				str = append(str, '\t')
			case 'b':
				str = append(str, '\b')
			case 'f':
				str = append(str, '\f')
			default: // \\ \( \) and anything canvas might escape
				str = append(str, e)
			}
			continue
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				out = append(out, '<')
				out = append(out, hex.EncodeToString(str)...)
				out = append(out, '>')
				continue
			}
		}
		str = append(str, c)
	}
	if depth != 0 {
		return nil, errors.New("unterminated string")
	}
	return out, nil
}
