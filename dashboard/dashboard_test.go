package dashboard

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

const (
	adminEmail  = "admin@seameo.test"
	viewerEmail = "viewer@seameo.test"
	password    = "correct horse battery"
	xss         = `<img src=x onerror=alert(1)>`
)

// clock is a clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type harness struct {
	t     *testing.T
	st    *store.Store
	srv   *Server
	ts    *httptest.Server
	ev    attendance.Event
	clock *clock
}

func newHarness(t *testing.T, opts ...func(*Config)) *harness {
	t.Helper()
	ck := &clock{t: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	st := storetest.Open(t, storetest.Engines()[0], store.WithClock(ck.Now))
	ctx := context.Background()
	ev, err := st.CreateEvent(ctx, attendance.Event{Slug: "dialogue", Title: "Policy Dialogue", VideoIDs: []string{"dQw4w9WgXcQ"}, Policy: attendance.DefaultPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	for email, role := range map[string]string{adminEmail: attendance.StaffAdmin, viewerEmail: attendance.StaffViewer} {
		if _, err := CreateStaffUser(ctx, st, email, role, password); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{Now: ck.Now, SnapshotTTL: time.Nanosecond,
		ExportAttendance: func(ctx context.Context, eventID int64, w io.Writer) error {
			_, err := io.WriteString(w, "\ufeffemail,full_name\r\nana@example.org,Ana\r\n")
			return err
		},
		ExportCertificates: func(ctx context.Context, eventID int64, w io.Writer, format string) error {
			_, err := io.WriteString(w, "\ufeffcertificate_type,full_name,email,certificate_id\r\nparticipation,Ana,ana@example.org,C1\r\n")
			return err
		}}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &harness{t: t, st: st, srv: srv, ts: ts, ev: ev, clock: ck}
}

// anon returns a client with a cookie jar that does not follow redirects.
func (h *harness) anon() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: clockFreeJar{jar}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// clockFreeJar keeps cookies whatever their Expires says: the server's
// clock is the harness's (a fixed day), the jar's would be the wall
// clock's, and a session cookie set to expire on the harness's day would
// be dropped once that day is past. Deletions (MaxAge < 0) still delete.
type clockFreeJar struct{ http.CookieJar }

func (j clockFreeJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	for _, c := range cookies {
		c.Expires = time.Time{}
	}
	j.CookieJar.SetCookies(u, cookies)
}

// signIn returns a signed-in client.
func (h *harness) signIn(email string) *http.Client {
	h.t.Helper()
	c := h.anon()
	res := h.post(c, "/signin", url.Values{"email": {email}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("sign in %s: %d", email, res.StatusCode)
	}
	return c
}

func (h *harness) get(c *http.Client, path string) (*http.Response, string) {
	h.t.Helper()
	res, err := c.Get(h.ts.URL + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (h *harness) post(c *http.Client, path string, form url.Values) *http.Response {
	h.t.Helper()
	res, err := c.PostForm(h.ts.URL+path, form)
	if err != nil {
		h.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (h *harness) csrf(c *http.Client) string {
	h.t.Helper()
	_, body := h.get(c, "/events")
	m := csrfPattern.FindStringSubmatch(body)
	if m == nil {
		h.t.Fatal("no CSRF token on /events")
	}
	return m[1]
}

func (h *harness) upload(c *http.Client, path, csrf, name, content string) (*http.Response, string) {
	h.t.Helper()
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("file", name)
	io.WriteString(fw, content)
	mw.Close()
	res, err := c.Post(h.ts.URL+path, mw.FormDataContentType(), strings.NewReader(b.String()))
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// seedPeople imports registrations and links some of them by hand in SQL.
func (h *harness) seedPeople(names ...string) {
	h.t.Helper()
	ctx := context.Background()
	var regs []attendance.Registration
	for i, n := range names {
		regs = append(regs, attendance.Registration{FullName: n, Email: fmt.Sprintf("p%d@example.org", i), Country: "Thailand", Role: attendance.RoleParticipant})
	}
	if _, err := h.st.ImportRegistrations(ctx, h.ev.ID, regs, false); err != nil {
		h.t.Fatal(err)
	}
	db := h.st.DB()
	for i := range names {
		var id int64
		if err := db.Get(&id, db.Rebind(`SELECT id FROM registrations WHERE email = ?`), fmt.Sprintf("p%d@example.org", i)); err != nil {
			h.t.Fatal(err)
		}
		if _, err := db.Exec(db.Rebind(`INSERT INTO links (event_id, registration_id, channel_id, method, linked_at) VALUES (?, ?, ?, 'code', ?)`),
			h.ev.ID, id, fmt.Sprintf("UC%022d", i), h.clock.Now().UnixMicro()); err != nil {
			h.t.Fatal(err)
		}
	}
}

// personRoutes are every route that can show a person or change state.
var personRoutes = []struct{ method, path string }{
	{"GET", "/"},
	{"GET", "/events"},
	{"POST", "/events"},
	{"GET", "/events/dialogue"},
	{"GET", "/events/dialogue/live"},
	{"GET", "/events/dialogue/live.json"},
	{"POST", "/events/dialogue/checkpoints"},
	{"POST", "/events/dialogue/checkpoints/1/close"},
	{"GET", "/events/dialogue/registrations"},
	{"GET", "/events/dialogue/registrations?q=ana"},
	{"POST", "/events/dialogue/registrations"},
	{"GET", "/events/dialogue/people"},
	{"GET", "/events/dialogue/exports/people.csv"},
	{"GET", "/events/dialogue/registrations/1"},
	{"POST", "/events/dialogue/registrations/1/link"},
	{"POST", "/events/dialogue/registrations/1/override"},
	{"POST", "/events/dialogue/registrations/1/resend"},
	{"GET", "/events/dialogue/people/remind"},
	{"POST", "/events/dialogue/people/remind"},
	{"GET", "/events/dialogue/mail"},
	{"GET", "/events/dialogue/mail/codes"},
	{"POST", "/events/dialogue/mail/codes"},
	{"POST", "/events/dialogue/mail/codes/reset"},
	{"GET", "/events/dialogue/mail/codes/preview.html"},
	{"GET", "/events/dialogue/forms"},
	{"POST", "/events/dialogue/forms"},
	{"GET", "/events/dialogue/certificates"},
	{"POST", "/events/dialogue/certificates/issue"},
	{"POST", "/events/dialogue/certificates/override"},
	{"POST", "/events/dialogue/exports/certificates.zip"},
	{"GET", "/events/dialogue/exports/attendance.csv"},
	{"GET", "/events/dialogue/exports/certificates.csv"},
	{"GET", "/events/dialogue/report"},
	{"POST", "/signout"},
}

// registration reads a registration of the harness's event by email.
func (h *harness) registration(email string) attendance.Registration {
	h.t.Helper()
	r, err := h.st.Registration(context.Background(), h.ev.ID, email)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// seedChat stores chat messages of the harness's event's stream, as the
// collector commits a page; a message without a time is published now,
// without a type is text.
func (h *harness) seedChat(msgs ...attendance.ChatMessage) {
	h.t.Helper()
	ctx := context.Background()
	streams, err := h.st.Streams(ctx, h.ev.ID)
	if err != nil || len(streams) == 0 {
		h.t.Fatalf("streams: %v", err)
	}
	for i := range msgs {
		if msgs[i].PublishedAt.IsZero() {
			msgs[i].PublishedAt = h.clock.Now()
		}
		if msgs[i].Type == "" {
			msgs[i].Type = attendance.MsgText
		}
	}
	if err := h.st.CommitChatPage(ctx, attendance.ChatPage{StreamID: streams[0].ID, Messages: msgs}); err != nil {
		h.t.Fatal(err)
	}
}

func TestAnonymousSeesOnlySignIn(t *testing.T) {
	h := newHarness(t)
	h.seedPeople(xss)
	c := h.anon()
	for _, rt := range personRoutes {
		req, _ := http.NewRequest(rt.method, h.ts.URL+rt.path, strings.NewReader(""))
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch {
		case res.StatusCode == http.StatusSeeOther && res.Header.Get("Location") == "/signin":
		case res.StatusCode == http.StatusUnauthorized:
		default:
			t.Errorf("%s %s: anonymous got %d %s", rt.method, rt.path, res.StatusCode, res.Header.Get("Location"))
		}
		if strings.Contains(string(b), "p0@example.org") || strings.Contains(string(b), "onerror") {
			t.Errorf("%s %s: anonymous saw a person", rt.method, rt.path)
		}
	}
	for _, p := range []string{"/healthz", "/static/app.css", "/static/app.js", "/signin", "/metrics"} {
		if res, _ := h.get(c, p); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", p, res.StatusCode)
		}
	}
	if res, _ := h.get(c, "/verify/abc"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /verify without a hook: %d, want 404", res.StatusCode)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	h := newHarness(t)
	admin := h.signIn(adminEmail)
	anon := h.anon()
	paths := []string{"/signin", "/healthz", "/readyz", "/metrics", "/static/app.js", "/nope", "/events", "/events/dialogue",
		"/events/dialogue/registrations", "/events/dialogue/certificates", "/events/dialogue/report", "/events/dialogue/live.json",
		"/events/dialogue/exports/certificates.csv"}
	for _, c := range []*http.Client{anon, admin} {
		for _, p := range paths {
			res, _ := h.get(c, p)
			hd := res.Header
			if csp := hd.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") ||
				strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("GET %s: CSP %q", p, csp)
			}
			for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
				if hd.Get(k) != v {
					t.Errorf("GET %s: %s = %q, want %q", p, k, hd.Get(k), v)
				}
			}
		}
	}
}

func TestNoInlineScript(t *testing.T) {
	h := newHarness(t)
	admin := h.signIn(adminEmail)
	for _, p := range []string{"/signin", "/events", "/events/dialogue", "/events/dialogue/registrations", "/events/dialogue/report", "/events/dialogue/certificates", "/events/dialogue/forms"} {
		_, body := h.get(admin, p)
		for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
			if !strings.Contains(m, `src="/static/`) {
				t.Errorf("%s: inline script %s", p, m)
			}
		}
		if strings.Contains(body, " style=") || strings.Contains(body, " onclick=") {
			t.Errorf("%s: inline style or handler", p)
		}
	}
}

func TestCSRF(t *testing.T) {
	h := newHarness(t)
	admin := h.signIn(adminEmail)
	token := h.csrf(admin)
	form := url.Values{"word": {"mango"}, "minutes": {"5"}}
	if res := h.post(admin, "/events/dialogue/checkpoints", form); res.StatusCode != http.StatusForbidden {
		t.Errorf("POST without token: %d, want 403", res.StatusCode)
	}
	form.Set("csrf", "forged")
	if res := h.post(admin, "/events/dialogue/checkpoints", form); res.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a wrong token: %d, want 403", res.StatusCode)
	}
	// A cross-site request is refused even with a token (the browser says so).
	form.Set("csrf", token)
	req, _ := http.NewRequest("POST", h.ts.URL+"/events/dialogue/checkpoints", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := admin.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", res.StatusCode)
	}
	if cps, _ := h.st.Checkpoints(context.Background(), h.ev.ID); len(cps) != 0 {
		t.Fatalf("a refused request opened a checkpoint: %+v", cps)
	}
	if res := h.post(admin, "/events/dialogue/checkpoints", form); res.StatusCode != http.StatusSeeOther {
		t.Errorf("POST with the token: %d, want 303", res.StatusCode)
	}
	if cps, _ := h.st.Checkpoints(context.Background(), h.ev.ID); len(cps) != 1 || cps[0].Word != "mango" {
		t.Fatalf("checkpoints %+v", cps)
	}
	// Tokens are per session: another admin session's token does not fit.
	other := h.signIn(adminEmail)
	if res := h.post(other, "/events/dialogue/checkpoints/1/close", url.Values{"csrf": {token}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("another session's token: %d, want 403", res.StatusCode)
	}
}

func TestXSSRendersInert(t *testing.T) {
	h := newHarness(t)
	h.seedPeople(xss)
	p0 := h.registration("p0@example.org")
	h.seedChat(attendance.ChatMessage{ID: "m1", AuthorChannelID: fmt.Sprintf("UC%022d", 0), AuthorName: xss, Text: xss})
	admin := h.signIn(adminEmail)
	for _, p := range []string{"/events/dialogue", "/events/dialogue/registrations?q=x", fmt.Sprintf("/events/dialogue/registrations/%d", p0.ID)} {
		_, body := h.get(admin, p)
		if strings.Contains(body, xss) || strings.Contains(body, "<img") {
			t.Errorf("%s: raw markup from a name", p)
		}
		if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("%s: the name is not shown as text", p)
		}
	}
}

func TestSessionLifecycle(t *testing.T) {
	h := newHarness(t)
	admin := h.signIn(adminEmail)
	u, _ := url.Parse(h.ts.URL)
	cookies := admin.Jar.Cookies(u)
	if len(cookies) != 1 || cookies[0].Name != "rollcall_session" {
		t.Fatalf("cookies %+v", cookies)
	}
	stolen := cookies[0].Value
	if res, _ := h.get(admin, "/events"); res.StatusCode != http.StatusOK {
		t.Fatalf("signed in: %d", res.StatusCode)
	}
	// Rotation: signing in again gives a new token and ends the old session.
	h.post(admin, "/signin", url.Values{"email": {adminEmail}, "password": {password}})
	if admin.Jar.Cookies(u)[0].Value == stolen {
		t.Fatal("token not rotated at sign-in")
	}
	replay := h.anon()
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: "rollcall_session", Value: stolen}})
	if res, _ := h.get(replay, "/events"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("old token still works: %d", res.StatusCode)
	}
	// Sign-out ends the session on the server.
	tok := admin.Jar.Cookies(u)[0].Value
	h.post(admin, "/signout", url.Values{"csrf": {h.csrf(admin)}})
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: "rollcall_session", Value: tok}})
	if res, _ := h.get(replay, "/events"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("token works after sign-out: %d", res.StatusCode)
	}
	// Idle timeout.
	c := h.signIn(viewerEmail)
	h.clock.Add(13 * time.Hour)
	if res, _ := h.get(c, "/events"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("idle session still works: %d", res.StatusCode)
	}
	// Absolute timeout, even when used every few hours.
	c = h.signIn(viewerEmail)
	for i := 1; i <= 20; i++ {
		h.clock.Add(11 * time.Hour)
		if res, _ := h.get(c, "/events"); res.StatusCode != http.StatusOK {
			if i*11 < 7*24 {
				t.Fatalf("session ended early after %d h", i*11)
			}
			return
		}
	}
	t.Fatal("session outlived its absolute timeout")
}

func TestSecureCookieName(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SecureCookies = true })
	res, err := h.anon().PostForm(h.ts.URL+"/signin", url.Values{"email": {adminEmail}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	sc := res.Header.Get("Set-Cookie")
	for _, want := range []string{"__Host-rollcall_session=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %s", sc, want)
		}
	}
	if strings.Contains(sc, "Domain=") {
		t.Errorf("__Host- cookie with a Domain: %q", sc)
	}
}

