package dashboard

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestCertificatePDFsAndPreviews(t *testing.T) {
	var previewed []string
	h := newHarness(t, func(c *Config) {
		c.RenderCertificates = func(ctx context.Context, eventID int64, w io.Writer) error {
			_, err := io.WriteString(w, "PK\x03\x04 a zip")
			return err
		}
		c.PreviewCertificate = func(ctx context.Context, eventID int64, typ string, w io.Writer) error {
			previewed = append(previewed, typ)
			_, err := io.WriteString(w, "\x89PNG")
			return err
		}
	})
	admin, viewer, anon := h.signIn(adminEmail), h.signIn(viewerEmail), h.anon()

	_, page := h.get(admin, "/events/dialogue/certificates")
	for _, want := range []string{`id="dl-pdfs" href="/events/dialogue/exports/certificates.zip"`, `src="/events/dialogue/certificates/preview/appreciation.png"`,
		`src="/events/dialogue/certificates/preview/participation.png"`} {
		if !strings.Contains(page, want) {
			t.Errorf("certificates page lacks %s", want)
		}
	}
	if _, page := h.get(viewer, "/events/dialogue/certificates"); strings.Contains(page, "certificates.zip") || strings.Contains(page, "preview/") {
		t.Error("a viewer is offered the PDFs or previews")
	}

	res, body := h.get(admin, "/events/dialogue/exports/certificates.zip")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/zip" || body != "PK\x03\x04 a zip" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="dialogue-certificates-`) {
		t.Fatalf("zip: %d %q %q", res.StatusCode, res.Header, body)
	}
	if got := strings.Join(h.att.auditLog(), "\n"); got != "admin@seameo.test export.certificates certificates.zip" {
		t.Errorf("audit log: %q", got)
	}
	for _, typ := range []string{"appreciation", "participation"} {
		res, body := h.get(admin, "/events/dialogue/certificates/preview/"+typ+".png")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" || body != "\x89PNG" {
			t.Errorf("preview %s: %d %q", typ, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	if strings.Join(previewed, ",") != "appreciation,participation" {
		t.Errorf("previewed %v", previewed)
	}
	for _, bad := range []string{"gold.png", "appreciation.jpg", "..%2Fx.png"} {
		if res, _ := h.get(admin, "/events/dialogue/certificates/preview/"+bad); res.StatusCode != http.StatusNotFound {
			t.Errorf("preview %s: %d, want 404", bad, res.StatusCode)
		}
	}
	for path, want := range map[string]int{"/events/dialogue/exports/certificates.zip": http.StatusForbidden, "/events/dialogue/certificates/preview/appreciation.png": http.StatusForbidden} {
		if res, _ := h.get(viewer, path); res.StatusCode != want {
			t.Errorf("viewer GET %s: %d, want %d", path, res.StatusCode, want)
		}
		if res, _ := h.get(anon, path); res.StatusCode != http.StatusSeeOther {
			t.Errorf("anonymous GET %s: %d, want a redirect to sign in", path, res.StatusCode)
		}
	}
}

func TestCertificatePDFsFailOrAbsent(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.RenderCertificates = func(ctx context.Context, eventID int64, w io.Writer) error {
			io.WriteString(w, "PK half")
			return errors.New("certpdf: no font for Khmer script")
		}
	})
	admin := h.signIn(adminEmail)
	if res, body := h.get(admin, "/events/dialogue/exports/certificates.zip"); res.StatusCode != http.StatusInternalServerError || strings.Contains(body, "PK") {
		t.Errorf("failed render: %d %q", res.StatusCode, body)
	}
	if len(h.att.auditLog()) != 0 {
		t.Errorf("a failed download was audited: %v", h.att.auditLog())
	}
	plain := newHarness(t)
	admin = plain.signIn(adminEmail)
	if res, _ := plain.get(admin, "/events/dialogue/exports/certificates.zip"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unconfigured zip: %d", res.StatusCode)
	}
	if _, page := plain.get(admin, "/events/dialogue/certificates"); strings.Contains(page, "certificates.zip") || strings.Contains(page, "preview/") {
		t.Error("unconfigured PDFs offered")
	}
}

func TestIssuerDocument(t *testing.T) {
	doc := []byte(`{"id":"https://certs.example.org/issuer"}`)
	h := newHarness(t, func(c *Config) { c.IssuerDocument = doc })
	res, body := h.get(h.anon(), "/issuer")
	if res.StatusCode != http.StatusOK || body != string(doc) || res.Header.Get("Content-Type") != "application/json" ||
		res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("issuer: %d %q %v", res.StatusCode, body, res.Header)
	}
	plain := newHarness(t)
	if res, _ := plain.get(plain.anon(), "/issuer"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("issuer without a key: %d", res.StatusCode)
	}
}
