package collector

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/seameo/rollcall/collector/fakeyoutube"
)

func TestQuotaLedgerSurvivesRestart(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	store := newMemStore(clock)
	ctx := context.Background()
	q1, err := NewQuota(store, "key", 100, 10, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 17 {
		if err := q1.Spend(ctx, MethodChatList, 5); err != nil {
			t.Fatal(err)
		}
	}
	// a restarted process (or a second replica) sees the same ledger
	q2, err := NewQuota(store, "key", 100, 10, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := q2.ChatRemaining(ctx); got != 5 {
		t.Errorf("chat remaining after restart = %d, want 5", got)
	}
	if err := q2.Allow(ctx, 5, false); err != nil {
		t.Errorf("last chat read refused: %v", err)
	}
	if err := q2.Spend(ctx, MethodChatList, 5); err != nil {
		t.Fatal(err)
	}
	if err := q2.Allow(ctx, 5, false); !errors.Is(err, ErrQuotaPaused) {
		t.Errorf("chat read into the stats reserve: %v", err)
	}
	if err := q2.Allow(ctx, 1, true); err != nil {
		t.Errorf("stats read from the reserve refused: %v", err)
	}
	// another credential has its own ledger
	q3, _ := NewQuota(store, "other", 100, 10, clock, nil)
	if got, _ := q3.ChatRemaining(ctx); got != 90 {
		t.Errorf("other credential remaining = %d", got)
	}
	// the Pacific day turns at 08:00 UTC in winter
	clock.Set(time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC))
	if got, _ := q2.ChatRemaining(ctx); got != 90 {
		t.Errorf("remaining after the reset = %d, want 90", got)
	}
}

func TestQuotaPauseAndMetrics(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0) // 18:00 Pacific
	store := newMemStore(clock)
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q, _ := NewQuota(store, "key", 10000, 1000, clock, m)
	until := q.PauseUntilReset()
	if want := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC); !until.Equal(want) {
		t.Errorf("paused until %v, want %v", until, want)
	}
	if err := q.Allow(ctx, 1, true); !errors.Is(err, ErrQuotaPaused) {
		t.Errorf("allowed while paused: %v", err)
	}
	if testutil.ToFloat64(m.quotaPaused) != 1 {
		t.Error("paused gauge not set")
	}
	clock.Set(until)
	if err := q.Allow(ctx, 1, true); err != nil {
		t.Errorf("refused after the reset: %v", err)
	}
	if testutil.ToFloat64(m.quotaPaused) != 0 {
		t.Error("paused gauge still set after the reset")
	}
	// spend 100 units an hour: 9900 left lasts 99 h, past the next reset: no projection
	for range 4 {
		clock.Advance(15 * time.Minute)
		if err := q.Spend(ctx, MethodChatList, 25); err != nil {
			t.Fatal(err)
		}
	}
	if st := q.Status(); !st.ExhaustionAt.IsZero() || st.Used != 100 || st.Remaining != 9900 {
		t.Errorf("status = %+v", st)
	}
	// then 6400 in the next hour: 3500 left at 6500 per 2h runs out in ~1h05m
	for range 4 {
		clock.Advance(15 * time.Minute)
		if err := q.Spend(ctx, MethodChatList, 1600); err != nil {
			t.Fatal(err)
		}
	}
	st := q.Status()
	want := clock.Now().Add(2 * time.Hour * 3500 / 6500)
	if d := st.ExhaustionAt.Sub(want); d < -time.Second || d > time.Second {
		t.Errorf("exhaustion at %v, want %v", st.ExhaustionAt, want)
	}
	if got := testutil.ToFloat64(m.quotaExhaustionAt); got != float64(st.ExhaustionAt.Unix()) {
		t.Errorf("exhaustion gauge = %v", got)
	}
	if got := testutil.ToFloat64(m.quotaRemaining); got != 3500 {
		t.Errorf("remaining gauge = %v", got)
	}
	if got := testutil.ToFloat64(m.quotaUsed.WithLabelValues(MethodChatList)); got != 6500 {
		t.Errorf("used counter = %v", got)
	}
	if _, err := NewQuota(store, "key", 0, 0, clock, nil); err == nil || !strings.Contains(err.Error(), "positive") {
		t.Errorf("zero budget accepted: %v", err)
	}
}

func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	// touch every vector so each family is exposed
	m.streamLive.WithLabelValues("e", "v").Set(1)
	m.viewers.WithLabelValues("e", "v").Set(1)
	m.views.WithLabelValues("e", "v").Set(1)
	m.likes.WithLabelValues("e", "v").Set(1)
	m.expectedEnd.WithLabelValues("e", "v").Set(1)
	m.messages.WithLabelValues("e", "v", "textMessageEvent").Inc()
	m.pollLag.WithLabelValues("e", "v").Observe(1)
	m.lastCommit.WithLabelValues("e", "v").Set(1)
	m.backoff.WithLabelValues("e", "v").Set(0)
	m.requests.WithLabelValues(MethodChatList, "200").Inc()
	m.errors.WithLabelValues(MethodChatList, "transient").Inc()
	m.quotaUsed.WithLabelValues(MethodChatList).Add(5)
	problems, err := testutil.CollectAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
	want := []string{
		"rollcall_stream_live", "rollcall_stream_concurrent_viewers", "rollcall_stream_views", "rollcall_stream_likes",
		"rollcall_stream_expected_end_timestamp_seconds", "rollcall_chat_messages_total", "rollcall_chat_poll_lag_seconds",
		"rollcall_chat_last_commit_timestamp_seconds", "rollcall_collector_backoff", "rollcall_youtube_requests_total",
		"rollcall_youtube_errors_total", "rollcall_youtube_quota_used_units_total", "rollcall_youtube_quota_remaining_units",
		"rollcall_youtube_quota_paused", "rollcall_youtube_quota_exhaustion_timestamp_seconds",
	}
	if n := testutil.CollectAndCount(reg, want...); n < len(want) {
		t.Errorf("only %d of %d metric families exposed", n, len(want))
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering twice on one registry succeeded")
	}
}

