package certificates

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/badges"
	"github.com/seameo/rollcall/attendance/certpdf"
)

// zipIDs reads a ZIP of PDFs and returns the certificate ids of its
// entries, sorted, checking that each is a PDF.
func zipIDs(t *testing.T, b []byte) []string {
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
		head := make([]byte, 5)
		_, err = io.ReadFull(rc, head)
		rc.Close()
		if err != nil || string(head) != "%PDF-" {
			t.Errorf("%s is not a PDF: %q %v", f.Name, head, err)
		}
		typ, id, _ := strings.Cut(strings.TrimSuffix(f.Name, ".pdf"), "-")
		if typ != "appreciation" && typ != "participation" {
			t.Errorf("entry %s", f.Name)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// TestRenderAndPreview covers what the dashboard asks with --public-url:
// the ZIP of the event's issued PDFs, which only reads, and the template
// previews.
func TestRenderAndPreview(t *testing.T) {
	ce := newCertEvent(t)
	ctx := t.Context()
	svc := New(ce.st, Config{PublicURL: "https://certs.example.org", Renderer: testRenderer(t)})

	// nothing issued: nothing to print, and rendering issues nothing
	var empty bytes.Buffer
	if _, err := svc.Render(ctx, ce.event.ID, &empty); err != nil {
		t.Fatal(err)
	}
	if got := zipIDs(t, empty.Bytes()); len(got) != 0 || len(ce.issuedIDs(t)) != 0 {
		t.Fatalf("before Issue: zip %v, issued %v", got, ce.issuedIDs(t))
	}
	res, err := svc.Issue(ctx, ce.event.ID, "mai")
	if err != nil || res.Issued != 2 {
		t.Fatalf("issue: %+v %v", res, err)
	}
	ids := ce.issuedIDs(t)
	var zipBuf bytes.Buffer
	if rep, err := svc.Render(ctx, ce.event.ID, &zipBuf); err != nil || rep.Rendered != 2 || len(rep.Failures) != 0 {
		t.Fatalf("render: %+v %v", rep, err)
	}
	if got := zipIDs(t, zipBuf.Bytes()); !slices.Equal(got, ids) {
		t.Fatalf("zip ids %v, issued %v", got, ids)
	}
	for _, typ := range []string{"appreciation", "participation"} {
		var png bytes.Buffer
		if err := svc.Preview(ctx, ce.event.ID, typ, &png); err != nil || !bytes.HasPrefix(png.Bytes(), []byte("\x89PNG\r\n")) {
			t.Errorf("preview %s: %v", typ, err)
		}
	}
	if err := svc.Preview(ctx, ce.event.ID, "gold", io.Discard); attendance.ErrorCode(err) != attendance.ENotFound {
		t.Errorf("preview of an unknown type: %v", err)
	}
	if res, err := svc.Issue(ctx, ce.event.ID, "mai"); err != nil || res.Issued != 0 || res.AlreadyIssued != 2 {
		t.Errorf("the renders issued something: %+v %v", res, err)
	}
}

// TestBatchAndWriteDir: a print run leaves out the revoked certificates
// and counts them; a folder gets one complete PDF per certificate.
func TestBatchAndWriteDir(t *testing.T) {
	ce := newCertEvent(t)
	ctx := t.Context()
	svc := New(ce.st, Config{PublicURL: "https://certs.example.org/", Renderer: testRenderer(t)})
	if _, err := svc.Issue(ctx, ce.event.ID, "mai"); err != nil {
		t.Fatal(err)
	}
	kept := ce.idOf(t, "pim@example.org")
	if _, err := ce.st.RevokeCertificate(ctx, ce.event.ID, ce.idOf(t, "minh@example.org"), "issued by mistake", "mai"); err != nil {
		t.Fatal(err)
	}
	b, err := svc.Batch(ctx, ce.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Revoked != 1 || len(b.Certificates) != 1 || len(b.Templates) != 2 {
		t.Fatalf("batch: %d certificates, %d revoked, %d templates", len(b.Certificates), b.Revoked, len(b.Templates))
	}
	c := b.Certificates[0]
	if c.ID != attendance.FormatCertificateID(kept) || c.VerifyURL != "https://certs.example.org/verify/"+kept || c.EventTitle != "Policy Dialogue" || c.Date.IsZero() ||
		c.Type != certpdf.TypeParticipation || c.FullName != "พิมพ์ชนก สุขใจ" || c.Role != "participant" {
		t.Errorf("certificate %+v", c)
	}

	dir := filepath.Join(t.TempDir(), "out")
	taken := 0
	if _, err := svc.WriteDir(ctx, dir, b, func() { taken++ }); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if taken != 1 || len(entries) != 1 || entries[0].Name() != certpdf.ZIPName(c) {
		t.Fatalf("progress %d, files %v", taken, entries)
	}
	if pdf, _ := os.ReadFile(filepath.Join(dir, entries[0].Name())); !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Error("not a PDF")
	}

	var zipBuf bytes.Buffer
	taken = 0
	if _, err := svc.WriteZIP(ctx, &zipBuf, b, func() { taken++ }); err != nil {
		t.Fatal(err)
	}
	if got := zipIDs(t, zipBuf.Bytes()); taken != 1 || !slices.Equal(got, []string{c.ID}) {
		t.Errorf("zip %v, progress %d", got, taken)
	}

	// a certificate that cannot be drawn is reported, in the folder too,
	// and the others are written
	good := c
	emoji := c
	emoji.ID, emoji.FullName = "EMOJI", "Ana 🥲 Cruz"
	b.Certificates = []certpdf.Certificate{emoji, good}
	out := filepath.Join(t.TempDir(), "out")
	rep, err := svc.WriteDir(ctx, out, b, nil)
	if err != nil || rep.Rendered != 1 || len(rep.Failures) != 1 || rep.Failures[0].ID != "EMOJI" || !slices.Equal(rep.Failures[0].Missing, []rune{'🥲'}) {
		t.Fatalf("WriteDir with a name no font covers = %+v, %v", rep, err)
	}
	report, err := os.ReadFile(filepath.Join(out, certpdf.FailuresName))
	if err != nil || !strings.Contains(string(report), "Ana 🥲 Cruz") || !strings.Contains(string(report), "U+1F972") {
		t.Errorf("%s: %q %v", certpdf.FailuresName, report, err)
	}
	if _, err := os.Stat(filepath.Join(out, certpdf.ZIPName(good))); err != nil {
		t.Errorf("the printable certificate was not written: %v", err)
	}
	// a render without failures removes the old report
	b.Certificates = []certpdf.Certificate{good}
	if rep, err := svc.WriteDir(ctx, out, b, nil); err != nil || len(rep.Failures) != 0 {
		t.Fatalf("WriteDir again = %+v, %v", rep, err)
	}
	if _, err := os.Stat(filepath.Join(out, certpdf.FailuresName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the old report stays: %v", err)
	}

	// a batch whose type has no template is reported, leaving no PDF behind
	b.Templates = map[certpdf.Type]certpdf.Template{}
	bad := filepath.Join(t.TempDir(), "bad")
	if rep, err := svc.WriteDir(ctx, bad, b, nil); err != nil || len(rep.Failures) != 1 {
		t.Errorf("a certificate without a template: %+v %v", rep, err)
	}
	if entries, _ := os.ReadDir(bad); len(entries) != 1 || entries[0].Name() != certpdf.FailuresName {
		t.Errorf("left behind %v", entries)
	}
}

// TestNoFonts: a service without fonts is made all the same (a daemon
// still runs) and says so when asked to draw.
func TestNoFonts(t *testing.T) {
	fs := &fakeStore{event: attendance.Event{ID: 1}}
	svc := New(fs, Config{FontDir: t.TempDir()})
	for i := range 2 {
		if _, err := svc.Render(t.Context(), 1, io.Discard); err == nil {
			t.Fatalf("render %d without fonts", i)
		}
	}
	if err := svc.Preview(t.Context(), 1, "participation", io.Discard); err == nil {
		t.Fatal("preview without fonts")
	}
}

// TestCredentials writes Open Badges credentials of the issued, unrevoked
// certificates, as JSON lines and as a ZIP.
func TestCredentials(t *testing.T) {
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	speaker := attendance.Decision{Registration: attendance.Registration{Email: "minh@example.org", Role: attendance.RoleSpeaker},
		Certificate: attendance.CertAppreciation, CertificateName: "Nguyễn Văn Minh", CertificateID: "K7QM4X2P9RTW3V8NHJ6C"}
	fs := &fakeStore{event: attendance.Event{ID: 1, Slug: "pd", Title: "Policy Dialogue"}, day: day, decisions: []attendance.Decision{
		speaker,
		{Registration: attendance.Registration{Email: "late@example.org"}, Certificate: attendance.CertParticipation}, // not issued yet
		{Registration: attendance.Registration{Email: "gone@example.org"}, Certificate: attendance.CertNone,
			Reasons: []attendance.Reason{{Kind: attendance.ReasonRevoked, Detail: "a mistake"}}},
	}}
	issuer := badges.Issuer{ID: "https://certs.example.org/issuer", Name: "Regional Education Secretariat"}
	svc := New(fs, Config{PublicURL: "https://certs.example.org", Issuer: issuer})

	var lines bytes.Buffer
	n, revoked, err := svc.Credentials(t.Context(), 1, &lines, false)
	if err != nil || n != 1 || revoked != 1 {
		t.Fatalf("json lines: %d written, %d revoked, %v", n, revoked, err)
	}
	sc := bufio.NewScanner(&lines)
	var got []badges.JSONLine
	for sc.Scan() {
		var l badges.JSONLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		got = append(got, l)
	}
	if len(got) != 1 || got[0].CertificateID != speaker.CertificateID || got[0].CertificateType != "appreciation" || got[0].JWT != "" ||
		got[0].Credential.Issuer.ID != issuer.ID || len(got[0].Credential.Evidence) != 1 ||
		got[0].Credential.Evidence[0].ID != "https://certs.example.org/verify/"+speaker.CertificateID {
		t.Fatalf("credentials %+v", got)
	}

	var zipped bytes.Buffer
	if n, _, err := svc.Credentials(t.Context(), 1, &zipped, true); err != nil || n != 1 {
		t.Fatalf("zip: %d %v", n, err)
	}
	if _, err := zip.NewReader(bytes.NewReader(zipped.Bytes()), int64(zipped.Len())); err != nil {
		t.Fatalf("not a zip: %v", err)
	}

	// an issuer without an id makes no credential: badges says why
	noIssuer := New(fs, Config{PublicURL: "https://certs.example.org"})
	if _, _, err := noIssuer.Credentials(t.Context(), 1, io.Discard, false); !errors.Is(err, badges.ErrInvalidInput) {
		t.Errorf("no issuer: %v", err)
	}
	if _, _, err := svc.Credentials(t.Context(), 2, io.Discard, false); !errors.Is(err, errNoEvent) {
		t.Errorf("unknown event: %v", err)
	}
}
