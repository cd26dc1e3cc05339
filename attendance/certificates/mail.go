package certificates

import (
	"context"
	"fmt"
	"io"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certpdf"
)

// PDFs is an event's print run, read once, to render its certificates one
// at a time, by id, as a mail run attaches them.
type PDFs struct {
	r    *certpdf.Renderer
	tpls map[certpdf.Type]certpdf.Template
	byID map[string]certpdf.Certificate
}

// PDFs reads the event's issued, unrevoked certificates and their
// templates (Batch) for rendering one by one. It only reads.
func (s *Service) PDFs(ctx context.Context, eventID int64) (*PDFs, error) {
	r, b, err := s.printRun(ctx, eventID)
	if err != nil {
		return nil, err
	}
	p := &PDFs{r: r, tpls: b.Templates, byID: make(map[string]certpdf.Certificate, len(b.Certificates))}
	for _, c := range b.Certificates {
		p.byID[attendance.NormalizeCertificateID(c.ID)] = c
	}
	return p, nil
}

// Certificate returns the certificate of an id as it prints; false when
// the run holds none (not issued, revoked, or withheld).
func (p *PDFs) Certificate(id string) (certpdf.Certificate, bool) {
	c, ok := p.byID[attendance.NormalizeCertificateID(id)]
	return c, ok
}

// Render writes the PDF of one certificate of the run to w.
func (p *PDFs) Render(ctx context.Context, id string, w io.Writer) error {
	c, ok := p.Certificate(id)
	if !ok {
		return fmt.Errorf("certificates: %w", attendance.Errorf(attendance.ENotFound, "no certificate %s to print", attendance.FormatCertificateID(id)))
	}
	return p.r.Render(ctx, w, p.tpls[c.Type], c)
}

// RenderCertificate writes the PDF of the certificate a decision gives,
// as the event's print run prints it (the personal download link).
func (s *Service) RenderCertificate(ctx context.Context, eventID int64, d attendance.Decision, w io.Writer) error {
	if d.Certificate == attendance.CertNone || d.CertificateID == "" {
		return fmt.Errorf("certificates: %w", attendance.Errorf(attendance.ENotFound, "no certificate to print"))
	}
	r, err := s.renderer()
	if err != nil {
		return err
	}
	e, err := s.st.EventByID(ctx, eventID)
	if err != nil {
		return err
	}
	day, err := s.st.EventDay(ctx, e)
	if err != nil {
		return err
	}
	tpls, err := s.Templates(ctx, eventID)
	if err != nil {
		return err
	}
	c := s.certificateOf(d, e, day)
	return r.Render(ctx, w, tpls[c.Type], c)
}
