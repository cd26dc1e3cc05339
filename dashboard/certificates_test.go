package dashboard

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certpdf"
)

// fakeCertificates is a Certificates whose methods are function fields;
// a method without one answers an error.
type fakeCertificates struct {
	render       func(ctx context.Context, eventID int64, w io.Writer) error
	preview      func(ctx context.Context, eventID int64, typ string, w io.Writer) error
	template     func(ctx context.Context, eventID int64, typ string) (certpdf.TemplateFields, error)
	saveTemplate func(ctx context.Context, eventID int64, typ string, f certpdf.TemplateFields, staff string) error
	report       certpdf.Report    // what render reports
	unprintable  []certpdf.Failure // what Unprintable answers
	asked        atomic.Int32      // Unprintable calls
}

var errNotFaked = errors.New("fake certificates: not set up")

func (f *fakeCertificates) Render(ctx context.Context, eventID int64, w io.Writer) (certpdf.Report, error) {
	if f.render == nil {
		return certpdf.Report{}, errNotFaked
	}
	return f.report, f.render(ctx, eventID, w)
}

func (f *fakeCertificates) Unprintable(context.Context, int64) ([]certpdf.Failure, error) {
	f.asked.Add(1)
	return f.unprintable, nil
}

func (f *fakeCertificates) Preview(ctx context.Context, eventID int64, typ string, w io.Writer) error {
	if f.preview == nil {
		return errNotFaked
	}
	return f.preview(ctx, eventID, typ, w)
}

func (f *fakeCertificates) Template(ctx context.Context, eventID int64, typ string) (certpdf.TemplateFields, error) {
	if f.template == nil {
		return certpdf.TemplateFields{}, errNotFaked
	}
	return f.template(ctx, eventID, typ)
}

func (f *fakeCertificates) SaveTemplate(ctx context.Context, eventID int64, typ string, tf certpdf.TemplateFields, staff string) error {
	if f.saveTemplate == nil {
		return errNotFaked
	}
	return f.saveTemplate(ctx, eventID, typ, tf, staff)
}

