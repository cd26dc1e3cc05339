package main

import (
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
		fmt.Fprintf(a.stderr, "names not checked against the fonts: %v\n", err)
		return "names not checked against the fonts"
	}
	checked := map[string]error{}
	var rows []string
	for _, n := range names {
		cerr, ok := checked[n.name]
		if !ok {
			cerr = r.CheckName(n.name)
			checked[n.name] = cerr
		}
		if cerr == nil {
			continue
		}
		f := certpdf.Failure{Name: n.name, Err: cerr, Missing: r.Unprintable(n.name)}
		fmt.Fprintf(a.stderr, "row %d: %s: imported, but its certificate cannot be printed until the name is corrected or a font that has them is installed\n",
			n.row, terminal(f.Reason()))
		rows = append(rows, strconv.Itoa(n.row))
	}
	if len(rows) == 0 {
		return ""
	}
	return fmt.Sprintf("%d names flagged as unprintable (rows %s)", len(rows), strings.Join(rows, ", "))
}
