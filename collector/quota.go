package collector

import (
	"context"
	"fmt"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"
)

// Quota is the quota governor: it keeps the ledger of units spent per
// Pacific day per Cloud project in the store (a restart does not reset it,
// replicas share it), refuses calls the budget cannot pay for, and pauses
// everything until the Pacific-midnight reset once YouTube says the quota
// is exceeded.
type Quota struct {
	store      Store
	credential string
	daily      int64
	reserve    int64 // units kept for videos.list, not spent on chat
	loc        *time.Location
	clock      Clock
	metrics    *Metrics

	mu          sync.Mutex
	day         string
	used        int64
	statsUsed   int64 // units this process spent on stats today: they come out of the reserve
	loaded      bool
	pausedUntil time.Time
	// owed holds units per method spent while the ledger could not be
	// written (a database outage): YouTube charged them, so they are
	// added with the next write that succeeds. Lost only with the process.
	owed     map[string]int64
	rateFrom time.Time // start of the spend-rate window
	rateUsed int64     // units used at rateFrom
}

// NewQuota returns a governor for a credential label (not the secret)
// with a daily budget, of which reserve units are kept for stats polling.
func NewQuota(store Store, credential string, daily, reserve int64, clock Clock, metrics *Metrics) (*Quota, error) {
	loc, err := LoadPacific()
	if err != nil {
		return nil, err
	}
	if daily <= 0 {
		return nil, fmt.Errorf("collector: quota: daily budget must be positive, got %d", daily)
	}
	reserve = min(max(reserve, 0), daily)
	if metrics != nil {
		metrics.quotaProject.WithLabelValues(credential).Set(1)
	}
	return &Quota{store: store, credential: credential, daily: daily, reserve: reserve, loc: loc, clock: clock, metrics: metrics}, nil
}

// sync loads the day's ledger when the Pacific day changes; the caller holds mu.
func (q *Quota) syncLocked(ctx context.Context) error {
	now := q.clock.Now()
	day := QuotaDay(now, q.loc)
	if q.loaded && day == q.day {
		return nil
	}
	used, err := q.store.QuotaUsed(ctx, q.credential, day)
	if err != nil {
		return fmt.Errorf("quota: read ledger for %s: %w", day, err)
	}
	q.day, q.used, q.statsUsed, q.loaded = day, used, 0, true
	q.rateFrom, q.rateUsed = now, used
	if !q.pausedUntil.IsZero() && !now.Before(q.pausedUntil) {
		q.pausedUntil = time.Time{}
	}
	q.publishLocked(now)
	return nil
}

// Allow says whether a call of cost units may be made now. Chat reads
// (stats false) may not touch the stats reserve. It returns ErrQuotaPaused
// with nothing sent when the budget cannot pay.
func (q *Quota) Allow(ctx context.Context, cost int64, stats bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.syncLocked(ctx); err != nil {
		return err
	}
	now := q.clock.Now()
	if now.Before(q.pausedUntil) {
		return fmt.Errorf("quota: paused until %s: %w", q.pausedUntil.Format(time.RFC3339), ErrQuotaPaused)
	}
	limit := q.chatLimitLocked()
	if stats {
		limit = q.daily
	}
	if q.used+cost > limit {
		return fmt.Errorf("quota: %d of %d units used on %s: %w", q.used, limit, q.day, ErrQuotaPaused)
	}
	return nil
}

// Spend records units spent by a call (failed calls cost too) in the
// shared ledger. Units that cannot be written now (the database is down)
// are owed and written with the next Spend that succeeds, so the ledger
// catches up with what YouTube charged once the database is back.
func (q *Quota) Spend(ctx context.Context, method string, units int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.owed == nil {
		q.owed = map[string]int64{}
	}
	// A new Pacific day is read from the ledger first; when that fails, the
	// units count on the day loaded (if any) and are owed.
	syncErr := q.syncLocked(ctx)
	if syncErr != nil && !q.loaded {
		return syncErr
	}
	if q.metrics != nil {
		q.metrics.quotaUsed.WithLabelValues(method).Add(float64(units))
	}
	q.used += units // counted even if the ledger write fails: stay on the safe side
	if method != MethodChatList {
		q.statsUsed += units
	}
	q.owed[method] += units
	if syncErr != nil {
		q.publishLocked(q.clock.Now())
		return syncErr
	}
	for m, u := range q.owed {
		total, err := q.store.AddQuotaUnits(ctx, q.credential, q.day, m, u)
		if err != nil {
			q.publishLocked(q.clock.Now())
			return fmt.Errorf("quota: record %d units of %s: %w", u, m, err)
		}
		delete(q.owed, m)
		q.used = max(total, q.used)
	}
	q.publishLocked(q.clock.Now())
	return nil
}

