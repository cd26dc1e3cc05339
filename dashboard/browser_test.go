package dashboard

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
	"github.com/seameo/rollcall/dashboard/browsertest"
)

// seedLive gives an event 40 minutes of viewer readings, chat and
// registrations from several countries, some of them linked.
func seedLive(t *testing.T, st *store.Store, ev attendance.Event, streamID int64, now time.Time) {
	t.Helper()
	ctx := context.Background()
	start := now.Add(-40 * time.Minute)
	for i := 0; i <= 40; i++ {
		v := int64(800 + 700*math.Sin(float64(i)/12) + float64(i*20))
		views := int64(1500 + i*90)
		likes := int64(40 + i*3)
		if err := st.RecordStreamSample(ctx, streamID, attendance.StreamSample{At: start.Add(time.Duration(i) * time.Minute), State: attendance.StreamLive,
			ConcurrentViewers: &v, Views: &views, Likes: &likes}); err != nil {
			t.Fatal(err)
		}
	}
	var msgs []attendance.ChatMessage
	for i := 0; i < 900; i++ {
		at := start.Add(time.Duration(float64(i)*float64(40*time.Minute)/900) + time.Duration(i%7)*time.Second)
		msgs = append(msgs, attendance.ChatMessage{ID: fmt.Sprintf("msg%05d", i), Type: attendance.MsgText,
			AuthorChannelID: fmt.Sprintf("UC%022d", i%140), AuthorName: xss, Text: "hello from the chat " + xss, PublishedAt: at})
	}
	if err := st.CommitChatPage(ctx, attendance.ChatPage{StreamID: streamID, Messages: msgs, NextPageToken: "next"}); err != nil {
		t.Fatal(err)
	}
	countries := []string{"Thailand", "Viet Nam", "Philippines", "Indonesia", "Malaysia", "Cambodia", "Lao PDR", "Myanmar"}
	var regs []attendance.Registration
	for i := 0; i < 240; i++ {
		name := fmt.Sprintf("Person %d", i)
		if i == 237 {
			name = xss
		}
		regs = append(regs, attendance.Registration{FullName: name, Email: fmt.Sprintf("p%d@example.org", i), Country: countries[i%len(countries)], Role: attendance.RoleParticipant})
	}
	if _, err := st.ImportRegistrations(ctx, ev.ID, regs, false); err != nil {
		t.Fatal(err)
	}
	db := st.DB()
	var ids []int64
	if err := db.Select(&ids, db.Rebind(`SELECT id FROM registrations WHERE event_id = ? ORDER BY id`), ev.ID); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if i%5 >= 3 { // 60 % linked
			continue
		}
		if _, err := db.Exec(db.Rebind(`INSERT INTO links (event_id, registration_id, channel_id, method, linked_at) VALUES (?, ?, ?, 'code', ?)`),
			ev.ID, id, fmt.Sprintf("UC%022d", i), start.Add(time.Duration(i)*9*time.Second).UnixMicro()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := browsertest.Chromium(t)
	ctx := context.Background()
	st := storetest.Open(t, storetest.Engines()[0])
	ev, err := st.CreateEvent(ctx, attendance.Event{Slug: "dialogue", Title: "SEAMEO Policy Dialogue 2026", VideoIDs: []string{"dQw4w9WgXcQ"}, Policy: attendance.DefaultPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	streams, _ := st.Streams(ctx, ev.ID)
	seedLive(t, st, ev, streams[0].ID, time.Now())
	adminPassword, err := CreateAdmin(ctx, st, "admin@seameo.test")
	if err != nil {
		t.Fatal(err)
	}
	// a speaker's certificate, for the anonymous visit of its verification URL
	if _, err := st.ImportRegistrations(ctx, ev.ID, []attendance.Registration{{FullName: "สมชาย ใจดี", Email: "somchai@example.org",
		Role: attendance.RoleSpeaker}}, false); err != nil {
		t.Fatal(err)
	}
	var certID string
	if _, err := st.Issue(ctx, ev.ID, "admin@seameo.test"); err != nil {
		t.Fatal(err)
	}
	if err := st.Decisions(ctx, ev.ID, func(d attendance.Decision) error {
		if d.Registration.Email == "somchai@example.org" {
			certID = d.CertificateID
		}
		return nil
	}); err != nil || certID == "" {
		t.Fatalf("speaker certificate: %q %v", certID, err)
	}
	verify, err := NewVerifyHandler(VerifyConfig{Certificates: st, IssuerName: "SEAMEO Secretariat"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{LiveInterval: 300 * time.Millisecond, SnapshotTTL: 200 * time.Millisecond, Verify: verify,
		Health: func(context.Context) CollectorHealth {
			return CollectorHealth{Running: true, LastPoll: time.Now().Add(-3 * time.Second), Errors: 2}
		},
		QuotaStatus: func(context.Context) QuotaStatus { return QuotaStatus{Project: "demo", Used: 1871, Limit: 10000} },
		ExportCertificates: func(ctx context.Context, eventID int64, w io.Writer, format string) error {
			_, err := io.WriteString(w, "\ufeffcertificate_type,full_name,email,certificate_id\r\nparticipation,Person 0,p0@example.org,K7QM4X2P\r\n")
			return err
		}}, st)
	if err != nil {
		t.Fatal(err)
	}
	base := serveOnLoopback(t, srv)

	br := browsertest.Start(t, exe, 90*time.Second)
	bctx, run, text, waitText := br.Ctx, br.Run, br.Text, browsertest.WaitText
	// Every console message is kept: a CSP violation or a script error fails
	// the test.
	consoleErrors := br.WatchConsole(true, nil)

	// Sign in.
	run("sign in", chromedp.Navigate(base+"/events/dialogue"), chromedp.WaitVisible(chromedp.CSS("#signin")),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), "admin@seameo.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), adminPassword),
		chromedp.Click(chromedp.CSS("#signin")), waitText("h1", "Events"))

	// The live number moves without a reload.
	run("live page", chromedp.Navigate(base+"/events/dialogue"), waitText("#conn", "live"))
	before := text("#viewers")
	v := int64(4321)
	if err := st.RecordStreamSample(ctx, streams[0].ID, attendance.StreamSample{At: time.Now(), State: attendance.StreamLive, ConcurrentViewers: &v}); err != nil {
		t.Fatal(err)
	}
	run("viewer number changes", waitText("#viewers", "4,321"))
	t.Logf("viewers went from %s to 4,321 without a reload", before)

	// Open a checkpoint; its hits move live too.
	run("open checkpoint", chromedp.SetValue(chromedp.CSS("#cp-word"), "mangosteen"), chromedp.SetValue(chromedp.CSS("#cp-minutes"), "5"),
		chromedp.Click(chromedp.CSS("#cp-open")), waitText(".notice", "checkpoint 1 open"), waitText("#checkpoints", "mangosteen"),
		waitText("#conn", "live"))
	seedHits(t, st, ev.ID, 1, 57)
	run("checkpoint hits move", waitText("#checkpoints", "57"))
	checkins, err := chromedp.Run(bctx, chromedp.OuterHTML(chromedp.CSS("#checkins")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(checkins, "<img") || !strings.Contains(checkins, "&lt;img") {
		t.Fatalf("a name became markup: %s", checkins)
	}

	// Screenshot of the live page.
	dir := os.Getenv("ROLLCALL_ARTIFACT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	run("settle", chromedp.Sleep(700*time.Millisecond))
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)) // quality 100 gives a PNG
	if err != nil {
		t.Fatal(err)
	}
	shotPath := filepath.Join(dir, "live-page.png")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("browser test: screenshot of the live page: %s\n", shotPath)

	// Upload a registration list with a bad row: the import's own message.
	bad := filepath.Join(t.TempDir(), "people.csv")
	os.WriteFile(bad, []byte("Full name,Email,Country\nAna Santos,ana@example.org,Philippines\nBui Van An,not-an-email,Viet Nam\n"), 0o644)
	run("bad import", chromedp.Navigate(base+"/events/dialogue/registrations"), chromedp.WaitVisible(chromedp.CSS("#reg-file")),
		chromedp.SetUploadFiles(chromedp.CSS("#reg-file"), []string{bad}), chromedp.Click(chromedp.CSS("#reg-import")),
		chromedp.WaitVisible(chromedp.CSS("#import-error")))
	if msg := text("#import-error"); !strings.Contains(msg, "people.csv: row 3") {
		t.Fatalf("import error %q lacks the file and row", msg)
	} else {
		t.Logf("import error shown: %s", msg)
	}

	// Download the certificates CSV.
	run("certificates page", chromedp.Navigate(base+"/events/dialogue/certificates"))
	csv := br.Download("#dl-certificates")
	if !strings.HasPrefix(string(csv), "\ufeffcertificate_type,full_name,email,certificate_id") {
		t.Fatalf("downloaded %q", csv)
	}
	// The reach report, kept as an artefact next to the live page.
	run("report", chromedp.Navigate(base+"/events/dialogue/report"), waitText("#report h1", "Policy Dialogue"), chromedp.Sleep(500*time.Millisecond))
	report, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	reportPath := filepath.Join(dir, "reach-report.png")
	if err := os.WriteFile(reportPath, report, 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("browser test: screenshot of the reach report: %s\n", reportPath)

	// Scan-free: open the URL a certificate's QR code encodes, signed out.
	if _, err := chromedp.Call(bctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatalf("clear cookies: %v", err)
	}
	run("verification page", chromedp.Navigate(VerifyURL(base, certID)), waitText("#verdict", "VALID"), waitText("#cert-name", "สมชาย ใจดี"),
		waitText("#cert-type", "Certificate of Appreciation"))
	if html, err := chromedp.Run(bctx, chromedp.OuterHTML(chromedp.CSS("main"))); err != nil || strings.Contains(html, "@example.org") {
		t.Errorf("verification page: %v, or it shows an email", err)
	}
	for _, m := range consoleErrors() {
		if strings.Contains(m, "status of 400") && strings.HasSuffix(m, "/events/dialogue/registrations") {
			continue // the bad import answers 400, as it should
		}
		t.Errorf("browser console: %s", m)
	}
	// The setup's issue, the checkpoint opened and the one download: one
	// row each.
	want := "admin@seameo.test certificates issue |admin@seameo.test checkpoint.open checkpoint 1|admin@seameo.test export.certificates certificates.csv"
	if got := strings.Join(auditLog(t, st, ev.ID), "|"); got != want {
		t.Fatalf("audit %q, want %q", got, want)
	}
}

// serveOnLoopback serves srv with Serve (as the daemon does, SSE shutdown
// included) on a free loopback port until the test ends, and returns its
// base URL.
func serveOnLoopback(t *testing.T, srv *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}
