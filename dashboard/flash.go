package dashboard

import (
	"encoding/base64"
	"net/http"
	"unicode/utf8"
)

// A page's one-time notice after a POST ("checkpoint 2 open", an import's
// summary) travels in a short-lived cookie, never in the URL: text from a
// URL would let anyone send staff a link to an admin page that says what
// they like.

// flashMaxAge is how long a notice waits for the page after the redirect.
const flashMaxAge = 60 // seconds

func (s *Server) flashCookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-rollcall_flash"
	}
	return "rollcall_flash"
}

// redirectWithFlash answers a POST with a redirect to url and a notice for
// the page there.
func (s *Server) redirectWithFlash(w http.ResponseWriter, r *http.Request, url, msg string) {
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	http.SetCookie(w, &http.Cookie{Name: s.flashCookieName(), Value: base64.RawURLEncoding.EncodeToString([]byte(msg)), Path: "/",
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode, MaxAge: flashMaxAge})
	http.Redirect(w, r, url, http.StatusSeeOther)
}

// flash returns the notice left for this page, once.
func (s *Server) flash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(s.flashCookieName())
	if err != nil || c.Value == "" {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: s.flashCookieName(), Value: "", Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || !utf8.Valid(b) {
		return ""
	}
	return string(b)
}
