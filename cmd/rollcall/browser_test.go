package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seameo/rollcall/dashboard/browsertest"
)

// TestBrowserDuringDemo runs the real `rollcall demo` (fake YouTube, real
// client, SQLite, dashboard) and drives Debian's chromium through a staff
// member's session while the event plays: sign in with the password demo
// prints once, watch the live viewer number change without a reload, open a
// checkpoint, upload a registration list with a bad row and read the
// line-numbered error, download the certificates CSV. A screenshot of the
// live page is kept as an artefact.
func TestBrowserDuringDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo and a browser")
	}
	exe := browsertest.Chromium(t)
	p, _ := startDemo(t, 30)
	var base, slug, password string
	banner := regexp.MustCompile(`dashboard at (http://[^/\s]+)/events/(\S+)\s+sign in as \S+ with password (\S+)`)
	waitFor(t, 10*time.Second, func() bool {
		m := banner.FindStringSubmatch(p.log())
		if m != nil {
			base, slug, password = m[1], m[2], m[3]
		}
		return m != nil
	})

	br := browsertest.Start(t, exe, 120*time.Second)
	run, text, waitUntil, waitText := br.Run, br.Text, browsertest.WaitUntil, browsertest.WaitText
	// The rejected upload is answered 400 on purpose; the browser reports
	// that status, which is no script or CSP error.
	consoleErrors := br.WatchConsole(false, func(m chromedp.ConsoleMessage) bool {
		return strings.Contains(m.Text, "status of 400") && strings.HasSuffix(m.URL, "/registrations")
	})

	live := base + "/events/" + slug
	run("sign in", chromedp.Navigate(live), chromedp.WaitVisible(chromedp.CSS("#signin")),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), demoAdmin),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Click(chromedp.CSS("#signin")), waitText("h1", "Events"))

	run("live page", chromedp.Navigate(live), waitText("#conn", "live"),
		waitUntil("#viewers", func(s string) bool { return strings.Trim(s, "—- ") != "" && s != "0" }, "a viewer count"))
	before := text("#viewers")
	run("viewer number changes without a reload", waitUntil("#viewers", func(s string) bool { return s != before && s != "" }, "a new viewer count"))
	t.Logf("viewers went from %s to %s during the demo, without a reload", before, text("#viewers"))

	run("open checkpoint", chromedp.SetValue(chromedp.CSS("#cp-word"), "durian"), chromedp.SetValue(chromedp.CSS("#cp-minutes"), "5"),
		chromedp.Click(chromedp.CSS("#cp-open")), waitText("#checkpoints", "durian"), waitText("#conn", "live"))

	dir := os.Getenv("ROLLCALL_ARTIFACT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	run("settle", chromedp.Sleep(500*time.Millisecond))
	shot, err := chromedp.Run(br.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	shotPath := filepath.Join(dir, "demo-live-page.png")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("browser test: screenshot of the live page during the demo: %s\n", shotPath)

	bad := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(bad, []byte("Full name,Email,Country\nAna Santos,ana@example.org,Philippines\nBui Van An,not-an-email,Viet Nam\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run("bad import", chromedp.Navigate(live+"/registrations"), chromedp.WaitVisible(chromedp.CSS("#reg-file")),
		chromedp.SetUploadFiles(chromedp.CSS("#reg-file"), []string{bad}), chromedp.Click(chromedp.CSS("#reg-import")),
		chromedp.WaitVisible(chromedp.CSS("#import-error")))
	if msg := text("#import-error"); !strings.Contains(msg, `people.csv: row 3, column "Email"`) {
		t.Fatalf("import error %q does not name the file, row and column", msg)
	}

	run("certificates page", chromedp.Navigate(live+"/certificates"))
	csv := br.Download("#dl-certificates")
	if !strings.HasPrefix(string(csv), "\ufeff") || !strings.Contains(string(csv), "certificate_type") || !strings.Contains(string(csv), "appreciation") {
		t.Fatalf("downloaded certificates CSV: %.300q", csv)
	}

	if errs := consoleErrors(); len(errs) > 0 {
		t.Fatalf("browser console errors: %q", errs)
	}
}
