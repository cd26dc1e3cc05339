package collector

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// OAuth scopes rollcall asks for (developers.google.com/youtube/v3/guides/auth
// and each method's "Authorization" section): reading needs youtube.readonly
// (or any wider YouTube scope); posting to chat (liveChatMessages.insert)
// needs youtube or youtube.force-ssl; YouTube Analytics reports need
// yt-analytics.readonly. Ask for no more than the configuration uses.
const (
	ScopeReadOnly  = "https://www.googleapis.com/auth/youtube.readonly"
	ScopeYouTube   = "https://www.googleapis.com/auth/youtube"
	ScopeForceSSL  = "https://www.googleapis.com/auth/youtube.force-ssl"
	ScopeAnalytics = "https://www.googleapis.com/auth/yt-analytics.readonly"
)

// YouTubeScope is the scope that covers reading, broadcasts and posting.
const YouTubeScope = ScopeYouTube

// scopeOf is the scope URL of a short name, as --scopes takes them.
func scopeOf(name string) (string, bool) {
	switch name {
	case "readonly":
		return ScopeReadOnly, true
	case "youtube":
		return ScopeYouTube, true
	case "force-ssl":
		return ScopeForceSSL, true
	case "analytics":
		return ScopeAnalytics, true
	}
	return "", false
}

// ParseScopes turns short scope names (readonly, youtube, force-ssl,
// analytics) or full scope URLs into scope URLs, in a stable order and
// without repeats.
func ParseScopes(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		full, ok := scopeOf(n)
		if !ok && ScopeName(n) != n {
			full, ok = n, true // a full URL of a known scope
		}
		if !ok {
			return nil, fmt.Errorf("oauth: unknown scope %q: expected readonly, youtube, force-ssl or analytics", n)
		}
		if !slices.Contains(out, full) {
			out = append(out, full)
		}
	}
	slices.Sort(out)
	return out, nil
}

// ScopeName is the short name of a scope URL (the URL itself when it has
// none).
func ScopeName(scope string) string {
	for _, name := range []string{"readonly", "youtube", "force-ssl", "analytics"} {
		if full, _ := scopeOf(name); full == scope {
			return name
		}
	}
	return scope
}

// NeededScopes are the scopes a configuration uses: reading always,
// posting to chat when announcements are on, Analytics when reach is
// fetched.
func NeededScopes(announce, analytics bool) []string {
	need := []string{ScopeReadOnly}
	if announce {
		need = []string{ScopeYouTube}
	}
	if analytics {
		need = append(need, ScopeAnalytics)
	}
	slices.Sort(need)
	return need
}

// covers reports whether a granted scope grants what need asks: the wider
// YouTube scopes include reading, and force-ssl is accepted wherever
// youtube is (liveChatMessages.insert lists both).
func covers(granted, need string) bool {
	if granted == need {
		return true
	}
	switch need {
	case ScopeReadOnly:
		return granted == ScopeYouTube || granted == ScopeForceSSL
	case ScopeYouTube:
		return granted == ScopeForceSSL
	}
	return false
}

// GrantedScopes are the scopes Google's token endpoint said the token has
// (the "scope" field of a token response, space-separated); known is false
// when the response carried none, as a token saved before rollcall kept it
// may not.
func GrantedScopes(tok *oauth2.Token) (scopes []string, known bool) {
	if tok == nil {
		return nil, false
	}
	v, _ := tok.Extra("scope").(string)
	if v == "" {
		return nil, false
	}
	scopes = strings.Fields(v)
	slices.Sort(scopes)
	return scopes, true
}

// MissingScopes are the scopes of need that granted does not cover.
func MissingScopes(granted, need []string) []string {
	var missing []string
	for _, n := range need {
		if !slices.ContainsFunc(granted, func(g string) bool { return covers(g, n) }) {
			missing = append(missing, n)
		}
	}
	return missing
}

// deviceScope reports whether Google's device flow grants a scope of ours
// (YOUTUBE.md: "The device flow allows only youtube and youtube.readonly";
// any other scope answers invalid_scope).
func deviceScope(s string) bool { return s == ScopeReadOnly || s == ScopeYouTube }

// tokenTimeout bounds one call to the token endpoint, so that a refresh
// never hangs a reader.
const tokenTimeout = 30 * time.Second

// withTokenClient returns ctx carrying an HTTP client with a timeout for
// the token endpoint, unless ctx carries one already (tests do).
func withTokenClient(ctx context.Context) context.Context {
	if _, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok {
		return ctx
	}
	return context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: tokenTimeout})
}