func TestTypeLabelIsBounded(t *testing.T) {
	if typeLabel("textMessageEvent") != "textMessageEvent" || typeLabel("<script>") != "other" || typeLabel("") != "other" {
		t.Error("type label not bounded")
	}
}

func TestQuotaStatsComeOutOfTheReserve(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	store := newMemStore(clock)
	ctx := context.Background()
	q, _ := NewQuota(store, "key", 1000, 100, clock, nil)
	for range 60 {
		_ = q.Spend(ctx, MethodVideosList, 1)
	}
	if got, _ := q.ChatRemaining(ctx); got != 900 {
		t.Errorf("after 60 stats units inside the reserve: chat remaining %d, want 900", got)
	}
	for range 60 {
		_ = q.Spend(ctx, MethodVideosList, 1)
	}
	if got, _ := q.ChatRemaining(ctx); got != 880 {
		t.Errorf("after 120 stats units (20 past the reserve): chat remaining %d, want 880", got)
	}
	_ = q.Spend(ctx, MethodChatList, 5)
	if got, _ := q.ChatRemaining(ctx); got != 875 {
		t.Errorf("after a chat read: %d, want 875", got)
	}
}

func TestQuotaPausedGaugeWhenBudgetSpent(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	m, _ := NewMetrics(prometheus.NewRegistry())
	q, _ := NewQuota(newMemStore(clock), "key", 10, 0, clock, m)
	_ = q.Spend(context.Background(), MethodChatList, 10)
	if testutil.ToFloat64(m.quotaPaused) != 1 {
		t.Error("spent budget not shown as paused")
	}
	if err := q.Allow(context.Background(), 1, true); !errors.Is(err, ErrQuotaPaused) {
		t.Errorf("allowed past the budget: %v", err)
	}
}

// TestQuotaOwedUnitsReachTheLedger: units spent while the database refuses
// writes (an outage) are written with the next write that succeeds, so the
// ledger is never left below what YouTube charged (issue 12, item 11).
func TestQuotaOwedUnitsReachTheLedger(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	store := newMemStore(clock)
	ctx := context.Background()
	q, err := NewQuota(store, "key", 10000, 0, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Spend(ctx, MethodVideosList, 1); err != nil {
		t.Fatal(err)
	}
	outage := errors.New("database down")
	store.quotaHook = func() error { return outage }
	for range 4 {
		if err := q.Spend(ctx, MethodChatList, 5); !errors.Is(err, outage) {
			t.Fatalf("spend during the outage: %v", err)
		}
	}
	if err := q.Spend(ctx, MethodVideosList, 1); !errors.Is(err, outage) {
		t.Fatalf("spend during the outage: %v", err)
	}
	if got := q.Status().Used; got != 22 {
		t.Errorf("used during the outage = %d, want 22 (counted in memory)", got)
	}
	store.quotaHook = nil
	if err := q.Spend(ctx, MethodChatList, 5); err != nil {
		t.Fatal(err)
	}
	day := QuotaDay(clock.Now(), q.loc)
	if got, _ := store.QuotaUsed(ctx, "key", day); got != 27 {
		t.Errorf("ledger after the outage = %d, want 27", got)
	}
	if store.quotaByM[MethodChatList] != 25 || store.quotaByM[MethodVideosList] != 2 {
		t.Errorf("ledger by method = %v", store.quotaByM)
	}
}

// TestReadyOnlyWhileTheDatabaseTakesWrites: a database that answers reads
// but refuses writes (an immutable SQLite file) makes the collector not
// ready until a write succeeds again.
func TestReadyOnlyWhileTheDatabaseTakesWrites(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	store := newMemStore(clock)
	w := &writeWatch{Store: store, clock: clock}
	ctx := context.Background()
	h := Health{Running: true, LastListing: clock.Now()}
	if !h.Ready(clock.Now(), 5*time.Second) {
		t.Fatal("not ready before any write")
	}
	store.quotaHook = func() error { return errors.New("attempt to write a readonly database") }
	if _, err := w.AddQuotaUnits(ctx, "key", "2026-11-28", MethodChatList, 5); err == nil {
		t.Fatal("the write did not fail")
	}
	h.WritesFailingSince = w.failingSince()
	if h.WritesFailingSince.IsZero() || h.Ready(clock.Now(), 5*time.Second) {
		t.Fatalf("ready while writes fail: %+v", h)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	store.quotaHook = nil
	_, _ = w.AddQuotaUnits(cancelled, "key", "2026-11-28", MethodChatList, 5) // says nothing
	if w.failingSince().IsZero() {
		t.Fatal("a cancelled write cleared the failure")
	}
	if _, err := w.AddQuotaUnits(ctx, "key", "2026-11-28", MethodChatList, 5); err != nil {
		t.Fatal(err)
	}
	if h.WritesFailingSince = w.failingSince(); !h.Ready(clock.Now(), 5*time.Second) {
		t.Fatalf("not ready after a write succeeded: %+v", h)
	}
}
