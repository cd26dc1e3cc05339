package main

import (
	"encoding/csv"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDemoTellsTheWholeStory plays `rollcall demo` to its end and checks
// that a newcomer sees the whole story: after the stream the assessment
// form is imported, so certificates of participation are decided; the
// demo's own address is its public URL, so the certificates page offers
// the PDFs and a certificate's /verify page answers VALID; and the reach
// report has its YouTube Analytics section beside the chat figures. With
// --mail, each certificate goes, PDF attached, to the demo's own SMTP
// server, which keeps the messages as .eml files: one each, addressed to
// its person, with their PDF.
func TestDemoTellsTheWholeStory(t *testing.T) {
	if testing.Short() {
		t.Skip("plays the demo")
	}
	const speed = 200
	p, addr := startDemo(t, speed, "--mail")
	// The sign-in line follows the "listening" log line.
	signInLine := regexp.MustCompile(`dashboard at http://\S+/events/(\S+)\n\s+sign in as (\S+) with password (\S+)`)
	var m []string
	waitFor(t, 30*time.Second, func() bool { m = signInLine.FindStringSubmatch(p.log()); return m != nil })
	slug, email, password := m[1], m[2], m[3]
	base := "http://" + addr
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	get := func(path string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s\n%s", path, res.Status, b)
		}
		return string(b)
	}
	if res, err := c.PostForm(base+"/signin", url.Values{"email": {email}, "password": {password}}); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("sign in: %v %v", res, err)
	}

	// Two hours of stream and the form's twenty minutes, at 200x: 42 s.
	// Three times that, and a minute, is the deadline.
	participation := regexp.MustCompile(`>participation</span><span class="value">([0-9,]+)<`)
	var page string
	waitFor(t, 3*(2*time.Hour+20*time.Minute)/speed+time.Minute, func() bool {
		page = get("/events/" + slug + "/certificates")
		n := participation.FindStringSubmatch(page)
		return n != nil && n[1] != "0" && strings.Contains(get("/events/"+slug+"/report"), "YouTube Analytics, as of")
	})
	mailed := regexp.MustCompile(`(\d+) certificates mailed through the demo's SMTP server \(\S+\); the messages are in\n\s+(\S+)`)
	waitFor(t, time.Minute, func() bool { m = mailed.FindStringSubmatch(p.log()); return m != nil })
	emls, err := filepath.Glob(filepath.Join(m[2], "*.eml"))
	if err != nil || len(emls) == 0 || strconv.Itoa(len(emls)) != m[1] {
		t.Fatalf("%s certificates mailed, %d messages in %s (%v)", m[1], len(emls), m[2], err)
	}
	to := map[string]bool{}
	for _, name := range emls {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		pm := parseMessage(t, raw)
		if to[pm.ToEmail] || !strings.HasPrefix(string(pm.PDF), "%PDF-") || !strings.Contains(pm.Text, "attached to this message as a PDF") {
			t.Fatalf("%s: to %s (a second message: %v), attachment %q…, text:\n%s", name, pm.ToEmail, to[pm.ToEmail], pm.PDF[:min(8, len(pm.PDF))], pm.Text)
		}
		to[pm.ToEmail] = true
	}
	if !strings.Contains(page, `id="dl-pdfs"`) {
		t.Error("the certificates page offers no PDFs: the demo set no public URL")
	}
	report := get("/events/" + slug + "/report")
	for _, want := range []string{"YouTube Analytics, as of", "Replay (on demand)", "computed from chat"} {
		if !strings.Contains(report, want) {
			t.Errorf("the reach report lacks %q", want)
		}
	}

	// Issue, export, and check one participant's certificate as anyone
	// scanning its QR code would.
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if csrf == nil {
		t.Fatal("no CSRF token on the certificates page")
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/events/"+slug+"/certificates/issue", strings.NewReader(url.Values{"csrf": {csrf[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	if res, err := c.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("issue: %v %v", res, err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(get("/events/"+slug+"/exports/certificates.csv"), "\ufeff"))).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("certificates export: %v %v", rows, err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var id string
	for _, r := range rows[1:] {
		if r[col["certificate_type"]] == "participation" && r[col["certificate_id"]] != "" {
			id = r[col["certificate_id"]]
			break
		}
	}
	if id == "" {
		t.Fatalf("no participation certificate with an id in the export: %v", rows[:2])
	}
	res, err := http.Get(base + "/verify/" + url.PathEscape(id))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "VALID") || !strings.Contains(string(b), "Certificate of Participation") {
		t.Errorf("verify %s: %s\n%s", id, res.Status, b)
	}
}
