package certpdf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
)

// Type is the kind of certificate, as decided by the eligibility policy.
type Type string

// The certificate types of DESIGN.md.
const (
	TypeAppreciation  Type = "appreciation"
	TypeParticipation Type = "participation"
)

// MaxSignatories is the number of signatories a template may have.
const MaxSignatories = 3

// Placeholders a template's body may use.
const (
	PlaceholderName  = "{{name}}"
	PlaceholderEvent = "{{event}}"
	PlaceholderDate  = "{{date}}"
	PlaceholderRole  = "{{role}}"
)

// Template is the design of one certificate type for one event.
type Template struct {
	Type  Type   `json:"type"`
	Title string `json:"title"`
	// Body is the text under the title. The first {{name}} splits it: the
	// text before is printed above the name, the name is printed large on a
	// line of its own, the rest below. {{event}}, {{date}} and {{role}} are
	// replaced; a newline starts a new paragraph.
	Body        string      `json:"body"`
	Signatories []Signatory `json:"signatories,omitempty"`
	// Logo and Background are PNG or JPEG images; Background is stretched
	// over the whole page. Both are optional.
	Logo       []byte `json:"-"`
	Background []byte `json:"-"`
	Colors     Colors `json:"colors"`
}

// Signatory is a person who signs the certificate.
type Signatory struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Signature is a PNG or JPEG image of the signature, preferably on a
	// transparent background; optional.
	Signature []byte `json:"-"`
}

// Colors are the template's colours as hex strings ("#0b4f8a" or "#fff").
type Colors struct {
	Primary    string `json:"primary"`    // title and frame
	Accent     string `json:"accent"`     // the name and ornaments
	Text       string `json:"text"`       // body, signatories, small print
	Background string `json:"background"` // page colour when there is no background image
}

// DefaultColors returns the secretariat's navy and gold, which fill in the
// colours a template leaves out.
func DefaultColors() Colors {
	return Colors{Primary: "#0b3d6e", Accent: "#a87b1d", Text: "#222222", Background: "#fffdf7"}
}

// DefaultTemplate returns the built-in template of a certificate type, in
// the secretariat's style: a navy frame, a gold name, no images. ok is false
// for an unknown type.
func DefaultTemplate(t Type) (tpl Template, ok bool) {
	switch t {
	case TypeAppreciation:
		return Template{
			Type:   TypeAppreciation,
			Title:  "Certificate of Appreciation",
			Body:   "This certificate is presented to\n{{name}}\nin grateful recognition of the valuable contribution as {{role}}\nto {{event}}, held on {{date}}.",
			Colors: DefaultColors(),
		}, true
	case TypeParticipation:
		return Template{
			Type:   TypeParticipation,
			Title:  "Certificate of Participation",
			Body:   "This is to certify that\n{{name}}\nhas participated in {{event}}, held on {{date}}.",
			Colors: DefaultColors(),
		}, true
	}
	return Template{}, false
}

// DefaultTemplates returns the built-in templates of every certificate type,
// ready for RenderZIP.
func DefaultTemplates() map[Type]Template {
	a, _ := DefaultTemplate(TypeAppreciation)
	p, _ := DefaultTemplate(TypeParticipation)
	return map[Type]Template{TypeAppreciation: a, TypeParticipation: p}
}

// FieldError is a validation error of one template field.
type FieldError struct {
	Field  string // JSON path of the field, e.g. "signatories[1].name"
	Reason string
}

// Error names the field.
func (e *FieldError) Error() string { return "template field " + e.Field + ": " + e.Reason }

// Validate checks the template and returns every problem found, each as a
// *FieldError, joined with errors.Join.
func (t Template) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	switch t.Type {
	case TypeAppreciation, TypeParticipation:
	case "":
		bad("type", "missing; want %q or %q", TypeAppreciation, TypeParticipation)
	default:
		bad("type", "%q is not a certificate type; want %q or %q", t.Type, TypeAppreciation, TypeParticipation)
	}
	if strings.TrimSpace(t.Title) == "" {
		bad("title", "missing")
	}
	for _, p := range unknownPlaceholders(t.Body) {
		bad("body", "unknown placeholder %s; known are {{name}}, {{event}}, {{date}}, {{role}}", p)
	}
	if len(t.Signatories) > MaxSignatories {
		bad("signatories", "%d given, at most %d allowed", len(t.Signatories), MaxSignatories)
	}
	for i, s := range t.Signatories {
		if strings.TrimSpace(s.Name) == "" {
			bad(fmt.Sprintf("signatories[%d].name", i), "missing")
		}
		if len(s.Signature) > 0 {
			if _, err := decodeImage(s.Signature); err != nil {
				bad(fmt.Sprintf("signatories[%d].signature", i), "%v", err)
			}
		}
	}
	if len(t.Logo) > 0 {
		if _, err := decodeImage(t.Logo); err != nil {
			bad("logo", "%v", err)
		}
	}
	if len(t.Background) > 0 {
		if _, err := decodeImage(t.Background); err != nil {
			bad("background", "%v", err)
		}
	}
	for _, c := range []struct{ field, value string }{
		{"colors.primary", t.Colors.Primary}, {"colors.accent", t.Colors.Accent},
		{"colors.text", t.Colors.Text}, {"colors.background", t.Colors.Background},
	} {
		if c.value == "" {
			continue // the default colour is used
		}
		if _, err := parseHex(c.value); err != nil {
			bad(c.field, "%v", err)
		}
	}
	return errors.Join(errs...)
}

