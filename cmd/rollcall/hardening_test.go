package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance/store/storetest"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

const (
	hardAdmin    = "ana@seameo.test"
	hardPassword = "a long enough password"
)

// hardenedServe is a `rollcall serve` subprocess on SQLite against the
// fake YouTube, with one event and one admin.
type hardenedServe struct {
	proc *daemonProc
	addr string
	cli  *cli
}

func startHardenedServe(t *testing.T, args ...string) *hardenedServe {
	t.Helper()
	bin := binary(t)
	dsn := storetest.SQLiteDSN(t)
	clock := fakeyoutube.NewSpeedClock(time.Now().UTC(), 1)
	fake := fakeyoutube.New(clock, fakeyoutube.Options{PollingMillis: 1000})
	if _, err := fake.AddEvent(fakeyoutube.EventScript{VideoID: "hardVideo01", Start: clock.Now(), Length: time.Hour, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	fakeAddr := serveFake(t, fake)
	c := newCLI(t, dsn)
	c.ok("event", "create", "hard", "--title", "Hardening", "--video", "hardVideo01")
	pw := writeFile(t, "pw", []byte(hardPassword+"\n"))
	c.ok("user", "add", "--email", hardAdmin, "--role", "admin", "--password-file", pw)
	env := []string{"ROLLCALL_DB=" + dsn, "ROLLCALL_YOUTUBE_ENDPOINT=http://" + fakeAddr + "/", "ROLLCALL_YOUTUBE_API_KEY=k"}
	p := startServe(t, bin, env, args...)
	select {
	case addr := <-p.addr:
		return &hardenedServe{proc: p, addr: addr, cli: c}
	case err := <-p.done:
		t.Fatalf("serve exited: %v\n%s", err, p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not listen\n%s", p.log())
	}
	return nil
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = func() *http.Client {
	return &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signIn signs in and returns the session cookie.
func (h *hardenedServe) signIn(t *testing.T, email, password string) *http.Cookie {
	t.Helper()
	resp, err := noRedirects().PostForm("http://"+h.addr+"/signin", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "rollcall_session" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("sign-in as %s: %s, no session cookie", email, resp.Status)
	return nil
}

// TestServeSignInFloodKeepsMemory sends 60 concurrent sign-ins to a real
// daemon — wrong passwords for a real account and for unknown ones, as an
// attacker would — and measures the daemon's peak resident set: each
// Argon2id check takes 19 MiB, so unbounded hashing took it past 1 GB.
// The daemon must stay under 300 MB and answer every request (401 or 429).
// Each request comes from an address of its own (behind a trusted proxy),
// as from a botnet, so that the per-address limit does not hide what the
// bound on concurrent hashing does.
func TestServeSignInFloodKeepsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the daemon")
	}
	h := startHardenedServe(t, "--trusted-proxies", "127.0.0.1")
	post := func(from, email, pw string) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+h.addr+"/signin", strings.NewReader(url.Values{"email": {email}, "password": {pw}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", from)
		return noRedirects().Do(req)
	}
	before := vmHWM(h.proc.cmd.Process.Pid)
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := hardAdmin
			if i%2 == 1 {
				email = fmt.Sprintf("nobody%d@seameo.test", i)
			}
			<-start
			resp, err := post(fmt.Sprintf("198.18.0.%d", i+1), email, "wrong password "+fmt.Sprint(i))
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	peak := vmHWM(h.proc.cmd.Process.Pid)
	t.Logf("60 concurrent sign-ins: peak RSS %d MB before, %d MB after; answers %v", before/1024, peak/1024, codes)
	if peak == 0 {
		t.Fatal("no VmHWM in /proc")
	}
	if peak > 300*1024 {
		t.Fatalf("peak RSS %d MB after 60 concurrent sign-ins, want under 300 MB", peak/1024)
	}
	for code := range codes {
		if code != http.StatusUnauthorized && code != http.StatusTooManyRequests {
			t.Errorf("answer %d to a wrong sign-in", code)
		}
	}
	// The flood locked no one out: the right password from another
	// address signs in at once.
	resp, err := post("192.0.2.10", hardAdmin, hardPassword)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the account's owner after the flood: %s", resp.Status)
	}
}

// TestServeCutsTrickledBody sends a sign-in whose body comes a byte every
// 2 s: the daemon must cut the connection within 60 s (ReadTimeout), not
// hold it for as long as the client likes.
func TestServeCutsTrickledBody(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the daemon; takes about 30 s")
	}
	h := startHardenedServe(t)
	conn, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	began := time.Now()
	fmt.Fprintf(conn, "POST /signin HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n", h.addr)
	closed := make(chan time.Duration, 1)
	go func() {
		// The server's answer or its closing of the connection ends the read.
		_, _ = io.Copy(io.Discard, conn)
		closed <- time.Since(began)
	}()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case d := <-closed:
			t.Logf("trickled body cut after %s", d.Round(100*time.Millisecond))
			return
		case <-tick.C:
			_, _ = conn.Write([]byte("e"))
		case <-deadline:
			t.Fatalf("a body trickled a byte every 2 s still held the connection after 60 s")
		}
	}
}

// TestServeEndsLiveStreamOfEndedSession opens a live page's event stream
// in a real daemon and ends the session from the command line, in another
// process as an operator would: `user signout`, `user add` again (a
// password reset, here with a new role) and `user disable` must each end
// the stream within 10 s, and `user remove` must leave no way back in.
func TestServeEndsLiveStreamOfEndedSession(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the daemon")
	}
	h := startHardenedServe(t)
	pw := writeFile(t, "pw2", []byte(hardPassword+"\n"))
	for _, tt := range []struct {
		name string
		end  []string
	}{
		{"signout", []string{"user", "signout", hardAdmin, "--staff", "ops"}},
		{"password reset with a new role", []string{"user", "add", "--email", hardAdmin, "--role", "viewer", "--password-file", pw}},
		{"disable", []string{"user", "disable", hardAdmin, "--staff", "ops"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "disable" {
				h.cli.ok("user", "add", "--email", hardAdmin, "--role", "admin", "--password-file", pw)
			}
			cookie := h.signIn(t, hardAdmin, hardPassword)
			ended := h.openLive(t, cookie)
			h.cli.ok(tt.end...)
			acted := time.Now()
			select {
			case <-ended:
				t.Logf("%s: the event stream ended %s after the command", tt.name, time.Since(acted).Round(10*time.Millisecond))
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: the event stream still runs 10 s after the command", tt.name)
			}
			// The old cookie opens nothing any more.
			req, _ := http.NewRequest("GET", "http://"+h.addr+"/events/hard/live.json", nil)
			req.AddCookie(cookie)
			resp, err := noRedirects().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%s: the old session still reads live.json: %s", tt.name, resp.Status)
			}
		})
	}
	// A disabled account cannot sign in; remove deletes it.
	resp, err := noRedirects().PostForm("http://"+h.addr+"/signin", url.Values{"email": {hardAdmin}, "password": {hardPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusSeeOther {
		t.Fatal("a disabled account signed in")
	}
	h.cli.ok("user", "remove", hardAdmin, "--staff", "ops")
	if code, _, errs := h.cli.run("user", "signout", hardAdmin, "--staff", "ops"); code != 2 || !strings.Contains(errs, "no staff user") {
		t.Fatalf("signout of a removed user: exit %d %s", code, errs)
	}
}

// openLive opens the event stream of the live page and returns a channel
// closed when the server ends it. The first snapshot must arrive.
func (h *hardenedServe) openLive(t *testing.T, cookie *http.Cookie) <-chan struct{} {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+h.addr+"/events/hard/live", nil)
	req.AddCookie(cookie)
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("live stream: %s", resp.Status)
	}
	first := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event: snapshot") {
				once.Do(func() { close(first) })
			}
		}
		if err := sc.Err(); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
			fmt.Fprintln(os.Stderr, "live stream:", err)
		}
	}()
	select {
	case <-first:
	case <-ended:
		t.Fatal("the live stream ended before its first snapshot")
	case <-time.After(30 * time.Second):
		t.Fatal("no first snapshot")
	}
	return ended
}

