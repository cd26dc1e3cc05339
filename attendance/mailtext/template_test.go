package mailtext

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance"
)

func TestTemplates(t *testing.T) {
	for _, kind := range Kinds() {
		src, err := Default(kind)
		if err != nil {
			t.Fatal(err)
		}
		tp, err := Parse(kind, src)
		if err != nil {
			t.Fatal(err)
		}
		subject, text, html, err := tp.Render(Data{Name: "Nguyễn <Thị> Lan", EventTitle: "Policy\nDialogue", Code: "K7QM-4X2P",
			CertificateID: "ABCD-EFGH", CertificateType: "Certificate of Participation", VerifyURL: "https://x/verify/A", Attached: true})
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(subject, "\r\n") || !strings.Contains(subject, "Policy Dialogue") {
			t.Errorf("%s subject %q: one line", kind, subject)
		}
		if !strings.Contains(text, "Nguyễn <Thị> Lan") || !strings.Contains(html, "Nguyễn &lt;Thị&gt; Lan") {
			t.Errorf("%s: the name is not in the text as is and escaped in HTML:\n%s\n%s", kind, text, html)
		}
	}
	// every field offered to staff renders
	fields := Fields()
	if len(fields) != 9 || fields[0] != "{{.Name}}" || fields[len(fields)-1] != "{{.Attached}}" {
		t.Errorf("fields %v", fields)
	}
	if _, err := Parse(attendance.MailCodes, Source{Subject: "s", Text: strings.Join(fields, " ")}); err != nil {
		t.Errorf("a template of every field: %v", err)
	}
	if _, err := Default("spam"); attendance.ErrorCode(err) != attendance.EInvalid {
		t.Errorf("an unknown kind: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "codes.subject.txt"), []byte("Kode kehadiran {{.Code}} untuk {{.EventTitle}}"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, _ := Default(attendance.MailCodes)
	src, err := FromDir(dir, attendance.MailCodes, base)
	if err != nil {
		t.Fatal(err)
	}
	if src.Text != base.Text || src.HTML != base.HTML {
		t.Error("a file missing from the folder did not keep the base's part")
	}
	tp, err := Parse(attendance.MailCodes, src)
	if err != nil {
		t.Fatal(err)
	}
	if s, _, _, _ := tp.Render(Data{Code: "K7QM-4X2P", EventTitle: "Dialog"}); s != "Kode kehadiran K7QM-4X2P untuk Dialog" {
		t.Errorf("event subject %q", s)
	}
}

// TestTemplateErrors: a template that cannot parse or render is refused
// with an error naming its file and line, and the fields staff can use.
func TestTemplateErrors(t *testing.T) {
	base, _ := Default(attendance.MailCertificates)
	for _, c := range []struct {
		name string
		edit func(*Source)
		want string
	}{
		{"unknown field", func(s *Source) { s.Text = "Dear {{.Name}},\n\n{{.Nmae}}" }, "certificates.txt:3"},
		{"unclosed action", func(s *Source) { s.HTML = "<p>{{if .Attached}}attached</p>" }, "certificates.html"},
		{"bad syntax in subject", func(s *Source) { s.Subject = "Your {{.CertificateType" }, "certificates.subject.txt:1"},
		{"empty subject", func(s *Source) { s.Subject = "  " }, "certificates.subject.txt: the subject is empty"},
		{"empty text", func(s *Source) { s.Text = "" }, "certificates.txt: the plain text body is empty"},
		// a field that only fails when the PDF is not attached
		{"branch", func(s *Source) { s.Text = "{{if .Attached}}ok{{else}}{{.Link}}{{end}}" }, "certificates.txt:1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := base
			c.edit(&src)
			_, err := Parse(attendance.MailCertificates, src)
			var ae *attendance.Error
			if !errors.As(err, &ae) || ae.Code != attendance.EInvalid || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse: %v, want an invalid error naming %q", err, c.want)
			}
		})
	}
	// an empty HTML body is allowed: the message goes as plain text only
	src := base
	src.HTML = ""
	if _, err := Parse(attendance.MailCertificates, src); err != nil {
		t.Errorf("empty HTML: %v", err)
	}
}
