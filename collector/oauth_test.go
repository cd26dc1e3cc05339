package collector

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// oauthServer is a Google-like token endpoint that checks PKCE.
type oauthServer struct {
	mu        sync.Mutex
	challenge string
	dead      bool // refresh tokens are revoked
}

func (o *oauthServer) handler(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json")
		o.mu.Lock()
		defer o.mu.Unlock()
		switch r.Form.Get("grant_type") {
		case "authorization_code":
			sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
			if r.Form.Get("code") != "the-code" || base64.RawURLEncoding.EncodeToString(sum[:]) != o.challenge {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"Bad code or verifier."}`))
				return
			}
			_, _ = w.Write([]byte(`{"access_token":"ya29.first","refresh_token":"1//refresh-secret","expires_in":3599,"token_type":"Bearer","scope":"https://www.googleapis.com/auth/youtube"}`))
		case "refresh_token":
			if o.dead || r.Form.Get("refresh_token") != "1//refresh-secret" {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"Token has been expired or revoked."}`))
				return
			}
			_, _ = w.Write([]byte(`{"access_token":"ya29.refreshed","expires_in":3599,"token_type":"Bearer"}`))
		default:
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	return mux
}

func testOAuthConfig(srvURL string) *oauth2.Config {
	cfg := GoogleOAuthConfig("client-id.apps.googleusercontent.com", "GOCSPX-client-secret", YouTubeScope)
	cfg.Endpoint.AuthURL = srvURL + "/auth"
	cfg.Endpoint.TokenURL = srvURL + "/token"
	return cfg
}

func TestLoginLoopbackPKCE(t *testing.T) {
	o := &oauthServer{}
	srv := httptest.NewServer(o.handler(t))
	defer srv.Close()
	cfg := testOAuthConfig(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// the "browser": read the consent URL, then follow Google's redirect
	browser := func(authURL string) error {
		u, err := url.Parse(authURL)
		if err != nil {
			return err
		}
		q := u.Query()
		for k, want := range map[string]string{"access_type": "offline", "code_challenge_method": "S256", "response_type": "code",
			"scope": YouTubeScope, "client_id": "client-id.apps.googleusercontent.com"} {
			if q.Get(k) != want {
				t.Errorf("consent url %s = %q, want %q", k, q.Get(k), want)
			}
		}
		if strings.Contains(authURL, "GOCSPX") {
			t.Error("consent url carries the client secret")
		}
		redirect := q.Get("redirect_uri")
		if !strings.HasPrefix(redirect, "http://127.0.0.1:") {
			t.Errorf("redirect_uri = %q, want loopback", redirect)
		}
		o.mu.Lock()
		o.challenge = q.Get("code_challenge")
		o.mu.Unlock()
		go func() {
			resp, err := http.Get(redirect + "?state=" + url.QueryEscape(q.Get("state")) + "&code=the-code&scope=" + url.QueryEscape(YouTubeScope))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("callback answered %d", resp.StatusCode)
			}
		}()
		return nil
	}
	tok, err := Login(ctx, cfg, browser)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != "1//refresh-secret" || tok.AccessToken != "ya29.first" {
		t.Fatalf("token = %+v", tok)
	}

	path := filepath.Join(t.TempDir(), "token.json")
	if err := SaveToken(path, tok); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode = %v, %v", fi.Mode(), err)
	}
	loaded, err := LoadToken(path)
	if err != nil || loaded.RefreshToken != tok.RefreshToken {
		t.Fatalf("load = %+v, %v", loaded, err)
	}
	fresh, err := CheckGrant(ctx, cfg, loaded)
	if err != nil || fresh.AccessToken != "ya29.refreshed" {
		t.Fatalf("check grant = %+v, %v", fresh, err)
	}
	o.mu.Lock()
	o.dead = true
	o.mu.Unlock()
	_, err = CheckGrant(ctx, cfg, loaded)
	if !errors.Is(err, ErrGrantInvalid) {
		t.Fatalf("dead grant: %v, want ErrGrantInvalid", err)
	}
	if strings.Contains(err.Error(), "refresh-secret") || strings.Contains(err.Error(), "GOCSPX") {
		t.Errorf("error leaks a secret: %v", err)
	}
}

