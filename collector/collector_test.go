package collector

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// testLogger writes to the test log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// scenario is a fake YouTube playing one event, the real client over it,
// and an in-memory store tracking its stream.
type scenario struct {
	fake    *fakeyoutube.Server
	yt      *YouTube
	store   *memStore
	metrics *Metrics
	reg     *prometheus.Registry
	video   string
}

func newScenario(t testing.TB, clock interface {
	Now() time.Time
	After(time.Duration) <-chan time.Time
}, start time.Time, length time.Duration, aud fakeyoutube.Audience, opts fakeyoutube.Options) *scenario {
	t.Helper()
	opts.APIKey = testKey
	fake := fakeyoutube.New(clock, opts)
	video := "dQw4w9WgXcQ"
	fake.AddVideo(fakeyoutube.Video{
		ID: video, Title: "SEA policy dialogue", ChannelID: "UCowner",
		ScheduledStart: start, ScheduledEnd: start.Add(length),
		ActualStart: start.Add(2 * time.Minute), ActualEnd: start.Add(length),
		Viewers: []fakeyoutube.Point{{At: start, Value: 10}, {At: start.Add(length / 2), Value: 5000}, {At: start.Add(length), Value: 100}},
		Views:   []fakeyoutube.Point{{At: start, Value: 0}, {At: start.Add(length), Value: 20000}},
		Likes:   []fakeyoutube.Point{{At: start, Value: 0}, {At: start.Add(length), Value: 900}},
	})
	aud.Start, aud.End = start.Add(2*time.Minute), start.Add(length)
	if err := fake.AddMessages(video, aud.Generate()...); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	yt, err := NewYouTube(context.Background(), YouTubeConfig{APIKey: testKey, Endpoint: srv.URL, Metrics: m, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	store := newMemStore(clock, attendance.Stream{ID: 1, EventID: 1, EventSlug: "sea-dialogue", VideoID: video,
		State: attendance.StreamUpcoming, ScheduledStart: start})
	return &scenario{fake: fake, yt: yt, store: store, metrics: m, reg: reg, video: video}
}

func attendees(n int) []fakeyoutube.Attendee {
	out := make([]fakeyoutube.Attendee, n)
	for i := range out {
		out[i] = fakeyoutube.Attendee{ChannelID: fmt.Sprintf("UCatt%019d", i), Name: fmt.Sprintf("ผู้เข้าร่วม %d", i),
			Code: fmt.Sprintf("K%03dQ-%04X", i%1000, i)}
	}
	return out
}

// checkExactlyOnce checks that every message the fake served was
// committed exactly once and nothing else was committed.
func checkExactlyOnce(t *testing.T, sc *scenario) {
	t.Helper()
	served := sc.fake.Served(sc.video)
	uniq := map[string]bool{}
	for _, id := range served {
		uniq[id] = true
	}
	sc.store.mu.Lock()
	defer sc.store.mu.Unlock()
	for id := range uniq {
		if n := sc.store.commits[id]; n != 1 {
			t.Errorf("message %s committed %d times", id, n)
		}
	}
	for id := range sc.store.commits {
		if !uniq[id] {
			t.Errorf("message %s committed but never served", id)
		}
	}
	if len(served) != len(uniq) {
		t.Logf("the fake served %d messages, %d distinct (re-served after failed deliveries)", len(served), len(uniq))
	}
}

func TestCollectorEndToEndWithFaults(t *testing.T) {
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	clock := fakeyoutube.NewSpeedClock(start.Add(-20*time.Minute), 1000)
	aud := fakeyoutube.Audience{Seed: 7, Attendees: attendees(200), Lurkers: 300, Hostile: true, Moderation: true,
		Floods: []fakeyoutube.Flood{{At: start.Add(30 * time.Minute), Size: 4500}}}
	sc := newScenario(t, clock, start, time.Hour, aud, fakeyoutube.Options{PollingMillis: 3000, History: 50, ChatEndedGrace: 30 * time.Minute})
	sc.fake.InjectEvery(4, fakeyoutube.Fault{Method: fakeyoutube.MethodChatList, Status: 503})
	sc.fake.InjectEvery(9, fakeyoutube.Fault{Method: fakeyoutube.MethodVideosList, Status: 500})
	sc.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatList, Status: 403, Reason: "rateLimitExceeded"})
	sc.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatList, Drop: true})
	sc.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatList, Truncate: true})
	sc.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatList, InvalidJSON: true})

	c, err := New(Config{QuotaProject: "test-key", Clock: clock, RefreshInterval: 10 * time.Second}, sc.yt, sc.store, sc.metrics, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second):
		t.Fatalf("not done; health = %+v; stream = %+v", c.Health(), sc.store.stream(1))
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return within 2s of cancel")
	}

	st := sc.store.stream(1)
	if st.State != attendance.StreamEnded || st.ChatState != attendance.ChatDrained {
		t.Errorf("stream = %s/%s, want ended/drained", st.State, st.ChatState)
	}
	checkExactlyOnce(t, sc)
	if got, all := len(sc.store.commits), len(sc.fake.Messages(sc.video)); got != all {
		t.Errorf("committed %d of %d scripted messages", got, all)
	}
	if st.PeakConcurrentViewers < 4000 {
		t.Errorf("peak viewers = %d", st.PeakConcurrentViewers)
	}
	if n := testutil.ToFloat64(sc.metrics.errors.WithLabelValues(MethodChatList, "transient")); n < 3 {
		t.Errorf("transient errors counted = %v", n)
	}
	if n := testutil.ToFloat64(sc.metrics.errors.WithLabelValues(MethodChatList, "rate_limited")); n != 1 {
		t.Errorf("rate limited errors counted = %v", n)
	}
	used, _ := sc.store.QuotaUsed(context.Background(), "test-key", QuotaDay(start, c.quota.loc))
	// net/http silently retries a GET once when a reused connection is
	// closed before any answer (the dropped connection): the ledger counts
	// that attempt too, so it agrees with the fake to the unit.
	if fakeUsed := sc.fake.QuotaUsed(); used != fakeUsed {
		t.Errorf("ledger says %d units, the fake counted %d", used, fakeUsed)
	}
	t.Logf("messages=%d pages=%d units=%d chat_calls=%d videos_calls=%d", len(sc.store.commits), sc.store.pages, used,
		sc.fake.Calls(fakeyoutube.MethodChatList), sc.fake.Calls(fakeyoutube.MethodVideosList))
}

