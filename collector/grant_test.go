package collector

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/oauth2"

	"github.com/seameo/rollcall/collector/fakeyoutube"
)

const (
	fakeClientID = "client-id.apps.googleusercontent.com"
	fakeSecret   = "GOCSPX-client-secret"
	fakeAccess   = "ya29.owner-access"
)

// handlerTransport serves requests with a handler in memory, so that the
// OAuth fake runs inside a synctest bubble.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// fakeOAuth returns the fake OAuth server, a config pointed at it asking
// for scopes, and a context whose token client reaches it in memory.
func fakeOAuth(t *testing.T, opts fakeyoutube.OAuthOptions, scopes ...string) (*fakeyoutube.OAuth, *oauth2.Config, context.Context) {
	t.Helper()
	opts.ClientID, opts.ClientSecret, opts.AccessToken = fakeClientID, fakeSecret, fakeAccess
	o := fakeyoutube.NewOAuth(opts)
	cfg := GoogleOAuthConfig(fakeClientID, fakeSecret, scopes...)
	SetOAuthEndpoint(cfg, "http://oauth.fake")
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, &http.Client{Transport: handlerTransport{o}})
	return o, cfg, ctx
}

// deviceLogin runs the device flow against o, approved at the third poll.
func deviceLogin(t *testing.T, cfg *oauth2.Config, ctx context.Context) *oauth2.Token {
	t.Helper()
	var shown *oauth2.DeviceAuthResponse
	tok, err := LoginDevice(ctx, cfg, func(da *oauth2.DeviceAuthResponse) error { shown = da; return nil })
	if err != nil {
		t.Fatalf("device login: %v", err)
	}
	if shown == nil || shown.UserCode == "" || shown.VerificationURI != "https://www.google.com/device" {
		t.Fatalf("shown %+v", shown)
	}
	return tok
}

func TestDeviceFlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o, cfg, ctx := fakeOAuth(t, fakeyoutube.OAuthOptions{ApproveAfter: 3}, ScopeReadOnly)
		start := time.Now()
		tok := deviceLogin(t, cfg, ctx)
		if tok.RefreshToken == "" || tok.AccessToken != fakeAccess {
			t.Fatalf("token %+v", tok)
		}
		// Polled at Google's 5 s interval until approved at the third poll.
		if got := o.Requests("urn:ietf:params:oauth:grant-type:device_code"); got != 3 {
			t.Errorf("%d polls, want 3", got)
		}
		if took := time.Since(start); took != 15*time.Second {
			t.Errorf("took %s, want 15 s (three 5 s intervals)", took)
		}
		if granted, known := GrantedScopes(tok); !known || len(granted) != 1 || granted[0] != ScopeReadOnly {
			t.Errorf("granted %v %v", granted, known)
		}
	})
}

func TestDeviceFlowRefusals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Analytics is refused before asking Google, which would answer
		// invalid_scope.
		o, cfg, ctx := fakeOAuth(t, fakeyoutube.OAuthOptions{ApproveAfter: 1}, ScopeReadOnly, ScopeAnalytics)
		_, err := LoginDevice(ctx, cfg, func(*oauth2.DeviceAuthResponse) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "cannot grant analytics") {
			t.Errorf("analytics by device flow: %v", err)
		}
		if n := o.Requests("device/code"); n != 0 {
			t.Errorf("asked Google %d times", n)
		}
		// The owner refuses.
		_, cfg, ctx = fakeOAuth(t, fakeyoutube.OAuthOptions{Refuse: true}, ScopeYouTube)
		if _, err := LoginDevice(ctx, cfg, func(*oauth2.DeviceAuthResponse) error { return nil }); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("refused: %v", err)
		}
		// Nobody approves before the code expires.
		_, cfg, ctx = fakeOAuth(t, fakeyoutube.OAuthOptions{DeviceCodeLife: time.Minute}, ScopeYouTube)
		if _, err := LoginDevice(ctx, cfg, func(*oauth2.DeviceAuthResponse) error { return nil }); err == nil || !strings.Contains(err.Error(), "expired") {
			t.Errorf("expired: %v", err)
		}
	})
}