func TestViewerSeesAggregatesOnly(t *testing.T) {
	h := newHarness(t)
	h.seedPeople("Nguyễn Thị Lan", "Somchai Jaidee")
	if _, err := h.st.AddCheckpoint(context.Background(), h.ev.ID, "durian", h.clock.Now(), h.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	viewer := h.signIn(viewerEmail)
	for _, p := range []string{"/events/dialogue/registrations", "/events/dialogue/registrations/1", "/events/dialogue/forms",
		"/events/dialogue/exports/attendance.csv", "/events/dialogue/exports/certificates.csv"} {
		if res, _ := h.get(viewer, p); res.StatusCode != http.StatusForbidden {
			t.Errorf("viewer GET %s: %d, want 403", p, res.StatusCode)
		}
	}
	for _, p := range []string{"/events/dialogue", "/events/dialogue/live.json", "/events/dialogue/report", "/events/dialogue/certificates"} {
		res, body := h.get(viewer, p)
		if res.StatusCode != http.StatusOK {
			t.Errorf("viewer GET %s: %d", p, res.StatusCode)
		}
		for _, secret := range []string{"Somchai", "Nguyễn", "durian", "@example.org"} {
			if strings.Contains(body, secret) {
				t.Errorf("viewer GET %s shows %q", p, secret)
			}
		}
	}
	if res := h.post(viewer, "/events/dialogue/checkpoints", url.Values{"csrf": {h.csrf(viewer)}, "word": {"x"}, "minutes": {"3"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer opened a checkpoint: %d", res.StatusCode)
	}
	admin := h.signIn(adminEmail)
	_, body := h.get(admin, "/events/dialogue")
	for _, want := range []string{"Somchai Jaidee", "Nguyễn Thị Lan", "durian"} {
		if !strings.Contains(body, want) {
			t.Errorf("admin live page lacks %q", want)
		}
	}
}

func TestExportsAreAudited(t *testing.T) {
	h := newHarness(t)
	h.seedPeople("Ana Santos")
	ana := h.registration("p0@example.org")
	admin := h.signIn(adminEmail)
	res, body := h.get(admin, "/events/dialogue/exports/certificates.csv")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="dialogue-certificates-`) ||
		!strings.Contains(body, "certificate_type,full_name,email,certificate_id") {
		t.Fatalf("export: %d %q %q", res.StatusCode, res.Header.Get("Content-Disposition"), body)
	}
	h.get(admin, "/events/dialogue/exports/attendance.csv")
	override := fmt.Sprintf("/events/dialogue/registrations/%d/override", ana.ID)
	h.post(admin, override, url.Values{"csrf": {h.csrf(admin)}, "certificate": {"participation"}, "why": {"was on a phone call"}})
	// One row per action: the dashboard audits the downloads, the store
	// the override it writes, in the name the dashboard passes.
	got := strings.Join(auditLog(t, h.st, h.ev.ID), "\n")
	want := "admin@seameo.test export.attendance attendance.csv\nadmin@seameo.test export.certificates certificates.csv\n" +
		fmt.Sprintf("admin@seameo.test override registration %d", ana.ID)
	if got != want {
		t.Fatalf("audit log:\n%s\nwant:\n%s", got, want)
	}
	if d, err := h.st.Decision(context.Background(), h.ev.ID, ana.ID); err != nil || d.Certificate != attendance.CertParticipation ||
		d.Evidence.Override == nil || d.Evidence.Override.Why != "was on a phone call" || d.Evidence.Override.Staff != adminEmail {
		t.Fatalf("override not stored as posted: %+v %v", d.Evidence.Override, err)
	}
	if res := h.post(admin, override, url.Values{"csrf": {h.csrf(admin)}, "certificate": {"participation"}}); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("override without a reason: %d", res.StatusCode)
	}
}

func TestRegistrationImport(t *testing.T) {
	h := newHarness(t)
	admin := h.signIn(adminEmail)
	tok := h.csrf(admin)
	bad := "Full name,Email,Country\nAna Santos,ana@example.org,Philippines\nBui Van An,not-an-email,Viet Nam\n"
	res, body := h.upload(admin, "/events/dialogue/registrations", tok, "people.csv", bad)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "people.csv: row 3") || !strings.Contains(body, "Email") {
		t.Fatalf("bad file: %d\n%s", res.StatusCode, body)
	}
	if n, _ := h.st.RegistrationCount(context.Background(), h.ev.ID); n != 0 {
		t.Fatalf("half-imported: %d", n)
	}
	good := "Full name,Email,Country\nAna Santos,ana@example.org,Philippines\nBui Van An,an@example.org,Viet Nam\n"
	res, _ = h.upload(admin, "/events/dialogue/registrations", tok, "people.csv", good)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("good file: %d", res.StatusCode)
	}
	_, body = h.get(admin, res.Header.Get("Location"))
	if !strings.Contains(body, "2 rows read: 2 added") {
		t.Fatalf("good file: %d\n%s", res.StatusCode, body)
	}
}

