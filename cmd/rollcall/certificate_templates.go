package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certificates"
	"github.com/seameo/rollcall/attendance/certpdf"
	"github.com/seameo/rollcall/attendance/store"
)

func (a *app) certificateTemplateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "template",
		Short: "Set, reset or preview an event's certificate templates",
		Long: `Each event keeps its own template per certificate type (appreciation,
participation): title, body with {{name}}, {{event}}, {{date}} and {{role}},
up to three signatories with signature images, logo, background and colours.
'set' reads a JSON file (see attendance/certpdf LoadTemplate; image paths are
relative to it) and keeps it, images included, in the database; renders and
the dashboard then use it. A --template-dir given to render wins over it.`,
	}
	var event, staff, typ, out, fontDir string
	set := &cobra.Command{
		Use:   "set --event SLUG FILE.json",
		Short: "Keep a template for the event (its type comes from the file)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			who, err := a.staffName(staff)
			if err != nil {
				return err
			}
			t, err := certpdf.LoadTemplate(args[0])
			if err != nil {
				return usageError{err}
			}
			if t.Type == "" {
				t.Type = certpdf.Type(strings.TrimSuffix(filepath.Base(args[0]), filepath.Ext(args[0])))
			}
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				if err := certificates.New(s, certificates.Config{}).SetTemplate(cmd.Context(), e.ID, t, who); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "%s template of %s set from %s\n", t.Type, e.Slug, args[0])
				return nil
			})
		},
	}
	reset := &cobra.Command{
		Use:   "reset --event SLUG --type appreciation|participation",
		Short: "Go back to the default template of a type",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				had, err := certificates.New(s, certificates.Config{}).ResetTemplate(cmd.Context(), e.ID, typ, who)
				if err != nil {
					return err
				}
				if !had {
					fmt.Fprintf(a.stderr, "%s of %s already uses the default template; nothing changed\n", typ, e.Slug)
					return nil
				}
				fmt.Fprintf(a.stderr, "%s template of %s reset to the default\n", typ, e.Slug)
				return nil
			})
		},
	}
	preview := &cobra.Command{
		Use:   "preview --event SLUG --type appreciation|participation -o FILE.png",
		Short: "Draw the template with a sample name as a PNG",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" || interactive(a.stdout) && (out == "-") {
				return usagef("give -o FILE.png")
			}
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				svc := certificates.New(s, certificates.Config{PublicURL: "https://rollcall.invalid", FontDir: fontDir})
				return a.writeOutput(out, func(w io.Writer) error { return svc.Preview(cmd.Context(), e.ID, typ, w) })
			})
		},
	}
	for _, c := range []*cobra.Command{set, reset, preview} {
		eventFlag(c, &event)
	}
	for _, c := range []*cobra.Command{set, reset} {
		c.Flags().StringVar(&staff, "staff", "", "who changes the template, for the audit log (default $USER)")
	}
	for _, c := range []*cobra.Command{reset, preview} {
		c.Flags().StringVar(&typ, "type", "", "appreciation or participation (required)")
		_ = c.MarkFlagRequired("type")
	}
	preview.Flags().StringVarP(&out, "output", "o", "", "the PNG file to write (required)")
	preview.Flags().StringVar(&fontDir, "font-dir", "", "folder with the Noto fonts (default "+certpdf.DefaultFontDir+")")
	cmd.AddCommand(set, reset, preview)
	return cmd
}