func TestGrantMonitor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o, cfg, ctx := fakeOAuth(t, fakeyoutube.OAuthOptions{ApproveAfter: 1}, ScopeYouTube)
		tok := deviceLogin(t, cfg, ctx)
		reloaded := tok
		var saved int
		src := NewRefreshingTokenSource(ctx, cfg, tok, func(*oauth2.Token) { saved++ })
		reg := prometheus.NewRegistry()
		m, err := NewGrantMonitor(reg, GrantMonitor{Source: src, Need: NeededScopes(true, false),
			Reload: func() (*oauth2.Token, error) { return reloaded, nil }})
		if err != nil {
			t.Fatal(err)
		}
		valid := func() float64 { return testutil.ToFloat64(m.valid) }
		if err := m.Check(ctx); err != nil || valid() != 1 || saved != 1 {
			t.Fatalf("live grant: %v, valid %v, saved %d", err, valid(), saved)
		}
		// Revoked (or seven days of a project in Testing): the next refresh
		// an API call needs says so at once, before the hourly check.
		o.Revoke()
		src.Invalidate()
		if _, err := src.Token(); !errors.Is(err, ErrGrantInvalid) || valid() != 0 {
			t.Fatalf("refresh of a revoked grant: %v, valid %v", err, valid())
		}
		err = m.Check(ctx)
		if !errors.Is(err, ErrGrantInvalid) || !strings.Contains(err.Error(), "7 days") || valid() != 0 {
			t.Fatalf("dead grant: %v, valid %v", err, valid())
		}
		// A dead grant is not asked again on every API call.
		before := o.Requests("refresh_token")
		for range 5 {
			if _, err := src.Token(); !errors.Is(err, ErrGrantInvalid) {
				t.Fatalf("token of a dead grant: %v", err)
			}
		}
		if n := o.Requests("refresh_token") - before; n != 0 {
			t.Errorf("%d refreshes of a dead grant", n)
		}
		// A new login writes a new token file: the next hourly check takes
		// it up without a restart.
		o2, cfg2, ctx2 := fakeOAuth(t, fakeyoutube.OAuthOptions{ApproveAfter: 1}, ScopeYouTube)
		reloaded = deviceLogin(t, cfg2, ctx2)
		*cfg = *cfg2
		src.ctx = ctx2
		go func() { _ = m.Run(ctx) }()
		time.Sleep(GrantInterval + time.Second)
		if valid() != 1 || o2.Requests("refresh_token") != 1 {
			t.Errorf("after a new login: valid %v, refreshes %d", valid(), o2.Requests("refresh_token"))
		}
	})
}

func TestGrantLacksScope(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The owner unticked "manage your YouTube account" on the consent
		// page: the grant holds reading only, announcements need more.
		_, cfg, ctx := fakeOAuth(t, fakeyoutube.OAuthOptions{ApproveAfter: 1, Grant: []string{ScopeReadOnly}}, ScopeReadOnly, ScopeYouTube)
		tok := deviceLogin(t, cfg, ctx)
		m, err := NewGrantMonitor(nil, GrantMonitor{Source: NewRefreshingTokenSource(ctx, cfg, tok, nil), Need: NeededScopes(true, false)})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Check(ctx); err == nil || !strings.Contains(err.Error(), "lacks the scope youtube") || testutil.ToFloat64(m.valid) != 0 {
			t.Fatalf("missing scope: %v", err)
		}
		m.Need = NeededScopes(false, false)
		if err := m.Check(ctx); err != nil {
			t.Fatalf("reading needs only readonly: %v", err)
		}
	})
}

func TestScopes(t *testing.T) {
	got, err := ParseScopes([]string{"analytics", "readonly", "readonly", ScopeYouTube})
	if err != nil || strings.Join(got, " ") != ScopeYouTube+" "+ScopeReadOnly+" "+ScopeAnalytics {
		t.Errorf("parse: %v %v", got, err)
	}
	if _, err := ParseScopes([]string{"drive"}); err == nil {
		t.Error("unknown scope accepted")
	}
	for _, tc := range []struct {
		granted, need []string
		missing       int
	}{
		{[]string{ScopeYouTube}, []string{ScopeReadOnly}, 0},
		{[]string{ScopeForceSSL}, []string{ScopeYouTube}, 0},
		{[]string{ScopeReadOnly}, []string{ScopeYouTube}, 1},
		{[]string{ScopeYouTube}, []string{ScopeReadOnly, ScopeAnalytics}, 1},
	} {
		if m := MissingScopes(tc.granted, tc.need); len(m) != tc.missing {
			t.Errorf("granted %v need %v: missing %v", tc.granted, tc.need, m)
		}
	}
}

