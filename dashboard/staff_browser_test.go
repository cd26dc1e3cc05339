package dashboard

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
	"github.com/seameo/rollcall/dashboard/browsertest"
)

// staffSite is the dashboard on a real store and a real clock, for the
// browser tests of the staff's pages: an event in Bangkok with three
// hours of chat, 240 people (60 % linked), three checkpoints and an issued
// speaker's certificate.
type staffSite struct {
	base, password, certID string
	st                     *store.Store
	ev                     attendance.Event
}

func startStaffSite(t *testing.T) *staffSite {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, storetest.Engines()[0])
	ev, err := st.CreateEvent(ctx, attendance.Event{Slug: "dialogue", Title: "SEAMEO Policy Dialogue 2026", TimeZone: "Asia/Bangkok",
		VideoIDs: []string{"dQw4w9WgXcQ"}, Policy: attendance.DefaultPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	streams, _ := st.Streams(ctx, ev.ID)
	now := time.Now()
	seedLive(t, st, ev, streams[0].ID, now)
	// Two more hours of chat before the last 40 minutes: the report covers them.
	var msgs []attendance.ChatMessage
	for i := 0; i < 1200; i++ {
		msgs = append(msgs, attendance.ChatMessage{ID: fmt.Sprintf("early%05d", i), Type: attendance.MsgText, AuthorChannelID: fmt.Sprintf("UC%022d", i%90),
			AuthorName: "viewer", Text: "hello", PublishedAt: now.Add(-160*time.Minute + time.Duration(i)*6*time.Second)})
	}
	if err := st.CommitChatPage(ctx, attendance.ChatPage{StreamID: streams[0].ID, Messages: msgs, NextPageToken: "n2"}); err != nil {
		t.Fatal(err)
	}
	for i, w := range []string{"durian", "mango", "rambutan"} {
		at := now.Add(time.Duration(-150+i*55) * time.Minute)
		if _, err := st.AddCheckpoint(ctx, ev.ID, w, at, at.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	seedHits(t, st, ev.ID, 1, 40)
	seedHits(t, st, ev.ID, 2, 20)
	if _, err := st.ImportRegistrations(ctx, ev.ID, []attendance.Registration{{FullName: "สมชาย ใจดี", Email: "somchai@example.org",
		Role: attendance.RoleSpeaker, Country: "Thailand"}}, false); err != nil {
		t.Fatal(err)
	}
	password, err := CreateAdmin(ctx, st, "admin@seameo.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Issue(ctx, ev.ID, "admin@seameo.test"); err != nil {
		t.Fatal(err)
	}
	site := &staffSite{password: password, st: st, ev: ev}
	if err := st.Decisions(ctx, ev.ID, func(d attendance.Decision) error {
		if d.Registration.Email == "somchai@example.org" {
			site.certID = d.CertificateID
		}
		return nil
	}); err != nil || site.certID == "" {
		t.Fatalf("speaker certificate: %q %v", site.certID, err)
	}
	verify, err := NewVerifyHandler(VerifyConfig{Certificates: st, IssuerName: "SEAMEO Secretariat"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Verify: verify, LiveInterval: 500 * time.Millisecond}, st)
	if err != nil {
		t.Fatal(err)
	}
	site.base = serveOnLoopback(t, srv)
	return site
}

// signIn signs the admin in through the sign-in form.
func (s *staffSite) signIn(br *browsertest.Browser) {
	br.Run("sign in", chromedp.Navigate(s.base+"/signin"), chromedp.WaitVisible(chromedp.CSS("#signin")),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), "admin@seameo.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), s.password),
		chromedp.Click(chromedp.CSS("#signin")), browsertest.WaitText("h1", "Events"))
}

var pdfPages = regexp.MustCompile(`(?m)^Pages:\s+(\d+)`)
var pdfSize = regexp.MustCompile(`(?m)^Page size:\s+([\d.]+) x ([\d.]+) pts`)

// TestReportPrintsOnA4: the reach report, printed to PDF by headless
// chromium on A4, covers the whole event (chat per minute since the first
// message, checkpoint windows, people linked over time), fits a few pages,
// and splits no chart: each chart's caption and its summary, drawn after
// it, are on one page.
func TestReportPrintsOnA4(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := browsertest.Chromium(t)
	for _, tool := range []string{"pdfinfo", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found (apt-get install poppler-utils)", tool)
		}
	}
	site := startStaffSite(t)
	br := browsertest.Start(t, exe, 90*time.Second)
	site.signIn(br)
	br.Run("report", chromedp.Navigate(site.base+"/events/dialogue/report"), browsertest.WaitText("#report h1", "Policy Dialogue"),
		browsertest.WaitText("#chat-timeline-summary", "chat messages"))
	summary := br.Text("#chat-timeline-summary")
	if !strings.Contains(summary, "2,100 chat messages") || !strings.Contains(summary, "ICT") {
		t.Errorf("chat summary %q: want the whole event's 2,100 messages in ICT", summary)
	}
	pdf, err := chromedp.Run(br.Ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPrintBackground()))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("ROLLCALL_ARTIFACT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "reach-report.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := exec.Command("pdfinfo", path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, info)
	}
	m := pdfPages.FindStringSubmatch(string(info))
	sz := pdfSize.FindStringSubmatch(string(info))
	if m == nil || sz == nil {
		t.Fatalf("pdfinfo:\n%s", info)
	}
	pages, _ := strconv.Atoi(m[1])
	w, _ := strconv.ParseFloat(sz[1], 64)
	h, _ := strconv.ParseFloat(sz[2], 64)
	if w < 594 || w > 597 || h < 841 || h > 843 {
		t.Errorf("page size %s x %s pts, want A4 (595 x 842)", sz[1], sz[2])
	}
	if pages < 1 || pages > 4 {
		t.Errorf("%d pages, want 1 to 4", pages)
	}
	t.Logf("report PDF: %d A4 pages, %s", pages, path)
	pageOf := func(text string) []int {
		var on []int
		for p := 1; p <= pages; p++ {
			out, err := exec.Command("pdftotext", "-f", strconv.Itoa(p), "-l", strconv.Itoa(p), "-layout", path, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(strings.Join(strings.Fields(string(out)), " "), text) {
				on = append(on, p)
			}
		}
		return on
	}
	for _, c := range []struct{ caption, summary string }{
		{"Chat messages per minute, whole event", "2,100 chat messages from"},
		{"Registered people linked over time", "registered people linked by"},
		{"Concurrent viewers over time", "Concurrent viewers over time"},
		{"Checkpoint windows", "Chat messages during it"},
	} {
		a, b := pageOf(c.caption), pageOf(c.summary)
		if len(a) != 1 || len(b) != 1 || a[0] != b[0] {
			t.Errorf("%q on pages %v, its end %q on pages %v: the chart is split or missing", c.caption, a, c.summary, b)
		}
	}
}
