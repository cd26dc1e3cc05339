package main

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/badges"
	"github.com/seameo/rollcall/attendance/certpdf"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/dashboard"
)

// certEvent sets up an event with a speaker and a participant with a Thai
// name, both issued a certificate, and returns the CLI, its folder and the
// certificate ids of the CSV export.
func certEvent(t *testing.T) (attCLI, string, []string) {
	t.Helper()
	dir := t.TempDir()
	c := attCLI{t: t, db: filepath.Join(dir, "rc.db")}
	regs := filepath.Join(dir, "regs.csv")
	if err := os.WriteFile(regs, []byte("Full Name,Email,Role\nNguyễn Văn Minh,minh@example.org,speaker\nพิมพ์ชนก สุขใจ,pim@example.org,participant\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("event", "create", "pd", "--title", "Policy Dialogue", "--video", "dQw4w9WgXcQ", "--time-zone", "Asia/Bangkok")
	c.ok("registrations", "import", "--event", "pd", regs)
	c.ok("override", "--event", "pd", "--email", "pim@example.org", "--certificate", "participation", "--why", "watched at the venue")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(c.ok("export", "certificates", "--event", "pd"), "\uFEFF"))).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("certificates export: %v %v", rows, err)
	}
	var ids []string
	for _, r := range rows[1:] {
		ids = append(ids, r[3])
	}
	sort.Strings(ids)
	return c, dir, ids
}

// zipPDFs reads a ZIP of PDFs and returns the certificate ids of its
// entries, checking that each is a PDF.
func zipPDFs(t *testing.T, b []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		pdf, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("%%EOF")) {
			t.Errorf("%s is not a PDF", f.Name)
		}
		_, id, _ := strings.Cut(strings.TrimSuffix(f.Name, ".pdf"), "-")
		ids = append(ids, attendance.NormalizeCertificateID(id))
	}
	sort.Strings(ids)
	return ids
}

