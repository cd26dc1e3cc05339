package certificates

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
// PDFs (the dashboard's download). A certificate that cannot be drawn is
// left out and reported (certpdf.RenderZIP): the archive ends with
// certpdf.FailuresName. It only reads: the caller issues the missing ids
// first and audits the download.
func (s *Service) Render(ctx context.Context, eventID int64, w io.Writer) (certpdf.Report, error) {
	r, b, err := s.printRun(ctx, eventID)
	if err != nil {
		return certpdf.Report{}, err
	}
	return r.RenderZIP(ctx, w, b.Templates, b.each(nil))
}

// printRun is the renderer and the event's print run (Batch): what every
// rendering of an event's certificates starts from.
func (s *Service) printRun(ctx context.Context, eventID int64) (*certpdf.Renderer, Batch, error) {
	r, err := s.renderer()
	if err != nil {
		return nil, Batch{}, err
	}
	b, err := s.Batch(ctx, eventID)
	return r, b, err
}

// WriteZIP renders a batch into one ZIP archive on w (certpdf.RenderZIP:
// in order, on every core, in constant memory, going on past a
// certificate it cannot draw). progress, when set, is called as each
// certificate is taken.
func (s *Service) WriteZIP(ctx context.Context, w io.Writer, b Batch, progress func()) (certpdf.Report, error) {
	r, err := s.renderer()
	if err != nil {
		return certpdf.Report{}, err
	}
	return r.RenderZIP(ctx, w, b.Templates, b.each(progress))
}

// WriteDir renders a batch as one PDF per certificate into dir, named
// certpdf.ZIPName, on every core; each file appears complete or not at
// all. A certificate that cannot be drawn is left out and reported, in
// the Report and in dir/certpdf.FailuresName (removed when a render has
// no failure); only a write error or ctx stops the work. progress, when
// set, is called as each certificate is taken.
func (s *Service) WriteDir(ctx context.Context, dir string, b Batch, progress func()) (certpdf.Report, error) {
	var rep certpdf.Report
	r, err := s.renderer()
	if err != nil {
		return rep, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return rep, fmt.Errorf("create %s: %w", dir, err)
	}
	// the outcome of each certificate, in order, for the report; sized
	// up front, since the workers write into it
	certs := b.Certificates
	errs := make([]error, len(certs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	i := -1
	for c := range b.each(progress) {
		if gctx.Err() != nil {
			break
		}
		i++
		i := i // this certificate's slot in errs
		g.Go(func() error {
			tpl, ok := b.Templates[c.Type]
			if !ok {
				errs[i] = fmt.Errorf("no template for certificate type %q", c.Type)
				return nil
			}
			err := writePDF(gctx, r, dir, tpl, c)
			var failed *renderError
			if errors.As(err, &failed) && gctx.Err() == nil {
				errs[i] = failed.err
				return nil
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return rep, err
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	names := map[string]bool{}
	for i, c := range certs {
		err := errs[i]
		if err == nil && names[certpdf.ZIPName(c)] {
			err = fmt.Errorf("two certificates would be named %s", certpdf.ZIPName(c))
		}
		names[certpdf.ZIPName(c)] = true
		if err != nil {
			rep.Failures = append(rep.Failures, r.Failure(c, err))
			continue
		}
		rep.Rendered++
	}
	report := filepath.Join(dir, certpdf.FailuresName)
	if len(rep.Failures) == 0 {
		if err := os.Remove(report); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return rep, fmt.Errorf("remove the old %s: %w", report, err)
		}
		return rep, nil
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		return rep, err
	}
	if err := os.WriteFile(report, buf.Bytes(), 0o644); err != nil {
		return rep, fmt.Errorf("write %s: %w", report, err)
	}
	return rep, nil
}

// renderError is a certificate that could not be drawn, as opposed to a
// file that could not be written.
type renderError struct{ err error }

func (e *renderError) Error() string { return e.err.Error() }
func (e *renderError) Unwrap() error { return e.err }

// writePDF renders c into dir/certpdf.ZIPName(c) through a temporary file.
func writePDF(ctx context.Context, r *certpdf.Renderer, dir string, tpl certpdf.Template, c certpdf.Certificate) error {
	name := filepath.Join(dir, certpdf.ZIPName(c))
	tmp, err := os.CreateTemp(dir, "."+certpdf.ZIPName(c)+".*")
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if err := r.Render(ctx, tmp, tpl, c); err != nil {
		tmp.Close()
		return &renderError{err}
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// Unprintable lists the event's issued, unrevoked certificates whose name
// has a character no installed font has, with those characters: the ones
// a render leaves out and reports. It looks the characters up in the
// fonts without shaping, so that the dashboard can ask on every view of
// the certificates page.
func (s *Service) Unprintable(ctx context.Context, eventID int64) ([]certpdf.Failure, error) {
	r, b, err := s.printRun(ctx, eventID)
	if err != nil {
		return nil, err
	}
	missing := map[string][]rune{}
	var out []certpdf.Failure
	for _, c := range b.Certificates {
		m, ok := missing[c.FullName]
		if !ok {
			m = r.Unprintable(c.FullName)
			missing[c.FullName] = m
		}
		if len(m) > 0 {
			out = append(out, certpdf.Failure{ID: c.ID, Name: c.FullName, Missing: m})
		}
	}
	return out, nil
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
