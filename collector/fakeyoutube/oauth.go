package fakeyoutube

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// OAuth is a fake of Google's OAuth 2.0 server for an installed app, at
// Google's paths: GET /o/oauth2/auth (the consent page, approved at once),
// POST /token (authorization_code with PKCE, refresh_token, and the device
// grant) and POST /device/code. Point a client at it with
// collector.SetOAuthEndpoint(cfg, url). The access tokens it hands out are
// OAuthOptions.AccessToken, the one the fake YouTube Server accepts.
//
// What it plays, and where it comes from
// (developers.google.com/identity/protocols/oauth2/native-app and
// …/limited-input-device, RFC 6749 §5, RFC 7636, RFC 8628):
//
//   - The consent redirect carries code and state, or error=access_denied
//     when the owner refuses (OAuthOptions.Refuse).
//   - The code exchange checks client_id, client_secret, redirect_uri and
//     the S256 PKCE verifier; a wrong one answers 400 invalid_grant.
//   - Token responses carry access_token, expires_in, token_type "Bearer",
//     scope (space-separated), and refresh_token on the first exchange
//     only (refreshes do not repeat it).
//   - Google's granular consent lets the owner untick scopes: the grant
//     then holds only OAuthOptions.Grant of what was asked (the "scope" of
//     the response says which; "Granular OAuth consent" in Google's
//     identity docs).
//   - A revoked grant, or one of a project in "Testing" after 7 days,
//     answers refresh with 400 invalid_grant "Token has been expired or
//     revoked." (the wording public reports quote; Revoke).
//   - The device flow grants only youtube and youtube.readonly of ours;
//     another scope answers 400 invalid_scope (the limited-input page lists
//     the allowed scopes). Polling answers 428 authorization_pending until
//     the code is approved (Approve, or OAuthOptions.ApproveAfter polls),
//     403 slow_down when polled sooner than the interval, 403
//     access_denied when refused, 400 expired_token after expires_in.
type OAuth struct {
	opts OAuthOptions
	mux  *http.ServeMux

	mu       sync.Mutex
	codes    map[string]authCode    // authorization code → what it grants
	refresh  map[string][]string    // live refresh token → its scopes
	devices  map[string]*deviceCode // device_code → its state
	revoked  bool
	requests map[string]int // grant type (or "device/code") → calls
}

