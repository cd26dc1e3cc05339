package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seameo/rollcall/collector"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

const (
	authClient = "auth-client.apps.googleusercontent.com"
	authSecret = "GOCSPX-auth-secret"
	authAccess = "ya29.auth-access"
)

// authFixture is the fake YouTube (accepting the fake OAuth server's
// access token) and the fake OAuth server, on loopback.
type authFixture struct {
	t     *testing.T
	oauth *fakeyoutube.OAuth
	flags []string // the OAuth and YouTube flags of every call
	token string   // the token file
}

func newAuthFixture(t *testing.T, opts fakeyoutube.OAuthOptions) *authFixture {
	t.Helper()
	yt := fakeyoutube.New(fakeyoutube.NewManualClock(time.Now()), fakeyoutube.Options{AccessToken: authAccess, OwnerChannelID: "UCowner0000000000000000"})
	opts.ClientID, opts.ClientSecret, opts.AccessToken = authClient, authSecret, authAccess
	o := fakeyoutube.NewOAuth(opts)
	token := filepath.Join(t.TempDir(), "token.json")
	return &authFixture{t: t, oauth: o, token: token, flags: []string{"--oauth-client-id", authClient, "--oauth-client-secret", authSecret,
		"--oauth-token-file", token, "--oauth-endpoint", "http://" + serveHandler(t, o), "--youtube-endpoint", "http://" + serveHandler(t, yt) + "/"}}
}

// run runs rollcall with the fixture's flags; stderr, when given, sees
// the output as it is written.
func (f *authFixture) run(stderr func(string), args ...string) (int, string) {
	f.t.Helper()
	var errb bytes.Buffer
	w := &watchWriter{buf: &errb, fn: stderr}
	a := newApp(strings.NewReader(""), &bytes.Buffer{}, w, func(k string) string { return map[string]string{"USER": "tester"}[k] })
	code := a.execute(context.Background(), append(args, f.flags...))
	return code, errb.String()
}

// watchWriter hands every write to fn as well.
type watchWriter struct {
	mu  sync.Mutex
	buf *bytes.Buffer
	fn  func(string)
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fn != nil {
		w.fn(string(p))
	}
	return w.buf.Write(p)
}

func TestAuthDeviceLoginAndCheck(t *testing.T) {
	f := newAuthFixture(t, fakeyoutube.OAuthOptions{ApproveAfter: 1, Interval: 1})
	code, errs := f.run(nil, "auth", "login", "--device", "--scopes", "readonly,youtube")
	if code != 0 || !regexp.MustCompile(`type the code\s+[A-Z0-9]{4}-[A-Z0-9]{4}`).MatchString(errs) || !strings.Contains(errs, "granted: youtube, readonly") {
		t.Fatalf("device login: exit %d\n%s", code, errs)
	}
	if fi, err := os.Stat(f.token); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi, err)
	}
	if strings.Contains(errs, "1//") || strings.Contains(errs, authAccess) {
		t.Error("a token reached the terminal")
	}
	if code, errs := f.run(nil, "auth", "check", "--oauth-scopes", "readonly,youtube"); code != 0 || !strings.Contains(errs, "the grant holds: youtube, readonly") {
		t.Fatalf("check: exit %d\n%s", code, errs)
	}
	// The token holds no Analytics scope: check names it.
	if code, errs := f.run(nil, "auth", "check", "--oauth-scopes", "readonly,analytics"); code != 1 || !strings.Contains(errs, "lacks the scope analytics") {
		t.Fatalf("check for analytics: exit %d\n%s", code, errs)
	}
	// The device flow cannot grant Analytics: refused before asking.
	if code, errs := f.run(nil, "auth", "login", "--device", "--scopes", "readonly,analytics"); code != 1 || !strings.Contains(errs, "cannot grant analytics") {
		t.Fatalf("device login for analytics: exit %d\n%s", code, errs)
	}
	// Revoked (or a Testing project's seventh day): invalid_grant, named.
	f.oauth.Revoke()
	if code, errs := f.run(nil, "auth", "check"); code != 1 || !strings.Contains(errs, "invalid") || !strings.Contains(errs, "7 days") {
		t.Fatalf("check of a revoked grant: exit %d\n%s", code, errs)
	}
}

func TestAuthLoopbackLogin(t *testing.T) {
	f := newAuthFixture(t, fakeyoutube.OAuthOptions{Grant: []string{collector.ScopeReadOnly, collector.ScopeAnalytics}})
	consent := regexp.MustCompile(`http://\S+/o/oauth2/auth\?\S+`)
	var once sync.Once
	browser := func(out string) {
		if u := consent.FindString(out); u != "" {
			// The person opens the address; Google sends the browser back
			// to rollcall's loopback listener.
			once.Do(func() {
				go func() {
					if res, err := http.Get(u); err == nil {
						res.Body.Close()
					}
				}()
			})
		}
	}
	code, errs := f.run(browser, "auth", "login", "--scopes", "readonly,analytics")
	if code != 0 || !strings.Contains(errs, "granted: readonly, analytics") {
		t.Fatalf("loopback login: exit %d\n%s", code, errs)
	}
	if code, errs := f.run(nil, "auth", "check", "--oauth-scopes", "readonly,analytics"); code != 0 {
		t.Fatalf("check: exit %d\n%s", code, errs)
	}
	// The owner unticks a box: the login says which.
	g := newAuthFixture(t, fakeyoutube.OAuthOptions{Grant: []string{collector.ScopeReadOnly}})
	once = sync.Once{}
	if code, errs := g.run(browser, "auth", "login", "--scopes", "readonly,youtube"); code != 1 || !strings.Contains(errs, "left youtube unticked") {
		t.Fatalf("partial grant: exit %d\n%s", code, errs)
	}
}
