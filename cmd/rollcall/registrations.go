package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certpdf"
	"github.com/seameo/rollcall/attendance/csvout"
	"github.com/seameo/rollcall/attendance/roster"
	"github.com/seameo/rollcall/attendance/store"
)

func (a *app) registrationsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registrations",
		Short: "Import the people registered for an event",
	}
	cmd.AddCommand(a.registrationsImportCommand())
	return cmd
}

// parseMapping reads --map COLUMN=FIELD options.
func parseMapping(maps []string) (map[string]attendance.Field, error) {
	out := map[string]attendance.Field{}
	for _, m := range maps {
		col, field, ok := strings.Cut(m, "=")
		if !ok || strings.TrimSpace(col) == "" {
			return nil, usagef("--map %q: expected COLUMN=FIELD, e.g. --map \"Name on certificate=full_name\"", m)
		}
		f, err := attendance.ParseField(field)
		if err != nil {
			return nil, err
		}
		out[strings.TrimSpace(col)] = f
	}
	return out, nil
}

func (a *app) registrationsImportCommand() *cobra.Command {
	var (
		event   string
		maps    []string
		dryRun  bool
		fontDir string
	)
	cmd := &cobra.Command{
		Use:   "import --event SLUG FILE",
		Short: "Import registrations from a CSV or tab-separated export",
		Long: `Import registrations from the CSV that a registration form or platform exports:
UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode Text"), comma,
semicolon or tab separated, CRLF, quoted newlines.

Columns are recognised by their header (Full Name, Name, Email Address, E-mail,
Country, Institution / Organization, Role, YouTube handle, …); --map overrides.
Every other column is kept. Email is the identity: importing the same file
again changes nothing, and a changed row updates the person. New people get a
personal attendance code (see 'rollcall codes'). Any invalid row fails the
whole import, and nothing is written: a name with a control, private-use or
noncharacter is refused with its row. A name with a character no installed
font has (an emoji, a script without a font) is imported but flagged: its row
and the characters are named on stderr and in the summary, since its
certificate cannot be printed until the name is corrected or a font is
installed.`,
		Example: `  rollcall registrations import --event pd-2026 registrations.csv
  rollcall registrations import --event pd-2026 --map "Name on certificate=full_name" --dry-run form.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start := time.Now()
			mapping, err := parseMapping(maps)
			if err != nil {
				return err
			}
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				r, done, err := a.openInput(args[0])
				if err != nil {
					return err
				}
				defer done()
				ros, err := roster.Read(r, filepath.Base(args[0]), mapping)
				if err != nil {
					return err
				}
				res, err := s.ImportRegistrations(cmd.Context(), e.ID, ros.Registrations, dryRun)
				if err != nil {
					return err
				}
				what := "registrations import"
				if dryRun {
					what += " (dry run, nothing written)"
				}
				names := make([]nameRow, len(ros.Registrations))
				for i, reg := range ros.Registrations {
					names[i] = nameRow{row: ros.RowOf[i], name: reg.FullName}
				}
				parts := []string{fmt.Sprintf("%d rows read", ros.Rows), fmt.Sprintf("%d added", res.Added),
					fmt.Sprintf("%d updated", res.Updated), fmt.Sprintf("%d unchanged", res.Unchanged),
					fmt.Sprintf("%d duplicate rows merged", ros.Duplicates)}
				if flagged := a.flagNames(fontDir, names); flagged != "" {
					parts = append(parts, flagged)
				}
				a.summary(what, start, parts...)
				return nil
			})
		},
	}
	eventFlag(cmd, &event)
	cmd.Flags().StringArrayVar(&maps, "map", nil, `override a column's meaning: "COLUMN=FIELD", FIELD one of full_name, first_name, last_name, email, country, organisation, role, youtube, code, ignore`)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "report what would change and write nothing")
	fontDirFlag(cmd, &fontDir)
	return cmd
}

// fontDirFlag adds --font-dir, the fonts names are checked against.
func fontDirFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "font-dir", "", "folder with the Noto fonts certificates print with, to flag names they cannot print (default "+certpdf.DefaultFontDir+", and "+certpdf.DefaultCJKFontDir+" for Chinese, Japanese, Korean)")
}

func (a *app) codesCommand() *cobra.Command {
	var event, staff string
	cmd := &cobra.Command{
		Use:   "codes --event SLUG",
		Short: "Print every registration's attendance code as CSV (full_name,email,code) for a mail merge",
		Long: `Print every registration's attendance code as CSV (full_name,email,code) for a
mail merge. Each export is recorded in the event's audit log (who, when, how
many codes), so that 'rollcall preflight' can tell whether everyone who
registered was sent a code.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				w, err := csvout.NewWriter(a.stdout)
				if err != nil {
					return err
				}
				if err := w.Write("full_name", "email", "code"); err != nil {
					return err
				}
				n := 0
				err = s.EachRegistration(cmd.Context(), e.ID, func(r attendance.Registration) error {
					n++
					return w.Write(r.FullName, r.Email, attendance.FormatCode(r.Code))
				})
				if err != nil {
					return err
				}
				if err := w.Flush(); err != nil {
					return err
				}
				return s.Audit(cmd.Context(), who, store.CodesExportAction, e.ID, "", fmt.Sprintf("%d codes", n))
			})
		},
	}
	eventFlag(cmd, &event)
	cmd.Flags().StringVar(&staff, "staff", "", "who exports, for the audit log (default $USER)")
	return cmd
}
