package mailtext

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	texttemplate "text/template"

	"github.com/seameo/rollcall/attendance"
)

// Data is what a template may use: {{.Name}}, {{.EventTitle}},
// {{.EventSlug}}, {{.Code}}, {{.CertificateID}}, {{.CertificateType}},
// {{.VerifyURL}}, {{.DownloadURL}} (with --link), {{.Attached}}.
type Data struct {
	Name, EventTitle, EventSlug string
	// Code is the attendance code, formatted for reading (codes and
	// reminders).
	Code string
	// CertificateID is formatted for reading; CertificateType is
	// "Certificate of Participation" or "Certificate of Appreciation".
	CertificateID, CertificateType string
	VerifyURL, DownloadURL         string
	// Attached is true when the PDF is attached.
	Attached bool
}

// Fields are the names Data offers a template, as staff write them
// ("{{.Name}}", …), in Data's order.
func Fields() []string {
	var out []string
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Data]()) {
		out = append(out, "{{."+f.Name+"}}")
	}
	return out
}

// Source is the text of a kind's three templates.
type Source struct {
	Subject, Text, HTML string
}

// Store reads an event's own templates of a kind (the store's
// MailTemplate); ok is false when it has none.
type Store interface {
	MailTemplate(ctx context.Context, eventID int64, kind attendance.MailKind) (t attendance.MailTemplate, ok bool, err error)
}

// Current returns the templates an event's mail of a kind goes out with:
// the event's own (own is then set: who set them and when), else the
// built-in ones (own is nil).
func Current(ctx context.Context, st Store, eventID int64, kind attendance.MailKind) (src Source, own *attendance.MailTemplate, err error) {
	if src, err = Default(kind); err != nil {
		return src, nil, err
	}
	t, ok, err := st.MailTemplate(ctx, eventID, kind)
	if err != nil || !ok {
		return src, nil, err
	}
	return Source{Subject: t.Subject, Text: t.Text, HTML: t.HTML}, &t, nil
}

// Templates are a kind's subject, plain text body and HTML body, parsed.
type Templates struct {
	Subject *texttemplate.Template
	Text    *texttemplate.Template
	HTML    *htmltemplate.Template
}

// Kinds are the kinds of mail that have templates, in the order staff meet
// them: codes before the event, reminders during it, certificates after.
func Kinds() []attendance.MailKind {
	return []attendance.MailKind{attendance.MailCodes, attendance.MailReminders, attendance.MailCertificates}
}

