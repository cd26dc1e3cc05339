package dashboard

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Reasons a sign-in is refused before its password is checked, the values
// of rollcall_signin_throttled_total's reason label.
const (
	throttleAddress = "address" // the client address's token bucket is empty
	throttleBackoff = "backoff" // this address failed this account too often
	throttleBusy    = "busy"    // every password-hashing slot is taken
)

// Back-off of an (address, account) pair after failed sign-ins: the first
// freeFailures cost nothing, then each failure doubles the wait from
// firstBackoff up to maxBackoff. A pair with no failure for forgetAfter is
// forgotten.
const (
	freeFailures = 3
	firstBackoff = time.Second
	maxBackoff   = 15 * time.Minute
	forgetAfter  = 2 * maxBackoff
	// maxBackoffPairs bounds the back-off table's memory.
	maxBackoffPairs = 10000
	// hashQueueWait is how long a sign-in waits for a hashing slot before
	// it is answered 429: long enough for a few staff signing in at once,
	// short enough that a flood queues nothing.
	hashQueueWait = 500 * time.Millisecond
)

// signInGuard keeps POST /signin from being a way to exhaust the daemon's
// memory (every check runs Argon2id over 19 MiB) or to lock staff out: it
// bounds concurrent hashing, gives each client address a token bucket, and
// slows down one address guessing one account without touching the account
// for anyone else.
type signInGuard struct {
	hashing   chan struct{}
	perAddr   *rateLimiter
	backoff   *signInBackoff
	throttled *prometheus.CounterVec
}

func newSignInGuard(cfg *Config) (*signInGuard, error) {
	g := &signInGuard{
		hashing: make(chan struct{}, cfg.MaxConcurrentSignIns),
		perAddr: newRateLimiter(cfg.SignInPerMinute, time.Minute, cfg.Now),
		backoff: &signInBackoff{m: map[backoffKey]*backoffState{}},
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rollcall_signin_throttled_total",
			Help: "Sign-ins refused before their password was checked, by reason: address (the client address's rate limit), backoff (repeated failures of one address on one account), busy (every password-hashing slot taken).",
		}, []string{"reason"}),
	}
	for _, r := range []string{throttleAddress, throttleBackoff, throttleBusy} {
		g.throttled.WithLabelValues(r)
	}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(g.throttled); err != nil {
			return nil, fmt.Errorf("dashboard: register sign-in metrics: %w", err)
		}
	}
	return g, nil
}

// acquireHashing takes a hashing slot, waiting at most hashQueueWait; the
// caller releases it with releaseHashing.
func (g *signInGuard) acquireHashing(ctx context.Context) bool {
	select {
	case g.hashing <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(hashQueueWait)
	defer t.Stop()
	select {
	case g.hashing <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (g *signInGuard) releaseHashing() { <-g.hashing }

// tooMany answers 429 with Retry-After and counts the refusal.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, reason string, wait time.Duration, email string) {
	s.signIns.throttled.WithLabelValues(reason).Inc()
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	msg := fmt.Sprintf("Too many sign-in attempts: try again in %d seconds.", secs)
	if reason == throttleBusy {
		msg = "The server is busy checking other sign-ins: try again in a moment."
	}
	s.render(w, r, http.StatusTooManyRequests, "signin", nil, map[string]any{"Error": msg, "Email": email})
}

// backoffKey is one client address trying one account (by its normalised
// email, known or not: unknown accounts back off alike, so the back-off
// tells nothing about which exist).
type backoffKey struct{ addr, email string }

type backoffState struct {
	failures int
	last     time.Time // the latest failure
	until    time.Time // no attempt before this
}

// signInBackoff is the back-off table, in memory: a replica's own. The
// address bucket bounds what spreading attempts over replicas gains.
type signInBackoff struct {
	mu sync.Mutex
	m  map[backoffKey]*backoffState
}

// wait returns how long k must still wait before its next attempt.
func (b *signInBackoff) wait(k backoffKey, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.m[k]
	if st == nil || !now.Before(st.until) {
		return 0
	}
	return st.until.Sub(now)
}

// fail records a failed attempt of k and returns the failures so far and
// the back-off it starts (zero while failures are free).
func (b *signInBackoff) fail(k backoffKey, now time.Time) (int, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.m[k]
	if st == nil {
		if len(b.m) >= maxBackoffPairs {
			b.prune(now)
		}
		st = &backoffState{}
		b.m[k] = st
	}
	if now.Sub(st.last) >= forgetAfter {
		st.failures = 0
	}
	st.failures++
	st.last = now
	d := backoffDelay(st.failures)
	st.until = now.Add(d)
	return st.failures, d
}

// succeed forgets k's failures.
func (b *signInBackoff) succeed(k backoffKey) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, k)
}

// prune forgets pairs idle for forgetAfter and, should the table still be
// full (a flood from many addresses), others at random: the address bucket
// still holds each of them.
func (b *signInBackoff) prune(now time.Time) {
	for k, st := range b.m {
		if now.Sub(st.last) >= forgetAfter {
			delete(b.m, k)
		}
	}
	for k := range b.m {
		if len(b.m) < maxBackoffPairs {
			break
		}
		delete(b.m, k)
	}
}

// backoffDelay is the wait after the n-th consecutive failure.
func backoffDelay(n int) time.Duration {
	if n <= freeFailures {
		return 0
	}
	d := firstBackoff
	for i := freeFailures + 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}