// TestEightHourEventWithinBudget plays an eight-hour event on a manual
// clock, stepping the watcher and the poller as the collector would, and
// checks that the day's budget is never exceeded.
func TestEightHourEventWithinBudget(t *testing.T) {
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC) // 01:00 Pacific: the event fits in one quota day
	length := 8 * time.Hour
	clock := fakeyoutube.NewManualClock(start.Add(-30 * time.Minute))
	aud := fakeyoutube.Audience{Seed: 8, Attendees: attendees(500), Lurkers: 2000, Hostile: true, Moderation: true,
		Checkpoints: []fakeyoutube.CheckpointWindow{
			{Word: "MEKONG", OpensAt: start.Add(time.Hour), ClosesAt: start.Add(time.Hour + 15*time.Minute)},
			{Word: "ANGKOR", OpensAt: start.Add(4 * time.Hour), ClosesAt: start.Add(4*time.Hour + 15*time.Minute)},
			{Word: "IRRAWADDY", OpensAt: start.Add(7 * time.Hour), ClosesAt: start.Add(7*time.Hour + 15*time.Minute)},
		},
		Floods: []fakeyoutube.Flood{{At: start.Add(10 * time.Minute), Size: 3000}, {At: start.Add(6 * time.Hour), Size: 2500}}}
	const daily = 10000
	sc := newScenario(t, clock, start, length, aud, fakeyoutube.Options{DailyQuota: daily, PollingMillis: 5000, EnforcePolling: true})
	q, err := NewQuota(sc.store, "key", daily, daily/10, clock, sc.metrics)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(sc.yt, sc.store, q, clock, sc.metrics, testLogger(t), 4*time.Hour)
	ctx := context.Background()
	var poller *Poller
	var nextPoll time.Time
	for steps := 0; steps < 100000; steps++ {
		now := clock.Now()
		streams, _ := sc.store.TrackedStreams(ctx)
		if len(streams) == 0 {
			break
		}
		nextWatch := w.Sample(ctx, streams)
		if poller == nil && streams[0].ChatID != "" {
			poller = NewPoller(PollerConfig{Quota: q, Source: sc.yt, Store: sc.store, Stream: streams[0], Clock: clock,
				Metrics: sc.metrics, Logger: testLogger(t)})
			nextPoll = now
		}
		if poller != nil {
			poller.UpdateTimes(streams[0])
		}
		if poller != nil && !now.Before(nextPoll) {
			wait, done := poller.Step(ctx)
			if done {
				poller, nextPoll = nil, time.Time{}
			} else {
				nextPoll = now.Add(wait)
			}
		}
		next := nextWatch
		if !nextPoll.IsZero() && (next.IsZero() || nextPoll.Before(next)) {
			next = nextPoll
		}
		if next.IsZero() {
			next = now.Add(10 * time.Second)
		}
		if fu := sc.fake.QuotaUsed(); fu > daily {
			t.Fatalf("budget exceeded: %d units", fu)
		}
		clock.Set(next)
	}
	st := sc.store.stream(1)
	if st.State != attendance.StreamEnded || st.ChatState != attendance.ChatDrained {
		t.Fatalf("stream = %s/%s", st.State, st.ChatState)
	}
	checkExactlyOnce(t, sc)
	if got, all := len(sc.store.commits), len(sc.fake.Messages(sc.video)); got != all {
		t.Errorf("committed %d of %d messages", got, all)
	}
	used := sc.fake.QuotaUsed()
	if used > daily {
		t.Errorf("used %d units of %d", used, daily)
	}
	var lags []time.Duration
	sc.store.mu.Lock()
	for id, at := range sc.store.committed {
		lags = append(lags, at.Sub(sc.store.published[id]))
	}
	sc.store.mu.Unlock()
	slices.Sort(lags)
	p50, p95 := lags[len(lags)/2], lags[len(lags)*95/100]
	t.Logf("8h event: %d messages, units used %d of %d (chat %d, videos %d), latency publishedAt→committed median %v p95 %v max %v",
		len(lags), used, daily, sc.store.quotaByM[MethodChatList], sc.store.quotaByM[MethodVideosList], p50, p95, lags[len(lags)-1])
	if n := testutil.ToFloat64(sc.metrics.errors.WithLabelValues(MethodChatList, "rate_limited")); n != 0 {
		t.Errorf("read sooner than pollingIntervalMillis %v times", n)
	}
	if p95 > 2*time.Minute {
		t.Errorf("p95 latency %v is too high", p95)
	}
}

