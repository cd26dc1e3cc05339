package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certpdf"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/dashboard"
)

// storedTemplate is a certpdf.Template as the store keeps it: JSON with
// the images inline (base64), so that an event's template does not depend
// on files that may move.
type storedTemplate struct {
	Type        certpdf.Type      `json:"type"`
	Title       string            `json:"title"`
	Body        string            `json:"body"`
	Colors      certpdf.Colors    `json:"colors"`
	Logo        []byte            `json:"logo,omitempty"`
	Background  []byte            `json:"background,omitempty"`
	Signatories []storedSignatory `json:"signatories,omitempty"`
}

type storedSignatory struct {
	Name      string `json:"name"`
	Title     string `json:"title"`
	Signature []byte `json:"signature,omitempty"`
}

func encodeTemplate(t certpdf.Template) (string, error) {
	st := storedTemplate{Type: t.Type, Title: t.Title, Body: t.Body, Colors: t.Colors, Logo: t.Logo, Background: t.Background}
	for _, s := range t.Signatories {
		st.Signatories = append(st.Signatories, storedSignatory(s))
	}
	b, err := json.Marshal(st)
	return string(b), err
}

func decodeTemplate(s string) (certpdf.Template, error) {
	var st storedTemplate
	if err := json.Unmarshal([]byte(s), &st); err != nil {
		return certpdf.Template{}, err
	}
	t := certpdf.Template{Type: st.Type, Title: st.Title, Body: st.Body, Colors: st.Colors, Logo: st.Logo, Background: st.Background}
	for _, s := range st.Signatories {
		t.Signatories = append(t.Signatories, certpdf.Signatory(s))
	}
	return t, t.Validate()
}

// eventTemplates returns the templates an event's certificates print
// with: the defaults, replaced by the event's own (certificates template
// set), replaced by the files of a --template-dir.
func eventTemplates(ctx context.Context, s *store.Store, eventID int64, dir string) (map[certpdf.Type]certpdf.Template, error) {
	tpls := certpdf.DefaultTemplates()
	stored, err := s.CertificateTemplates(ctx, eventID)
	if err != nil {
		return nil, err
	}
	for typ, body := range stored {
		t, err := decodeTemplate(body)
		if err != nil {
			return nil, fmt.Errorf("stored %s template of event %d: %w", typ, eventID, err)
		}
		tpls[certpdf.Type(typ)] = t
	}
	if dir == "" {
		return tpls, nil
	}
	files, err := loadTemplates(dir)
	if err != nil {
		return nil, err
	}
	for typ, t := range files {
		tpls[typ] = t
	}
	return tpls, nil
}

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
			body, err := encodeTemplate(t)
			if err != nil {
				return err
			}
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				if err := s.SetCertificateTemplate(cmd.Context(), e.ID, string(t.Type), body, who); err != nil {
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
				had, err := s.ResetCertificateTemplate(cmd.Context(), e.ID, typ, who)
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
				cr := &certificateRendering{st: s, publicURL: "https://rollcall.invalid", fontDir: fontDir}
				return a.writeOutput(out, func(w io.Writer) error { return cr.preview(cmd.Context(), e.ID, typ, w) })
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

// fullHex writes a colour as the #rrggbb an HTML colour input needs.
func fullHex(c string) string {
	if len(c) == 4 && c[0] == '#' {
		return strings.ToLower(string([]byte{'#', c[1], c[1], c[2], c[2], c[3], c[3]}))
	}
	return strings.ToLower(c)
}

// template is the dashboard editor's view of an event's template of a type.
func (c *certificateRendering) template(ctx context.Context, eventID int64, typ string) (dashboard.TemplateFields, error) {
	tpls, err := eventTemplates(ctx, c.st, eventID, "")
	if err != nil {
		return dashboard.TemplateFields{}, err
	}
	t, ok := tpls[certpdf.Type(typ)]
	if !ok {
		return dashboard.TemplateFields{}, attendance.Errorf(attendance.ENotFound, "no certificate type %q", typ)
	}
	def := certpdf.DefaultColors()
	or := func(v, d string) string {
		if v == "" {
			return d
		}
		return fullHex(v)
	}
	f := dashboard.TemplateFields{Title: t.Title, Body: t.Body, Primary: or(t.Colors.Primary, def.Primary), Accent: or(t.Colors.Accent, def.Accent),
		Text: or(t.Colors.Text, def.Text), Background: or(t.Colors.Background, def.Background)}
	for i, s := range t.Signatories {
		if i < len(f.Signatories) {
			f.Signatories[i] = dashboard.SignatoryFields{Name: s.Name, Title: s.Title}
		}
	}
	return f, nil
}

// saveTemplate keeps the dashboard editor's fields as the event's template
// of a type; the images of the template before are kept.
func (c *certificateRendering) saveTemplate(ctx context.Context, eventID int64, typ string, f dashboard.TemplateFields, staff string) error {
	tpls, err := eventTemplates(ctx, c.st, eventID, "")
	if err != nil {
		return err
	}
	old, ok := tpls[certpdf.Type(typ)]
	if !ok {
		return attendance.Errorf(attendance.ENotFound, "no certificate type %q", typ)
	}
	t := old
	t.Title, t.Body = f.Title, f.Body
	t.Colors = certpdf.Colors{Primary: f.Primary, Accent: f.Accent, Text: f.Text, Background: f.Background}
	t.Signatories = nil
	for i, s := range f.Signatories {
		if s.Name == "" && s.Title == "" {
			continue
		}
		sig := certpdf.Signatory{Name: s.Name, Title: s.Title}
		if i < len(old.Signatories) {
			sig.Signature = old.Signatories[i].Signature
		}
		t.Signatories = append(t.Signatories, sig)
	}
	if err := t.Validate(); err != nil {
		return attendance.Errorf(attendance.EInvalid, "%v", err)
	}
	body, err := encodeTemplate(t)
	if err != nil {
		return err
	}
	return c.st.SetCertificateTemplate(ctx, eventID, typ, body, staff)
}
