package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium; without it the test is skipped,
// unless ROLLCALL_REQUIRE_BROWSER=1 (CI), where it fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("ROLLCALL_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("ROLLCALL_REQUIRE_BROWSER") == "1" {
		t.Fatal("chromium not found and ROLLCALL_REQUIRE_BROWSER=1: apt-get install -y chromium")
	}
	t.Skip("chromium not found: apt-get install -y chromium to run the browser test")
	return ""
}

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
	exe := chromiumPath(t)
	bin := binary(t)
	cmd := exec.Command(bin, "demo", "--listen", "127.0.0.1:0", "--speed", "30", "--log-json", "--db", filepath.Join(t.TempDir(), "demo.db"))
	cmd.Env = os.Environ()
	p := startProc(t, cmd)
	select {
	case <-p.addr:
	case err := <-p.done:
		t.Fatalf("demo exited: %v\n%s", err, p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("demo did not listen\n%s", p.log())
	}
	var base, slug, password string
	banner := regexp.MustCompile(`dashboard at (http://[^/\s]+)/events/(\S+)\s+sign in as \S+ with password (\S+)`)
	waitFor(t, 10*time.Second, func() bool {
		m := banner.FindStringSubmatch(p.log())
		if m != nil {
			base, slug, password = m[1], m[2], m[3]
		}
		return m != nil
	})

	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1100),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true)}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()
	bctx, cancelTimeout := context.WithTimeout(bctx, 120*time.Second)
	defer cancelTimeout()

	run := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	waitUntil := func(sel string, ok func(string) bool, what string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			var got string
			var err error
			for {
				qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				got, err = chromedp.Text(chromedp.CSS(sel))(qctx, tg)
				cancel()
				if err == nil && ok(got) {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("%s shows %q (%v), waited for %s: %w", sel, got, err, what, ctx.Err())
				case <-time.After(100 * time.Millisecond):
				}
			}
		})
	}
	waitText := func(sel, want string) chromedp.Action[chromedp.Void] {
		return waitUntil(sel, func(s string) bool { return strings.Contains(s, want) }, fmt.Sprintf("%q", want))
	}

	var consoleMu sync.Mutex
	var console []string
	run("start the browser")
	go func() {
		for m, err := range chromedp.Console(bctx) {
			if err != nil {
				return
			}
			// The rejected upload is answered 400 on purpose; the browser
			// reports that status, which is no script or CSP error.
			if strings.Contains(m.Text, "status of 400") && strings.HasSuffix(m.URL, "/registrations") {
				continue
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				consoleMu.Lock()
				console = append(console, string(m.Type)+": "+m.Text+" "+m.URL)
				consoleMu.Unlock()
			}
		}
	}()

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
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
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

	downloads := t.TempDir()
	run("certificates page", chromedp.Navigate(live+"/certificates"))
	yes := true
	if _, err := chromedp.CallBrowser(bctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &yes}); err != nil {
		t.Fatal(err)
	}
	progress := chromedp.BrowserEvents(bctx, browser.DownloadProgress)
	run("download", chromedp.Click(chromedp.CSS("#dl-certificates")))
	var guid string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			guid = ev.GUID
			break
		}
	}
	csv, err := os.ReadFile(filepath.Join(downloads, guid))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(csv), "\ufeff") || !strings.Contains(string(csv), "certificate_type") || !strings.Contains(string(csv), "appreciation") {
		t.Fatalf("downloaded certificates CSV: %.300q", csv)
	}

	consoleMu.Lock()
	defer consoleMu.Unlock()
	if len(console) > 0 {
		t.Fatalf("browser console errors: %q", console)
	}
}
