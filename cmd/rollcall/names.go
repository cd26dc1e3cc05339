package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/seameo/rollcall/attendance/certpdf"
)

// nameRow is a name to print and the row of the import file it came from.
type nameRow struct {
	row  int
	name string
}

// flagNames checks the names an import accepted against the fonts a
// certificate prints with (fontDir, else certpdf's default). Each name
// that cannot be printed is named by its row on stderr, with the
// characters no installed font has: it stays imported (a font can be
// installed, the name corrected), and a render will report it. The
// returned summary part says how many and which rows; it is empty when
// every name prints. Names go to the staff member's terminal, never to a
// log.
func (a *app) flagNames(fontDir string, names []nameRow) string {
	if len(names) == 0 {
		return ""
	}
	r, err := certpdf.NewRenderer(fontDir)
	if err != nil {
		var mf *certpdf.MissingFontError
		if errors.As(err, &mf) {
			return "names not checked: no fonts in " + mf.Dir
		}
		return "names not checked: the fonts cannot be read"
	}
	type verdict struct {
		missing []rune
		err     error
	}
	checked := map[string]verdict{}
	var rows []string
	for _, n := range names {
		v, ok := checked[n.name]
		if !ok {
			v.missing, v.err = r.Diagnose(n.name)
			checked[n.name] = v
		}
		if v.err == nil {
			continue
		}
		f := certpdf.Failure{Name: n.name, Err: v.err, Missing: v.missing}
		fmt.Fprintf(a.stderr, "row %d: %s: imported, but its certificate cannot be printed until the name is corrected or a font that has them is installed\n",
			n.row, terminal(f.Reason()))
		rows = append(rows, strconv.Itoa(n.row))
	}
	if len(rows) == 0 {
		return ""
	}
	return fmt.Sprintf("%d names flagged as unprintable (rows %s)", len(rows), strings.Join(rows, ", "))
}