func TestCreateEvent(t *testing.T) {
	h := newHarness(t)
	admin := h.signIn(adminEmail)
	res := h.post(admin, "/events", url.Values{"csrf": {h.csrf(admin)}, "slug": {"ased-2026"}, "title": {"ASED 2026"},
		"video": {"https://www.youtube.com/watch?v=aqz-KE-bpKQ&t=10s"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/events/ased-2026" {
		t.Fatalf("create: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	ev, err := h.st.Event(context.Background(), "ased-2026")
	if err != nil || len(ev.VideoIDs) != 1 || ev.VideoIDs[0] != "aqz-KE-bpKQ" {
		t.Fatalf("event %+v %v", ev, err)
	}
	res2, err := admin.PostForm(h.ts.URL+"/events", url.Values{"csrf": {h.csrf(admin)}, "slug": {"x"}, "video": {"https://example.org/nope"}})
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad link: %d", res2.StatusCode)
	}
}

func TestLiveSnapshotAndSSE(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.LiveInterval = 20 * time.Millisecond })
	ctx := context.Background()
	streams, _ := h.st.Streams(ctx, h.ev.ID)
	v := int64(120)
	if err := h.st.RecordStreamSample(ctx, streams[0].ID, attendance.StreamSample{At: h.clock.Now(), State: attendance.StreamLive, ConcurrentViewers: &v}); err != nil {
		t.Fatal(err)
	}
	admin := h.signIn(adminEmail)
	sctx, cancel := context.WithCancel(ctx)
	req, _ := http.NewRequestWithContext(sctx, "GET", h.ts.URL+"/events/dialogue/live", nil)
	res, err := admin.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	buf := make([]byte, 64<<10)
	var got strings.Builder
	for !strings.Contains(got.String(), `"viewers":121`) {
		n, err := res.Body.Read(buf)
		if err != nil {
			t.Fatalf("stream ended: %v\n%s", err, got.String())
		}
		got.Write(buf[:n])
		if strings.Contains(got.String(), `"viewers":120`) && !strings.Contains(got.String(), "121") {
			v2 := int64(121)
			h.clock.Add(30 * time.Second)
			h.st.RecordStreamSample(ctx, streams[0].ID, attendance.StreamSample{At: h.clock.Now(), State: attendance.StreamLive, ConcurrentViewers: &v2})
		}
	}
	if !strings.Contains(got.String(), "event: snapshot\ndata: {") {
		t.Fatalf("not SSE framing: %q", got.String()[:100])
	}
	cancel()
	res.Body.Close()
}

func TestServeShutsDownWithOpenStreams(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := listen()
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- h.srv.Serve(ctx, ln) }()
	admin := h.signIn(adminEmail) // on the httptest server: same store, same sessions
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/events/dialogue/live", nil)
	res, err := admin.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	if _, err := res.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return with a live stream open")
	}
	res.Body.Close()
}