func TestCertificatesRenderAndRevoke(t *testing.T) {
	c, dir, ids := certEvent(t)
	const public = "https://certs.example.org/"

	// a ZIP file whose PDFs are the certificates of the export
	out := filepath.Join(dir, "certs.zip")
	_, errs, code := c.run("certificates", "render", "--event", "pd", "--public-url", public, "-o", out)
	if code != 0 || !strings.Contains(errs, "2 PDFs written to "+out) {
		t.Fatalf("render: %d %s", code, errs)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := zipPDFs(t, b); strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("zip ids %v, export ids %v", got, ids)
	}

	// the ZIP on stdout (not a terminal in tests)
	zipOut, _, code := c.run("certificates", "render", "--event", "pd", "--public-url", public)
	if code != 0 || len(zipPDFs(t, []byte(zipOut))) != 2 {
		t.Fatalf("render to stdout: %d", code)
	}

	// one file per certificate in a folder
	pdfDir := filepath.Join(dir, "pdfs")
	c.ok("certificates", "render", "--event", "pd", "--public-url", public, "-o", pdfDir)
	names, _ := filepath.Glob(filepath.Join(pdfDir, "*.pdf"))
	if len(names) != 2 {
		t.Fatalf("folder: %v", names)
	}
	for _, n := range names {
		if b, _ := os.ReadFile(n); !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Errorf("%s is not a PDF", n)
		}
	}

	// templates from a folder
	tdir := filepath.Join(dir, "templates")
	os.Mkdir(tdir, 0o755)
	os.WriteFile(filepath.Join(tdir, "participation.json"), []byte(`{"type":"participation","title":"Certificate of Attendance","body":"This certifies that\n{{name}}\nattended {{event}} on {{date}}."}`), 0o600)
	c.ok("certificates", "render", "--event", "pd", "--public-url", public, "--template-dir", tdir, "-o", filepath.Join(dir, "t.zip"))
	os.WriteFile(filepath.Join(tdir, "appreciation.json"), []byte(`{"type":"appreciation","title":"x","body":"{{nickname}}"}`), 0o600)
	if _, errs, code := c.run("certificates", "render", "--event", "pd", "--public-url", public, "--template-dir", tdir, "-o", filepath.Join(dir, "t.zip")); code != 2 || !strings.Contains(errs, "appreciation.json") {
		t.Errorf("bad template: %d %s", code, errs)
	}

	// usage: no public URL
	if _, errs, code := c.run("certificates", "render", "--event", "pd", "-o", out); code != 2 || !strings.Contains(errs, "--public-url") {
		t.Errorf("no public url: %d %s", code, errs)
	}

	// no Thai font: every other certificate is rendered, the failure is
	// named on stderr and in the ZIP's FAILURES.txt, exit 1 at the end
	fonts := filepath.Join(dir, "fonts")
	os.Mkdir(fonts, 0o755)
	for _, f := range []string{"NotoSans-Regular.ttf", "NotoSans-Bold.ttf"} {
		if err := os.Symlink(filepath.Join("/usr/share/fonts/truetype/noto", f), filepath.Join(fonts, f)); err != nil {
			t.Fatal(err)
		}
	}
	broken := filepath.Join(dir, "broken.zip")
	_, errs, code = c.run("certificates", "render", "--event", "pd", "--public-url", public, "--font-dir", fonts, "-o", broken)
	if code != 1 || !strings.Contains(errs, "Thai") || !strings.Contains(errs, "fonts-noto-core") || !strings.Contains(errs, "พิมพ์ชนก สุขใจ") ||
		!strings.Contains(errs, "U+0E1E พ") || !strings.Contains(errs, "1 of 2 certificates could not be rendered") {
		t.Errorf("missing Thai font: %d %s", code, errs)
	}
	zb, err := os.ReadFile(broken)
	if err != nil {
		t.Fatalf("a render with a failure left no archive: %v", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, f := range zr.File {
		entries = append(entries, f.Name)
	}
	if len(entries) != 2 || !strings.HasSuffix(entries[0], ".pdf") || entries[1] != certpdf.FailuresName {
		t.Errorf("archive with a failure holds %q, want one PDF and %s", entries, certpdf.FailuresName)
	}

	// revoke, typed as printed in lower case; twice is a no-op
	id := ids[0]
	_, errs, code = c.run("certificates", "revoke", "--event", "pd", "--id", strings.ToLower(attendance.FormatCertificateID(id)), "--why", "issued in error")
	if code != 0 || !strings.Contains(errs, "revoked on") {
		t.Fatalf("revoke: %d %s", code, errs)
	}
	_, errs, code = c.run("certificates", "revoke", "--event", "pd", "--id", id, "--why", "again")
	if code != 0 || !strings.Contains(errs, "already revoked") || !strings.Contains(errs, "issued in error") {
		t.Fatalf("revoke again: %d %s", code, errs)
	}
	if _, _, code := c.run("certificates", "revoke", "--event", "pd", "--id", "AAAAAAAAAAAAAAAAAAAA", "--why", "x"); code != 2 {
		t.Errorf("revoke unknown id: exit %d, want 2", code)
	}
	_, errs, _ = c.run("certificates", "render", "--event", "pd", "--public-url", public, "-o", out)
	if !strings.Contains(errs, "1 PDFs written") || !strings.Contains(errs, "1 revoked left out") {
		t.Errorf("render after revoke: %s", errs)
	}
	b, _ = os.ReadFile(out)
	if got := zipPDFs(t, b); len(got) != 1 || got[0] != ids[1] {
		t.Errorf("after revoke the zip holds %v, want [%s]", got, ids[1])
	}
	// The mail-merge export leaves it out too, and the attendance export says why.
	if csv := c.ok("export", "certificates", "--event", "pd"); strings.Contains(csv, id) || !strings.Contains(csv, ids[1]) {
		t.Errorf("certificates export after revoke:\n%s", csv)
	}
	if csv := c.ok("export", "attendance", "--event", "pd"); !strings.Contains(csv, "revoked: issued in error") {
		t.Errorf("attendance export after revoke lacks the reason:\n%s", csv)
	}
}

func TestExportCertificatesOB3(t *testing.T) {
	c, dir, ids := certEvent(t)
	const public = "https://certs.example.org"
	base := []string{"export", "certificates", "--event", "pd", "--format", "ob3", "--public-url", public, "--issuer-name", "Regional Education Secretariat"}

	// unsigned, JSON lines on stdout
	out := c.ok(base...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || strings.Contains(out, "@example.org") {
		t.Fatalf("ob3 lines:\n%s", out)
	}
	var got []string
	for _, l := range lines {
		var jl badges.JSONLine
		if err := json.Unmarshal([]byte(l), &jl); err != nil {
			t.Fatal(err)
		}
		if jl.JWT != "" || jl.Credential.Issuer.ID != public+"/issuer" || len(jl.Credential.Evidence) != 1 ||
			jl.Credential.Evidence[0].ID != public+"/verify/"+jl.CertificateID {
			t.Errorf("unsigned credential: %+v", jl)
		}
		got = append(got, jl.CertificateID)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("ob3 ids %v, export ids %v", got, ids)
	}

	// signed with a PKCS #8 Ed25519 key of mode 0600, into a ZIP
	pub, keyFile := writeIssuerKey(t, dir)
	zipFile := filepath.Join(dir, "badges.zip")
	_, errs, code := c.run(append(base, "--issuer-key-file", keyFile, "-o", zipFile)...)
	if code != 0 || !strings.Contains(errs, "2 credentials signed") {
		t.Fatalf("signed export: %d %s", code, errs)
	}
	zr, err := zip.OpenReader(zipFile)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	jwts, issuerDoc := 0, false
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		switch {
		case strings.HasSuffix(f.Name, ".jwt"):
			cred, err := badges.Verify(strings.TrimSpace(string(b)), pub, time.Now())
			if err != nil {
				t.Errorf("%s does not verify: %v", f.Name, err)
			} else if cred.Issuer.Name != "Regional Education Secretariat" {
				t.Errorf("%s issuer %q", f.Name, cred.Issuer.Name)
			}
			jwts++
		case f.Name == badges.IssuerDocumentName:
			issuerDoc = true
		}
		if bytes.Contains(b, []byte("@example.org")) {
			t.Errorf("%s holds an email address", f.Name)
		}
	}
	if jwts != 2 || !issuerDoc {
		t.Errorf("zip: %d jwts, issuer document %v", jwts, issuerDoc)
	}

	// signed JSON lines verify with the public key only
	for _, l := range strings.Split(strings.TrimSpace(c.ok(append(base, "--issuer-key-file", keyFile)...)), "\n") {
		var jl badges.JSONLine
		if err := json.Unmarshal([]byte(l), &jl); err != nil {
			t.Fatal(err)
		}
		if _, err := badges.Verify(jl.JWT, pub, time.Now()); err != nil {
			t.Errorf("jwt of %s: %v", jl.CertificateID, err)
		}
		other, _, _ := ed25519.GenerateKey(rand.Reader)
		if _, err := badges.Verify(jl.JWT, other, time.Now()); err == nil {
			t.Errorf("jwt of %s verifies with another key", jl.CertificateID)
		}
	}

	// an RSA key (PKCS #1) signs with RS256, the one algorithm every Open
	// Badges 3.0 verifier must support
	rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaFile := filepath.Join(dir, "issuer-rsa.pem")
	if err := os.WriteFile(rsaFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaPriv)}), 0o600); err != nil {
		t.Fatal(err)
	}
	rsaLines := strings.Split(strings.TrimSpace(c.ok(append(base, "--issuer-key-file", rsaFile)...)), "\n")
	for _, l := range rsaLines {
		var jl badges.JSONLine
		if err := json.Unmarshal([]byte(l), &jl); err != nil {
			t.Fatal(err)
		}
		if _, err := badges.Verify(jl.JWT, &rsaPriv.PublicKey, time.Now()); err != nil {
			t.Errorf("RS256 jwt of %s: %v", jl.CertificateID, err)
		}
		if _, err := badges.Verify(jl.JWT, pub, time.Now()); err == nil {
			t.Errorf("RS256 jwt of %s verifies with the Ed25519 key", jl.CertificateID)
		}
	}
	if len(rsaLines) != 2 {
		t.Errorf("%d RS256 credentials, want 2", len(rsaLines))
	}

	// a key others may read is refused; ob3 needs an issuer name and a public URL
	os.Chmod(keyFile, 0o644)
	if _, errs, code := c.run(append(base, "--issuer-key-file", keyFile)...); code != 2 || !strings.Contains(errs, "0600") {
		t.Errorf("key of mode 0644: %d %s", code, errs)
	}
	if _, errs, code := c.run("export", "certificates", "--event", "pd", "--format", "ob3", "--public-url", public); code != 2 || !strings.Contains(errs, "--issuer-name") {
		t.Errorf("no issuer name: %d %s", code, errs)
	}
	if _, _, code := c.run("export", "certificates", "--event", "pd", "--format", "ob3", "--issuer-name", "X"); code != 2 {
		t.Errorf("no public url: %d", code)
	}
}

