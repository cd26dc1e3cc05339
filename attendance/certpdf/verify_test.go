package certpdf

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/rasterizer"
	"rsc.io/qr"
)

// TestQRCodeMatchesVerifyURL rasterises the page and reads every module of
// the QR code back, comparing it with the code of the verification URL.
func TestQRCodeMatchesVerifyURL(t *testing.T) {
	r := testRenderer(t)
	tpl, _ := DefaultTemplate(TypeParticipation)
	p, err := preparePage(tpl)
	if err != nil {
		t.Fatal(err)
	}
	c := sampleCertificate("José Rizal")
	cv, _, _, err := drawTest(t, r, p, c)
	if err != nil {
		t.Fatal(err)
	}
	const dpmm = 12.0
	img := rasterizer.Draw(cv, canvas.DPMM(dpmm), canvas.DefaultColorSpace)
	code, err := qr.Encode(c.VerifyURL, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	n, h := code.Size, img.Bounds().Dy()
	m := qrSize / float64(n+8)
	dark := func(col, row int) bool { // module centre, quiet zone included in col/row offsets
		x := qrX + (float64(col+4)+0.5)*m
		y := qrY + qrSize - (float64(row+4)+0.5)*m
		r, g, b, _ := img.At(int(x*dpmm), h-int(y*dpmm)).RGBA()
		return (r+g+b)/3 < 0x8000
	}
	wrong := 0
	for row := -4; row < n+4; row++ {
		for col := -4; col < n+4; col++ {
			if dark(col, row) != code.Black(col, row) {
				wrong++
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d QR modules differ from the code of %s", wrong, (n+8)*(n+8), c.VerifyURL)
	}
}

// TestQRCodeIsVector checks that a certificate without template images
// holds no raster image: the QR code is drawn as paths.
func TestQRCodeIsVector(t *testing.T) {
	r := testRenderer(t)
	tpl, _ := DefaultTemplate(TypeParticipation)
	var buf bytes.Buffer
	if err := r.Render(context.Background(), &buf, tpl, sampleCertificate("José Rizal")); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("/Image")) {
		t.Error("the PDF holds a raster image; the QR code must be vector paths")
	}
}

// TestPDFInfoKeepsEveryByte renders names whose UTF-16 holds a 0x0D byte
// (Thai ญ, Myanmar ဍ, č), which a literal PDF string would turn into 0x0A,
// and checks the metadata and the cross-reference table.
func TestPDFInfoKeepsEveryByte(t *testing.T) {
	r := testRenderer(t)
	tpl, _ := DefaultTemplate(TypeParticipation)
	name := "ญาณิศา หญิงไทย ဍ Čeněk (a\\b)"
	var buf bytes.Buffer
	if err := r.Render(context.Background(), &buf, tpl, sampleCertificate(name)); err != nil {
		t.Fatal(err)
	}
	pdf := buf.Bytes()
	info := pdfInfo(t, pdf)
	if want := "Certificate of Participation: " + name; info["Title"] != want {
		t.Errorf("Title = %q, want %q", info["Title"], want)
	}
	if bytes.Contains(pdf, []byte("/Title(")) {
		t.Error("Title is a literal string")
	}
	checkXref(t, pdf)

	if pdfinfo, err := exec.LookPath("pdfinfo"); err == nil {
		path := filepath.Join(t.TempDir(), "info.pdf")
		if err := os.WriteFile(path, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(pdfinfo, "-enc", "UTF-8", path).CombinedOutput()
		if err != nil {
			t.Fatalf("pdfinfo: %v: %s", err, out)
		}
		if !strings.Contains(string(out), "Title:           Certificate of Participation: "+name+"\n") {
			t.Errorf("pdfinfo does not show the exact name:\n%s", out)
		}
		if strings.Contains(string(out), "Syntax Error") {
			t.Errorf("pdfinfo reports errors:\n%s", out)
		}
	}
}

// checkXref checks that every in-use entry of the PDF's cross-reference
// table points at its object and that startxref points at the table.
func checkXref(t *testing.T, pdf []byte) {
	t.Helper()
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no startxref at the end")
	}
	at, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(pdf[at:], []byte("xref\n0 ")) {
		t.Fatalf("startxref %d does not point at the xref table", at)
	}
	lines := strings.Split(string(pdf[at:]), "\n")
	var count int
	if _, err := strconv.Atoi(strings.Fields(lines[1])[1]); err != nil {
		t.Fatal(err)
	}
	count, _ = strconv.Atoi(strings.Fields(lines[1])[1])
	for i := 1; i < count; i++ {
		e := lines[2+i]
		off, err := strconv.Atoi(e[:10])
		if err != nil {
			t.Fatalf("xref entry %q: %v", e, err)
		}
		if want := strconv.Itoa(i) + " 0 obj"; !bytes.HasPrefix(pdf[off:], []byte(want)) {
			t.Errorf("xref entry %d points at %q", i, pdf[off:off+min(12, len(pdf)-off)])
		}
	}
}

func TestHexStrings(t *testing.T) {
	in := []byte(`<</Producer(tdewolff/canvas)/Title(a\(b\)\\c` + "\r" + `)>>`)
	got, err := hexStrings(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<</Producer<746465776f6c66662f63616e766173>/Title<612862295c630d>>>`; string(got) != want {
		t.Errorf("hexStrings = %s\nwant          %s", got, want)
	}
	if _, err := hexStrings([]byte(`<</Title(open>>`)); err == nil {
		t.Error("unterminated string accepted")
	}
}
