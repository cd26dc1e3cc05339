package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certpdf"
)

// Certificates is what the admin pages ask of the certificates service:
// the ZIP of an event's certificate PDFs, a PNG preview of a certificate
// type's template drawn with a sample name, and the template editor's
// fields. *certificates.Service satisfies it; cmd hands it over when
// serve has a --public-url (the address the QR codes point to).
type Certificates interface {
	// Render writes the ZIP of the event's issued, unrevoked certificates;
	// it only reads (the dashboard issues the missing ids first). A
	// certificate it cannot draw is left out and listed in the report,
	// which the archive holds as certpdf.FailuresName.
	Render(ctx context.Context, eventID int64, w io.Writer) (certpdf.Report, error)
	// Unprintable lists the issued certificates whose name has a
	// character no installed font has, for the certificates page.
	Unprintable(ctx context.Context, eventID int64) ([]certpdf.Failure, error)
	Preview(ctx context.Context, eventID int64, certType string, w io.Writer) error
	// Template and SaveTemplate read and keep the event's template of a
	// type; SaveTemplate keeps its images and answers attendance.EInvalid
	// for fields that make no valid template.
	Template(ctx context.Context, eventID int64, certType string) (certpdf.TemplateFields, error)
	SaveTemplate(ctx context.Context, eventID int64, certType string, f certpdf.TemplateFields, staff string) error
}

// exportCertificatePDFs answers the admin download of every certificate
// as PDF in one ZIP (a POST from the certificates page). A PDF needs its
// id, so the certificates not issued yet are issued first, in the signed-in
// admin's name (the store audits that), and the response says how many in
// X-Rollcall-Issued. The archive is rendered to a temporary file first, so
// that a failure answers with an error rather than a truncated archive, and
// thousands of PDFs never sit in memory. The download is audited here.
func (s *Server) exportCertificatePDFs(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.cfg.Certificates == nil {
		http.Error(w, "Certificate PDFs are not available: start rollcall serve with --public-url (the address the QR codes point to).", http.StatusNotFound)
		return
	}
	res, err := s.st.Issue(r.Context(), ev.ID, ss.email)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if res.Issued > 0 {
		s.forget(ev.ID)
	}
	tmp, err := os.CreateTemp("", "rollcall-certificates-*.zip")
	if err != nil {
		s.fail(w, r, fmt.Errorf("dashboard: render certificates: %w", err))
		return
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // a temporary file
	defer tmp.Close()
	rep, err := s.cfg.Certificates.Render(r.Context(), ev.ID, tmp)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("dashboard: render certificates: %w", err))
		return
	}
	detail := fmt.Sprintf("%d bytes, %d certificates", size, rep.Rendered)
	if n := len(rep.Failures); n > 0 {
		detail += fmt.Sprintf(", %d failed", n)
	}
	if err := s.audit(r.Context(), ss, "export.certificates", ev.ID, "certificates.zip", detail); err != nil {
		s.fail(w, r, err)
		return
	}
	name := fmt.Sprintf("%s-certificates-%s.zip", ev.Slug, s.cfg.Now().UTC().Format("20060102-1504"))
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("X-Rollcall-Issued", fmt.Sprintf("issued %d, already issued %d", res.Issued, res.AlreadyIssued))
	// the certificates left out are listed in the archive (FAILURES.txt)
	// and on the certificates page
	w.Header().Set("X-Rollcall-Failures", fmt.Sprint(len(rep.Failures)))
	w.Header().Set("Content-Length", fmt.Sprint(size))
	_, _ = io.Copy(w, tmp)
}

// issueCertificates gives ids to the certificates decided and not issued
// yet (the admin's button on the certificates page); the store audits it in
// the admin's name.
func (s *Server) issueCertificates(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.st.Issue(r.Context(), ev.ID, ss.email)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.forget(ev.ID)
	msg := fmt.Sprintf("issued %d, already issued %d", res.Issued, res.AlreadyIssued)
	s.redirectWithFlash(w, r, "/events/"+ev.Slug+"/certificates", msg)
}

