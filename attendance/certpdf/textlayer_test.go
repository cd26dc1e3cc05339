package certpdf

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// pdftotext returns the path of poppler's pdftotext; without it the test
// is skipped, unless ROLLCALL_REQUIRE_FONTS is set (as in CI).
func pdftotext(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("pdftotext")
	if err != nil {
		msg := "pdftotext not on PATH: install the Debian package poppler-utils (see .ci/run)"
		if os.Getenv("ROLLCALL_REQUIRE_FONTS") != "" {
			t.Fatal(msg + " (ROLLCALL_REQUIRE_FONTS is set)")
		}
		t.Skip(msg)
	}
	return p
}

// extractedLines runs pdftotext on a PDF and returns its non-empty lines.
func extractedLines(t *testing.T, tool string, pdf []byte) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		// pdftotext puts U+202B … U+202C around right-to-left text: they
		// say its direction and are no part of the text (rollcall refuses
		// them in names, see attendance.ValidateText)
		l = strings.NewReplacer("\u202b", "", "\u202c", "").Replace(l)
		if l = strings.TrimSpace(strings.Trim(l, "\f")); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestTextLayerGivesBackTheName renders every seeded name and checks that
// pdftotext gives back the exact NFC name, on a line of its own: shaped
// glyphs of Khmer, Burmese, Tamil and Arabic map back to the wrong
// characters unless the page's text says what they stand for.
func TestTextLayerGivesBackTheName(t *testing.T) {
	r := testRenderer(t)
	tool := pdftotext(t)
	tpl, _ := DefaultTemplate(TypeParticipation)
	for _, tt := range seededNames {
		t.Run(tt.label, func(t *testing.T) {
			var buf bytes.Buffer
			if err := r.Render(context.Background(), &buf, tpl, sampleCertificate(tt.name)); err != nil {
				t.Fatal(err)
			}
			want := norm.NFC.String(tt.name)
			lines := extractedLines(t, tool, buf.Bytes())
			for _, l := range lines {
				if l == want {
					return
				}
			}
			t.Errorf("pdftotext does not give back %q (%+q); its lines:\n%s", want, want, strings.Join(lines, "\n"))
		})
	}
}
