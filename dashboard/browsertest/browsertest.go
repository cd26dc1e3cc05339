// Package browsertest drives Debian's chromium through chromedp for
// rollcall's browser tests: finding the browser, starting it headless with
// the flags this closed network needs, waiting for text, collecting console
// errors and catching downloads. Only tests import it.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// Chromium returns the path of Debian's chromium (or $ROLLCALL_CHROMIUM).
// Without one the test is skipped, unless ROLLCALL_REQUIRE_BROWSER=1 (CI),
// where it fails.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("ROLLCALL_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("ROLLCALL_REQUIRE_BROWSER") == "1" {
		t.Fatal("chromium not found and ROLLCALL_REQUIRE_BROWSER=1: install it (apt-get install -y chromium)")
	}
	t.Skip("chromium not found: install it (apt-get install -y chromium) to run the browser test")
	return ""
}

// Browser is one headless chromium for a test, stopped when the test ends.
type Browser struct {
	t   testing.TB
	Ctx context.Context
}

// Start starts chromium headless (no sandbox, no background networking, a
// fresh profile) with the whole session bounded by timeout.
func Start(t testing.TB, exe string, timeout time.Duration) *Browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1100),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true)}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	bctx, cancelTimeout := context.WithTimeout(bctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	b := &Browser{t: t, Ctx: bctx}
	b.Run("start the browser") // before anything listens to it: one start, not two at once
	return b
}

// Run performs steps, failing the test with name when one fails.
func (b *Browser) Run(name string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
}

// Text returns the text of the element sel.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// WaitUntil waits until the text of sel satisfies ok; what names the wait in
// errors.
func WaitUntil(sel string, ok func(string) bool, what string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		var got string
		var err error
		for {
			// A page between two documents answers with an error: ask again.
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

// WaitText waits until the text of sel contains want.
func WaitText(sel, want string) chromedp.Action[chromedp.Void] {
	return WaitUntil(sel, func(s string) bool { return strings.Contains(s, want) }, fmt.Sprintf("%q", want))
}

// WatchConsole keeps the browser's console errors and exceptions (and
// warnings, with warnings) from now on, except those ignore accepts; the
// returned func lists them. A CSP violation or a script error shows here.
func (b *Browser) WatchConsole(warnings bool, ignore func(m chromedp.ConsoleMessage) bool) func() []string {
	var mu sync.Mutex
	var seen []string
	go func() {
		for m, err := range chromedp.Console(b.Ctx) {
			if err != nil {
				return
			}
			bad := m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException || (warnings && m.Type == chromedp.ConsoleWarning)
			if bad && (ignore == nil || !ignore(m)) {
				mu.Lock()
				seen = append(seen, string(m.Type)+": "+m.Text+" "+m.URL)
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// Download clicks sel on the current page and returns the file the browser
// downloaded.
func (b *Browser) Download(sel string) []byte {
	b.t.Helper()
	dir := b.t.TempDir()
	yes := true
	if _, err := chromedp.CallBrowser(b.Ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &yes}); err != nil {
		b.t.Fatal(err)
	}
	progress := chromedp.BrowserEvents(b.Ctx, browser.DownloadProgress)
	b.Run("download "+sel, chromedp.Click(chromedp.CSS(sel)))
	for p, err := range progress {
		if err != nil {
			b.t.Fatalf("download: %v", err)
		}
		if p.State == browser.DownloadProgressStateCompleted {
			data, err := os.ReadFile(filepath.Join(dir, p.GUID))
			if err != nil {
				b.t.Fatal(err)
			}
			return data
		}
	}
	b.t.Fatal("download: no completed download")
	return nil
}
