package certpdf

import (
	"errors"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultTemplates(t *testing.T) {
	for typ, title := range map[Type]string{
		TypeAppreciation:  "Certificate of Appreciation",
		TypeParticipation: "Certificate of Participation",
	} {
		tpl, ok := DefaultTemplate(typ)
		if !ok || tpl.Title != title || tpl.Type != typ {
			t.Errorf("DefaultTemplate(%s) = %q %v", typ, tpl.Title, ok)
		}
		if err := tpl.Validate(); err != nil {
			t.Errorf("default %s template: %v", typ, err)
		}
		if !strings.Contains(tpl.Body, PlaceholderName) || !strings.Contains(tpl.Body, PlaceholderEvent) || !strings.Contains(tpl.Body, PlaceholderDate) {
			t.Errorf("default %s body lacks a placeholder: %q", typ, tpl.Body)
		}
	}
	if _, ok := DefaultTemplate("gratitude"); ok {
		t.Error("DefaultTemplate of an unknown type is ok")
	}
}

func writeFile(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadTemplate(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "logo.png", testPNG(t, 40, 20, color.RGBA{0, 0, 0xff, 0xff}))
	writeFile(t, dir, "sig.png", testPNG(t, 40, 20, color.RGBA{0, 0, 0, 0xff}))
	writeFile(t, dir, "ok.json", []byte(`{
		"type": "participation",
		"title": "Certificate of Participation",
		"body": "This is to certify that\n{{name}}\nattended {{event}} on {{date}} as {{role}}.",
		"logo": "logo.png",
		"colors": {"primary": "#0b3d6e", "accent": "#A87B1D", "text": "#222"},
		"signatories": [{"name": "Dr. Ethel Agnes P. Valenzuela", "title": "Director", "signature": "sig.png"}]
	}`))
	tpl, err := LoadTemplate(filepath.Join(dir, "ok.json"))
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Type != TypeParticipation || len(tpl.Logo) == 0 || len(tpl.Signatories) != 1 || len(tpl.Signatories[0].Signature) == 0 {
		t.Errorf("loaded template = %+v", tpl)
	}

	tests := []struct {
		name   string
		json   string
		fields []string // every field the error must name
	}{
		{"unknown type", `{"type": "gratitude", "title": "x"}`, []string{"type"}},
		{"missing type and title", `{"body": "{{name}}"}`, []string{"type", "title"}},
		{"unknown placeholder", `{"type": "appreciation", "title": "x", "body": "to {{nmae}} for {{event}}"}`, []string{"body", "{{nmae}}"}},
		{"bad colour", `{"type": "appreciation", "title": "x", "colors": {"accent": "gold"}}`, []string{"colors.accent"}},
		{"four signatories", `{"type": "appreciation", "title": "x", "signatories": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}]}`, []string{"signatories"}},
		{"signatory without a name", `{"type": "appreciation", "title": "x", "signatories": [{"title": "Director"}]}`, []string{"signatories[0].name"}},
		{"missing image file", `{"type": "appreciation", "title": "x", "background": "nope.jpg"}`, []string{"background"}},
		{"image that is not one", `{"type": "appreciation", "title": "x", "logo": "ok.json"}`, []string{"logo"}},
		{"unknown field", `{"type": "appreciation", "title": "x", "colour": {}}`, []string{"colour"}},
		{"not json", `{"type": `, []string{"bad.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeFile(t, dir, "bad.json", []byte(tt.json))
			_, err := LoadTemplate(filepath.Join(dir, "bad.json"))
			if err == nil {
				t.Fatal("LoadTemplate succeeded")
			}
			for _, f := range tt.fields {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q does not name %s", err, f)
				}
			}
		})
	}

	t.Run("field errors are typed", func(t *testing.T) {
		err := Template{Type: "appreciation", Colors: Colors{Primary: "#12345"}}.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("Validate = %v, want a *FieldError", err)
		}
	})
}

func TestParseHex(t *testing.T) {
	for in, want := range map[string]color.RGBA{
		"#0b3d6e": {0x0b, 0x3d, 0x6e, 0xff},
		"#FFF":    {0xff, 0xff, 0xff, 0xff},
		"a87b1d":  {0xa8, 0x7b, 0x1d, 0xff},
	} {
		if got, err := parseHex(in); err != nil || got != want {
			t.Errorf("parseHex(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "#12", "#12345", "#gggggg", "navy"} {
		if _, err := parseHex(in); err == nil {
			t.Errorf("parseHex(%q) succeeded", in)
		}
	}
}

func TestFill(t *testing.T) {
	c := sampleCertificate("x")
	c.Role = "speaker"
	got := fill("{{role}} at {{event}} on {{date}}: {{name}}", c, "Trần Thị Hương")
	want := "Speaker at SEAMEO Policy Dialogue on Teachers in Southeast Asia on 28 November 2026: Trần Thị Hương"
	if got != want {
		t.Errorf("fill = %q, want %q", got, want)
	}
	c.Role, c.DateLayout = "Keynote Speaker", "02/01/2006"
	if got := fill("{{role}} {{date}}", c, ""); got != "Keynote Speaker 28/11/2026" {
		t.Errorf("fill = %q", got)
	}
}
