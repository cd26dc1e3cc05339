package sheet

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance"
)

func readAll(t testing.TB, data, name string) (*Reader, []Row, error) {
	t.Helper()
	r, err := NewReader(strings.NewReader(data), name)
	if err != nil {
		return nil, nil, err
	}
	var rows []Row
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return r, rows, nil
		}
		if err != nil {
			return r, rows, err
		}
		rows = append(rows, row)
	}
}

func TestDelimiterAndRows(t *testing.T) {
	tests := []struct {
		name, data string
		delim      rune
		rows       int
	}{
		{"comma", "a,b\n1,2\n", ',', 1},
		{"semicolon (European Excel)", "a;b;c\n1,5;2;3\n", ';', 1},
		{"tab", "a\tb\n1\t2\n", '\t', 1},
		{"comma inside a quoted header", "\"x;y\",b,c\n1,2,3\n", ',', 1},
		{"blank rows skipped", "a,b\n\n1,2\n,\n3,4\n", ',', 2},
		{"short rows padded", "a,b,c\n1\n", ',', 1},
		{"no trailing newline", "a,b\n1,2", ',', 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows, err := readAll(t, tt.data, "x.csv")
			if err != nil {
				t.Fatal(err)
			}
			if r.Delimiter != tt.delim || len(rows) != tt.rows {
				t.Fatalf("delimiter %q rows %d; want %q %d", r.Delimiter, len(rows), tt.delim, tt.rows)
			}
			for _, row := range rows {
				if len(row.Cells) != len(r.Header) {
					t.Fatalf("row %d has %d cells, header %d", row.Num, len(row.Cells), len(r.Header))
				}
			}
		})
	}
}

func TestRowNumbersFollowTheSpreadsheet(t *testing.T) {
	_, rows, err := readAll(t, "name,note\nA,\"two\nlines\"\n\nB,x\n", "x.csv")
	if err != nil {
		t.Fatal(err)
	}
	// Row 3 is the blank one; B is row 4 of the spreadsheet, on line 5 of the file.
	if rows[0].Num != 2 || rows[0].Line != 2 || rows[1].Num != 4 || rows[1].Line != 5 {
		t.Fatalf("rows %+v", rows)
	}
}

func TestInvalidUTF8FarIntoTheFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,email\n")
	for i := 0; i < 3000; i++ { // well past the 64 KiB sniffed at the start
		fmt.Fprintf(&b, "ណាក់ %d ສົມສັກ,p%d@example.org\n", i, i)
	}
	b.WriteString("Somch\xe1i,late@example.org\n")
	_, _, err := readAll(t, b.String(), "late.csv")
	var ie *attendance.InputError
	if !errors.As(err, &ie) || ie.Line != 3002 || !strings.Contains(ie.Msg, "UTF-8") {
		t.Fatalf("got %v; want a UTF-8 error on line 3002", err)
	}
}

func TestColumnName(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		if got := ColumnName(i); got != want {
			t.Errorf("ColumnName(%d) = %q, want %q", i, got, want)
		}
	}
}

// FuzzReader feeds arbitrary bytes to the reader: it must never panic, every
// failure must be an *attendance.InputError naming the file, and every row
// must have as many cells as the header.
func FuzzReader(f *testing.F) {
	seeds := []string{
		"Full Name,Email Address\nสมศักดิ์,a@b.th\n",
		"\uFEFFName;Email\r\n\"A\r\nB\";a@b.c\r\n",
		"\xff\xfeN\x00a\x00m\x00e\x00\t\x00E\x00\n\x00",
		"\xfe\xff\x00N\x00a",
		"a,\"b\nc\",d\n1,2,3,4\n",
		"Name,Email\nSomch\xe1i,x\n",
		"\"unterminated\n",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(strings.NewReader(string(data)), "fuzz.csv")
		if err != nil {
			checkInputError(t, err)
			return
		}
		for {
			row, err := r.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				checkInputError(t, err)
				return
			}
			if len(row.Cells) != len(r.Header) {
				t.Fatalf("row %d: %d cells, header %d", row.Num, len(row.Cells), len(r.Header))
			}
		}
	})
}

func checkInputError(t *testing.T, err error) {
	t.Helper()
	var ie *attendance.InputError
	if !errors.As(err, &ie) || ie.File != "fuzz.csv" {
		t.Fatalf("error %v (%T) is not an InputError naming the file", err, err)
	}
}