func TestHealthAndReady(t *testing.T) {
	notReady := fmt.Errorf("collector starting")
	var ready error
	h := newHarness(t, func(c *Config) { c.Ready = func() error { return ready } })
	c := h.anon()
	if res, _ := h.get(c, "/readyz"); res.StatusCode != http.StatusOK {
		t.Fatalf("readyz %d", res.StatusCode)
	}
	ready = notReady
	if res, _ := h.get(c, "/readyz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz not ready %d", res.StatusCode)
	}
	h.st.Close()
	if res, _ := h.get(c, "/healthz"); res.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", res.StatusCode)
	}
	ready = nil
	if res, _ := h.get(c, "/readyz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the database closed %d", res.StatusCode)
	}
}

func TestPasswordHash(t *testing.T) {
	hash, err := HashPassword("s3cret-enough-pass")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") || !CheckPassword(hash, "s3cret-enough-pass") || CheckPassword(hash, "s3cret-enough-pasS") {
		t.Fatalf("hash %q", hash)
	}
	for _, bad := range []string{"", "$argon2id$", dummyHash[:20], "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$a2V5"} {
		if CheckPassword(bad, "x") {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := CreateStaffUser(context.Background(), nil, "a@b.org", "admin", "short"); attendance.ErrorCode(err) != attendance.EInvalid {
		t.Errorf("short password: %v", err)
	}
}

func TestSessionEndedElsewhere(t *testing.T) {
	h := newHarness(t)
	c := h.signIn(viewerEmail)
	if res, _ := h.get(c, "/events"); res.StatusCode != http.StatusOK {
		t.Fatal(res.StatusCode)
	}
	// Another replica signs the session out: this one trusts its read for
	// at most a few seconds.
	far := h.clock.Now().Add(365 * 24 * time.Hour)
	if n, err := h.st.DeleteExpiredStaffSessions(context.Background(), far, far); err != nil || n == 0 {
		t.Fatal(n, err)
	}
	h.clock.Add(sessionCacheTTL)
	if res, _ := h.get(c, "/events"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("session ended elsewhere still works after %s: %d", sessionCacheTTL, res.StatusCode)
	}
}
