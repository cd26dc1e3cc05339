// Package roster reads registration lists — the tables that registration
// forms and platforms export — into validated registrations, recognising
// columns by meaning rather than position.
package roster

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/sheet"
)

// Roster is the result of reading a registration list: one registration per
// distinct email, in order of first appearance.
type Roster struct {
	Registrations []attendance.Registration
	// RowOf is the data row (as InputError counts them) each registration
	// was last read from, by index of Registrations.
	RowOf      []int
	Rows       int // data rows read
	Duplicates int // rows that repeated an earlier email and updated it
	Columns    map[attendance.Field]string
	Encoding   sheet.Encoding
}

// Read reads the registration list in r. name is the file name for errors;
// mapping overrides the recognised meaning of columns by header
// ("Name on certificate" → full_name). Any invalid row fails the whole read.
func Read(r io.Reader, name string, mapping map[string]attendance.Field) (*Roster, error) {
	sr, err := sheet.NewReader(r, name)
	if err != nil {
		return nil, err
	}
	cols, err := mapColumns(sr, mapping)
	if err != nil {
		return nil, err
	}
	res := &Roster{Columns: map[attendance.Field]string{}, Encoding: sr.Encoding}
	for f, i := range cols.field {
		res.Columns[f] = sr.Header[i]
	}
	byEmail := map[string]int{}
	for {
		row, err := sr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		res.Rows++
		reg, err := cols.registration(sr, row)
		if err != nil {
			return nil, err
		}
		if i, ok := byEmail[reg.Email]; ok {
			res.Registrations[i] = merge(res.Registrations[i], reg)
			res.RowOf[i] = row.Num
			res.Duplicates++
			continue
		}
		byEmail[reg.Email] = len(res.Registrations)
		res.Registrations = append(res.Registrations, reg)
		res.RowOf = append(res.RowOf, row.Num)
	}
	return res, nil
}

// merge applies a later row for the same person: non-empty cells win.
func merge(old, nw attendance.Registration) attendance.Registration {
	out := nw
	if out.Country == "" {
		out.Country = old.Country
	}
	if out.Org == "" {
		out.Org = old.Org
	}
	if out.YouTube == "" {
		out.YouTube = old.YouTube
	}
	for k, v := range old.Extra {
		if _, ok := out.Extra[k]; !ok {
			out.Extra[k] = v
		}
	}
	return out
}

type columns struct {
	field map[attendance.Field]int
	extra []int
}

func mapColumns(sr *sheet.Reader, mapping map[string]attendance.Field) (*columns, error) {
	c := &columns{field: map[attendance.Field]int{}}
	overridden := map[string]attendance.Field{}
	for h, f := range mapping {
		overridden[strings.ToLower(strings.TrimSpace(h))] = f
	}
	used := map[string]bool{}
	for i, h := range sr.Header {
		f, ok := overridden[strings.ToLower(h)]
		if ok {
			used[strings.ToLower(h)] = true
		} else {
			f = attendance.FieldForHeader(h)
		}
		switch {
		case f == attendance.FieldIgnore:
		case f == "":
			if h != "" {
				c.extra = append(c.extra, i)
			}
		default:
			if j, dup := c.field[f]; dup {
				if ok {
					c.field[f] = i // an explicit mapping beats a guess
					continue
				}
				return nil, &attendance.InputError{File: sr.File, Row: 1, Column: h,
					Msg: fmt.Sprintf("both %q and %q look like the %s column: say which with --map %q=%s or --map %q=ignore", sr.Header[j], h, f, h, f, h)}
			}
			c.field[f] = i
		}
	}
	for h := range overridden {
		if !used[h] {
			return nil, &attendance.InputError{File: sr.File, Row: 1, Msg: fmt.Sprintf("--map names column %q, which the header does not have (it has: %s)", h, strings.Join(sr.Header, ", "))}
		}
	}
	if _, ok := c.field[attendance.FieldEmail]; !ok {
		return nil, &attendance.InputError{File: sr.File, Row: 1, Msg: fmt.Sprintf("no email column: expected a header such as \"Email Address\" or --map COLUMN=email (the header has: %s)", strings.Join(sr.Header, ", "))}
	}
	_, full := c.field[attendance.FieldFullName]
	_, first := c.field[attendance.FieldFirstName]
	if !full && !first {
		return nil, &attendance.InputError{File: sr.File, Row: 1, Msg: fmt.Sprintf("no name column: expected a header such as \"Full Name\" or --map COLUMN=full_name (the header has: %s)", strings.Join(sr.Header, ", "))}
	}
	return c, nil
}

func (c *columns) registration(sr *sheet.Reader, row sheet.Row) (attendance.Registration, error) {
	fail := func(f attendance.Field, format string, args ...any) error {
		return &attendance.InputError{File: sr.File, Row: row.Num, Line: row.Line, Column: sr.Header[c.field[f]], Msg: fmt.Sprintf(format, args...)}
	}
	get := func(f attendance.Field) string {
		if i, ok := c.field[f]; ok {
			return strings.TrimSpace(row.Cells[i])
		}
		return ""
	}
	reg := attendance.Registration{Source: attendance.SourceImport, Extra: map[string]string{}}
	reg.FullName = attendance.NormalizeName(get(attendance.FieldFullName))
	if reg.FullName == "" {
		reg.FullName = attendance.NormalizeName(get(attendance.FieldFirstName) + " " + get(attendance.FieldLastName))
	}
	if reg.FullName == "" {
		f := attendance.FieldFullName
		if _, ok := c.field[f]; !ok {
			f = attendance.FieldFirstName
		}
		return reg, fail(f, "the name is empty: every registration needs the name to print on the certificate")
	}
	for _, v := range []struct {
		f    attendance.Field
		text string
	}{{attendance.FieldFullName, reg.FullName}, {attendance.FieldCountry, get(attendance.FieldCountry)}, {attendance.FieldOrg, get(attendance.FieldOrg)}} {
		if err := attendance.ValidateText(attendance.NormalizeName(v.text)); err != nil {
			f := v.f
			if _, ok := c.field[f]; !ok {
				f = attendance.FieldFirstName // the name was made of first and last names
			}
			return reg, fail(f, "%v", err)
		}
	}
	reg.Email = attendance.NormalizeEmail(get(attendance.FieldEmail))
	if err := attendance.ValidateEmail(reg.Email); err != nil {
		return reg, fail(attendance.FieldEmail, "%v", err)
	}
	role, err := attendance.ParseRole(get(attendance.FieldRole))
	if err != nil {
		return reg, fail(attendance.FieldRole, "%v", err)
	}
	reg.Role = role
	if reg.YouTube, err = attendance.ParseYouTubeAccount(get(attendance.FieldYouTube)); err != nil {
		return reg, fail(attendance.FieldYouTube, "%v", err)
	}
	reg.Country = attendance.NormalizeName(get(attendance.FieldCountry))
	reg.Org = attendance.NormalizeName(get(attendance.FieldOrg))
	if code := get(attendance.FieldCode); code != "" {
		reg.Code = attendance.NormalizeCode(code)
		if reg.Code == "" {
			return reg, fail(attendance.FieldCode, "%q is not an attendance code (expected 8 symbols like K7QM-4X2P)", code)
		}
	}
	for _, i := range c.extra {
		if v := strings.TrimSpace(row.Cells[i]); v != "" {
			reg.Extra[sr.Header[i]] = v
		}
	}
	return reg, nil
}
