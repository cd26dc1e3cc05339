package certpdf_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/seameo/rollcall/attendance/certpdf"
)

// A template loaded from a JSON file, as `rollcall certificates render`
// takes it, replacing the default design of its type. (Rendering needs the
// Noto fonts; TestRenderZIP shows RenderZIP on them.)
func ExampleLoadTemplate() {
	dir, err := os.MkdirTemp("", "certpdf-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "participation.json")
	err = os.WriteFile(path, []byte(`{"type": "participation", "title": "Certificate of Participation",
		"body": "This is to certify that\n{{name}}\nhas participated in {{event}} on {{date}}.",
		"colors": {"primary": "#0b3d6e"}}`), 0o600)
	if err != nil {
		log.Fatal(err)
	}
	tpl, err := certpdf.LoadTemplate(path)
	if err != nil {
		log.Fatal(err) // names the file and every bad field
	}
	tpls := certpdf.DefaultTemplates()
	tpls[tpl.Type] = tpl
	fmt.Println(tpl.Type, "·", tpl.Title)

	_, err = certpdf.LoadTemplate(filepath.Join(dir, "missing.json"))
	fmt.Println(err != nil)
	// Output:
	// participation · Certificate of Participation
	// true
}
