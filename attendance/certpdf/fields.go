package certpdf

import "strings"

// TemplateFields are the parts of a certificate template that staff edit
// in the dashboard's form; the images (logo, background, signatures) are
// set from a file ('rollcall certificates template set') and kept as they
// are.
type TemplateFields struct {
	Title, Body                       string
	Primary, Accent, Text, Background string // colours, #rrggbb as an HTML colour input takes them
	Signatories                       [MaxSignatories]SignatoryFields
}

// SignatoryFields is one signatory of a template in the editor.
type SignatoryFields struct{ Name, Title string }

// Fields returns the template as the editor shows it: every colour given
// in full (#rrggbb), the default colours filling in the ones it leaves
// out, and at most MaxSignatories signatories.
func (t Template) Fields() TemplateFields {
	def := DefaultColors()
	or := func(v, d string) string {
		if v == "" {
			return d
		}
		return fullHex(v)
	}
	f := TemplateFields{Title: t.Title, Body: t.Body, Primary: or(t.Colors.Primary, def.Primary), Accent: or(t.Colors.Accent, def.Accent),
		Text: or(t.Colors.Text, def.Text), Background: or(t.Colors.Background, def.Background)}
	for i, s := range t.Signatories {
		if i < len(f.Signatories) {
			f.Signatories[i] = SignatoryFields{Name: s.Name, Title: s.Title}
		}
	}
	return f
}

// WithFields returns the template with the editor's fields in place of
// its own. The images stay: the logo and background, and the signature of
// each signatory that keeps its place; a signatory with neither name nor
// title is left out. The result is validated.
func (t Template) WithFields(f TemplateFields) (Template, error) {
	out := t
	out.Title, out.Body = f.Title, f.Body
	out.Colors = Colors{Primary: f.Primary, Accent: f.Accent, Text: f.Text, Background: f.Background}
	out.Signatories = nil
	for i, s := range f.Signatories {
		if s.Name == "" && s.Title == "" {
			continue
		}
		sig := Signatory{Name: s.Name, Title: s.Title}
		if i < len(t.Signatories) {
			sig.Signature = t.Signatories[i].Signature
		}
		out.Signatories = append(out.Signatories, sig)
	}
	if err := out.Validate(); err != nil {
		return Template{}, err
	}
	return out, nil
}

// fullHex writes a colour as the #rrggbb an HTML colour input needs.
func fullHex(c string) string {
	if len(c) == 4 && c[0] == '#' {
		return strings.ToLower(string([]byte{'#', c[1], c[1], c[2], c[2], c[3], c[3]}))
	}
	return strings.ToLower(c)
}
