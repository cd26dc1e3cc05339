package dashboard

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/seameo/rollcall/attendance"
)

func TestSignInRefusesCrossSite(t *testing.T) {
	h := newHarness(t)
	req, _ := http.NewRequest("POST", h.ts.URL+"/signin", strings.NewReader(url.Values{"email": {adminEmail}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	res, err := h.anon().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin sign-in: %d, want 403", res.StatusCode)
	}
}

func TestCheckpointOpenAndClose(t *testing.T) {
	h := newHarness(t)
	admin := h.signIn(adminEmail)
	tok := h.csrf(admin)
	for _, bad := range []url.Values{{"word": {""}, "minutes": {"5"}}, {"word": {"x"}, "minutes": {"0"}}, {"word": {"x"}, "minutes": {"many"}}} {
		bad.Set("csrf", tok)
		if res := h.post(admin, "/events/dialogue/checkpoints", bad); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%v: %d", bad, res.StatusCode)
		}
	}
	res := h.post(admin, "/events/dialogue/checkpoints", url.Values{"csrf": {tok}, "word": {"rambutan"}, "minutes": {"10"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("open: %d", res.StatusCode)
	}
	cps, _ := h.st.Checkpoints(context.Background(), h.ev.ID)
	if len(cps) != 1 || !cps[0].OpensAt.Equal(h.clock.Now()) || !cps[0].ClosesAt.Equal(h.clock.Now().Add(10*time.Minute)) {
		t.Fatalf("checkpoint %+v", cps)
	}
	_, body := h.get(admin, "/events/dialogue")
	if !strings.Contains(body, "rambutan") || !strings.Contains(body, `<span class="pill open">open</span>`) {
		t.Fatal("open checkpoint not on the live page")
	}
	h.clock.Add(time.Minute)
	if res := h.post(admin, "/events/dialogue/checkpoints/1/close", url.Values{"csrf": {tok}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("close: %d", res.StatusCode)
	}
	if res := h.post(admin, "/events/dialogue/checkpoints/7/close", url.Values{"csrf": {tok}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("close unknown: %d", res.StatusCode)
	}
	_, body = h.get(admin, "/events/dialogue")
	if strings.Contains(body, `<span class="pill open">open</span>`) {
		t.Fatal("closed checkpoint still open on the page")
	}
	if got := strings.Join(auditLog(t, h.st, h.ev.ID), "|"); got != "admin@seameo.test checkpoint.close checkpoint 1|admin@seameo.test checkpoint.open checkpoint 1" {
		t.Fatalf("audit %s", got)
	}
}

func TestPersonPageAndManualLink(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// Bình typed his code in chat and the word of one checkpoint in three;
	// Hoa is registered and not linked.
	h.seedPeople("Trần Văn Bình")
	binh := h.registration("p0@example.org")
	if _, err := h.st.ImportRegistrations(ctx, h.ev.ID, []attendance.Registration{{FullName: "Lê Thị Hoa", Email: "hoa@example.org",
		Country: "Viet Nam", Role: attendance.RoleParticipant}}, false); err != nil {
		t.Fatal(err)
	}
	hoa := h.registration("hoa@example.org")
	for _, w := range []string{"durian", "rambutan", "mangosteen"} {
		if _, err := h.st.AddCheckpoint(ctx, h.ev.ID, w, h.clock.Now().Add(-time.Hour), h.clock.Now().Add(-50*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	seedHits(t, h.st, h.ev.ID, 1, 1)
	h.seedChat(attendance.ChatMessage{ID: "m1", AuthorChannelID: fmt.Sprintf("UC%022d", 0), AuthorName: "Bình", Text: "K7QM-4X2P"})
	admin := h.signIn(adminEmail)
	res, body := h.get(admin, fmt.Sprintf("/events/dialogue/registrations/%d", binh.ID))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("person: %d", res.StatusCode)
	}
	for _, want := range []string{"Trần Văn Bình", "checkpoints 1/3, no_form", "1 / 3", "K7QM-4X2P"} {
		if !strings.Contains(body, want) {
			t.Errorf("person page lacks %q", want)
		}
	}
	if res, _ := h.get(admin, fmt.Sprintf("/events/dialogue/registrations/%d", hoa.ID+100)); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown person: %d", res.StatusCode)
	}
	if res, _ := h.get(admin, "/events/dialogue/registrations/x"); res.StatusCode != http.StatusNotFound {
		t.Errorf("bad id: %d", res.StatusCode)
	}
	tok := h.csrf(admin)
	link := fmt.Sprintf("/events/dialogue/registrations/%d/link", hoa.ID)
	if res := h.post(admin, link, url.Values{"csrf": {tok}, "channel": {"UCabcdefghijklmnopqrstuv"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("link without a note: %d", res.StatusCode)
	}
	if res := h.post(admin, link, url.Values{"csrf": {tok}, "channel": {"UCabcdefghijklmnopqrstuv"}, "note": {"asked by email"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("link: %d", res.StatusCode)
	}
	if d, err := h.st.Decision(ctx, h.ev.ID, hoa.ID); err != nil || !d.Evidence.Linked {
		t.Fatalf("Hoa not linked by the manual link: %+v %v", d.Evidence, err)
	}
	if got, want := strings.Join(auditLog(t, h.st, h.ev.ID), "|"), fmt.Sprintf("admin@seameo.test link registration %d", hoa.ID); got != want {
		t.Fatalf("audit %q, want %q", got, want)
	}
}

func TestCertificatesPage(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// Ana and Bui hit all three checkpoints and sent the form; Chai did
	// not but an override gives him participation; Dewi hit one checkpoint
	// in three; Eka never linked; Somchai spoke.
	h.seedPeople("Ana", "Bui", "Dewi", "Chai")
	if _, err := h.st.ImportRegistrations(ctx, h.ev.ID, []attendance.Registration{
		{FullName: "Eka", Email: "eka@example.org", Role: attendance.RoleParticipant},
		{FullName: "Somchai", Email: "somchai@example.org", Role: attendance.RoleSpeaker}}, false); err != nil {
		t.Fatal(err)
	}
	for i, w := range []string{"durian", "rambutan", "mangosteen"} {
		if _, err := h.st.AddCheckpoint(ctx, h.ev.ID, w, h.clock.Now().Add(-time.Hour), h.clock.Now().Add(-50*time.Minute)); err != nil {
			t.Fatal(err)
		}
		seedHits(t, h.st, h.ev.ID, i+1, map[int]int{0: 3, 1: 2, 2: 2}[i])
	}
	if _, err := h.st.ImportFormResponses(ctx, h.ev.ID, []attendance.FormResponse{{Email: "p0@example.org", SubmittedAt: h.clock.Now()},
		{Email: "p1@example.org", SubmittedAt: h.clock.Now()}, {Email: "p2@example.org", SubmittedAt: h.clock.Now()}}, false); err != nil {
		t.Fatal(err)
	}
	if err := h.st.AddOverride(ctx, h.ev.ID, h.registration("p3@example.org").ID, attendance.CertParticipation, "was in the venue", "mai"); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{adminEmail, viewerEmail} {
		c := h.signIn(who)
		res, body := h.get(c, "/events/dialogue/certificates")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", who, res.StatusCode)
		}
		for _, want := range []string{">participation</span><span class=\"value\">3<", ">appreciation</span><span class=\"value\">1<", ">none</span><span class=\"value\">2<",
			"<td>override</td>", "<td>checkpoints 1/3</td>"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: certificates page lacks %q", who, want)
			}
		}
		// The counts group overrides by kind; the staff member's words show
		// only in the admins' list of decisions, person by person.
		counts, list, _ := strings.Cut(body, `id="decisions"`)
		if strings.Contains(counts, "was in the venue") {
			t.Errorf("%s: an override's reason shows in the counts", who)
		}
		if strings.Contains(list, "override: was in the venue") != (who == adminEmail) {
			t.Errorf("%s: the list of decisions shown = %v", who, who != adminEmail)
		}
		if hasDownloads := strings.Contains(body, "exports/certificates.csv"); hasDownloads != (who == adminEmail) {
			t.Errorf("%s: downloads shown = %v", who, hasDownloads)
		}
	}
}

func TestForms(t *testing.T) {
	var imported []string
	h := newHarness(t, func(c *Config) {
		c.ImportForms = func(ctx context.Context, eventID int64, r io.Reader, name string) (string, error) {
			b, _ := io.ReadAll(r)
			if strings.Contains(string(b), "bad") {
				return "", &attendance.InputError{File: name, Row: 4, Line: 5, Column: "Email", Msg: "expected an email"}
			}
			imported = append(imported, name)
			return "3 responses: 2 matched, 1 new", nil
		}
	})
	if _, err := h.st.ImportFormResponses(context.Background(), h.ev.ID, []attendance.FormResponse{{Email: "walkin@example.org",
		CertificateName: xss, SubmittedAt: h.clock.Now()}}, false); err != nil {
		t.Fatal(err)
	}
	admin := h.signIn(adminEmail)
	_, body := h.get(admin, "/events/dialogue/forms")
	if !strings.Contains(body, "walkin@example.org") || strings.Contains(body, xss) {
		t.Fatal("unmatched submissions not shown, or not inert")
	}
	tok := h.csrf(admin)
	res, body := h.upload(admin, "/events/dialogue/forms", tok, "form.csv", "bad")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "form.csv: row 4 (line 5), column &#34;Email&#34;: expected an email") {
		t.Fatalf("bad form: %d\n%s", res.StatusCode, body)
	}
	res, _ = h.upload(admin, "/events/dialogue/forms", tok, "form.csv", "good")
	if res.StatusCode != http.StatusSeeOther || len(imported) != 1 {
		t.Fatalf("good form: %d %v", res.StatusCode, imported)
	}
	if res, _ := h.upload(admin, "/events/dialogue/forms", "wrong", "form.csv", "good"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("upload without the CSRF token: %d", res.StatusCode)
	}
}

func TestUnknownEvent(t *testing.T) {
	h := newHarness(t)
	admin := h.signIn(adminEmail)
	for _, p := range []string{"/events/nope", "/events/nope/live.json", "/events/nope/report", "/events/nope/registrations"} {
		if res, _ := h.get(admin, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
}

// TestReportShowsAnalytics: once YouTube Analytics' figures of the event's
// video are stored, the reach report shows them beside the chat figures,
// each labelled with its source; before, it shows none.
func TestReportShowsAnalytics(t *testing.T) {
	h := newHarness(t)
	viewer := h.signIn(viewerEmail)
	if _, body := h.get(viewer, "/events/dialogue/report"); strings.Contains(body, "YouTube Analytics, as of") {
		t.Fatal("analytics shown before any were fetched")
	}
	streams, _ := h.st.Streams(context.Background(), h.ev.ID)
	fetched := time.Date(2026, 12, 4, 4, 0, 0, 0, time.UTC)
	if err := h.st.SaveReach(context.Background(), attendance.VideoReach{StreamID: streams[0].ID, VideoID: streams[0].VideoID, FetchedAt: fetched,
		Rows: []attendance.ReachFigures{
			{Dimension: attendance.ReachByPlayback, Key: "LIVE", Views: 1800, MinutesWatched: 54000, AverageViewDuration: 1805, SubscribersGained: 12},
			{Dimension: attendance.ReachByPlayback, Key: "ON_DEMAND", Views: 700, MinutesWatched: 7000, AverageViewDuration: 600},
			{Dimension: attendance.ReachByDay, Key: "2026-11-30", Views: 1800, MinutesWatched: 54000},
			{Dimension: attendance.ReachByCountry, Key: "TH", Views: 1100, MinutesWatched: 30000},
		}}); err != nil {
		t.Fatal(err)
	}
	res, body := h.get(viewer, "/events/dialogue/report")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("report: %d", res.StatusCode)
	}
	for _, want := range []string{"YouTube Analytics, as of", "<td>Live</td><td class=\"n\">1,800</td><td class=\"n\">54,000</td><td class=\"n\">30:05</td><td class=\"n\">12</td>",
		"<td>Replay (on demand)</td><td class=\"n\">700</td>", "<td>2026-11-30</td>", "<td>TH</td><td class=\"n\">1,100</td>", "computed from chat"} {
		if !strings.Contains(body, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestReachMetrics: the stored Analytics figures are exported with bounded
// labels (event, video, live or on demand, country code), source
// "analytics".
func TestReachMetrics(t *testing.T) {
	h := newHarness(t)
	streams, _ := h.st.Streams(context.Background(), h.ev.ID)
	if err := h.st.SaveReach(context.Background(), attendance.VideoReach{StreamID: streams[0].ID, VideoID: streams[0].VideoID, FetchedAt: h.clock.Now(),
		Rows: []attendance.ReachFigures{
			{Dimension: attendance.ReachByPlayback, Key: "LIVE", Views: 1800, MinutesWatched: 54000},
			{Dimension: attendance.ReachByPlayback, Key: "ON_DEMAND", Views: 700, MinutesWatched: 7000},
			{Dimension: attendance.ReachByCountry, Key: "TH", Views: 1100},
		}}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := RegisterMetrics(reg, h.st, "test", nil); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	v := streams[0].VideoID
	for _, want := range []string{
		`rollcall_reach_views{event="dialogue",live_or_on_demand="live",source="analytics",video="` + v + `"} 1800`,
		`rollcall_reach_views{event="dialogue",live_or_on_demand="on_demand",source="analytics",video="` + v + `"} 700`,
		`rollcall_reach_minutes_watched{event="dialogue",live_or_on_demand="live",source="analytics",video="` + v + `"} 54000`,
		`rollcall_reach_country_views{country="TH",event="dialogue",source="analytics",video="` + v + `"} 1100`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