// GoogleOAuthConfig is the OAuth configuration of a Google client asking for
// scopes (reading only when none is given). The client secret of a desktop
// client is not confidential, but it is still kept out of logs. The device
// flow needs a client of type "TVs and Limited Input devices".
func GoogleOAuthConfig(clientID, clientSecret string, scopes ...string) *oauth2.Config {
	if len(scopes) == 0 {
		scopes = []string{ScopeReadOnly}
	}
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:       "https://accounts.google.com/o/oauth2/auth",
			TokenURL:      "https://oauth2.googleapis.com/token",
			DeviceAuthURL: "https://oauth2.googleapis.com/device/code",
			AuthStyle:     oauth2.AuthStyleInParams,
		},
		Scopes: scopes,
	}
}

// SetOAuthEndpoint points cfg at another OAuth server (the fake, a
// proxy): base + "/o/oauth2/auth", "/token" and "/device/code", the paths
// Google uses.
func SetOAuthEndpoint(cfg *oauth2.Config, base string) {
	base = strings.TrimSuffix(base, "/")
	cfg.Endpoint.AuthURL = base + "/o/oauth2/auth"
	cfg.Endpoint.TokenURL = base + "/token"
	cfg.Endpoint.DeviceAuthURL = base + "/device/code"
}

// LoginDevice runs the device flow for a machine with no browser: it asks
// for a user code, hands it to show (the person opens the address on any
// device signed in as the channel owner and types the code), and polls the
// token endpoint at the interval Google gives until the grant is approved,
// refused or expired. Google's device flow grants youtube and
// youtube.readonly only: Analytics needs the loopback flow on a machine
// with a browser.
func LoginDevice(ctx context.Context, cfg *oauth2.Config, show func(*oauth2.DeviceAuthResponse) error) (*oauth2.Token, error) {
	for _, s := range cfg.Scopes {
		if !deviceScope(s) {
			return nil, fmt.Errorf("oauth: the device flow cannot grant %s (Google allows only youtube and youtube.readonly there): run 'rollcall auth login' without --device on a machine with a browser", ScopeName(s))
		}
	}
	ctx = withTokenClient(ctx)
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauth: device code: %w", oauthError(err))
	}
	if err := show(da); err != nil {
		return nil, fmt.Errorf("oauth: show the device code: %w", err)
	}
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			switch re.ErrorCode {
			case "access_denied":
				return nil, errors.New("oauth: the channel owner refused the grant")
			case "expired_token":
				return nil, errors.New("oauth: the device code expired before it was approved: run the login again")
			}
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("oauth: waiting for approval: %w", ctx.Err())
		}
		if errors.Is(err, context.DeadlineExceeded) {
			// x/oauth2 stops polling when the code's expires_in has passed.
			return nil, errors.New("oauth: the device code expired before it was approved: run the login again")
		}
		return nil, fmt.Errorf("oauth: device token: %w", oauthError(err))
	}
	if tok.RefreshToken == "" {
		return nil, errors.New("oauth: google sent no refresh token: remove rollcall's access in the google account and log in again")
	}
	return tok, nil
}

// Login runs the installed-app loopback flow with PKCE: it listens on
// 127.0.0.1 (a free port), hands the consent URL to open (which starts a
// browser or prints it), waits for Google to redirect back with a code,
// checks the state, and exchanges the code with the PKCE verifier. cfg is
// copied; its RedirectURL is set to the loopback address.
func Login(ctx context.Context, cfg *oauth2.Config, open func(authURL string) error) (*oauth2.Token, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("oauth: listen on loopback: %w", err)
	}
	defer ln.Close()
	conf := *cfg
	conf.RedirectURL = "http://" + ln.Addr().String() + "/callback"
	state, err := randomString(24)
	if err != nil {
		return nil, fmt.Errorf("oauth: state: %w", err)
	}
	verifier := oauth2.GenerateVerifier()

	type result struct {
		code string
		err  error
	}
	results := make(chan result, 1)
	send := func(r result) {
		select {
		case results <- r:
		default:
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case q.Get("state") != state:
			http.Error(w, "state does not match: start the login again", http.StatusBadRequest)
			send(result{err: errors.New("oauth: callback state does not match")})
		case q.Get("error") != "":
			http.Error(w, "authorisation refused: "+q.Get("error"), http.StatusForbidden)
			send(result{err: fmt.Errorf("oauth: authorisation refused: %s", q.Get("error"))})
		case q.Get("code") == "":
			http.Error(w, "no code in the callback", http.StatusBadRequest)
			send(result{err: errors.New("oauth: callback without a code")})
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<!doctype html><title>rollcall</title><p>"+html.EscapeString("rollcall is authorised. You can close this tab.")+"</p>")
			send(result{code: q.Get("code")})
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	authURL := conf.AuthCodeURL(state, oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("prompt", "consent"))
	if err := open(authURL); err != nil {
		return nil, fmt.Errorf("oauth: open consent page: %w", err)
	}
	var res result
	select {
	case res = <-results:
	case <-ctx.Done():
		return nil, fmt.Errorf("oauth: waiting for the browser: %w", ctx.Err())
	}
	if res.err != nil {
		return nil, res.err
	}
	tok, err := conf.Exchange(withTokenClient(ctx), res.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("oauth: exchange code: %w", oauthError(err))
	}
	if tok.RefreshToken == "" {
		return nil, errors.New("oauth: google sent no refresh token: remove rollcall's access in the google account and log in again")
	}
	return tok, nil
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// oauthError turns a token endpoint failure into a short error without
// the response body (which may echo secrets); invalid_grant becomes
// ErrGrantInvalid.
func oauthError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode == "invalid_grant" {
			return fmt.Errorf("%w (%s)", ErrGrantInvalid, redact(re.ErrorDescription))
		}
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return fmt.Errorf("token endpoint answered %d %s: %s", status, re.ErrorCode, redact(re.ErrorDescription))
	}
	return errors.New(redact(err.Error()))
}

