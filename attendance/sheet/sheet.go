// Package sheet reads the tables people export from spreadsheets and form
// tools — Google Forms, Excel, registration platforms — as they really come:
// UTF-8 with or without a BOM, UTF-16 with a BOM (Excel's "Unicode Text"),
// comma, semicolon or tab separated, CRLF line ends, quoted newlines.
//
// It refuses what it cannot read faithfully (a legacy code page, a broken
// quote) with an error that names the file, the row and the column.
package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/seameo/rollcall/attendance"
)

// Encoding names what Read found.
type Encoding string

// Encodings Read understands.
const (
	UTF8      Encoding = "UTF-8"
	UTF8BOM   Encoding = "UTF-8 with BOM"
	UTF16LE   Encoding = "UTF-16LE"
	UTF16BE   Encoding = "UTF-16BE"
	maxSniff           = 64 << 10
	maxColumn          = 1 << 20 // a cell longer than this is not a registration
)

// Row is one data row: its cells (as many as the header, missing trailing
// cells are empty), its number as a spreadsheet shows it (header = 1), and the
// file line it starts on.
type Row struct {
	Cells []string
	Num   int
	Line  int
}

// Reader reads the rows of one table after its header.
type Reader struct {
	File      string
	Header    []string
	Encoding  Encoding
	Delimiter rune

	csv      *csv.Reader
	row      int // spreadsheet row of the last record read
	nextLine int // file line where the next record would start without blank lines
}

// NewReader reads the header of the table in r. name is the file name used in
// errors.
func NewReader(r io.Reader, name string) (*Reader, error) {
	br := bufio.NewReaderSize(r, maxSniff)
	head, err := br.Peek(maxSniff)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	var text io.Reader = br
	enc := UTF8
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		enc = UTF8BOM
		_, _ = br.Discard(3)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		enc = UTF16LE
		text = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		enc = UTF16BE
		text = transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder())
	default:
		if len(head) == 0 {
			return nil, &attendance.InputError{File: name, Msg: "the file is empty: expected a header row"}
		}
		if bytes.IndexByte(head, 0) >= 0 {
			return nil, &attendance.InputError{File: name, Msg: "the file looks like UTF-16 without a byte-order mark: save it as \"CSV UTF-8\" or \"Unicode Text\""}
		}
		if bad := invalidUTF8(head); bad >= 0 {
			line := 1 + bytes.Count(head[:bad], []byte{'\n'})
			return nil, &attendance.InputError{File: name, Line: line, Msg: "the file is not UTF-8 (it looks like a legacy code page such as Windows-1252 or TIS-620): save it as \"CSV UTF-8\" and import again"}
		}
	}
	text = &utf8Check{r: text, name: name}

	// Sniff the delimiter on the decoded start of the file.
	tb := bufio.NewReaderSize(text, maxSniff)
	decoded, err := tb.Peek(maxSniff)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	delim := sniffDelimiter(decoded, enc)
	cr := csv.NewReader(tb)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	sr := &Reader{File: name, Encoding: enc, Delimiter: delim, csv: cr}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &attendance.InputError{File: name, Msg: "the file is empty: expected a header row"}
	}
	if err != nil {
		return nil, sr.wrap(err, 1)
	}
	sr.row = 1
	sr.nextLine = sr.endLine(header) + 1
	for i, h := range header {
		header[i] = strings.TrimSpace(h)
	}
	sr.Header = header
	return sr, nil
}

