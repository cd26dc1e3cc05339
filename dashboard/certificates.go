package dashboard

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// exportCertificatePDFs answers the admin download of every issued
// certificate as PDF in one ZIP. The archive is rendered to a temporary file
// first, so that a failure answers with an error rather than a truncated
// archive, and thousands of PDFs never sit in memory. Like the CSV exports,
// it changes nothing but the audit log.
func (s *Server) exportCertificatePDFs(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.cfg.RenderCertificates == nil {
		http.Error(w, "Certificate PDFs are not available: start rollcall serve with --public-url (the address the QR codes point to).", http.StatusNotFound)
		return
	}
	tmp, err := os.CreateTemp("", "rollcall-certificates-*.zip")
	if err != nil {
		s.fail(w, r, fmt.Errorf("dashboard: render certificates: %w", err))
		return
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // a temporary file
	defer tmp.Close()
	if err := s.cfg.RenderCertificates(r.Context(), ev.ID, tmp); err != nil {
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
	if err := s.audit(r.Context(), ss, "export.certificates", ev.ID, "certificates.zip", fmt.Sprintf("%d bytes", size)); err != nil {
		s.fail(w, r, err)
		return
	}
	name := fmt.Sprintf("%s-certificates-%s.zip", ev.Slug, s.cfg.Now().UTC().Format("20060102-1504"))
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", fmt.Sprint(size))
	_, _ = io.Copy(w, tmp)
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
	if !ok || (typ != "appreciation" && typ != "participation") || s.cfg.PreviewCertificate == nil {
		s.notFound(w, r)
		return
	}
	var buf bytes.Buffer
	if err := s.cfg.PreviewCertificate(r.Context(), ev.ID, typ, &buf); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=60")
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
