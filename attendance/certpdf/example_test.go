package certpdf_test

import (
	"context"
	"log"
	"os"
	"slices"
	"time"

	"github.com/seameo/rollcall/attendance/certpdf"
)

// Rendering the certificates of an event into one ZIP archive. Certificates
// may come from a slice (slices.Values), a database cursor or a channel,
// as any iter.Seq.
func ExampleRenderer_RenderZIP() {
	r, err := certpdf.NewRenderer("") // the Noto fonts of fonts-noto-core
	if err != nil {
		log.Fatal(err)
	}
	certs := []certpdf.Certificate{{
		ID:         "K7QM4X2P9RTW3V8NHJ6C",
		Type:       certpdf.TypeParticipation,
		FullName:   "สมศักดิ์ ศรีสุข",
		Role:       "participant",
		EventTitle: "SEAMEO Policy Dialogue on Teachers in Southeast Asia",
		Date:       time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC),
		VerifyURL:  "https://rollcall.example.org/verify/K7QM4X2P9RTW3V8NHJ6C",
	}}
	f, err := os.Create("certificates.zip")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	// nil templates: the default Appreciation and Participation designs
	if err := r.RenderZIP(context.Background(), f, nil, slices.Values(certs)); err != nil {
		log.Fatal(err)
	}
}

// A template loaded from a JSON file, as `rollcall certificates render`
// takes it.
func ExampleLoadTemplate() {
	tpl, err := certpdf.LoadTemplate("participation.json")
	if err != nil {
		log.Fatal(err) // names the file and every bad field
	}
	tpls := certpdf.DefaultTemplates()
	tpls[tpl.Type] = tpl
	_ = tpls
}
