package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance/certpdf"
)

// requireCJKFonts is requireFonts with Noto Sans CJK as well.
func requireCJKFonts(t *testing.T) {
	t.Helper()
	requireFonts(t)
	if _, err := os.Stat(filepath.Join(certpdf.DefaultCJKFontDir, "NotoSansCJK-Bold.ttc")); err != nil {
		if os.Getenv("ROLLCALL_REQUIRE_FONTS") != "" {
			t.Fatalf("Noto Sans CJK: %v (install %s; ROLLCALL_REQUIRE_FONTS is set)", err, certpdf.CJKFontPackage)
		}
		t.Skipf("no Noto Sans CJK in %s: install %s (set ROLLCALL_REQUIRE_FONTS to fail instead)", certpdf.DefaultCJKFontDir, certpdf.CJKFontPackage)
	}
}

// TestImportFlagsUnprintableNames: registrations and form imports accept a
// name with a character no installed font has and name its row and the
// characters; a name with a character that never prints is refused with
// its row, and nothing is written.
func TestImportFlagsUnprintableNames(t *testing.T) {
	requireCJKFonts(t)
	c := newCLI(t, filepath.Join(t.TempDir(), "r.db"))
	c.ok("event", "create", "pd", "--title", "Policy Dialogue", "--video", "dQw4w9WgXcQ")

	regs := writeFile(t, "regs.csv", []byte("Full Name,Email\n"+
		"Lim Wei Ling 林慧玲,lim@example.sg\n"+
		"Ana 🥲 Cruz,ana@example.ph\n"+
		"សុខ ដារ៉ា,dara@example.kh\n"+
		"Lim 𗀀,tangut@example.sg\n"))
	code, _, errs := c.run("registrations", "import", "--event", "pd", regs)
	if code != 0 || !strings.Contains(errs, "4 added") {
		t.Fatalf("import: exit %d, %s", code, errs)
	}
	for _, want := range []string{"row 3: no installed font has U+1F972 🥲", "row 5: no font for Tangut script", "2 names flagged as unprintable (rows 3, 5)"} {
		if !strings.Contains(errs, want) {
			t.Errorf("import output lacks %q:\n%s", want, errs)
		}
	}
	if strings.Contains(errs, "row 2:") || strings.Contains(errs, "row 4:") {
		t.Errorf("a printable name was flagged:\n%s", errs)
	}

	private := writeFile(t, "private.csv", []byte("Full Name,Email\nBudi,budi@example.id\nSiti \ue000 Aminah,siti@example.my\n"))
	code, _, errs = c.run("registrations", "import", "--event", "pd", private)
	if code != 2 || !strings.Contains(errs, "row 3") || !strings.Contains(errs, "private-use character (U+E000)") {
		t.Fatalf("private use: exit %d, %s", code, errs)
	}

	form := writeFile(t, "form.csv", []byte("Timestamp,Email Address,Full name\n"+
		"2026-11-20 10:00:00,lim@example.sg,Lim Wei Ling 林慧玲\n"+
		"2026-11-20 10:01:00,ana@example.ph,Ana 🥲 Cruz\n"))
	code, _, errs = c.run("forms", "import", "--event", "pd", form)
	if code != 0 || !strings.Contains(errs, "row 3: no installed font has U+1F972 🥲") || !strings.Contains(errs, "1 names flagged as unprintable (rows 3)") {
		t.Fatalf("form import: exit %d, %s", code, errs)
	}
}