func TestCertificatePDFsAndPreviews(t *testing.T) {
	var previewed []string
	h := newHarness(t, func(c *Config) {
		c.Certificates = &fakeCertificates{
			render: func(ctx context.Context, eventID int64, w io.Writer) error {
				_, err := io.WriteString(w, "PK\x03\x04 a zip")
				return err
			},
			preview: func(ctx context.Context, eventID int64, typ string, w io.Writer) error {
				previewed = append(previewed, typ)
				_, err := io.WriteString(w, "\x89PNG")
				return err
			},
		}
	})
	if _, err := h.st.ImportRegistrations(context.Background(), h.ev.ID, []attendance.Registration{{FullName: "สมชาย ใจดี",
		Email: "somchai@example.org", Role: attendance.RoleSpeaker}}, false); err != nil {
		t.Fatal(err)
	}
	admin, viewer, anon := h.signIn(adminEmail), h.signIn(viewerEmail), h.anon()

	_, page := h.get(admin, "/events/dialogue/certificates")
	for _, want := range []string{`action="/events/dialogue/exports/certificates.zip"`, `id="dl-pdfs"`, `id="issue-certificates"`, `src="/events/dialogue/certificates/preview/appreciation.png"`,
		`src="/events/dialogue/certificates/preview/participation.png"`} {
		if !strings.Contains(page, want) {
			t.Errorf("certificates page lacks %s", want)
		}
	}
	if _, page := h.get(viewer, "/events/dialogue/certificates"); strings.Contains(page, "certificates.zip") || strings.Contains(page, "preview/") ||
		strings.Contains(page, "issue-certificates") {
		t.Error("a viewer is offered the PDFs, previews or issuing")
	}
	// The PDFs issue ids first: never on a GET.
	if res, _ := h.get(admin, "/events/dialogue/exports/certificates.zip"); res.StatusCode == http.StatusOK {
		t.Errorf("GET of the ZIP: %d", res.StatusCode)
	}
	res, body := h.postBody(admin, "/events/dialogue/exports/certificates.zip", url.Values{"csrf": {h.csrf(admin)}})
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/zip" || body != "PK\x03\x04 a zip" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="dialogue-certificates-`) {
		t.Fatalf("zip: %d %q %q", res.StatusCode, res.Header, body)
	}
	// The ZIP issued the speaker's certificate first, in the admin's name.
	if got := strings.Join(auditLog(t, h.st, h.ev.ID), "\n"); got != "admin@seameo.test certificates issue \nadmin@seameo.test export.certificates certificates.zip" {
		t.Errorf("audit log: %q", got)
	}
	if d, err := h.st.Decision(context.Background(), h.ev.ID, h.registration("somchai@example.org").ID); err != nil || d.CertificateID == "" {
		t.Errorf("the ZIP did not issue the certificate first: %q %v", d.CertificateID, err)
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
	if res, _ := h.postBody(viewer, "/events/dialogue/exports/certificates.zip", url.Values{"csrf": {h.csrf(viewer)}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer POST of the ZIP: %d, want 403", res.StatusCode)
	}
	for path, want := range map[string]int{"/events/dialogue/certificates/preview/appreciation.png": http.StatusForbidden} {
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
		c.Certificates = &fakeCertificates{render: func(ctx context.Context, eventID int64, w io.Writer) error {
			io.WriteString(w, "PK half")
			return errors.New("certpdf: no font for Khmer script")
		}}
	})
	admin := h.signIn(adminEmail)
	if res, body := h.postBody(admin, "/events/dialogue/exports/certificates.zip", url.Values{"csrf": {h.csrf(admin)}}); res.StatusCode != http.StatusInternalServerError || strings.Contains(body, "PK") {
		t.Errorf("failed render: %d %q", res.StatusCode, body)
	}
	if len(auditLog(t, h.st, h.ev.ID)) != 0 {
		t.Errorf("a failed download was audited: %v", auditLog(t, h.st, h.ev.ID))
	}
	plain := newHarness(t)
	admin = plain.signIn(adminEmail)
	if res, _ := plain.postBody(admin, "/events/dialogue/exports/certificates.zip", url.Values{"csrf": {plain.csrf(admin)}}); res.StatusCode != http.StatusNotFound {
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

func TestCertificateTemplateEditor(t *testing.T) {
	kept := map[string]certpdf.TemplateFields{"participation": {Title: "Certificate of Participation", Body: "This is to certify that\n{{name}}\nhas participated.",
		Primary: "#0b3d6e", Accent: "#a87b1d", Text: "#222222", Background: "#fffdf7"}}
	var savedBy string
	h := newHarness(t, func(c *Config) {
		c.Certificates = &fakeCertificates{
			preview: func(ctx context.Context, eventID int64, typ string, w io.Writer) error {
				_, err := io.WriteString(w, "\x89PNG")
				return err
			},
			template: func(ctx context.Context, eventID int64, typ string) (certpdf.TemplateFields, error) {
				return kept[typ], nil
			},
			saveTemplate: func(ctx context.Context, eventID int64, typ string, f certpdf.TemplateFields, staff string) error {
				if strings.Contains(f.Body, "{{nickname}}") {
					return attendance.Errorf(attendance.EInvalid, "template field body: unknown placeholder {{nickname}}")
				}
				kept[typ], savedBy = f, staff
				return nil
			},
		}
	})
	admin, viewer := h.signIn(adminEmail), h.signIn(viewerEmail)
	if _, page := h.get(admin, "/events/dialogue/certificates"); !strings.Contains(page, `href="/events/dialogue/certificates/templates/participation"`) {
		t.Error("no editor link on the certificates page")
	}
	res, page := h.get(admin, "/events/dialogue/certificates/templates/participation")
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `value="Certificate of Participation"`) || !strings.Contains(page, "has participated.</textarea>") ||
		!strings.Contains(page, `src="/events/dialogue/certificates/preview/participation.png?v=`) {
		t.Fatalf("editor: %d\n%s", res.StatusCode, page)
	}
	form := url.Values{"csrf": {h.csrf(admin)}, "title": {"Certificate of Attendance"}, "body": {"This certifies that\r\n{{name}}\r\nattended."},
		"primary": {"#112233"}, "accent": {"#445566"}, "text": {"#000000"}, "background": {"#ffffff"}, "sig0_name": {"Dr. Somsak"}, "sig0_title": {"Director"}}
	if res := h.post(admin, "/events/dialogue/certificates/templates/participation", form); res.StatusCode != http.StatusSeeOther ||
		res.Header.Get("Location") != "/events/dialogue/certificates/templates/participation?saved=1" {
		t.Fatalf("save: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	got := kept["participation"]
	if got.Title != "Certificate of Attendance" || got.Body != "This certifies that\n{{name}}\nattended." || got.Signatories[0] != (certpdf.SignatoryFields{Name: "Dr. Somsak", Title: "Director"}) ||
		savedBy != adminEmail {
		t.Fatalf("saved %+v by %s", got, savedBy)
	}
	form.Set("body", "{{nickname}}")
	res, err := admin.PostForm(h.ts.URL+"/events/dialogue/certificates/templates/participation", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "unknown placeholder {{nickname}}") {
		t.Errorf("bad template: %d %s", res.StatusCode, b)
	}
	if res := h.post(admin, "/events/dialogue/certificates/templates/participation", url.Values{"title": {"x"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("save without CSRF: %d", res.StatusCode)
	}
	if res, _ := h.get(viewer, "/events/dialogue/certificates/templates/participation"); res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer opens the editor: %d", res.StatusCode)
	}
	if res, _ := h.get(admin, "/events/dialogue/certificates/templates/gold"); res.StatusCode != http.StatusNotFound {
		t.Errorf("editor of a bad type: %d", res.StatusCode)
	}
}

// postBody posts a form and returns the response with its body.
func (h *harness) postBody(c *http.Client, path string, form url.Values) (*http.Response, string) {
	h.t.Helper()
	res, err := c.PostForm(h.ts.URL+path, form)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// TestCertificatesPageNamesTheUnprintable: the certificates page lists
// the issued certificates the PDF download leaves out, and the download
// says how many it left out.
func TestCertificatesPageNamesTheUnprintable(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Certificates = &fakeCertificates{
			render: func(ctx context.Context, eventID int64, w io.Writer) error {
				_, err := io.WriteString(w, "PK\x03\x04 a zip")
				return err
			},
			report:      certpdf.Report{Rendered: 1, Failures: []certpdf.Failure{{ID: "K7QM-EMOJ", Name: "Ana 😀 Cruz", Missing: []rune{'😀'}}}},
			unprintable: []certpdf.Failure{{ID: "K7QM-EMOJ", Name: "Ana 😀 Cruz", Missing: []rune{'😀'}}},
		}
	})
	admin, viewer := h.signIn(adminEmail), h.signIn(viewerEmail)
	_, page := h.get(admin, "/events/dialogue/certificates")
	for _, want := range []string{`id="unprintable"`, "K7QM-EMOJ", "Ana 😀 Cruz", "1F600 😀", "FAILURES.txt"} {
		if !strings.Contains(page, want) {
			t.Errorf("certificates page lacks %q", want)
		}
	}
	if _, page := h.get(viewer, "/events/dialogue/certificates"); strings.Contains(page, "Ana 😀 Cruz") {
		t.Error("a viewer is shown the unprintable names")
	}
	// Finding them reads every decision: again only after a change.
	fake := h.srv.cfg.Certificates.(*fakeCertificates)
	h.get(admin, "/events/dialogue/certificates")
	if n := fake.asked.Load(); n != 1 {
		t.Errorf("two views asked %d times for the unprintable names, want once", n)
	}
	h.seedPeople("Lim Wei Ling 林慧玲")
	h.get(admin, "/events/dialogue/certificates")
	if n := fake.asked.Load(); n != 2 {
		t.Errorf("after a registration, asked %d times in all, want twice", n)
	}
	res, _ := h.postBody(admin, "/events/dialogue/exports/certificates.zip", url.Values{"csrf": {h.csrf(admin)}})
	if res.StatusCode != http.StatusOK || res.Header.Get("X-Rollcall-Failures") != "1" {
		t.Errorf("zip: %d, X-Rollcall-Failures %q", res.StatusCode, res.Header.Get("X-Rollcall-Failures"))
	}
}
