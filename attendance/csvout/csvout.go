// Package csvout writes the CSV files rollcall hands to staff: UTF-8 with a
// byte-order mark so that Excel shows Thai, Khmer, Lao, Burmese and
// Vietnamese names right, RFC 4180 quoting with CRLF line ends, and cells that
// a spreadsheet would run as a formula neutralised.
package csvout

import (
	"encoding/csv"
	"fmt"
	"io"
)

// Writer writes one CSV file row by row; nothing is held in memory beyond the
// buffer of the underlying csv.Writer.
type Writer struct {
	w *csv.Writer
}

// NewWriter writes the BOM and returns a Writer on w.
func NewWriter(w io.Writer) (*Writer, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return nil, fmt.Errorf("csvout: write BOM: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &Writer{w: cw}, nil
}

// Write writes one row, neutralising every cell.
func (w *Writer) Write(cells ...string) error {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = Neutralize(c)
	}
	if err := w.w.Write(row); err != nil {
		return fmt.Errorf("csvout: %w", err)
	}
	return nil
}

// Flush writes buffered rows and reports any error so far.
func (w *Writer) Flush() error {
	w.w.Flush()
	if err := w.w.Error(); err != nil {
		return fmt.Errorf("csvout: %w", err)
	}
	return nil
}

// Neutralize makes a cell inert in spreadsheets: a cell starting with
// = + - @, a tab or a carriage return gets a leading apostrophe (OWASP's
// advice against CSV injection). Negative numbers and phone numbers keep
// their look in every spreadsheet except that the apostrophe shows when the
// file is read as text; names and emails never start with those characters.
func Neutralize(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
