package main

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/forms"
	"github.com/seameo/rollcall/attendance/store"
)

func (a *app) formsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "forms", Short: "Import the certificate validation and assessment form"}
	var (
		event   string
		maps    []string
		dryRun  bool
		fontDir string
	)
	imp := &cobra.Command{
		Use:   "import --event SLUG FILE",
		Short: "Import the form's responses (Google Forms CSV export)",
		Long: `Import the responses of the assessment form as Google Forms (or another form
tool) exports them. Columns are recognised by their question: Timestamp, Email
Address, the name as it should appear on the certificate, the attendance code
and checkpoint words (optional); --map overrides. Responses are matched to
registrations by email, then by attendance code; an unknown person becomes a
registration (source form). A person's latest submission wins, and the name
given for the certificate is printed instead of the registered one. Any
invalid row fails the whole import, and nothing is written: a name with a
control, private-use or noncharacter is refused with its row. A name to print
with a character no installed font has is imported but flagged, by row, on
stderr and in the summary.`,
		Example: `  rollcall forms import --event pd-2026 "Assessment Form (Responses).csv"
  rollcall forms import --event pd-2026 --map "Name to print=certificate_name" --map "Secret word=checkpoint" form.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start := time.Now()
			mapping := map[string]forms.Field{}
			for _, m := range maps {
				col, field, ok := strings.Cut(m, "=")
				if !ok || strings.TrimSpace(col) == "" {
					return usagef("--map %q: expected COLUMN=FIELD, e.g. --map \"Name to print=certificate_name\"", m)
				}
				f, err := forms.ParseField(field)
				if err != nil {
					return err
				}
				mapping[strings.TrimSpace(col)] = f
			}
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				r, done, err := a.openInput(args[0])
				if err != nil {
					return err
				}
				defer done()
				im, err := forms.Import(cmd.Context(), s, e, r, filepath.Base(args[0]), mapping, dryRun)
				if err != nil {
					return err
				}
				what := "forms import"
				if dryRun {
					what += " (dry run, nothing written)"
				}
				names := make([]nameRow, len(im.Names))
				for i, n := range im.Names {
					names[i] = nameRow{row: n.Row, name: n.Name}
				}
				parts := []string{im.String()}
				if flagged := a.flagNames(fontDir, names); flagged != "" {
					parts = append(parts, flagged)
				}
				a.summary(what, start, parts...)
				return nil
			})
		},
	}
	eventFlag(imp, &event)
	imp.Flags().StringArrayVar(&maps, "map", nil, `override a column's meaning: "COLUMN=FIELD", FIELD one of timestamp, email, certificate_name, code, checkpoint, ignore`)
	imp.Flags().BoolVar(&dryRun, "dry-run", false, "report what would change and write nothing")
	fontDirFlag(imp, &fontDir)
	cmd.AddCommand(imp)
	return cmd
}
