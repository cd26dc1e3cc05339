package certpdf

import (
	"bytes"
	"image"
	"image/png"
	"reflect"
	"strings"
	"testing"
)

func TestTemplateFields(t *testing.T) {
	def := DefaultColors()
	for _, tc := range []struct {
		name string
		tpl  Template
		want TemplateFields
	}{
		{name: "defaults fill in", tpl: Template{Title: "T", Body: "{{name}}"},
			want: TemplateFields{Title: "T", Body: "{{name}}", Primary: def.Primary, Accent: def.Accent, Text: def.Text, Background: def.Background}},
		{name: "short and upper-case colours in full", tpl: Template{Title: "T", Body: "B", Colors: Colors{Primary: "#ABC", Accent: "#A87B1D", Text: "#222", Background: "#fff"}},
			want: TemplateFields{Title: "T", Body: "B", Primary: "#aabbcc", Accent: "#a87b1d", Text: "#222222", Background: "#ffffff"}},
		{name: "signatories in their places", tpl: Template{Signatories: []Signatory{{Name: "A", Title: "Director", Signature: []byte("png")}, {Name: "B"}}},
			want: TemplateFields{Primary: def.Primary, Accent: def.Accent, Text: def.Text, Background: def.Background,
				Signatories: [MaxSignatories]SignatoryFields{{Name: "A", Title: "Director"}, {Name: "B"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.tpl.Fields(); got != tc.want {
				t.Errorf("Fields()\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestTemplateWithFields(t *testing.T) {
	img := func(size int) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, size, size))); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	logo, bg, sigA, sigB := img(1), img(2), img(3), img(4)
	old := Template{Type: TypeAppreciation, Title: "Thanks", Body: "{{name}}", Logo: logo, Background: bg,
		Signatories: []Signatory{{Name: "A", Title: "Director", Signature: sigA}, {Name: "B", Title: "Secretary", Signature: sigB}}}
	f := old.Fields()
	f.Title, f.Body, f.Accent = "Certificate of Appreciation", "This certifies that\n{{name}}\nspoke.", "#112233"
	f.Signatories[0] = SignatoryFields{}                          // removed
	f.Signatories[2] = SignatoryFields{Name: "C", Title: "Chair"} // added, no signature
	got, err := old.WithFields(f)
	if err != nil {
		t.Fatal(err)
	}
	want := Template{Type: TypeAppreciation, Title: "Certificate of Appreciation", Body: "This certifies that\n{{name}}\nspoke.",
		Logo: logo, Background: bg, Colors: Colors{Primary: f.Primary, Accent: "#112233", Text: f.Text, Background: f.Background},
		Signatories: []Signatory{{Name: "B", Title: "Secretary", Signature: sigB}, {Name: "C", Title: "Chair"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("WithFields\n got %+v\nwant %+v", got, want)
	}
	if old.Title != "Thanks" || len(old.Signatories) != 2 {
		t.Error("WithFields changed the template it was called on")
	}
	for name, mutate := range map[string]func(*TemplateFields){
		"unknown placeholder": func(f *TemplateFields) { f.Body = "{{nickname}}" },
		"bad colour":          func(f *TemplateFields) { f.Text = "navy" },
	} {
		bad := old.Fields()
		mutate(&bad)
		if _, err := old.WithFields(bad); err == nil || !strings.Contains(err.Error(), "template field") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
