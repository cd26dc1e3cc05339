package dashboard

import (
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/dashboard/browsertest"
)

// axeSource is axe-core, vendored with its licence (testdata/axe/SOURCES):
// nothing is downloaded when the test runs.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// axeViolation is one rule a page breaks, as axe-core reports it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
		Fail   string `json:"failureSummary"`
	} `json:"nodes"`
}

// axeRun injects axe-core into the current page (through the DevTools
// protocol, which the page's CSP does not govern) and returns the page's
// violations of WCAG 2.1 A and AA.
func axeRun(t *testing.T, br *browsertest.Browser, page string) []axeViolation {
	t.Helper()
	if _, err := chromedp.Run(br.Ctx, chromedp.Evaluate[bool](axeSource+"\n;true")); err != nil {
		t.Fatalf("%s: inject axe-core: %v", page, err)
	}
	out, err := chromedp.Run(br.Ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
		resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe.run: %v", page, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("%s: axe result: %v", page, err)
	}
	return vs
}

func describeViolations(vs []axeViolation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "\n  %s (%s): %s", v.ID, v.Impact, v.Help)
		for i, n := range v.Nodes {
			if i == 5 {
				fmt.Fprintf(&b, "\n    … %d more", len(v.Nodes)-5)
				break
			}
			fmt.Fprintf(&b, "\n    %v %s\n      %s", n.Target, n.HTML, strings.ReplaceAll(n.Fail, "\n", " "))
		}
	}
	return b.String()
}

