package certificates

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certpdf"
)

func pngBytes(t *testing.T, size int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, size, size))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestTemplateCodec: a template goes into the store and comes back whole,
// images included; what is kept is validated on the way out.
func TestTemplateCodec(t *testing.T) {
	tpl := certpdf.Template{Type: certpdf.TypeParticipation, Title: "Certificate of Attendance", Body: "This certifies that\n{{name}}\nattended {{event}}.",
		Colors: certpdf.Colors{Text: "#222"}, Logo: pngBytes(t, 4), Background: pngBytes(t, 8),
		Signatories: []certpdf.Signatory{{Name: "Dr. Somsak", Title: "Director", Signature: pngBytes(t, 2)}, {Name: "Mai", Title: "Secretary"}}}
	body, err := encodeTemplate(tpl)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeTemplate(body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, tpl) {
		t.Fatalf("round trip\n got %+v\nwant %+v", got, tpl)
	}
	for name, bad := range map[string]string{
		"not json":            `{"title":`,
		"unknown placeholder": `{"type":"participation","title":"x","body":"{{nickname}}"}`,
		"bad colour":          `{"type":"participation","title":"x","body":"{{name}}","colors":{"text":"navy"}}`,
	} {
		if _, err := decodeTemplate(bad); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// TestTemplatePrecedence: the defaults, then the event's own, then the
// files of a template folder.
func TestTemplatePrecedence(t *testing.T) {
	own := certpdf.Template{Type: certpdf.TypeParticipation, Title: "Own participation", Body: "{{name}}"}
	ownBody, err := encodeTemplate(own)
	if err != nil {
		t.Fatal(err)
	}
	ownApp := own
	ownApp.Type, ownApp.Title = certpdf.TypeAppreciation, "Own appreciation"
	ownAppBody, _ := encodeTemplate(ownApp)
	dir := writeTemplateDir(t, map[string]string{"appreciation.json": `{"type":"appreciation","title":"File appreciation","body":"{{name}}"}`})
	def := certpdf.DefaultTemplates()

	for _, tc := range []struct {
		name   string
		stored map[string]string
		dir    string
		want   map[certpdf.Type]string // titles
	}{
		{name: "defaults", want: map[certpdf.Type]string{"appreciation": def["appreciation"].Title, "participation": def["participation"].Title}},
		{name: "the event's own win over the defaults", stored: map[string]string{"participation": ownBody},
			want: map[certpdf.Type]string{"appreciation": def["appreciation"].Title, "participation": "Own participation"}},
		{name: "a folder's files win over the event's own", stored: map[string]string{"participation": ownBody, "appreciation": ownAppBody}, dir: dir,
			want: map[certpdf.Type]string{"appreciation": "File appreciation", "participation": "Own participation"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := &fakeStore{event: attendance.Event{ID: 3}, templates: tc.stored}
			tpls, err := New(fs, Config{TemplateDir: tc.dir}).Templates(t.Context(), 3)
			if err != nil {
				t.Fatal(err)
			}
			got := map[certpdf.Type]string{}
			for typ, tpl := range tpls {
				got[typ] = tpl.Title
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("titles %v, want %v", got, tc.want)
			}
			// the editor never shows a folder's template
			f, err := New(fs, Config{TemplateDir: tc.dir}).Template(t.Context(), 3, "appreciation")
			if err != nil || f.Title == "File appreciation" {
				t.Errorf("editor shows %q (%v)", f.Title, err)
			}
		})
	}

	fs := &fakeStore{event: attendance.Event{ID: 3}, templates: map[string]string{"participation": `{"title":"x","body":"{{nickname}}"}`}}
	if _, err := New(fs, Config{}).Templates(t.Context(), 3); err == nil || !strings.Contains(err.Error(), "stored participation template of event 3") {
		t.Errorf("a bad stored template: %v", err)
	}
}

func TestReadTemplateDir(t *testing.T) {
	if tpls, err := ReadTemplateDir(""); err != nil || len(tpls) != 0 {
		t.Fatalf("no folder: %v %v", tpls, err)
	}
	dir := writeTemplateDir(t, map[string]string{"participation.json": `{"type":"participation","title":"Attendance","body":"{{name}}"}`, "gold.json": `{}`})
	tpls, err := ReadTemplateDir(dir)
	if err != nil || len(tpls) != 1 || tpls[certpdf.TypeParticipation].Type != certpdf.TypeParticipation || tpls[certpdf.TypeParticipation].Title != "Attendance" {
		t.Fatalf("read %+v %v", tpls, err)
	}
	file := filepath.Join(dir, "participation.json")
	for name, tc := range map[string]struct{ dir, want string }{
		"not a folder":  {dir: file, want: "not a folder"},
		"no such path":  {dir: filepath.Join(dir, "nope"), want: "not a folder"},
		"type mismatch": {dir: writeTemplateDir(t, map[string]string{"appreciation.json": `{"type":"participation","title":"x","body":"{{name}}"}`}), want: `template type "participation", want "appreciation"`},
		"bad template":  {dir: writeTemplateDir(t, map[string]string{"appreciation.json": `{"type":"appreciation","title":"x","body":"{{nickname}}"}`}), want: "nickname"},
	} {
		_, err := ReadTemplateDir(tc.dir)
		if attendance.ErrorCode(err) != attendance.EInvalid || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want EInvalid with %q", name, err, tc.want)
		}
	}
	if err := os.WriteFile(file, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadTemplateDir(dir); attendance.ErrorCode(err) != attendance.EInvalid {
		t.Errorf("broken JSON: %v", err)
	}
}

// TestTemplateEditor saves the dashboard editor's fields over a template
// set from a file, in the real store: the logo stays, the fields change.
func TestTemplateEditor(t *testing.T) {
	ce := newCertEvent(t)
	ctx := t.Context()
	logo := pngBytes(t, 4)
	svc := New(ce.st, Config{PublicURL: "https://certs.example.org"})
	if err := svc.SetTemplate(ctx, ce.event.ID, certpdf.Template{Type: certpdf.TypeAppreciation, Title: "Thanks", Body: "{{name}}", Logo: logo,
		Colors: certpdf.Colors{Text: "#222"}}, "mai"); err != nil {
		t.Fatal(err)
	}
	f, err := svc.Template(ctx, ce.event.ID, "appreciation")
	if err != nil || f.Title != "Thanks" || f.Text != "#222222" || f.Primary != certpdf.DefaultColors().Primary {
		t.Fatalf("editor fields %+v %v", f, err)
	}
	f.Title = "Certificate of Appreciation"
	f.Signatories[1] = certpdf.SignatoryFields{Name: "Dr. Somsak", Title: "Director"}
	if err := svc.SaveTemplate(ctx, ce.event.ID, "appreciation", f, "mai"); err != nil {
		t.Fatal(err)
	}
	tpls, err := svc.Templates(ctx, ce.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := tpls[certpdf.TypeAppreciation]
	if got.Title != "Certificate of Appreciation" || !bytes.Equal(got.Logo, logo) || len(got.Signatories) != 1 || got.Signatories[0].Name != "Dr. Somsak" {
		t.Fatalf("saved template %+v", got)
	}
	f.Body = "{{nickname}}"
	if err := svc.SaveTemplate(ctx, ce.event.ID, "appreciation", f, "mai"); attendance.ErrorCode(err) != attendance.EInvalid || !strings.Contains(err.Error(), "nickname") {
		t.Fatalf("bad body: %v", err)
	}
	if _, err := svc.Template(ctx, ce.event.ID, "gold"); attendance.ErrorCode(err) != attendance.ENotFound {
		t.Errorf("unknown type: %v", err)
	}
	if err := svc.SaveTemplate(ctx, ce.event.ID, "gold", f, "mai"); attendance.ErrorCode(err) != attendance.ENotFound {
		t.Errorf("save of an unknown type: %v", err)
	}
	if had, err := svc.ResetTemplate(ctx, ce.event.ID, "appreciation", "mai"); !had || err != nil {
		t.Fatalf("reset: %v %v", had, err)
	}
	if f, err := svc.Template(ctx, ce.event.ID, "appreciation"); err != nil || f.Title != certpdf.DefaultTemplates()[certpdf.TypeAppreciation].Title {
		t.Errorf("after reset the editor shows %q (%v)", f.Title, err)
	}
}