func TestLoginRejectsWrongState(t *testing.T) {
	srv := httptest.NewServer((&oauthServer{}).handler(t))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Login(ctx, testOAuthConfig(srv.URL), func(authURL string) error {
		u, _ := url.Parse(authURL)
		go func() {
			resp, err := http.Get(u.Query().Get("redirect_uri") + "?state=forged&code=the-code")
			if err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "state") {
		t.Fatalf("forged state: %v", err)
	}
}

func TestLoginRefusedAndCancelled(t *testing.T) {
	srv := httptest.NewServer((&oauthServer{}).handler(t))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Login(ctx, testOAuthConfig(srv.URL), func(authURL string) error {
		u, _ := url.Parse(authURL)
		go func() {
			resp, err := http.Get(u.Query().Get("redirect_uri") + "?state=" + url.QueryEscape(u.Query().Get("state")) + "&error=access_denied")
			if err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Fatalf("refused: %v", err)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	_, err = Login(cctx, testOAuthConfig(srv.URL), func(string) error { ccancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestSecretFileModes(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		mode    os.FileMode
		content string
		wantErr bool
	}{
		{"owner only", 0o600, `{"access_token":"a","refresh_token":"r"}`, false},
		{"owner read only", 0o400, `{"access_token":"a","refresh_token":"r"}`, false},
		{"group readable", 0o640, `{"access_token":"a","refresh_token":"r"}`, true},
		{"world readable", 0o644, `{"access_token":"a","refresh_token":"r"}`, true},
		{"not json", 0o600, `hello`, true},
		{"empty token", 0o600, `{}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := LoadToken(path)
			if (err != nil) != tt.wantErr {
				t.Fatalf("LoadToken err = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
	key := filepath.Join(dir, "key")
	if err := os.WriteFile(key, []byte("AIzaKEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadSecretFile(key); err != nil || got != "AIzaKEY" {
		t.Errorf("ReadSecretFile = %q, %v", got, err)
	}
}

func TestOAuthRefreshAndRetryOn401(t *testing.T) {
	o := &oauthServer{}
	tokSrv := httptest.NewServer(o.handler(t))
	defer tokSrv.Close()
	env := newFakeEnv(t, fakeyoutube.Options{AccessToken: "ya29.refreshed", OwnerChannelID: "UCowner"})
	ctx := context.Background()
	var saved []*oauth2.Token
	src := NewRefreshingTokenSource(ctx, testOAuthConfig(tokSrv.URL),
		&oauth2.Token{AccessToken: "ya29.revoked-early", RefreshToken: "1//refresh-secret", Expiry: time.Now().Add(time.Hour)},
		func(tok *oauth2.Token) { saved = append(saved, tok) })
	yt, err := NewYouTube(ctx, YouTubeConfig{TokenSource: src, Endpoint: env.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	// the cached access token is refused (401): refreshed once, retried once
	if err := yt.CheckAccess(ctx, true, ""); err != nil {
		t.Fatalf("check access: %v", err)
	}
	if len(saved) != 1 || saved[0].AccessToken != "ya29.refreshed" || saved[0].RefreshToken != "1//refresh-secret" {
		t.Fatalf("saved = %+v", saved)
	}
	if err := yt.PostMessage(ctx, fakeyoutube.ChatIDOf("vid00000001"), "hello"); err != nil {
		t.Fatalf("post: %v", err)
	}
	// the grant dies: a 401, a refresh that fails with invalid_grant, no loop
	o.mu.Lock()
	o.dead = true
	o.mu.Unlock()
	src.Invalidate()
	err = yt.CheckAccess(ctx, true, "")
	if !errors.Is(err, ErrGrantInvalid) {
		t.Fatalf("dead grant: %v, want ErrGrantInvalid", err)
	}
	if strings.Contains(err.Error(), "refresh-secret") || strings.Contains(err.Error(), "GOCSPX") {
		t.Errorf("error leaks a secret: %v", err)
	}
	if len(saved) != 1 {
		t.Errorf("saved %d tokens", len(saved))
	}
}
