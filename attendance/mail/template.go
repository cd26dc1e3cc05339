package mail

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"

	"github.com/seameo/rollcall/attendance"
)

// TemplateData is what a template may use: {{.Name}}, {{.EventTitle}},
// {{.Code}}, {{.CertificateID}}, {{.CertificateType}}, {{.VerifyURL}},
// {{.DownloadURL}} (with --link), {{.Attached}}.
type TemplateData struct {
	Name, EventTitle, EventSlug string
	// Code is the attendance code, formatted for reading (codes mail).
	Code string
	// CertificateID is formatted for reading; CertificateType is
	// "Certificate of Participation" or "Certificate of Appreciation".
	CertificateID, CertificateType string
	VerifyURL, DownloadURL         string
	// Attached is true when the PDF is attached.
	Attached bool
}

// Templates are a kind's subject, plain text body and HTML body.
type Templates struct {
	Subject *texttemplate.Template
	Text    *texttemplate.Template
	HTML    *htmltemplate.Template
}

// The built-in templates of each kind.
var defaultSources = map[attendance.MailKind][3]string{
	attendance.MailCodes: {
		`Your attendance code for {{.EventTitle}}: {{.Code}}`,
		`Dear {{.Name}},

Thank you for registering for {{.EventTitle}}.

Your personal attendance code is:

    {{.Code}}

During the live stream, type this code once in the YouTube live chat. It
links your chat messages to your registration, so that your attendance can
be recorded for your certificate. Keep it to yourself: it is yours alone.

We look forward to seeing you.
`,
		`<p>Dear {{.Name}},</p>
<p>Thank you for registering for <strong>{{.EventTitle}}</strong>.</p>
<p>Your personal attendance code is:</p>
<p style="font-size:1.6em;font-family:monospace;letter-spacing:0.1em"><strong>{{.Code}}</strong></p>
<p>During the live stream, type this code once in the YouTube live chat. It links your chat messages to your registration, so that your attendance can be recorded for your certificate. Keep it to yourself: it is yours alone.</p>
<p>We look forward to seeing you.</p>
`},
	attendance.MailCertificates: {
		`Your {{.CertificateType}}: {{.EventTitle}}`,
		`Dear {{.Name}},

Thank you for taking part in {{.EventTitle}}.
{{if .Attached}}
Your {{.CertificateType}} is attached to this message as a PDF.
{{else}}
Download your {{.CertificateType}} (PDF) here:

    {{.DownloadURL}}
{{end}}
Certificate number: {{.CertificateID}}
Anyone can check that it is genuine at:

    {{.VerifyURL}}
`,
		`<p>Dear {{.Name}},</p>
<p>Thank you for taking part in <strong>{{.EventTitle}}</strong>.</p>
{{if .Attached}}<p>Your {{.CertificateType}} is attached to this message as a PDF.</p>
{{else}}<p><a href="{{.DownloadURL}}">Download your {{.CertificateType}} (PDF)</a></p>
{{end}}<p>Certificate number: <strong>{{.CertificateID}}</strong><br>
Anyone can check that it is genuine at <a href="{{.VerifyURL}}">{{.VerifyURL}}</a>.</p>
`},
}

// TemplateFiles names the files of a kind's templates in a folder:
// KIND.subject.txt, KIND.txt and KIND.html (e.g. codes.txt). A missing
// file keeps the built-in template.
func TemplateFiles(kind attendance.MailKind) [3]string {
	k := string(kind)
	return [3]string{k + ".subject.txt", k + ".txt", k + ".html"}
}

// LoadTemplates returns the templates of a kind: the built-in ones, each
// replaced by its file in dir when dir is set and holds it
// (TemplateFiles). Each template is tried on sample data, so a template
// that cannot render fails here, before anything is sent.
func LoadTemplates(dir string, kind attendance.MailKind) (Templates, error) {
	src, ok := defaultSources[kind]
	if !ok {
		return Templates{}, fmt.Errorf("mail: no templates for kind %q", kind)
	}
	if dir != "" {
		for i, name := range TemplateFiles(kind) {
			b, err := os.ReadFile(filepath.Join(dir, name))
			switch {
			case errors.Is(err, fs.ErrNotExist):
			case err != nil:
				return Templates{}, fmt.Errorf("mail: template %s: %w", name, err)
			default:
				src[i] = string(b)
			}
		}
	}
	var t Templates
	var err error
	names := TemplateFiles(kind)
	if t.Subject, err = texttemplate.New(names[0]).Option("missingkey=error").Parse(src[0]); err != nil {
		return Templates{}, fmt.Errorf("mail: template %s: %w", names[0], err)
	}
	if t.Text, err = texttemplate.New(names[1]).Option("missingkey=error").Parse(src[1]); err != nil {
		return Templates{}, fmt.Errorf("mail: template %s: %w", names[1], err)
	}
	if t.HTML, err = htmltemplate.New(names[2]).Option("missingkey=error").Parse(src[2]); err != nil {
		return Templates{}, fmt.Errorf("mail: template %s: %w", names[2], err)
	}
	sample := TemplateData{Name: "Sample Name", EventTitle: "Sample Event", EventSlug: "sample", Code: "K7QM-4X2P",
		CertificateID: "ABCD-EFGH-IJKL-MNOP-QRST", CertificateType: "Certificate of Participation",
		VerifyURL: "https://example.org/verify/x", DownloadURL: "https://example.org/verify/x/pdf"}
	if _, _, _, err := t.Render(sample); err != nil {
		return Templates{}, err
	}
	return t, nil
}

// Render fills the templates: the subject on one line, the plain text and
// the HTML bodies.
func (t Templates) Render(d TemplateData) (subject, text, html string, err error) {
	var b bytes.Buffer
	if err := t.Subject.Execute(&b, d); err != nil {
		return "", "", "", fmt.Errorf("mail: subject: %w", err)
	}
	subject = strings.Join(strings.Fields(b.String()), " ")
	b.Reset()
	if err := t.Text.Execute(&b, d); err != nil {
		return "", "", "", fmt.Errorf("mail: text body: %w", err)
	}
	text = b.String()
	b.Reset()
	if err := t.HTML.Execute(&b, d); err != nil {
		return "", "", "", fmt.Errorf("mail: html body: %w", err)
	}
	return subject, text, b.String(), nil
}

// CertificateTypeName is how a message names a certificate type.
func CertificateTypeName(t attendance.CertificateType) string {
	switch t {
	case attendance.CertAppreciation:
		return "Certificate of Appreciation"
	default:
		return "Certificate of Participation"
	}
}