// previewCertificate answers a PNG of a certificate type's template, drawn
// with a sample name: no person's data is in it.
func (s *Server) previewCertificate(w http.ResponseWriter, r *http.Request, _ *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	typ, ok := strings.CutSuffix(r.PathValue("file"), ".png")
	if !ok || (typ != "appreciation" && typ != "participation") || s.cfg.Certificates == nil {
		s.notFound(w, r)
		return
	}
	var buf bytes.Buffer
	if err := s.cfg.Certificates.Preview(r.Context(), ev.ID, typ, &buf); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = buf.WriteTo(w)
}

// issuer answers the issuer profile document, public like /verify: it
// names the organisation and its public key, no person.
func (s *Server) issuer(w http.ResponseWriter, r *http.Request) {
	if s.cfg.IssuerDocument == nil {
		s.notFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*") // verifiers fetch it from other origins
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(s.cfg.IssuerDocument)
}

// statusList serves an event's revocation status list to anyone: a
// verifier fetches it to check a badge's credentialStatus. It holds no
// person (a bit per certificate, set when revoked), and is cached briefly
// (certificates.StatusListTTL) so that a revocation shows soon.
func (s *Server) statusList(w http.ResponseWriter, r *http.Request) {
	if s.cfg.StatusList == nil {
		s.notFound(w, r)
		return
	}
	body, ctype, err := s.cfg.StatusList(r.Context(), r.PathValue("event"))
	switch {
	case attendance.ErrorCode(err) == attendance.ENotFound:
		s.notFound(w, r)
		return
	case err != nil:
		if r.Context().Err() == nil {
			s.cfg.Logger.Error("status list failed", "err", err)
		}
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Access-Control-Allow-Origin", "*") // verifiers fetch it from other origins
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(body)
}

type templateData struct {
	eventPage
	Type   string
	Fields certpdf.TemplateFields
	Error  string
	Saved  bool
	Stamp  int64 // busts the preview's cache after a save
}

// templateType reads the {type} of a template route.
func templateType(r *http.Request) (string, bool) {
	t := r.PathValue("type")
	return t, t == "appreciation" || t == "participation"
}

func (s *Server) templatePage(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	typ, ok := templateType(r)
	if !ok || s.cfg.Certificates == nil {
		s.notFound(w, r)
		return
	}
	f, err := s.cfg.Certificates.Template(r.Context(), ev.ID, typ)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "certtemplate", ss, templateData{eventPage: eventPage{ev}, Type: typ, Fields: f,
		Saved: r.URL.Query().Get("saved") != "", Stamp: s.cfg.Now().UnixNano()})
}

func (s *Server) saveTemplate(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	typ, ok := templateType(r)
	if !ok || s.cfg.Certificates == nil {
		s.notFound(w, r)
		return
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := certpdf.TemplateFields{Title: v("title"), Body: strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n"),
		Primary: v("primary"), Accent: v("accent"), Text: v("text"), Background: v("background")}
	for i := range f.Signatories {
		f.Signatories[i] = certpdf.SignatoryFields{Name: v(fmt.Sprintf("sig%d_name", i)), Title: v(fmt.Sprintf("sig%d_title", i))}
	}
	if err := s.cfg.Certificates.SaveTemplate(r.Context(), ev.ID, typ, f, ss.email); err != nil {
		if code := httpStatus(err); code != http.StatusInternalServerError {
			s.render(w, r, code, "certtemplate", ss, templateData{eventPage: eventPage{ev}, Type: typ, Fields: f, Error: userMessage(err),
				Stamp: s.cfg.Now().UnixNano()})
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/events/"+ev.Slug+"/certificates/templates/"+typ+"?saved=1", http.StatusSeeOther)
}
