package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

// lookupFunc adapts a function to CertificateLookup.
type lookupFunc func(ctx context.Context, id string) (attendance.PublicCertificate, error)

func (f lookupFunc) VerifyCertificate(ctx context.Context, id string) (attendance.PublicCertificate, error) {
	return f(ctx, id)
}

// verifyHarness is the dashboard with the verification page on the real
// store, an event with a speaker and a participant, and their decisions.
type verifyHarness struct {
	*harness
	speaker, participant attendance.Decision
}

func newVerifyHarness(t *testing.T) *verifyHarness {
	t.Helper()
	var st *store.Store
	lookup := lookupFunc(func(ctx context.Context, id string) (attendance.PublicCertificate, error) {
		return st.VerifyCertificate(ctx, id)
	})
	h := newHarness(t, func(c *Config) {
		v, err := NewVerifyHandler(VerifyConfig{Certificates: lookup, IssuerName: "Regional Education Secretariat", Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		c.Verify = v
	})
	st = h.st
	ctx := context.Background()
	regs := []attendance.Registration{
		{FullName: "สมชาย ใจดี", Email: "somchai@example.org", Role: attendance.RoleSpeaker},
		{FullName: "Lan Nguyễn", Email: "lan@example.org", Role: attendance.RoleSpeaker},
	}
	if _, err := st.ImportRegistrations(ctx, h.ev.ID, regs, false); err != nil {
		t.Fatal(err)
	}
	vh := &verifyHarness{harness: h}
	if _, err := st.Issue(ctx, h.ev.ID, adminEmail); err != nil {
		t.Fatal(err)
	}
	err := st.Decisions(ctx, h.ev.ID, func(d attendance.Decision) error {
		switch d.Registration.Email {
		case "somchai@example.org":
			vh.speaker = d
		case "lan@example.org":
			vh.participant = d
		}
		return nil
	})
	if err != nil || vh.speaker.CertificateID == "" || vh.participant.CertificateID == "" {
		t.Fatalf("decisions: %v %+v", err, vh.speaker)
	}
	return vh
}

func TestVerifyPage(t *testing.T) {
	h := newVerifyHarness(t)
	anon := h.anon()
	ctx := context.Background()
	id := h.speaker.CertificateID

	// withheld: an override takes the second certificate away
	if err := h.st.AddOverride(ctx, h.ev.ID, h.participant.Registration.ID, attendance.CertNone, "did not speak", "mai"); err != nil {
		t.Fatal(err)
	}

	res, body := h.get(anon, VerifyPath+id)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("valid: %d %s", res.StatusCode, body)
	}
	for _, want := range []string{`id="verdict" class="verdict verdict-valid">VALID<`, "สมชาย ใจดี", "Certificate of Appreciation", "Policy Dialogue",
		"Regional Education Secretariat", attendance.FormatCertificateID(id), "28 November 2026"} {
		if !strings.Contains(body, want) {
			t.Errorf("valid page lacks %q", want)
		}
	}
	for _, leak := range []string{"@", "somchai@", "signout", "csrf"} {
		if strings.Contains(body, leak) {
			t.Errorf("valid page shows %q", leak)
		}
	}
	for k, v := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow",
		"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}

	// typed as printed, in lower case
	if res, _ := h.get(anon, VerifyPath+strings.ToLower(attendance.FormatCertificateID(id))); res.StatusCode != http.StatusOK {
		t.Errorf("grouped lower-case id: %d", res.StatusCode)
	}

	// unknown, malformed and withheld ids: one and the same 404 page
	var first string
	for _, bad := range []string{"AAAAAAAAAAAAAAAAAAAA", "not-an-id", "%3Cscript%3E", h.participant.CertificateID} {
		res, body := h.get(anon, VerifyPath+bad)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET /verify/%s: %d, want 404", bad, res.StatusCode)
		}
		if first == "" {
			first = body
		} else if body != first {
			t.Errorf("GET /verify/%s: a different 404 page", bad)
		}
		if strings.Contains(body, "Lan") || strings.Contains(body, "VALID") {
			t.Errorf("404 page names someone: %s", body)
		}
	}

	// revoked: the page stays, now REVOKED with the date
	h.clock.Add(24 * time.Hour)
	if _, err := h.st.RevokeCertificate(ctx, h.ev.ID, id, "issued in error", "mai"); err != nil {
		t.Fatal(err)
	}
	res, body = h.get(anon, VerifyPath+id)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, ">REVOKED<") || !strings.Contains(body, "revoked on 29 November 2026") ||
		strings.Contains(body, ">VALID<") {
		t.Errorf("revoked: %d %s", res.StatusCode, body)
	}
	if strings.Contains(body, "issued in error") {
		t.Errorf("revoked page shows the staff's reason")
	}
}

func TestVerifyRateLimit(t *testing.T) {
	h := newVerifyHarness(t)
	anon := h.anon()
	for i := range 30 {
		if res, _ := h.get(anon, VerifyPath+"AAAAAAAAAAAAAAAAAAAA"); res.StatusCode != http.StatusNotFound {
			t.Fatalf("lookup %d: %d", i+1, res.StatusCode)
		}
	}
	res, _ := h.get(anon, VerifyPath+h.speaker.CertificateID)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "2" {
		t.Fatalf("31st lookup: %d, Retry-After %q; want 429 after 2 s", res.StatusCode, res.Header.Get("Retry-After"))
	}
	h.clock.Add(2 * time.Second) // 30 a minute: one token every 2 s
	if res, _ := h.get(anon, VerifyPath+h.speaker.CertificateID); res.StatusCode != http.StatusOK {
		t.Fatalf("after 2 s: %d", res.StatusCode)
	}
	if res, _ := h.get(anon, VerifyPath+h.speaker.CertificateID); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("bucket refilled more than one token: %d", res.StatusCode)
	}
}

