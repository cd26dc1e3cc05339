package dashboard

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// syncBuffer is a log sink tests read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// signInFrom posts a sign-in as if from addr, behind the trusted proxy the
// harness's loopback client stands for.
func (h *harness) signInFrom(addr, email, pw string) *http.Response {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/signin", strings.NewReader(url.Values{"email": {email}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", addr)
	res, err := h.anon().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func TestBackoffDelay(t *testing.T) {
	for _, tt := range []struct {
		failures int
		want     time.Duration
	}{
		{1, 0}, {3, 0}, {4, time.Second}, {5, 2 * time.Second}, {6, 4 * time.Second}, {13, 512 * time.Second}, {14, maxBackoff}, {100, maxBackoff},
	} {
		if got := backoffDelay(tt.failures); got != tt.want {
			t.Errorf("backoffDelay(%d) = %s, want %s", tt.failures, got, tt.want)
		}
	}
}

// TestSignInBackoffIsPerAddress: wrong passwords from one address slow
// down that address on that account only — staff elsewhere sign in at
// once, so knowing a staff email is no way to lock them out — and the
// back-off is logged with the staff id, never the email, and counted.
func TestSignInBackoffIsPerAddress(t *testing.T) {
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	h := newHarness(t, func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		c.Registerer = reg
		c.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	})
	const attacker, staff = "203.0.113.7", "198.51.100.9"
	for i := range freeFailures + 1 {
		if res := h.signInFrom(attacker, adminEmail, "wrong"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, res.StatusCode)
		}
	}
	// Backing off: even the right password from that address waits.
	res := h.signInFrom(attacker, adminEmail, password)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" {
		t.Fatalf("during the back-off: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// The account is not locked: its owner, elsewhere, signs in.
	if res := h.signInFrom(staff, adminEmail, password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the account's owner from another address: %d", res.StatusCode)
	}
	// The wait doubles with each failure after it.
	h.clock.Add(time.Second)
	if res := h.signInFrom(attacker, adminEmail, "wrong"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after the first wait: %d", res.StatusCode)
	}
	if res := h.signInFrom(attacker, adminEmail, "wrong"); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "2" {
		t.Fatalf("second wait: %d %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// Unknown accounts back off alike: nothing tells which exist.
	for range freeFailures + 1 {
		h.signInFrom(attacker, "nobody@seameo.test", "wrong")
	}
	if res := h.signInFrom(attacker, "nobody@seameo.test", "wrong"); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("unknown account: %d", res.StatusCode)
	}
	if got := testutil.ToFloat64(h.srv.signIns.throttled.WithLabelValues(throttleBackoff)); got != 3 {
		t.Errorf("rollcall_signin_throttled_total{reason=backoff} = %v, want 3", got)
	}
	if n, err := testutil.GatherAndCount(reg, "rollcall_signin_throttled_total"); err != nil || n != 3 {
		t.Errorf("registered series: %d, %v", n, err)
	}
	if problems, err := testutil.GatherAndLint(reg, "rollcall_signin_throttled_total"); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	out := logs.String()
	if !strings.Contains(out, `"msg":"sign-in back-off"`) || !strings.Contains(out, `"staff_id":`) {
		t.Errorf("no back-off logged:\n%s", out)
	}
	for _, secret := range []string{adminEmail, "nobody@seameo.test", attacker, staff} {
		if strings.Contains(out, secret) {
			t.Errorf("the log names %s:\n%s", secret, out)
		}
	}
}

// TestSignInAddressBucket: one address gets SignInPerMinute attempts in a
// burst, then 429 with Retry-After, whatever accounts it names.
func TestSignInAddressBucket(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		c.SignInPerMinute = 5
	})
	for i := range 5 {
		if res := h.signInFrom("203.0.113.7", "someone"+string(rune('a'+i))+"@seameo.test", "wrong"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, res.StatusCode)
		}
	}
	res := h.signInFrom("203.0.113.7", adminEmail, password)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "12" {
		t.Fatalf("6th attempt in a minute: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := h.signInFrom("198.51.100.9", adminEmail, password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("another address: %d", res.StatusCode)
	}
	h.clock.Add(12 * time.Second)
	if res := h.signInFrom("203.0.113.7", adminEmail, password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the refill: %d", res.StatusCode)
	}
}

// TestSignInBusy: with every hashing slot taken, a sign-in waits briefly
// and is answered 429 with Retry-After instead of hashing anyway.
func TestSignInBusy(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxConcurrentSignIns = 1 })
	h.srv.signIns.hashing <- struct{}{} // the one slot is taken
	res, err := h.anon().PostForm(h.ts.URL+"/signin", url.Values{"email": {adminEmail}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "busy") {
		t.Fatalf("all slots taken: %d %q %s", res.StatusCode, res.Header.Get("Retry-After"), b)
	}
	<-h.srv.signIns.hashing
	if res := h.post(h.anon(), "/signin", url.Values{"email": {adminEmail}, "password": {password}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a slot free: %d", res.StatusCode)
	}
	if got := testutil.ToFloat64(h.srv.signIns.throttled.WithLabelValues(throttleBusy)); got != 1 {
		t.Errorf("busy refusals counted %v, want 1", got)
	}
}