// TestCollectorResumesAfterRestart stops the collector mid-stream and
// starts a new one on the same store: it resumes from the stored page
// token, and every served message is stored exactly once.
func TestCollectorResumesAfterRestart(t *testing.T) {
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	// 40 minutes ahead of the first message: 2.4 s of real time for the
	// collector to start and make its first read on a loaded machine (with
	// 5 minutes, 0.3 s, a slow start lost early messages to the 20-message
	// first-read history).
	clock := fakeyoutube.NewSpeedClock(start.Add(-40*time.Minute), 1000)
	aud := fakeyoutube.Audience{Seed: 9, Attendees: attendees(100), Lurkers: 400,
		Floods: []fakeyoutube.Flood{{At: start.Add(20 * time.Minute), Size: 2500}}}
	sc := newScenario(t, clock, start, time.Hour, aud, fakeyoutube.Options{PollingMillis: 3000, History: 20, ChatEndedGrace: 30 * time.Minute})
	halfway := make(chan struct{})
	pages := 0
	sc.store.commitHook = func(page attendance.ChatPage) error {
		pages++
		if pages == 30 {
			close(halfway)
		}
		return nil
	}
	run := func(stopAt <-chan struct{}) {
		c, err := New(Config{QuotaProject: "k", Clock: clock, RefreshInterval: 10 * time.Second}, sc.yt, sc.store, nil, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- c.Run(ctx) }()
		select {
		case <-stopAt:
		case <-c.Done():
		case <-time.After(30 * time.Second):
			t.Errorf("timed out: %+v", c.Health())
		}
		cancel()
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	run(halfway)
	first := sc.store.stream(1)
	if first.PageToken == "" || first.State == attendance.StreamEnded {
		t.Fatalf("stopped too late or too early: %+v", first)
	}
	run(nil)
	st := sc.store.stream(1)
	if st.State != attendance.StreamEnded || st.ChatState != attendance.ChatDrained {
		t.Errorf("stream = %s/%s", st.State, st.ChatState)
	}
	checkExactlyOnce(t, sc)
	if got, all := len(sc.store.commits), len(sc.fake.Messages(sc.video)); got != all {
		t.Errorf("committed %d of %d messages", got, all)
	}
}
