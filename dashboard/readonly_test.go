package dashboard

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certpdf"
	"github.com/seameo/rollcall/attendance/export"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// realHarness is the dashboard on the real store for both of its parts,
// as the daemon wires it: the exports are the export package's, the
// verification page the real one. An event has a live stream, 240 people
// (60 % linked), a speaker and an override: certificates are decided,
// none issued.
func realHarness(t *testing.T, e storetest.Engine) (*harness, int64) {
	t.Helper()
	ck := &clock{t: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	st := storetest.Open(t, e, store.WithClock(ck.Now))
	ctx := context.Background()
	ev, err := st.CreateEvent(ctx, attendance.Event{Slug: "dialogue", Title: "Policy Dialogue", VideoIDs: []string{"dQw4w9WgXcQ"}, Policy: attendance.DefaultPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	streams, _ := st.Streams(ctx, ev.ID)
	seedLive(t, st, ev, streams[0].ID, ck.Now())
	if _, err := st.ImportRegistrations(ctx, ev.ID, []attendance.Registration{{FullName: "สมชาย ใจดี", Email: "somchai@example.org",
		Role: attendance.RoleSpeaker}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddCheckpoint(ctx, ev.ID, "durian", ck.Now().Add(-30*time.Minute), ck.Now().Add(-20*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportFormResponses(ctx, ev.ID, []attendance.FormResponse{{Email: "p0@example.org", SubmittedAt: ck.Now()}}, false); err != nil {
		t.Fatal(err)
	}
	p1, err := st.Registration(ctx, ev.ID, "p1@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddOverride(ctx, ev.ID, p1.ID, attendance.CertParticipation, "watched at the venue", "mai"); err != nil {
		t.Fatal(err)
	}
	for email, role := range map[string]string{adminEmail: attendance.StaffAdmin, viewerEmail: attendance.StaffViewer} {
		if _, err := CreateStaffUser(ctx, st, email, role, password); err != nil {
			t.Fatal(err)
		}
	}
	verify, err := NewVerifyHandler(VerifyConfig{Certificates: st, IssuerName: "Regional Education Secretariat", Now: ck.Now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Now: ck.Now, SnapshotTTL: time.Nanosecond, Verify: verify,
		ExportAttendance: func(ctx context.Context, eventID int64, w io.Writer) error {
			return export.Attendance(ctx, st, eventID, w)
		},
		ExportCertificates: func(ctx context.Context, eventID int64, w io.Writer, format string) error {
			return export.Certificates(ctx, st, eventID, w, format)
		},
		Certificates: &fakeCertificates{
			render: func(ctx context.Context, eventID int64, w io.Writer) error {
				_, err := io.WriteString(w, "PK\x03\x04 a zip")
				return err
			},
			preview: func(ctx context.Context, eventID int64, typ string, w io.Writer) error {
				_, err := io.WriteString(w, "\x89PNG")
				return err
			},
			template: func(ctx context.Context, eventID int64, typ string) (certpdf.TemplateFields, error) {
				t, _ := certpdf.DefaultTemplate(certpdf.Type(typ))
				return t.Fields(), nil
			},
		},
	}
	srv, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &harness{t: t, st: st, srv: srv, ts: ts, ev: ev, clock: ck}, p1.ID
}

// rowCounts counts the rows of every table of the store's schema.
func rowCounts(t *testing.T, st *store.Store) map[string]int64 {
	t.Helper()
	db := st.DB()
	var tables []string
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if st.Engine() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	if err := db.Select(&tables, q); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("only %d tables found: %v", len(tables), tables)
	}
	out := map[string]int64{}
	for _, tb := range tables {
		var n int64
		if err := db.Get(&n, `SELECT COUNT(*) FROM "`+tb+`"`); err != nil {
			t.Fatal(err)
		}
		out[tb] = n
	}
	return out
}

// diffCounts names the tables whose row count changed.
func diffCounts(before, after map[string]int64) string {
	var d []string
	for tb, n := range after {
		if before[tb] != n {
			d = append(d, fmt.Sprintf("%s %d → %d", tb, before[tb], n))
		}
	}
	return strings.Join(d, ", ")
}

func auditRows(t *testing.T, st *store.Store, eventID int64) []store.AuditEntry {
	t.Helper()
	log, err := st.AuditLog(context.Background(), eventID, 100)
	if err != nil {
		t.Fatal(err)
	}
	return log
}

// TestLookingNeverWrites: a viewer and an admin open every GET page of an
// event, and an anonymous visitor a verification URL; no table of the
// store gains or loses a row, and no certificate id is issued, though
// the pages show decisions that give certificates.
func TestLookingNeverWrites(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			h, p1 := realHarness(t, e)
			viewer, admin, anon := h.signIn(viewerEmail), h.signIn(adminEmail), h.anon()
			unissued, err := attendance.NewCertificateID()
			if err != nil {
				t.Fatal(err)
			}
			pages := []string{"/events", "/events/dialogue", "/events/dialogue/live.json", "/events/dialogue/registrations",
				"/events/dialogue/registrations?q=Person", fmt.Sprintf("/events/dialogue/registrations/%d", p1), "/events/dialogue/forms",
				"/events/dialogue/certificates", "/events/dialogue/certificates/templates/participation",
				"/events/dialogue/certificates/preview/participation.png", "/events/dialogue/report",
				"/events/dialogue/people", "/events/dialogue/certificates?certificate=none&reason=not_linked", "/events/dialogue/people?linked=yes&checkpoints=%3D1&sort=presence&desc=1&q=example"}
			before := rowCounts(t, h.st)
			for _, c := range []*http.Client{viewer, admin} {
				for _, p := range pages {
					res, body := h.get(c, p)
					if res.StatusCode >= 500 {
						t.Errorf("GET %s: %d %s", p, res.StatusCode, body)
					}
				}
			}
			_, page := h.get(admin, "/events/dialogue/certificates")
			if !strings.Contains(page, "certificates decided have no id yet") || !strings.Contains(page, `id="issue-certificates"`) {
				t.Errorf("the certificates page does not offer to issue:\n%s", page)
			}
			if res, _ := h.get(anon, VerifyPath+unissued); res.StatusCode != http.StatusNotFound {
				t.Errorf("verify of an id never issued: %d, want 404", res.StatusCode)
			}
			if d := diffCounts(before, rowCounts(t, h.st)); d != "" {
				t.Fatalf("looking wrote: %s", d)
			}
			if before["certificates"] != 0 {
				t.Fatalf("%d certificates issued by the set-up", before["certificates"])
			}
		})
	}
}

// TestDashboardExportAuditsOnce: one CSV download writes exactly one audit
// row, in the signed-in staff member's name, and issues nothing.
func TestDashboardExportAuditsOnce(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			h, _ := realHarness(t, e)
			admin := h.signIn(adminEmail)
			for _, kind := range []string{"attendance", "certificates"} {
				before := auditRows(t, h.st, h.ev.ID)
				counts := rowCounts(t, h.st)
				res, body := h.get(admin, "/events/dialogue/exports/"+kind+".csv")
				if res.StatusCode != http.StatusOK || !strings.HasPrefix(body, "\ufeff") {
					t.Fatalf("%s.csv: %d %q", kind, res.StatusCode, body[:min(len(body), 80)])
				}
				after := auditRows(t, h.st, h.ev.ID)
				if len(after) != len(before)+1 {
					t.Fatalf("%s.csv wrote %d audit rows: %+v", kind, len(after)-len(before), after[:len(after)-len(before)])
				}
				if a := after[0]; a.Actor != adminEmail || a.Action != "export."+kind {
					t.Errorf("%s.csv audit row %+v", kind, a)
				}
				counts["audit_log"]++
				if d := diffCounts(counts, rowCounts(t, h.st)); d != "" {
					t.Errorf("%s.csv wrote more than its audit row: %s", kind, d)
				}
			}
		})
	}
}

// TestCrossSiteDownloadRefused: a CSV download another site started is
// 403 and audits nothing; the dashboard's own link, the address bar and a
// browser that sends no Sec-Fetch-Site pass.
func TestCrossSiteDownloadRefused(t *testing.T) {
	h, _ := realHarness(t, storetest.Engines()[0])
	admin := h.signIn(adminEmail)
	for _, p := range []string{"/events/dialogue/exports/attendance.csv", "/events/dialogue/exports/certificates.csv?format=autocrat"} {
		for site, want := range map[string]int{"cross-site": http.StatusForbidden, "same-site": http.StatusForbidden,
			"same-origin": http.StatusOK, "none": http.StatusOK, "": http.StatusOK} {
			before := len(auditRows(t, h.st, h.ev.ID))
			req, _ := http.NewRequest(http.MethodGet, h.ts.URL+p, nil)
			if site != "" {
				req.Header.Set("Sec-Fetch-Site", site)
			}
			res, err := admin.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != want {
				t.Errorf("GET %s with Sec-Fetch-Site %q: %d, want %d", p, site, res.StatusCode, want)
			}
			wrote := len(auditRows(t, h.st, h.ev.ID)) - before
			if (want == http.StatusOK) != (wrote == 1) {
				t.Errorf("GET %s with Sec-Fetch-Site %q: %d audit rows", p, site, wrote)
			}
		}
	}
}

var certIDPattern = regexp.MustCompile(`(?m)^(?:appreciation|participation),[^,]*,[^,]*,([A-Z2-7]{20}),`)

// TestIssueByPost: only an admin's POST with the CSRF token issues; it is
// audited in the admin's name and idempotent; the ids then show in the
// export and on the verification page; the PDF download issues what is
// missing first.
func TestIssueByPost(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			h, _ := realHarness(t, e)
			admin, viewer, anon := h.signIn(adminEmail), h.signIn(viewerEmail), h.anon()
			before := rowCounts(t, h.st)
			if res := h.post(admin, "/events/dialogue/certificates/issue", url.Values{}); res.StatusCode != http.StatusForbidden {
				t.Errorf("issue without the CSRF token: %d", res.StatusCode)
			}
			if res := h.post(viewer, "/events/dialogue/certificates/issue", url.Values{"csrf": {h.csrf(viewer)}}); res.StatusCode != http.StatusForbidden {
				t.Errorf("a viewer issued: %d", res.StatusCode)
			}
			if d := diffCounts(before, rowCounts(t, h.st)); d != "" {
				t.Fatalf("a refused issue wrote: %s", d)
			}
			var want int64
			err := h.st.Decisions(context.Background(), h.ev.ID, func(d attendance.Decision) error {
				if d.Certificate != attendance.CertNone {
					want++
				}
				return nil
			})
			if err != nil || want < 2 {
				t.Fatalf("decisions: %d certificates, %v", want, err)
			}
			res := h.post(admin, "/events/dialogue/certificates/issue", url.Values{"csrf": {h.csrf(admin)}})
			// The summary comes with the page after the redirect, in a
			// one-time cookie, never in the URL.
			if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/events/dialogue/certificates" {
				t.Fatalf("issue: %d %s", res.StatusCode, loc)
			}
			if _, page := h.get(admin, "/events/dialogue/certificates"); !strings.Contains(page, fmt.Sprintf("issued %d, already issued 0", want)) {
				t.Fatalf("no summary after issuing:\n%s", page)
			}
			after := rowCounts(t, h.st)
			if after["certificates"] != want {
				t.Fatalf("%d certificates issued, want %d", after["certificates"], want)
			}
			log := auditRows(t, h.st, h.ev.ID)
			if log[0].Action != "certificates issue" || log[0].Actor != adminEmail || log[0].Detail != fmt.Sprintf("%d issued, 0 already issued", want) {
				t.Fatalf("issue audit %+v", log[0])
			}
			// again: nothing new, nothing written
			res = h.post(admin, "/events/dialogue/certificates/issue", url.Values{"csrf": {h.csrf(admin)}})
			if _, page := h.get(admin, res.Header.Get("Location")); !strings.Contains(page, fmt.Sprintf("issued 0, already issued %d", want)) {
				t.Fatalf("issue again: no summary:\n%s", page)
			}
			if d := diffCounts(after, rowCounts(t, h.st)); d != "" {
				t.Fatalf("issuing again wrote: %s", d)
			}
			_, page := h.get(admin, "/events/dialogue/certificates")
			if !strings.Contains(page, "Every certificate decided has its id.") {
				t.Errorf("certificates page after issuing:\n%s", page)
			}
			_, csv := h.get(admin, "/events/dialogue/exports/certificates.csv")
			ids := certIDPattern.FindAllStringSubmatch(csv, -1)
			if int64(len(ids)) != want {
				t.Fatalf("export shows %d ids, want %d:\n%s", len(ids), want, csv)
			}
			if res, _ := h.get(anon, VerifyPath+ids[0][1]); res.StatusCode != http.StatusOK {
				t.Errorf("verify of an issued id: %d", res.StatusCode)
			}

			// A new certificate (an override), then the PDFs: issued first.
			p2, err := h.st.Registration(context.Background(), h.ev.ID, "p2@example.org")
			if err != nil {
				t.Fatal(err)
			}
			if err := h.st.AddOverride(context.Background(), h.ev.ID, p2.ID, attendance.CertParticipation, "sound check helper", "mai"); err != nil {
				t.Fatal(err)
			}
			res, body := h.postBody(admin, "/events/dialogue/exports/certificates.zip", url.Values{"csrf": {h.csrf(admin)}})
			if res.StatusCode != http.StatusOK || body != "PK\x03\x04 a zip" || res.Header.Get("X-Rollcall-Issued") != fmt.Sprintf("issued 1, already issued %d", want) {
				t.Fatalf("zip: %d %q %q", res.StatusCode, res.Header.Get("X-Rollcall-Issued"), body)
			}
			log = auditRows(t, h.st, h.ev.ID)
			if log[0].Action != "export.certificates" || log[0].Actor != adminEmail || log[1].Action != "certificates issue" || log[1].Actor != adminEmail ||
				log[1].Detail != fmt.Sprintf("1 issued, %d already issued", want) {
				t.Fatalf("zip audit %+v %+v", log[0], log[1])
			}
		})
	}
}