// unknownPlaceholders returns the {{…}} tokens of body that are not known.
func unknownPlaceholders(body string) []string {
	var out []string
	for rest := body; ; {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return out
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return append(out, rest[i:])
		}
		p := rest[i : i+j+2]
		switch p {
		case PlaceholderName, PlaceholderEvent, PlaceholderDate, PlaceholderRole:
		default:
			out = append(out, p)
		}
		rest = rest[i+j+2:]
	}
}

// parseHex parses "#rgb" or "#rrggbb".
func parseHex(s string) (color.RGBA, error) {
	h := strings.TrimPrefix(strings.TrimSpace(s), "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	var c color.RGBA
	if len(h) != 6 {
		return c, fmt.Errorf("%q is not a hex colour like #0b3d6e", s)
	}
	var v [3]byte
	for i := range v {
		hi, ok1 := hexDigit(h[2*i])
		lo, ok2 := hexDigit(h[2*i+1])
		if !ok1 || !ok2 {
			return c, fmt.Errorf("%q is not a hex colour like #0b3d6e", s)
		}
		v[i] = hi<<4 | lo
	}
	return color.RGBA{R: v[0], G: v[1], B: v[2], A: 0xff}, nil
}

func hexDigit(b byte) (byte, bool) {
	switch {
	case '0' <= b && b <= '9':
		return b - '0', true
	case 'a' <= b && b <= 'f':
		return b - 'a' + 10, true
	case 'A' <= b && b <= 'F':
		return b - 'A' + 10, true
	}
	return 0, false
}

// templateFile is the JSON form of a Template: images are file paths,
// relative to the JSON file.
type templateFile struct {
	Type        Type            `json:"type"`
	Title       string          `json:"title"`
	Body        string          `json:"body"`
	Logo        string          `json:"logo"`
	Background  string          `json:"background"`
	Colors      Colors          `json:"colors"`
	Signatories []signatoryFile `json:"signatories"`
}

type signatoryFile struct {
	Name      string `json:"name"`
	Title     string `json:"title"`
	Signature string `json:"signature"`
}

// LoadTemplate reads a template from a JSON file such as
//
//	{"type": "participation", "title": "Certificate of Participation",
//	 "body": "This is to certify that\n{{name}}\nhas participated in {{event}} on {{date}}.",
//	 "logo": "logo.png", "background": "paper.jpg",
//	 "colors": {"primary": "#0b3d6e", "accent": "#a87b1d", "text": "#222", "background": "#fffdf7"},
//	 "signatories": [{"name": "…", "title": "Director", "signature": "director.png"}]}
//
// Image paths are relative to the JSON file. Colours left out take the
// defaults. The template is validated; errors name the field.
func LoadTemplate(path string) (Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Template{}, fmt.Errorf("certpdf: read template: %w", err)
	}
	var f templateFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Template{}, fmt.Errorf("certpdf: template %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	var errs []error
	readImage := func(field, name string) []byte {
		if name == "" {
			return nil
		}
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		b, err := os.ReadFile(name)
		if err != nil {
			errs = append(errs, &FieldError{Field: field, Reason: err.Error()})
		}
		return b
	}
	t := Template{
		Type:       f.Type,
		Title:      f.Title,
		Body:       f.Body,
		Colors:     f.Colors,
		Logo:       readImage("logo", f.Logo),
		Background: readImage("background", f.Background),
	}
	for i, s := range f.Signatories {
		t.Signatories = append(t.Signatories, Signatory{
			Name:      s.Name,
			Title:     s.Title,
			Signature: readImage(fmt.Sprintf("signatories[%d].signature", i), s.Signature),
		})
	}
	if err := errors.Join(append(errs, t.Validate())...); err != nil {
		return Template{}, fmt.Errorf("certpdf: template %s: %w", path, err)
	}
	return t, nil
}