// Default returns a kind's built-in templates.
func Default(kind attendance.MailKind) (Source, error) {
	switch kind {
	case attendance.MailCodes:
		return Source{
			Subject: `Your attendance code for {{.EventTitle}}: {{.Code}}`,
			Text: `Dear {{.Name}},

Thank you for registering for {{.EventTitle}}.

Your personal attendance code is:

    {{.Code}}

During the live stream, type this code once in the YouTube live chat. It
links your chat messages to your registration, so that your attendance can
be recorded for your certificate. Keep it to yourself: it is yours alone.

We look forward to seeing you.
`,
			HTML: `<p>Dear {{.Name}},</p>
<p>Thank you for registering for <strong>{{.EventTitle}}</strong>.</p>
<p>Your personal attendance code is:</p>
<p style="font-size:1.6em;font-family:monospace;letter-spacing:0.1em"><strong>{{.Code}}</strong></p>
<p>During the live stream, type this code once in the YouTube live chat. It links your chat messages to your registration, so that your attendance can be recorded for your certificate. Keep it to yourself: it is yours alone.</p>
<p>We look forward to seeing you.</p>
`}, nil
	case attendance.MailReminders:
		return Source{
			Subject: `Reminder for {{.EventTitle}}: your attendance code {{.Code}}`,
			Text: `Dear {{.Name}},

This is a reminder about {{.EventTitle}}.

To have your attendance recorded for your certificate, type your personal
attendance code once in the YouTube live chat of the stream:

    {{.Code}}

If you have done so already, or have sent the assessment form, thank you:
there is nothing more to do.
`,
			HTML: `<p>Dear {{.Name}},</p>
<p>This is a reminder about <strong>{{.EventTitle}}</strong>.</p>
<p>To have your attendance recorded for your certificate, type your personal attendance code once in the YouTube live chat of the stream:</p>
<p style="font-size:1.6em;font-family:monospace;letter-spacing:0.1em"><strong>{{.Code}}</strong></p>
<p>If you have done so already, or have sent the assessment form, thank you: there is nothing more to do.</p>
`}, nil
	case attendance.MailCertificates:
		return Source{
			Subject: `Your {{.CertificateType}}: {{.EventTitle}}`,
			Text: `Dear {{.Name}},

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
			HTML: `<p>Dear {{.Name}},</p>
<p>Thank you for taking part in <strong>{{.EventTitle}}</strong>.</p>
{{if .Attached}}<p>Your {{.CertificateType}} is attached to this message as a PDF.</p>
{{else}}<p><a href="{{.DownloadURL}}">Download your {{.CertificateType}} (PDF)</a></p>
{{end}}<p>Certificate number: <strong>{{.CertificateID}}</strong><br>
Anyone can check that it is genuine at <a href="{{.VerifyURL}}">{{.VerifyURL}}</a>.</p>
`}, nil
	}
	return Source{}, attendance.Errorf(attendance.EInvalid, "mail kind %q: expected %s", kind, kindList())
}

func kindList() string {
	var s []string
	for _, k := range Kinds() {
		s = append(s, string(k))
	}
	return strings.Join(s, ", ")
}

// FileNames names the files of a kind's templates in a folder:
// KIND.subject.txt, KIND.txt and KIND.html (e.g. codes.txt).
func FileNames(kind attendance.MailKind) [3]string {
	k := string(kind)
	return [3]string{k + ".subject.txt", k + ".txt", k + ".html"}
}

// FromDir returns base with each part replaced by its file in dir, when dir
// is set and holds it (FileNames); a missing file keeps base's part.
func FromDir(dir string, kind attendance.MailKind, base Source) (Source, error) {
	if dir == "" {
		return base, nil
	}
	parts := []*string{&base.Subject, &base.Text, &base.HTML}
	for i, name := range FileNames(kind) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return Source{}, fmt.Errorf("mail template %s: %w", name, err)
		default:
			*parts[i] = string(b)
		}
	}
	return base, nil
}

// Sample is the data a template is tried on before it is kept or used, and
// what a preview shows when no person is chosen.
func Sample(ev attendance.Event) Data {
	title, slug := ev.Title, ev.Slug
	if title == "" {
		title, slug = "Sample Event", "sample"
	}
	return Data{Name: "Sample Name", EventTitle: title, EventSlug: slug, Code: "K7QM-4X2P",
		CertificateID: "ABCD-EFGH-IJKL-MNOP-QRST", CertificateType: "Certificate of Participation",
		VerifyURL: "https://example.org/verify/x", DownloadURL: "https://example.org/verify/x/pdf"}
}

// Parse parses a kind's templates (each named by its file, so an error
// reads "codes.txt:3: …") and tries them on sample data, with and without
// an attachment: a template that cannot render fails here, before anything
// is kept or sent. Errors are attendance.EInvalid.
func Parse(kind attendance.MailKind, src Source) (Templates, error) {
	if _, err := Default(kind); err != nil {
		return Templates{}, err
	}
	names := FileNames(kind)
	if strings.TrimSpace(src.Subject) == "" {
		return Templates{}, attendance.Errorf(attendance.EInvalid, "mail template %s: the subject is empty", names[0])
	}
	if strings.TrimSpace(src.Text) == "" {
		return Templates{}, attendance.Errorf(attendance.EInvalid, "mail template %s: the plain text body is empty", names[1])
	}
	var t Templates
	var err error
	if t.Subject, err = texttemplate.New(names[0]).Option("missingkey=error").Parse(src.Subject); err != nil {
		return Templates{}, attendance.Errorf(attendance.EInvalid, "mail %v", err)
	}
	if t.Text, err = texttemplate.New(names[1]).Option("missingkey=error").Parse(src.Text); err != nil {
		return Templates{}, attendance.Errorf(attendance.EInvalid, "mail %v", err)
	}
	if t.HTML, err = htmltemplate.New(names[2]).Option("missingkey=error").Parse(src.HTML); err != nil {
		return Templates{}, attendance.Errorf(attendance.EInvalid, "mail %v", err)
	}
	for _, attached := range []bool{false, true} {
		d := Sample(attendance.Event{})
		d.Attached = attached
		if _, _, _, err := t.Render(d); err != nil {
			return Templates{}, attendance.Errorf(attendance.EInvalid, "%v", err)
		}
	}
	return t, nil
}

// Render parses a kind's templates (Parse) and fills them with d: for a
// preview, where they are used once.
func (src Source) Render(kind attendance.MailKind, d Data) (subject, text, html string, err error) {
	t, err := Parse(kind, src)
	if err != nil {
		return "", "", "", err
	}
	return t.Render(d)
}

// Render fills the templates: the subject on one line, the plain text and
// the HTML bodies.
func (t Templates) Render(d Data) (subject, text, html string, err error) {
	var b bytes.Buffer
	if err := t.Subject.Execute(&b, d); err != nil {
		return "", "", "", fmt.Errorf("mail template: %w", err)
	}
	subject = strings.Join(strings.Fields(b.String()), " ")
	b.Reset()
	if err := t.Text.Execute(&b, d); err != nil {
		return "", "", "", fmt.Errorf("mail template: %w", err)
	}
	text = b.String()
	b.Reset()
	if err := t.HTML.Execute(&b, d); err != nil {
		return "", "", "", fmt.Errorf("mail template: %w", err)
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
