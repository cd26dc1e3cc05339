package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestStaticListsNothing: /static/ serves its files but no folder listing.
func TestStaticListsNothing(t *testing.T) {
	h := newHarness(t)
	for path, want := range map[string]int{
		"/static/":       http.StatusNotFound,
		"/static/app.js": http.StatusOK,
		"/static/nope":   http.StatusNotFound,
	} {
		res, body := h.get(h.anon(), path)
		if res.StatusCode != want || strings.Contains(body, "app.js\"") {
			t.Errorf("GET %s: %d, want %d\n%.200s", path, res.StatusCode, want, body)
		}
	}
}

// TestHSTSWithSecureCookies: Strict-Transport-Security comes with secure
// cookies (served over TLS) and never over plain http.
func TestHSTSWithSecureCookies(t *testing.T) {
	for _, secure := range []bool{false, true} {
		h := newHarness(t, func(c *Config) { c.SecureCookies = secure })
		res, _ := h.get(h.anon(), "/signin")
		if got := res.Header.Get("Strict-Transport-Security"); (got != "") != secure || secure && !strings.Contains(got, "max-age=") {
			t.Errorf("secure cookies %v: Strict-Transport-Security %q", secure, got)
		}
	}
}

// TestNoticeNotFromURL: an admin page shows no text from ?msg=; the notice
// after a POST comes once, from the server.
func TestNoticeNotFromURL(t *testing.T) {
	h := newHarness(t)
	admin := h.signIn(adminEmail)
	const spoof = "Your session expired: call the helpdesk at 555-0100"
	for _, p := range []string{"/events/dialogue", "/events/dialogue/registrations", "/events/dialogue/forms", "/events/dialogue/certificates"} {
		if _, body := h.get(admin, p+"?msg="+url.QueryEscape(spoof)); strings.Contains(body, "helpdesk") {
			t.Errorf("%s shows text from the URL", p)
		}
	}
	res := h.post(admin, "/events/dialogue/checkpoints", url.Values{"csrf": {h.csrf(admin)}, "word": {"durian"}, "minutes": {"5"}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || strings.Contains(loc, "?") {
		t.Fatalf("open checkpoint: %d %s", res.StatusCode, loc)
	}
	if _, body := h.get(admin, "/events/dialogue"); !strings.Contains(body, "checkpoint 1 open") {
		t.Errorf("no notice after the POST")
	}
	if _, body := h.get(admin, "/events/dialogue"); strings.Contains(body, "checkpoint 1 open") {
		t.Errorf("the notice shows twice")
	}
}