func TestIssuerDocumentForServe(t *testing.T) {
	issuerPub, keyFile := writeIssuerKey(t, t.TempDir())
	if doc, err := issuerDocument("", "X", "", ""); doc != nil || err != nil {
		t.Fatalf("no key: %s %v", doc, err)
	}
	doc, err := issuerDocument("https://certs.example.org/", "Regional Education Secretariat", "", keyFile)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		ID                 string `json:"id"`
		VerificationMethod []struct {
			ID           string     `json:"id"`
			PublicKeyJWK badges.JWK `json:"publicKeyJwk"`
		} `json:"verificationMethod"`
	}
	if err := json.Unmarshal(doc, &d); err != nil || d.ID != "https://certs.example.org/issuer" || len(d.VerificationMethod) != 1 ||
		d.VerificationMethod[0].ID != badges.KeyID(d.ID) {
		t.Fatalf("issuer document %s: %v", doc, err)
	}
	if pub, err := d.VerificationMethod[0].PublicKeyJWK.PublicKey(); err != nil || !issuerPub.Equal(pub) {
		t.Fatalf("published key: %v", err)
	}
	for _, bad := range [][2]string{{"", "X"}, {"https://certs.example.org", ""}} {
		if _, err := issuerDocument(bad[0], bad[1], "", keyFile); exitCode(err) != exitUsage {
			t.Errorf("issuerDocument(%q, %q): %v", bad[0], bad[1], err)
		}
	}
}

