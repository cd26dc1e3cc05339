package certificates

import (
	"context"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certpdf"
)

// Batch is what a print run of an event prints: its issued, unrevoked
// certificates in registration order, and the templates they print with.
type Batch struct {
	Certificates []certpdf.Certificate
	// Revoked counts the revoked certificates left out.
	Revoked   int
	Templates map[certpdf.Type]certpdf.Template
}

// Batch reads the print run of an event. It only reads: the callers that
// print call Issue first (in the name of whoever asked, and say so), and a
// certificate still without an id is left out.
func (s *Service) Batch(ctx context.Context, eventID int64) (Batch, error) {
	tpls, err := s.Templates(ctx, eventID)
	if err != nil {
		return Batch{}, err
	}
	set, err := s.issued(ctx, eventID)
	if err != nil {
		return Batch{}, err
	}
	b := Batch{Revoked: set.revoked, Templates: tpls}
	for _, d := range set.decisions {
		b.Certificates = append(b.Certificates, s.certificateOf(d, set.event, set.day))
	}
	return b, nil
}

// certificateOf is the certificate to print for a decision.
func (s *Service) certificateOf(d attendance.Decision, e attendance.Event, day time.Time) certpdf.Certificate {
	return certpdf.Certificate{
		ID:         attendance.FormatCertificateID(d.CertificateID),
		Type:       certpdf.Type(d.Certificate),
		FullName:   d.CertificateName,
		Role:       string(d.Registration.Role),
		EventTitle: e.Title,
		Date:       day,
		VerifyURL:  attendance.VerifyURL(s.cfg.PublicURL, d.CertificateID),
	}
}

// each yields the batch's certificates, calling progress (when set) after
// each is taken.
func (b Batch) each(progress func()) iter.Seq[certpdf.Certificate] {
	return func(yield func(certpdf.Certificate) bool) {
		for _, c := range b.Certificates {
			if !yield(c) {
				return
			}
			if progress != nil {
				progress()
			}
		}
	}
}

// Render writes the ZIP of an event's issued, unrevoked certificates as
// PDFs (the dashboard's download). It only reads: the caller issues the
// missing ids first and audits the download.
func (s *Service) Render(ctx context.Context, eventID int64, w io.Writer) error {
	r, err := s.renderer()
	if err != nil {
		return err
	}
	b, err := s.Batch(ctx, eventID)
	if err != nil {
		return err
	}
	return r.RenderZIP(ctx, w, b.Templates, b.each(nil))
}

// WriteZIP renders a batch into one ZIP archive on w (certpdf.RenderZIP:
// in order, on every core, in constant memory). progress, when set, is
// called as each certificate is taken.
func (s *Service) WriteZIP(ctx context.Context, w io.Writer, b Batch, progress func()) error {
	r, err := s.renderer()
	if err != nil {
		return err
	}
	return r.RenderZIP(ctx, w, b.Templates, b.each(progress))
}

// WriteDir renders a batch as one PDF per certificate into dir, named
// certpdf.ZIPName, on every core; each file appears complete or not at
// all. progress, when set, is called as each certificate is taken.
func (s *Service) WriteDir(ctx context.Context, dir string, b Batch, progress func()) error {
	r, err := s.renderer()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for c := range b.each(progress) {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			tpl, ok := b.Templates[c.Type]
			if !ok {
				return fmt.Errorf("no template for certificate type %q", c.Type)
			}
			name := filepath.Join(dir, certpdf.ZIPName(c))
			tmp, err := os.CreateTemp(dir, "."+certpdf.ZIPName(c)+".*")
			if err != nil {
				return fmt.Errorf("create %s: %w", name, err)
			}
			defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
			if err := r.Render(gctx, tmp, tpl, c); err != nil {
				tmp.Close()
				return err
			}
			if err := tmp.Close(); err != nil {
				return fmt.Errorf("write %s: %w", name, err)
			}
			if err := os.Rename(tmp.Name(), name); err != nil {
				return fmt.Errorf("write %s: %w", name, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// sampleID is the id the previews print.
const sampleID = "SAMPLESAMPLESAMPLE22"

// sample is the person a preview of a certificate type prints: a Thai or
// a Vietnamese name, so that staff see the fonts at work.
func sample(certType string) (name, role string) {
	if certType == string(certpdf.TypeAppreciation) {
		return "Nguyễn Thị Hồng", "speaker"
	}
	return "สมชาย ใจดี", "participant"
}

// Preview writes a PNG of the template of a certificate type for an event,
// drawn with a sample name and id: no person's data is in it. An unknown
// type is attendance.ENotFound.
func (s *Service) Preview(ctx context.Context, eventID int64, certType string, w io.Writer) error {
	r, err := s.renderer()
	if err != nil {
		return err
	}
	tpls, err := s.Templates(ctx, eventID)
	if err != nil {
		return err
	}
	tpl, ok := tpls[certpdf.Type(certType)]
	if !ok {
		return attendance.Errorf(attendance.ENotFound, "no certificate type %q", certType)
	}
	e, err := s.st.EventByID(ctx, eventID)
	if err != nil {
		return err
	}
	day, err := s.st.EventDay(ctx, e)
	if err != nil {
		return err
	}
	name, role := sample(certType)
	return r.RenderPNG(ctx, w, tpl, certpdf.Certificate{ID: attendance.FormatCertificateID(sampleID), Type: certpdf.Type(certType),
		FullName: name, Role: role, EventTitle: e.Title, Date: day, VerifyURL: attendance.VerifyURL(s.cfg.PublicURL, sampleID)}, 96)
}
