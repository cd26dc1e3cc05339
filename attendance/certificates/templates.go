package certificates

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certpdf"
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
	if err != nil {
		return "", fmt.Errorf("certificates: encode %s template: %w", t.Type, err)
	}
	return string(b), nil
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

// ReadTemplateDir reads the templates of a folder: appreciation.json and
// participation.json (certpdf.LoadTemplate; image paths relative to the
// file), each optional. A file's type, when it names one, must match its
// name. Every problem is an attendance.EInvalid error.
func ReadTemplateDir(dir string) (map[certpdf.Type]certpdf.Template, error) {
	tpls := map[certpdf.Type]certpdf.Template{}
	if dir == "" {
		return tpls, nil
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, attendance.Errorf(attendance.EInvalid, "template folder %s: not a folder", dir)
	}
	for _, t := range []certpdf.Type{certpdf.TypeAppreciation, certpdf.TypeParticipation} {
		p := filepath.Join(dir, string(t)+".json")
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		tpl, err := certpdf.LoadTemplate(p)
		if err != nil {
			return nil, attendance.Errorf(attendance.EInvalid, "%v", err)
		}
		if tpl.Type == "" {
			tpl.Type = t
		}
		if tpl.Type != t {
			return nil, attendance.Errorf(attendance.EInvalid, "%s: template type %q, want %q", p, tpl.Type, t)
		}
		tpls[t] = tpl
	}
	return tpls, nil
}

// Templates returns the templates an event's certificates print with, by
// type. Later wins: the defaults, the event's own (SetTemplate,
// SaveTemplate), the files of the configured TemplateDir.
func (s *Service) Templates(ctx context.Context, eventID int64) (map[certpdf.Type]certpdf.Template, error) {
	return s.templates(ctx, eventID, s.cfg.TemplateDir)
}

func (s *Service) templates(ctx context.Context, eventID int64, dir string) (map[certpdf.Type]certpdf.Template, error) {
	tpls := certpdf.DefaultTemplates()
	stored, err := s.st.CertificateTemplates(ctx, eventID)
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
	files, err := ReadTemplateDir(dir)
	if err != nil {
		return nil, err
	}
	for typ, t := range files {
		tpls[typ] = t
	}
	return tpls, nil
}

// SetTemplate keeps t, images included, as the event's own template of
// its type, in staff's name (audited).
func (s *Service) SetTemplate(ctx context.Context, eventID int64, t certpdf.Template, staff string) error {
	body, err := encodeTemplate(t)
	if err != nil {
		return err
	}
	return s.st.SetCertificateTemplate(ctx, eventID, string(t.Type), body, staff)
}

// ResetTemplate drops the event's own template of a type, so that it
// prints with the default again (audited); it reports whether there was
// one.
func (s *Service) ResetTemplate(ctx context.Context, eventID int64, certType, staff string) (bool, error) {
	return s.st.ResetCertificateTemplate(ctx, eventID, certType, staff)
}

// Template is the dashboard editor's view of the event's template of a
// type: its own, else the default (a TemplateDir is for renders from the
// CLI, not for the editor). An unknown type is attendance.ENotFound.
func (s *Service) Template(ctx context.Context, eventID int64, certType string) (certpdf.TemplateFields, error) {
	t, err := s.editable(ctx, eventID, certType)
	if err != nil {
		return certpdf.TemplateFields{}, err
	}
	return t.Fields(), nil
}

// SaveTemplate keeps the dashboard editor's fields as the event's template
// of a type, in staff's name; the images of the template before are kept
// (certpdf.Template.WithFields). Fields that make no valid template are
// attendance.EInvalid, with a message for the user.
func (s *Service) SaveTemplate(ctx context.Context, eventID int64, certType string, f certpdf.TemplateFields, staff string) error {
	old, err := s.editable(ctx, eventID, certType)
	if err != nil {
		return err
	}
	t, err := old.WithFields(f)
	if err != nil {
		return attendance.Errorf(attendance.EInvalid, "%v", err)
	}
	body, err := encodeTemplate(t)
	if err != nil {
		return err
	}
	return s.st.SetCertificateTemplate(ctx, eventID, certType, body, staff)
}

// editable is the template the editor works on: the event's own or the
// default, never a TemplateDir's.
func (s *Service) editable(ctx context.Context, eventID int64, certType string) (certpdf.Template, error) {
	tpls, err := s.templates(ctx, eventID, "")
	if err != nil {
		return certpdf.Template{}, err
	}
	t, ok := tpls[certpdf.Type(certType)]
	if !ok {
		return certpdf.Template{}, attendance.Errorf(attendance.ENotFound, "no certificate type %q", certType)
	}
	return t, nil
}
