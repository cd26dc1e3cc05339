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
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// YouTubeScope is the OAuth scope rollcall asks for: it covers listing,
// broadcasts and posting to chat.
const YouTubeScope = "https://www.googleapis.com/auth/youtube"

// GoogleOAuthConfig is the OAuth configuration of a Google "desktop app"
// client. The client secret of a desktop client is not confidential, but
// it is still kept out of logs.
func GoogleOAuthConfig(clientID, clientSecret string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   "https://accounts.google.com/o/oauth2/auth",
			TokenURL:  "https://oauth2.googleapis.com/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		Scopes: []string{YouTubeScope},
	}
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
	tok, err := conf.Exchange(ctx, res.code, oauth2.VerifierOption(verifier))
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

// SaveToken writes the token as JSON to path with mode 0600, atomically
// (a temporary file in the same directory, then rename).
func SaveToken(path string, tok *oauth2.Token) error {
	data, err := json.Marshal(tok)
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
	var tok oauth2.Token
	if err := json.Unmarshal([]byte(data), &tok); err != nil {
		return nil, fmt.Errorf("oauth: token file %s is not a token: %w", path, err)
	}
	if tok.RefreshToken == "" && tok.AccessToken == "" {
		return nil, fmt.Errorf("oauth: token file %s holds no token", path)
	}
	return &tok, nil
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
	fresh, err := cfg.TokenSource(ctx, &expired).Token()
	if err != nil {
		return nil, fmt.Errorf("oauth: check grant: %w", oauthError(err))
	}
	return fresh, nil
}

// RefreshingTokenSource hands out the channel owner's access token,
// refreshing it when it expires or when YouTube rejected it (Invalidate),
// and reports every new token to onRefresh so it can be saved. x/oauth2
// itself never refreshes a token that YouTube answered 401 to.
type RefreshingTokenSource struct {
	ctx       context.Context
	cfg       *oauth2.Config
	onRefresh func(*oauth2.Token)

	mu  sync.Mutex
	tok *oauth2.Token
}

// NewRefreshingTokenSource returns a token source over cfg starting from
// tok. ctx carries the HTTP client for the token endpoint, if any; it is
// used for every refresh. onRefresh may be nil.
func NewRefreshingTokenSource(ctx context.Context, cfg *oauth2.Config, tok *oauth2.Token, onRefresh func(*oauth2.Token)) *RefreshingTokenSource {
	return &RefreshingTokenSource{ctx: ctx, cfg: cfg, tok: tok, onRefresh: onRefresh}
}

// Token returns a valid access token, refreshing it when needed.
func (s *RefreshingTokenSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.Valid() {
		return s.tok, nil
	}
	fresh, err := s.cfg.TokenSource(s.ctx, s.tok).Token()
	if err != nil {
		return nil, fmt.Errorf("oauth: refresh token: %w", oauthError(err))
	}
	if fresh.RefreshToken == "" {
		fresh.RefreshToken = s.tok.RefreshToken
	}
	s.tok = fresh
	if s.onRefresh != nil {
		s.onRefresh(fresh)
	}
	return fresh, nil
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
// 401, invalidates it and retries the request once with a fresh one.
type bearerTransport struct {
	source oauth2.TokenSource
	base   http.RoundTripper
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
		return nil, err
	}
	r := req.Clone(req.Context())
	tok.SetAuthHeader(r)
	return t.base.RoundTrip(r)
}
