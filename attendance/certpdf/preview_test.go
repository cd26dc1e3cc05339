package certpdf

import (
	"bytes"
	"context"
	"image/png"
	"testing"
)

func TestRenderPNGPreview(t *testing.T) {
	r := testRenderer(t)
	tpl, _ := DefaultTemplate(TypeAppreciation)
	c := sampleCertificate("ສົມສັກ ພົມມະວົງ")
	var buf bytes.Buffer
	if err := r.RenderPNG(context.Background(), &buf, tpl, c, 50); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// A4 landscape at 50 dpi: 297 mm × 210 mm
	if b := img.Bounds(); b.Dx() < 580 || b.Dx() > 586 || b.Dy() < 411 || b.Dy() > 415 {
		t.Errorf("preview is %v, want about 585×413", b.Size())
	}
	p, _ := preparePage(tpl)
	_, box, _, err := drawTest(t, r, p, c)
	if err != nil {
		t.Fatal(err)
	}
	if ink := inkIn(img, box, 50/25.4, p.accent); ink < 100 {
		t.Errorf("only %d pixels of ink where the name is", ink)
	}
	if err := r.RenderPNG(context.Background(), new(bytes.Buffer), tpl, c, 0); err == nil {
		t.Error("0 dpi accepted")
	}
}