func TestRateLimiterPerKeyAndPrune(t *testing.T) {
	ck := &clock{t: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	l := newRateLimiter(2, time.Minute, ck.Now)
	for _, key := range []string{"a", "a"} {
		if ok, _ := l.allow(key); !ok {
			t.Fatal("refused within the burst")
		}
	}
	if ok, wait := l.allow("a"); ok || wait != 30*time.Second {
		t.Fatalf("third: %v, wait %s", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("another address shares the bucket")
	}
	ck.Add(time.Minute)
	l.prune(ck.Now(), 2.0/60)
	if len(l.buckets) != 0 {
		t.Fatalf("%d full buckets kept", len(l.buckets))
	}
}

// TestVerifyURLIsTheRoute checks that the URL a certificate's QR code
// encodes (VerifyURL under the public URL) is served by the route.
func TestVerifyURLIsTheRoute(t *testing.T) {
	h := newVerifyHarness(t)
	if got := VerifyURL("https://certs.example.org/", "ABC"); got != "https://certs.example.org/verify/ABC" {
		t.Fatalf("VerifyURL = %s", got)
	}
	u, err := url.Parse(VerifyURL(h.ts.URL, h.speaker.CertificateID))
	if err != nil {
		t.Fatal(err)
	}
	res, body := h.get(h.anon(), u.Path)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, ">VALID<") {
		t.Fatalf("GET %s: %d", u, res.StatusCode)
	}
}

func TestClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 127.0.0.1, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"untrusted sender's header is ignored", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"behind a trusted proxy", "10.1.2.3:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a forged left part is skipped", "10.1.2.3:80", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted hops", "127.0.0.1:80", []string{"198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"several headers in order", "10.1.2.3:80", []string{"1.2.3.4", "198.51.100.1, 10.0.0.2"}, "198.51.100.1"},
		{"hop with a port", "10.1.2.3:80", []string{"198.51.100.1:4444"}, "198.51.100.1"},
		{"bracketed v6 hop with a port", "10.1.2.3:80", []string{"[2001:db8:1:2::5]:4444"}, "2001:db8:1:2::/64"},
		{"mangled hop stops the walk", "10.1.2.3:80", []string{"198.51.100.1, garbage"}, "10.1.2.3"},
		{"only trusted hops", "10.1.2.3:80", []string{"10.0.0.9"}, "10.0.0.9"},
		{"empty header", "10.1.2.3:80", []string{""}, "10.1.2.3"},
		{"v6 client keyed by /64", "[2001:db8:aa:bb:1:2:3:4]:443", nil, "2001:db8:aa:bb::/64"},
		{"v4-mapped remote", "[::ffff:10.1.2.3]:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"trusted v6 proxy", "[fd00::1]:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"remote that is not an address", "@", nil, "@"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientAddr(r, trusted); got != tc.want {
				t.Errorf("clientAddr = %q, want %q", got, tc.want)
			}
		})
	}
	if got := clientAddr(&http.Request{RemoteAddr: "10.1.2.3:80", Header: http.Header{"X-Forwarded-For": {"198.51.100.1"}}}, nil); got != "10.1.2.3" {
		t.Errorf("with no trusted proxies the header counted: %q", got)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 10.1.2.3/8 ,::1,, 192.0.2.4 ")
	if err != nil {
		t.Fatal(err)
	}
	if want := "[10.0.0.0/8 ::1/128 192.0.2.4/32]"; fmt.Sprint(got) != want {
		t.Errorf("got %v, want %s", got, want)
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8,proxy.internal"); err == nil || !strings.Contains(err.Error(), `"proxy.internal"`) {
		t.Errorf("a host name was taken: %v", err)
	}
}

// TestVerifyRateLimitBehindProxy: visitors behind a trusted proxy have a
// bucket each; a visitor who forges X-Forwarded-For directly does not.
func TestVerifyRateLimitBehindProxy(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	notFound := lookupFunc(func(ctx context.Context, id string) (attendance.PublicCertificate, error) {
		return attendance.PublicCertificate{}, attendance.Errorf(attendance.ENotFound, "no certificate")
	})
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	v, err := NewVerifyHandler(VerifyConfig{Certificates: notFound, PerMinute: 2, TrustedProxies: trusted, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(remote, xff string) int {
		r := httptest.NewRequest(http.MethodGet, VerifyPath+"AAAAAAAAAAAAAAAAAAAA", nil)
		r.RemoteAddr = remote
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		w := httptest.NewRecorder()
		v.ServeHTTP(w, r)
		return w.Code
	}
	for i := range 2 {
		for _, visitor := range []string{"198.51.100.1", "198.51.100.2"} {
			if code := lookup("10.0.0.5:80", visitor); code != http.StatusNotFound {
				t.Fatalf("lookup %d of %s through the proxy: %d", i+1, visitor, code)
			}
		}
	}
	if code := lookup("10.0.0.5:80", "198.51.100.1"); code != http.StatusTooManyRequests {
		t.Fatalf("third lookup of one visitor through the proxy: %d", code)
	}
	for i, forged := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		code := lookup("203.0.113.9:5000", forged)
		if want := map[bool]int{true: http.StatusNotFound, false: http.StatusTooManyRequests}[i < 2]; code != want {
			t.Fatalf("direct lookup %d with a forged header: %d, want %d", i+1, code, want)
		}
	}
}