// tokenFile is a token file: x/oauth2's token and the scopes Google said
// it grants (kept so that 'auth check' and the grant monitor can name a
// missing scope).
type tokenFile struct {
	*oauth2.Token
	Scope string `json:"scope,omitempty"`
}

// SaveToken writes the token as JSON to path with mode 0600, atomically
// (a temporary file in the same directory, then rename).
func SaveToken(path string, tok *oauth2.Token) error {
	scope, _ := tok.Extra("scope").(string)
	data, err := json.Marshal(tokenFile{Token: tok, Scope: scope})
	if err != nil {
		return fmt.Errorf("oauth: encode token: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".token-*")
	if err != nil {
		return fmt.Errorf("oauth: save token: %w", err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("oauth: save token: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("oauth: save token: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("oauth: save token: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("oauth: save token: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("oauth: save token: %w", err)
	}
	return nil
}

// LoadToken reads a token file saved by SaveToken. It refuses a file that
// group or others may read or write.
func LoadToken(path string) (*oauth2.Token, error) {
	data, err := ReadSecretFile(path)
	if err != nil {
		return nil, err
	}
	var tf tokenFile
	if err := json.Unmarshal([]byte(data), &tf); err != nil {
		return nil, fmt.Errorf("oauth: token file %s is not a token: %w", path, err)
	}
	if tf.Token == nil || tf.RefreshToken == "" && tf.AccessToken == "" {
		return nil, fmt.Errorf("oauth: token file %s holds no token", path)
	}
	tok := tf.Token
	if tf.Scope != "" {
		tok = tok.WithExtra(map[string]any{"scope": tf.Scope})
	}
	return tok, nil
}

// ReadSecretFile reads a secret (API key, token) from a file that only its
// owner may read, trimming surrounding space.
func ReadSecretFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("secret file: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return "", fmt.Errorf("secret file %s is readable by others (mode %04o): run chmod 600 %s", path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("secret file: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

// CheckGrant refreshes the OAuth token once, so a dead grant (a Cloud
// project in "Testing" kills refresh tokens after 7 days) is found at
// start-up, not during the event. It does not retry: invalid_grant returns
// ErrGrantInvalid, which needs a human to log in again.
func CheckGrant(ctx context.Context, cfg *oauth2.Config, tok *oauth2.Token) (*oauth2.Token, error) {
	expired := *tok
	expired.Expiry = time.Unix(1, 0) // force a refresh now
	fresh, err := cfg.TokenSource(withTokenClient(ctx), &expired).Token()
	if err != nil {
		return nil, fmt.Errorf("oauth: check grant: %w", oauthError(err))
	}
	if fresh.RefreshToken == "" {
		fresh.RefreshToken = tok.RefreshToken
	}
	if _, known := GrantedScopes(fresh); !known {
		// Keep what an earlier response said the grant holds.
		if v, ok := tok.Extra("scope").(string); ok && v != "" {
			fresh = fresh.WithExtra(map[string]any{"scope": v})
		}
	}
	return fresh, nil
}

// RefreshingTokenSource hands out the channel owner's access token,
// refreshing it when it expires or when YouTube rejected it (Invalidate),
// and reports every new token to onRefresh so it can be saved. x/oauth2
// itself never refreshes a token that YouTube answered 401 to. One refresh
// runs at a time and callers that need it wait for it, but no lock is held
// across the network: a slow token endpoint (bounded by a 30 s client
// timeout) never blocks Current or Invalidate.
type RefreshingTokenSource struct {
	ctx       context.Context
	cfg       *oauth2.Config
	onRefresh func(*oauth2.Token)

	mu         sync.Mutex
	tok        *oauth2.Token
	refreshing chan struct{} // closed when the refresh in flight ends; nil when none
	lastErr    error         // the last refresh's error, for waiters
	dead       bool          // the grant answered invalid_grant: no refresh until Recheck or Replace
	onDead     func(error)   // told once when the grant is found dead
}

// OnDead sets fn to be told, once each time, when a refresh finds the grant
// dead (invalid_grant), so the grant monitor need not wait for its hourly
// check to say so.
func (s *RefreshingTokenSource) OnDead(fn func(error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDead = fn
}

// NewRefreshingTokenSource returns a token source over cfg starting from
// tok. ctx carries the HTTP client for the token endpoint, if any (one with
// a 30 s timeout otherwise); it is used for every refresh. onRefresh may be
// nil.
func NewRefreshingTokenSource(ctx context.Context, cfg *oauth2.Config, tok *oauth2.Token, onRefresh func(*oauth2.Token)) *RefreshingTokenSource {
	return &RefreshingTokenSource{ctx: withTokenClient(ctx), cfg: cfg, tok: tok, onRefresh: onRefresh}
}

// Token returns a valid access token, refreshing it when needed.
func (s *RefreshingTokenSource) Token() (*oauth2.Token, error) {
	for {
		s.mu.Lock()
		if s.tok.Valid() {
			t := s.tok
			s.mu.Unlock()
			return t, nil
		}
		if s.dead {
			// A dead grant stays dead: asking the token endpoint again on
			// every API call would be a loop. The grant monitor rechecks.
			err := s.lastErr
			s.mu.Unlock()
			return nil, err
		}
		if wait := s.refreshing; wait != nil {
			s.mu.Unlock()
			<-wait
			s.mu.Lock()
			err := s.lastErr
			s.mu.Unlock()
			if err != nil {
				return nil, err
			}
			continue
		}
		done := make(chan struct{})
		s.refreshing = done
		stale := s.tok
		s.mu.Unlock()

		fresh, err := s.cfg.TokenSource(s.ctx, stale).Token()
		s.mu.Lock()
		s.refreshing = nil
		var died func(error)
		if err != nil {
			s.lastErr = fmt.Errorf("oauth: refresh token: %w", oauthError(err))
			s.dead = errors.Is(s.lastErr, ErrGrantInvalid)
			err = s.lastErr
			if s.dead {
				died = s.onDead
			}
		} else {
			s.lastErr = nil
			s.dead = false
			if fresh.RefreshToken == "" {
				fresh.RefreshToken = stale.RefreshToken
			}
			s.tok = fresh
		}
		close(done)
		s.mu.Unlock()
		if err != nil {
			if died != nil {
				died(err)
			}
			return nil, err
		}
		if s.onRefresh != nil {
			s.onRefresh(fresh)
		}
		return fresh, nil
	}
}

// Recheck refreshes the token now, even after the grant was found dead,
// and returns the fresh token (the grant monitor's hourly check).
func (s *RefreshingTokenSource) Recheck() (*oauth2.Token, error) {
	s.mu.Lock()
	s.dead = false
	t := *s.tok
	t.AccessToken = ""
	t.Expiry = time.Unix(1, 0)
	s.tok = &t
	s.mu.Unlock()
	return s.Token()
}

// Replace starts over from tok (a token file written by a new login).
func (s *RefreshingTokenSource) Replace(tok *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tok, s.dead, s.lastErr = tok, false, nil
}

// Current returns the token held now, refreshing nothing.
func (s *RefreshingTokenSource) Current() *oauth2.Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok
}

// Invalidate marks the current access token as dead, so the next Token
// call refreshes it.
func (s *RefreshingTokenSource) Invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := *s.tok
	t.AccessToken = ""
	t.Expiry = time.Unix(1, 0)
	s.tok = &t
}

// bearerTransport adds the OAuth access token and, when YouTube answers
// 401, invalidates it and retries the request once with a fresh one. With
// a fallback key, a dead grant sends the request with the key instead.
type bearerTransport struct {
	source      oauth2.TokenSource
	base        http.RoundTripper
	fallbackKey string
}

// RoundTrip implements http.RoundTripper.
func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.send(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	inv, ok := t.source.(interface{ Invalidate() })
	if !ok || (req.Body != nil && req.GetBody == nil) {
		return resp, nil
	}
	resp.Body.Close()
	inv.Invalidate()
	retry := req.Clone(req.Context())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("oauth: replay request body: %w", err)
		}
		retry.Body = body
	}
	return t.send(retry)
}

func (t *bearerTransport) send(req *http.Request) (*http.Response, error) {
	tok, err := t.source.Token()
	if err != nil {
		if t.fallbackKey != "" && errors.Is(err, ErrGrantInvalid) {
			r := req.Clone(req.Context())
			q := r.URL.Query()
			q.Set("key", t.fallbackKey)
			r.URL.RawQuery = q.Encode()
			return t.base.RoundTrip(r)
		}
		return nil, err
	}
	r := req.Clone(req.Context())
	tok.SetAuthHeader(r)
	return t.base.RoundTrip(r)
}