// utf16Hex is s as a PDF hex string of UTF-16BE, upper case.
func utf16Hex(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, "%04X", r)
	}
	return b.String()
}

func TestCertificateTemplatePerEvent(t *testing.T) {
	c, dir, _ := certEvent(t)
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	var logo bytes.Buffer
	if err := png.Encode(&logo, img); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "logo.png"), logo.Bytes(), 0o600)
	tplFile := filepath.Join(dir, "participation.json")
	os.WriteFile(tplFile, []byte(`{"type":"participation","title":"Certificate of Attendance","logo":"logo.png",
		"body":"This certifies that\n{{name}}\nattended {{event}} on {{date}}.","signatories":[{"name":"Dr. Somsak","title":"Director"}]}`), 0o600)
	c.ok("certificates", "template", "set", "--event", "pd", tplFile)
	os.Remove(filepath.Join(dir, "logo.png")) // kept in the database, not by path

	pngFile := filepath.Join(dir, "preview.png")
	c.ok("certificates", "template", "preview", "--event", "pd", "--type", "participation", "-o", pngFile)
	if b, _ := os.ReadFile(pngFile); !bytes.HasPrefix(b, []byte("\x89PNG\r\n")) {
		t.Fatal("preview is not a PNG")
	}
	pdfDir := filepath.Join(dir, "pdfs")
	c.ok("certificates", "render", "--event", "pd", "--public-url", "https://certs.example.org", "-o", pdfDir)
	names, _ := filepath.Glob(filepath.Join(pdfDir, "participation-*.pdf"))
	if len(names) != 1 {
		t.Fatalf("pdfs %v", names)
	}
	pdf, _ := os.ReadFile(names[0])
	if !bytes.Contains(bytes.ToUpper(pdf), []byte(utf16Hex("Certificate of Attendance"))) {
		t.Error("the event's template is not used: no 'Certificate of Attendance' in the PDF's metadata")
	}
	_, errs, _ := c.run("certificates", "template", "reset", "--event", "pd", "--type", "participation")
	if !strings.Contains(errs, "reset to the default") {
		t.Fatalf("reset: %s", errs)
	}
	if _, errs, _ := c.run("certificates", "template", "reset", "--event", "pd", "--type", "participation"); !strings.Contains(errs, "nothing changed") {
		t.Fatalf("reset again: %s", errs)
	}
	if _, _, code := c.run("certificates", "template", "reset", "--event", "pd", "--type", "gold"); code != 2 {
		t.Errorf("reset of a bad type: %d", code)
	}
	os.WriteFile(tplFile, []byte(`{"type":"participation","title":"x","body":"{{nickname}}"}`), 0o600)
	if _, errs, code := c.run("certificates", "template", "set", "--event", "pd", tplFile); code != 2 || !strings.Contains(errs, "nickname") {
		t.Errorf("bad template: %d %s", code, errs)
	}
}