// PauseUntilReset stops every call until the next Pacific midnight: YouTube
// said the quota is exceeded.
func (q *Quota) PauseUntilReset() time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clock.Now()
	q.pausedUntil = NextQuotaReset(now, q.loc)
	q.publishLocked(now)
	return q.pausedUntil
}

// NextReset is the next Pacific midnight.
func (q *Quota) NextReset() time.Time { return NextQuotaReset(q.clock.Now(), q.loc) }

// ChatRemaining is how many units chat reads may still spend today.
func (q *Quota) ChatRemaining(ctx context.Context) (int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.syncLocked(ctx); err != nil {
		return 0, err
	}
	return q.chatLimitLocked() - q.used, nil
}

// chatLimitLocked is the day's total that chat reads may bring the ledger
// to: the budget minus the part of the stats reserve not yet spent.
func (q *Quota) chatLimitLocked() int64 {
	return q.daily - max(q.reserve-q.statsUsed, 0)
}

// QuotaStatus is the governor's state for health reports.
type QuotaStatus struct {
	Project      string // the Cloud project whose quota this is (a name, never a key)
	Day          string
	Used         int64
	Daily        int64
	Remaining    int64
	PausedUntil  time.Time // zero when not paused
	ExhaustionAt time.Time // projected; zero when not projected
}

// Status reports the governor's state.
func (q *Quota) Status() QuotaStatus {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clock.Now()
	st := QuotaStatus{Project: q.credential, Day: q.day, Used: q.used, Daily: q.daily, Remaining: max(q.daily-q.used, 0), ExhaustionAt: q.exhaustionLocked(now)}
	if now.Before(q.pausedUntil) {
		st.PausedUntil = q.pausedUntil
	}
	return st
}

// exhaustionLocked projects when the day's budget runs out at the spend
// rate seen since the day (or the process) started; zero when it will not
// run out before the reset or too little time has passed to tell.
func (q *Quota) exhaustionLocked(now time.Time) time.Time {
	elapsed := now.Sub(q.rateFrom)
	spent := q.used - q.rateUsed
	if elapsed < 5*time.Minute || spent <= 0 {
		return time.Time{}
	}
	left := q.daily - q.used
	if left <= 0 {
		return now
	}
	at := now.Add(time.Duration(float64(elapsed) * float64(left) / float64(spent)))
	if at.After(NextQuotaReset(now, q.loc)) {
		return time.Time{}
	}
	return at
}

func (q *Quota) publishLocked(now time.Time) {
	if q.metrics == nil {
		return
	}
	q.metrics.quotaRemaining.Set(float64(max(q.daily-q.used, 0)))
	paused := 0.0
	if now.Before(q.pausedUntil) || q.used >= q.daily {
		paused = 1
	}
	q.metrics.quotaPaused.Set(paused)
	ex := 0.0
	if at := q.exhaustionLocked(now); !at.IsZero() {
		ex = float64(at.Unix())
	}
	q.metrics.quotaExhaustionAt.Set(ex)
}

// countAttempts returns ctx with an HTTP client trace that counts the
// connections the transport takes for requests made with it, and a
// function that reports the count, at least 1. net/http silently sends an
// idempotent request (every API read is a GET) again when a reused
// connection breaks before the answer, and YouTube may have charged the
// first attempt, so the ledger charges each one rather than run low. A
// source that makes no HTTP request counts as one attempt.
func countAttempts(ctx context.Context) (context.Context, func() int64) {
	var n atomic.Int64
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { n.Add(1) }}
	return httptrace.WithClientTrace(ctx, trace), func() int64 { return max(n.Load(), 1) }
}