// Read returns the next non-blank row, or io.EOF after the last.
func (s *Reader) Read() (Row, error) {
	for {
		rec, err := s.csv.Read()
		if errors.Is(err, io.EOF) {
			return Row{}, io.EOF
		}
		if err != nil {
			return Row{}, s.wrap(err, s.row+1)
		}
		// encoding/csv skips blank lines; a spreadsheet shows them as rows.
		line, _ := s.csv.FieldPos(0)
		s.row += 1 + max(0, line-s.nextLine)
		s.nextLine = s.endLine(rec) + 1
		if blank(rec) {
			continue
		}
		if len(rec) > len(s.Header) {
			for i := len(s.Header); i < len(rec); i++ {
				if strings.TrimSpace(rec[i]) != "" {
					return Row{}, &attendance.InputError{File: s.File, Row: s.row, Line: line, Column: ColumnName(i),
						Msg: fmt.Sprintf("the row has %d cells but the header only %d: a delimiter or quote is off", len(rec), len(s.Header))}
				}
			}
			rec = rec[:len(s.Header)]
		}
		for len(rec) < len(s.Header) {
			rec = append(rec, "")
		}
		for i, c := range rec {
			if len(c) > maxColumn {
				return Row{}, &attendance.InputError{File: s.File, Row: s.row, Line: line, Column: s.Header[i], Msg: "the cell is longer than 1 MiB: a quote is probably not closed"}
			}
		}
		return Row{Cells: rec, Num: s.row, Line: line}, nil
	}
}

// endLine returns the file line on which the record just read ends.
func (s *Reader) endLine(rec []string) int {
	last := len(rec) - 1
	line, _ := s.csv.FieldPos(last)
	return line + strings.Count(rec[last], "\n")
}

func (s *Reader) wrap(err error, row int) error {
	var ie *attendance.InputError
	if errors.As(err, &ie) {
		return err
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err.Error()
		if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
			msg += ` (a cell with a " must be quoted and its quotes doubled)`
		}
		if pe.Line > 0 && pe.Column > 0 {
			msg = fmt.Sprintf("line %d, character %d: %s", pe.Line, pe.Column, msg)
		}
		return &attendance.InputError{File: s.File, Row: row, Line: pe.StartLine, Msg: msg}
	}
	return fmt.Errorf("%s: read: %w", s.File, err)
}

// ColumnName returns the spreadsheet letter of a zero-based column: A, B, … AA.
func ColumnName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return name
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// sniffDelimiter picks the delimiter that occurs most, outside quotes, in the
// first line. Excel's "Unicode Text" is tab separated.
func sniffDelimiter(b []byte, enc Encoding) rune {
	counts := map[rune]int{}
	inQuote := false
	for _, r := range string(b) {
		if r == '"' {
			inQuote = !inQuote
			continue
		}
		if inQuote {
			continue
		}
		if r == '\n' {
			break
		}
		switch r {
		case ',', ';', '\t':
			counts[r]++
		}
	}
	best := ','
	if enc == UTF16LE || enc == UTF16BE {
		best = '\t'
	}
	for _, d := range []rune{'\t', ';', ','} {
		if counts[d] > counts[best] {
			best = d
		}
	}
	return best
}

// invalidUTF8 returns the offset of the first invalid UTF-8 sequence in b, or
// -1. A sequence cut at the end of b is not invalid.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			if len(b)-i < utf8.UTFMax && !utf8.FullRune(b[i:]) {
				return -1
			}
			return i
		}
		i += n
	}
	return -1
}

// utf8Check fails the read when invalid UTF-8 shows up past the sniffed start.
type utf8Check struct {
	r    io.Reader
	name string
	tail []byte
	line int
}

func (u *utf8Check) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if n > 0 {
		buf := append(u.tail, p[:n]...)
		end := len(buf)
		// keep an incomplete rune at the end for the next read
		for k := 1; k < utf8.UTFMax && k <= len(buf); k++ {
			if utf8.RuneStart(buf[len(buf)-k]) {
				if !utf8.FullRune(buf[len(buf)-k:]) {
					end = len(buf) - k
				}
				break
			}
		}
		if bad := invalidUTF8(buf[:end]); bad >= 0 {
			line := u.line + 1 + bytes.Count(buf[:bad], []byte{'\n'})
			return 0, &attendance.InputError{File: u.name, Line: line, Msg: "the file is not valid UTF-8 here (a legacy code page?): save it as \"CSV UTF-8\" and import again"}
		}
		u.line += bytes.Count(buf[:end], []byte{'\n'})
		u.tail = append(u.tail[:0], buf[end:]...)
	}
	if errors.Is(err, io.EOF) && len(u.tail) > 0 {
		return n, &attendance.InputError{File: u.name, Line: u.line + 1, Msg: "the file ends inside a UTF-8 character: it is cut or not UTF-8"}
	}
	return n, err
}