// TestServeCertificateHooks covers what serve hands the dashboard: with
// --public-url the certificates service (its ZIP holds the PDFs of the
// ids the export issued), without it nothing, so the dashboard hides the
// PDFs, previews and editor.
func TestServeCertificateHooks(t *testing.T) {
	c, _, ids := certEvent(t)
	ctx := t.Context()
	st, err := store.Open(ctx, c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e, err := st.Event(ctx, "pd")
	if err != nil {
		t.Fatal(err)
	}
	a := newApp(strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" })
	a.log = slog.New(slog.DiscardHandler)

	h, err := (&daemon{}).certificateHooks(st, a)
	if err != nil || h.certificates != nil || h.verify == nil || h.issuerDocument != nil {
		t.Fatalf("without --public-url: %+v %v", h, err)
	}
	if _, err := (&daemon{publicURL: "certs.example.org"}).certificateHooks(st, a); exitCode(err) != exitUsage {
		t.Errorf("a bad --public-url: %v", err)
	}
	h, err = (&daemon{publicURL: "https://certs.example.org/"}).certificateHooks(st, a)
	if err != nil || h.certificates == nil {
		t.Fatalf("with --public-url: %+v %v", h, err)
	}
	var zipBuf bytes.Buffer
	if _, err := h.certificates.Render(ctx, e.ID, &zipBuf); err != nil {
		t.Fatal(err)
	}
	if got := zipPDFs(t, zipBuf.Bytes()); strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("zip ids %v, export ids %v", got, ids)
	}
	f, err := h.certificates.Template(ctx, e.ID, "participation")
	if err != nil || f.Title == "" {
		t.Errorf("editor fields %+v %v", f, err)
	}
}

// writeIssuerKey writes a fresh PKCS #8 Ed25519 issuer key, mode 0600, into
// dir and returns its public half and the file.
func writeIssuerKey(t *testing.T, dir string) (ed25519.PublicKey, string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "issuer.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return pub, keyFile
}

// serveCertificatePages serves the dashboard's public certificate pages
// (verify and its PDF link, the issuer profile, the status lists) on the
// store of db, as serve wires them with d's flags, listening before its
// public URL is known: d.publicURL becomes the server's own. It returns
// that URL and the hooks.
func serveCertificatePages(t *testing.T, db string, d *daemon) (string, certificateHooks) {
	t.Helper()
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := newApp(strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" })
	a.log = slog.New(slog.DiscardHandler)
	d.publicURL = srv.URL
	h, err := d.certificateHooks(st, a)
	if err != nil {
		t.Fatalf("certificate hooks: %v", err)
	}
	dash, err := dashboard.New(dashboard.Config{Verify: h.verify, IssuerDocument: h.issuerDocument, StatusList: h.statusList}, st)
	if err != nil {
		t.Fatal(err)
	}
	handler = dash.Handler()
	return srv.URL, h
}