// TestSecretFileModes: the metrics token's file (ROLLCALL_METRICS_TOKEN_FILE)
// is refused when others may read it, as the issuer key file is.
func TestSecretFileModes(t *testing.T) {
	c := newCLI(t, storetest.SQLiteDSN(t))
	token := writeFile(t, "metrics-token", []byte("s3cret-token\n"))
	c.env["ROLLCALL_METRICS_TOKEN_FILE"] = token
	for _, tt := range []struct {
		mode    os.FileMode
		refused bool
	}{{0o644, true}, {0o640, true}, {0o600, false}, {0o400, false}} {
		if err := os.Chmod(token, tt.mode); err != nil {
			t.Fatal(err)
		}
		// serve stops later without a YouTube credential; the file is read first.
		code, out, errs := c.run("serve", "--listen", "127.0.0.1:0")
		refused := strings.Contains(errs, "ROLLCALL_METRICS_TOKEN_FILE") && strings.Contains(errs, "chmod 600")
		if refused != tt.refused || tt.refused && code != 2 || strings.Contains(out+errs, "s3cret-token") {
			t.Errorf("mode %04o: exit %d, refused %v (want %v)\n%s", tt.mode, code, refused, tt.refused, errs)
		}
	}
}

func TestCookieWarning(t *testing.T) {
	for _, tt := range []struct {
		publicURL string
		secure    bool
		warn      bool
	}{
		{"https://rollcall.seameo.org", false, true},
		{"HTTPS://rollcall.seameo.org", false, true},
		{"https://rollcall.seameo.org", true, false},
		{"http://localhost:8080", false, false},
		{"", false, false},
	} {
		d := daemon{publicURL: tt.publicURL, secureCookies: tt.secure}
		if got := d.cookieWarning() != ""; got != tt.warn {
			t.Errorf("--public-url %q --secure-cookies=%v: warning %v, want %v", tt.publicURL, tt.secure, got, tt.warn)
		}
	}
}