// OAuthOptions configure the fake OAuth server.
type OAuthOptions struct {
	ClientID, ClientSecret string
	AccessToken            string        // handed out by every token response
	TokenLife              time.Duration // expires_in; default 1 h less a second, as Google sends
	// Grant, when set, is what the owner leaves ticked at consent: the
	// grant holds the scopes asked for that are also in Grant.
	Grant []string
	// Refuse makes the owner refuse consent (loopback and device flow).
	Refuse bool
	// ApproveAfter approves a device code at its n-th poll; zero waits for
	// Approve.
	ApproveAfter int
	// Interval is the device flow's polling interval in seconds; default 5
	// (Google's value); tests use 1.
	Interval int
	// DeviceCodeLife is how long a device code lives; default 30 min.
	DeviceCodeLife time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

type authCode struct {
	challenge, redirect string
	scopes              []string
}

type deviceCode struct {
	user     string
	scopes   []string
	expires  time.Time
	polls    int
	lastPoll time.Time
	approved bool
	used     bool
}

// deviceScope reports whether Google's device flow allows a scope of ours
// (youtube and youtube.readonly; the limited-input page).
func deviceScope(s string) bool {
	return s == "https://www.googleapis.com/auth/youtube" || s == "https://www.googleapis.com/auth/youtube.readonly"
}

// NewOAuth returns a fake OAuth server.
func NewOAuth(opts OAuthOptions) *OAuth {
	if opts.TokenLife == 0 {
		opts.TokenLife = time.Hour - time.Second
	}
	if opts.Interval == 0 {
		opts.Interval = 5
	}
	if opts.DeviceCodeLife == 0 {
		opts.DeviceCodeLife = 30 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	o := &OAuth{opts: opts, mux: http.NewServeMux(), codes: map[string]authCode{}, refresh: map[string][]string{},
		devices: map[string]*deviceCode{}, requests: map[string]int{}}
	o.mux.HandleFunc("GET /o/oauth2/auth", o.consent)
	o.mux.HandleFunc("POST /token", o.token)
	o.mux.HandleFunc("POST /device/code", o.deviceCode)
	return o
}

// ServeHTTP implements http.Handler.
func (o *OAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) { o.mux.ServeHTTP(w, r) }

// Revoke kills every refresh token: refreshes answer invalid_grant.
func (o *OAuth) Revoke() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.revoked = true
}

// IssueRefreshToken returns a live refresh token holding scopes, as a
// login made earlier left in a token file.
func (o *OAuth) IssueRefreshToken(scopes ...string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	rt := "1//" + random(24)
	o.refresh[rt] = scopes
	return rt
}

// Approve approves the device code the owner typed; false when unknown.
func (o *OAuth) Approve(userCode string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, d := range o.devices {
		if d.user == userCode {
			d.approved = true
			return true
		}
	}
	return false
}

// Requests is how many token requests of a grant type ("refresh_token",
// "authorization_code", "urn:ietf:params:oauth:grant-type:device_code") or
// device-code requests ("device/code") the server answered.
func (o *OAuth) Requests(kind string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.requests[kind]
}

func (o *OAuth) granted(asked []string) []string {
	if o.opts.Grant == nil {
		return asked
	}
	var out []string
	for _, s := range asked {
		if slices.Contains(o.opts.Grant, s) {
			out = append(out, s)
		}
	}
	return out
}

func (o *OAuth) consent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme != "http" || !strings.HasPrefix(redirect.Host, "127.0.0.1:") {
		http.Error(w, "Error 400: invalid_request (redirect_uri)", http.StatusBadRequest)
		return
	}
	if q.Get("client_id") != o.opts.ClientID || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "Error 400: invalid_request", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	if o.opts.Refuse {
		back.Set("error", "access_denied")
	} else {
		code := "4/" + random(16)
		o.mu.Lock()
		o.codes[code] = authCode{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), scopes: o.granted(strings.Fields(q.Get("scope")))}
		o.mu.Unlock()
		back.Set("code", code)
		back.Set("scope", strings.Join(o.granted(strings.Fields(q.Get("scope"))), " "))
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (o *OAuth) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthErr(w, http.StatusBadRequest, "invalid_request", "Bad form.")
		return
	}
	f := r.PostForm
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests[f.Get("grant_type")]++
	if f.Get("client_id") != o.opts.ClientID || f.Get("client_secret") != o.opts.ClientSecret {
		oauthErr(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		c, ok := o.codes[f.Get("code")]
		delete(o.codes, f.Get("code"))
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		if !ok || c.redirect != f.Get("redirect_uri") || base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			oauthErr(w, http.StatusBadRequest, "invalid_grant", "Bad Request")
			return
		}
		o.issue(w, c.scopes, true)
	case "refresh_token":
		scopes, ok := o.refresh[f.Get("refresh_token")]
		if !ok || o.revoked {
			oauthErr(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
			return
		}
		o.issue(w, scopes, false)
	case "urn:ietf:params:oauth:grant-type:device_code":
		d, ok := o.devices[f.Get("device_code")]
		now := o.opts.Now()
		switch {
		case !ok || d.used:
			oauthErr(w, http.StatusBadRequest, "invalid_grant", "Malformed auth code.")
			return
		case now.After(d.expires):
			oauthErr(w, http.StatusBadRequest, "expired_token", "The device code has expired.")
			return
		case o.opts.Refuse:
			oauthErr(w, http.StatusForbidden, "access_denied", "Forbidden")
			return
		case !d.lastPoll.IsZero() && now.Sub(d.lastPoll) < time.Duration(o.opts.Interval)*time.Second-100*time.Millisecond:
			d.lastPoll = now
			oauthErr(w, http.StatusForbidden, "slow_down", "Forbidden")
			return
		}
		d.lastPoll = now
		d.polls++
		if o.opts.ApproveAfter > 0 && d.polls >= o.opts.ApproveAfter {
			d.approved = true
		}
		if !d.approved {
			oauthErr(w, http.StatusPreconditionRequired, "authorization_pending", "Precondition Required")
			return
		}
		d.used = true
		o.issue(w, d.scopes, true)
	default:
		oauthErr(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+f.Get("grant_type"))
	}
}

// issue writes a token response; the caller holds o.mu.
func (o *OAuth) issue(w http.ResponseWriter, scopes []string, withRefresh bool) {
	body := map[string]any{"access_token": o.opts.AccessToken, "expires_in": int(o.opts.TokenLife / time.Second),
		"token_type": "Bearer", "scope": strings.Join(scopes, " ")}
	if withRefresh {
		rt := "1//" + random(24)
		o.refresh[rt] = scopes
		body["refresh_token"] = rt
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(body)
}

func (o *OAuth) deviceCode(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthErr(w, http.StatusBadRequest, "invalid_request", "Bad form.")
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests["device/code"]++
	if r.PostForm.Get("client_id") != o.opts.ClientID {
		oauthErr(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return
	}
	scopes := strings.Fields(r.PostForm.Get("scope"))
	for _, s := range scopes {
		if !deviceScope(s) {
			oauthErr(w, http.StatusBadRequest, "invalid_scope", "Invalid device flow scope: "+s)
			return
		}
	}
	dc := "AH-" + random(20)
	user := strings.ToUpper(random(4)[:4] + "-" + random(4)[:4])
	o.devices[dc] = &deviceCode{user: user, scopes: o.granted(scopes), expires: o.opts.Now().Add(o.opts.DeviceCodeLife)}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"device_code": dc, "user_code": user,
		"verification_url": "https://www.google.com/device", "expires_in": int(o.opts.DeviceCodeLife / time.Second), "interval": o.opts.Interval})
}

// UserCodes are the device flow's user codes issued so far, sorted (tests
// approve them).
func (o *OAuth) UserCodes() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, d := range o.devices {
		out = append(out, d.user)
	}
	slices.Sort(out)
	return out
}

func oauthErr(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// random is n (at most 26) random base32 letters and digits.
func random(n int) string { return strings.ToLower(rand.Text()[:n]) }