// TestRefreshHoldsNoLock: while a refresh waits on a slow token endpoint,
// the source still answers Current and Invalidate at once, and a second
// caller waits for the same refresh instead of starting another.
func TestRefreshHoldsNoLock(t *testing.T) {
	opts := fakeyoutube.OAuthOptions{ClientID: fakeClientID, ClientSecret: fakeSecret, AccessToken: fakeAccess}
	o := fakeyoutube.NewOAuth(opts)
	entered, release := make(chan struct{}, 4), make(chan struct{})
	var inFlight, most atomic.Int32
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" && r.FormValue("grant_type") == "refresh_token" {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			if n > most.Load() {
				most.Store(n)
			}
			entered <- struct{}{}
			<-release
		}
		o.ServeHTTP(w, r)
	})
	cfg := GoogleOAuthConfig(fakeClientID, fakeSecret, ScopeReadOnly)
	SetOAuthEndpoint(cfg, "http://oauth.fake")
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, &http.Client{Transport: handlerTransport{slow}})
	tok := &oauth2.Token{RefreshToken: o.IssueRefreshToken(ScopeReadOnly)}
	src := NewRefreshingTokenSource(ctx, cfg, tok, nil)
	src.Invalidate()
	results := make(chan error, 2)
	for range 2 {
		go func() { _, err := src.Token(); results <- err }()
	}
	<-entered
	done := make(chan struct{})
	go func() {
		_ = src.Current()
		src.Invalidate()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Current and Invalidate waited for the token endpoint")
	}
	close(release)
	for range 2 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	// The Invalidate above may have asked for one more refresh, after the
	// first: never two at once.
	if most.Load() != 1 {
		t.Errorf("%d refreshes at once, want 1", most.Load())
	}
}

// TestDeadGrantFallsBackToTheKey: with an API key configured too, a grant
// revoked mid-event stops nothing a key can do: videos.list goes on with
// the key, and the grant metric says the grant is dead.
func TestDeadGrantFallsBackToTheKey(t *testing.T) {
	o, cfg, ctx := fakeOAuth(t, fakeyoutube.OAuthOptions{}, ScopeReadOnly)
	tok := &oauth2.Token{RefreshToken: o.IssueRefreshToken(ScopeReadOnly)}
	src := NewRefreshingTokenSource(ctx, cfg, tok, nil)
	m, err := NewGrantMonitor(prometheus.NewRegistry(), GrantMonitor{Source: src, Need: NeededScopes(false, false), FallbackKey: true})
	if err != nil {
		t.Fatal(err)
	}
	fake := fakeyoutube.New(fakeyoutube.NewManualClock(time.Now()), fakeyoutube.Options{APIKey: "the-key", AccessToken: fakeAccess})
	fake.AddVideo(fakeyoutube.Video{ID: "vidFALLBACK", Title: "Policy dialogue", ActualStart: time.Now().Add(-time.Minute)})
	yt, err := NewYouTube(ctx, YouTubeConfig{TokenSource: src, FallbackAPIKey: "the-key", Endpoint: "http://yt.fake/", Transport: handlerTransport{fake}})
	if err != nil {
		t.Fatal(err)
	}
	if vs, err := yt.Videos(ctx, []string{"vidFALLBACK"}); err != nil || len(vs) != 1 {
		t.Fatalf("with the grant: %v %v", vs, err)
	}
	o.Revoke()
	src.Invalidate()
	if vs, err := yt.Videos(ctx, []string{"vidFALLBACK"}); err != nil || len(vs) != 1 {
		t.Fatalf("with the key after the grant died: %v %v", vs, err)
	}
	if v := testutil.ToFloat64(m.valid); v != 0 {
		t.Errorf("grant metric %v after it died", v)
	}
	// Without a key, the same call fails with the grant's error.
	yt2, _ := NewYouTube(ctx, YouTubeConfig{TokenSource: src, Endpoint: "http://yt.fake/", Transport: handlerTransport{fake}})
	if _, err := yt2.Videos(ctx, []string{"vidFALLBACK"}); !errors.Is(err, ErrGrantInvalid) {
		t.Errorf("without a key: %v", err)
	}
}