// TestAccessibility: axe-core finds no violation of WCAG 2.1 A and AA on
// the sign-in page, the events, live, people, person, forms, certificates,
// report, mail, mail template and reminder pages, and on /verify (signed out, and on a 360 px wide
// screen); the test prints every violation it finds.
func TestAccessibility(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := browsertest.Chromium(t)
	site := startStaffSite(t)
	p, err := site.st.Registration(t.Context(), site.ev.ID, "p1@example.org")
	if err != nil {
		t.Fatal(err)
	}
	br := browsertest.Start(t, exe, 3*time.Minute)
	check := func(name, path, ready string) {
		t.Helper()
		br.Run(name, chromedp.Navigate(site.base+path), chromedp.WaitVisible(chromedp.CSS(ready)))
		if vs := axeRun(t, br, name); len(vs) > 0 {
			t.Errorf("%s (%s): %d WCAG 2.1 A/AA violations:%s", name, path, len(vs), describeViolations(vs))
		}
	}
	check("sign-in", "/signin", "#signin")
	// The audit itself works: an input without a label is caught.
	if _, err := chromedp.Run(br.Ctx, chromedp.Evaluate[bool](`document.querySelector("main").appendChild(document.createElement("input")) !== null`)); err != nil {
		t.Fatal(err)
	}
	if vs := axeRun(t, br, "sign-in with an unlabelled input"); len(vs) == 0 || !strings.Contains(describeViolations(vs), "label") {
		t.Fatalf("axe-core did not catch an unlabelled input: %v", vs)
	}
	site.signIn(br)
	check("events", "/events", "main h1")
	br.Run("live", chromedp.Navigate(site.base+"/events/dialogue"), browsertest.WaitText("#conn", "live"))
	if vs := axeRun(t, br, "live"); len(vs) > 0 {
		t.Errorf("live: %d WCAG 2.1 A/AA violations:%s", len(vs), describeViolations(vs))
	}
	check("people", "/events/dialogue/people?linked=yes&checkpoints=%3D1", "#people-table")
	check("person", fmt.Sprintf("/events/dialogue/registrations/%d", p.ID), "main h1")
	check("forms", "/events/dialogue/forms", "main h1")
	check("certificates", "/events/dialogue/certificates", "#decisions-table")
	check("report", "/events/dialogue/report", "#chat-timeline-summary")
	check("mail", "/events/dialogue/mail", "#mail-kinds")
	check("mail template", "/events/dialogue/mail/certificates?who=p1%40example.org", "#mail-html")
	check("reminder", "/events/dialogue/people/remind?linked=no", "main h1")
	if _, err := chromedp.Call(br.Ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	check("verify", VerifyPath+site.certID, "#verdict")
	br.Run("narrow", chromedp.EmulateViewport(360, 740))
	check("verify at 360 px", VerifyPath+site.certID, "#verdict")
	wide, err := chromedp.Run(br.Ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil || wide {
		t.Errorf("verify at 360 px scrolls sideways (%v)", err)
	}
}

// TestKeyboardWalk: with the keyboard only — Tab, typing, Enter — an
// admin signs in, opens the people table from the event's page, filters
// to "1 of 3 checkpoints" (downloading those rows as CSV), opens a person
// and overrides their decision;
// every control reached shows a visible focus outline.
func TestKeyboardWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := browsertest.Chromium(t)
	site := startStaffSite(t)
	br := browsertest.Start(t, exe, 2*time.Minute)
	step := 0
	// tabTo presses Tab until the focused element matches sel, and checks
	// that its focus is visible.
	tabTo := func(sel string) {
		t.Helper()
		for i := 0; i < 80; i++ {
			ok, err := chromedp.Run(br.Ctx, chromedp.Evaluate[bool](`!!document.activeElement && document.activeElement.matches(`+strconv.Quote(sel)+`)`))
			if err == nil && ok {
				style, err := chromedp.Run(br.Ctx, chromedp.Evaluate[string](`(s => s.outlineStyle + " " + s.outlineWidth)(getComputedStyle(document.activeElement))`))
				if err != nil || strings.HasPrefix(style, "none") || strings.HasSuffix(style, " 0px") {
					t.Errorf("%s has no visible focus: %q %v", sel, style, err)
				}
				return
			}
			step++
			br.Run("tab", chromedp.KeyEvent(kb.Tab))
		}
		t.Fatalf("Tab never reached %s", sel)
	}
	keys := func(name, k string) { t.Helper(); br.Run(name, chromedp.KeyEvent(k)) }

	br.Run("sign-in page", chromedp.Navigate(site.base+"/signin"), chromedp.WaitVisible(chromedp.CSS("#signin")))
	tabTo(`input[name="email"]`)
	keys("email", "admin@seameo.test")
	tabTo(`input[name="password"]`)
	keys("password", site.password+kb.Enter)
	br.Run("signed in", browsertest.WaitText("h1", "Events"))
	tabTo(`a[href="/events/dialogue"]`)
	keys("open the event", kb.Enter)
	br.Run("live page", browsertest.WaitText("#conn", "live"))
	tabTo(`a[href="/events/dialogue/people"]`)
	keys("open people", kb.Enter)
	br.Run("people", chromedp.WaitVisible(chromedp.CSS("#people-table")))
	tabTo(`.presets a[href*="cmp"], .presets a[href*="checkpoints=%3D1"]`)
	keys("1 of 3 checkpoints", kb.Enter)
	br.Run("filtered", browsertest.WaitText("#people-h", "people"), browsertest.WaitText("h1", "checkpoints hit =1"))
	want, err := site.st.CountPeople(t.Context(), site.ev.ID, attendance.PeoplePresets[1].Filter)
	if err != nil {
		t.Fatal(err)
	}
	if got := br.Text("#people-total"); got != strconv.Itoa(want) || want == 0 {
		t.Errorf("the browser shows %s linked people with 1 of 3 checkpoints, the store counts %d", got, want)
	}
	// The table's download is the filter's rows, as the browser gets it
	// (its link once lost the filter and wrote everyone).
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(br.Download("#people-csv")), "\ufeff"))).ReadAll()
	if err != nil || len(rows)-1 != want {
		t.Errorf("the downloaded CSV of the filter has %d rows (%v), the table %d", len(rows)-1, err, want)
	}
	tabTo(`#people-table tbody a`)
	name := br.Text(`#people-table tbody a`)
	keys("open the person", kb.Enter)
	br.Run("person", browsertest.WaitText("h1", name), chromedp.WaitVisible(chromedp.CSS("#ov-cert")))
	tabTo(`#ov-cert`)
	keys("choose appreciation", "a")
	tabTo(`#ov-why`)
	keys("reason", "spoke from the floor, keyboard walk")
	tabTo(`#ov-save`)
	keys("save", kb.Enter)
	br.Run("saved", browsertest.WaitText(".notice", "override saved"))
	t.Logf("keyboard only: %d Tab presses from sign-in to an override of %s", step, name)
	var found bool
	err = site.st.Decisions(t.Context(), site.ev.ID, func(d attendance.Decision) error {
		if d.Registration.FullName == name && d.Certificate == attendance.CertAppreciation && d.Evidence.Override != nil &&
			d.Evidence.Override.Why == "spoke from the floor, keyboard walk" && d.Evidence.Override.Staff == "admin@seameo.test" {
			found = true
		}
		return nil
	})
	if err != nil || !found {
		t.Fatalf("the override of %s is not in the store (%v)", name, err)
	}
}
