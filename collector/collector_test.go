package collector

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
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
	return newScenarioOn(t, clock, start, length, aud, opts, func(fake http.Handler) (string, http.RoundTripper) {
		srv := httptest.NewServer(fake)
		t.Cleanup(srv.Close)
		return srv.URL, nil
	})
}

// newBubbleScenario is newScenario for a synctest bubble: the bubble's
// clock, and HTTP over an in-memory network instead of a loopback socket.
func newBubbleScenario(t *testing.T, start time.Time, length time.Duration, aud fakeyoutube.Audience, opts fakeyoutube.Options) *scenario {
	t.Helper()
	return newScenarioOn(t, SystemClock{}, start, length, aud, opts, func(fake http.Handler) (string, http.RoundTripper) {
		return "http://youtube.test", servePipe(t, fake)
	})
}

// newScenarioOn builds a scenario whose fake YouTube serve puts on some
// network, returning its URL and, unless nil, the transport that reaches it.
func newScenarioOn(t testing.TB, clock interface {
	Now() time.Time
	After(time.Duration) <-chan time.Time
}, start time.Time, length time.Duration, aud fakeyoutube.Audience, opts fakeyoutube.Options,
	serve func(http.Handler) (string, http.RoundTripper)) *scenario {
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
	endpoint, transport := serve(fake)
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	yt, err := NewYouTube(context.Background(), YouTubeConfig{APIKey: testKey, Endpoint: endpoint, Transport: transport,
		Metrics: m, Timeout: 10 * time.Second})
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
	inBubble(t, start.Add(-20*time.Minute), func(t *testing.T) {
		aud := fakeyoutube.Audience{Seed: 7, Attendees: attendees(200), Lurkers: 300, Hostile: true, Moderation: true,
			Floods: []fakeyoutube.Flood{{At: start.Add(30 * time.Minute), Size: 4500}}}
		sc := newBubbleScenario(t, start, time.Hour, aud, fakeyoutube.Options{PollingMillis: 3000, History: 50, ChatEndedGrace: 30 * time.Minute})
		sc.fake.InjectEvery(4, fakeyoutube.Fault{Method: fakeyoutube.MethodChatList, Status: 503})
		sc.fake.InjectEvery(9, fakeyoutube.Fault{Method: fakeyoutube.MethodVideosList, Status: 500})
		sc.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatList, Status: 403, Reason: "rateLimitExceeded"})
		sc.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatList, Drop: true})
		sc.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatList, Truncate: true})
		sc.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatList, InvalidJSON: true})

		c, err := New(Config{QuotaProject: "test-key", RefreshInterval: 10 * time.Second}, sc.yt, sc.store, sc.metrics, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		stop := runCollector(t, c)
		// the event: 20 minutes ahead, an hour live, the chat's end
		// noticed within minutes of the video's
		select {
		case <-c.Done():
		case <-time.After(2 * time.Hour):
			t.Fatalf("not done within 2h; health = %+v; stream = %+v", c.Health(), sc.store.stream(1))
		}
		if err := stop(); err != nil {
			t.Fatal(err)
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
	})
}

// TestEightHourEventWithinBudget plays an eight-hour event on a manual
// clock, stepping the watcher and the poller as the collector would, and
// checks that the day's budget is never exceeded.
// eightHourScenario is an 8-hour event under a 10,000-unit budget: 500
// attendees, 2,000 lurkers, three checkpoints, two floods.
func eightHourScenario(t testing.TB) (*scenario, *fakeyoutube.ManualClock, time.Time) {
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
	sc := newScenario(t, clock, start, length, aud, fakeyoutube.Options{DailyQuota: eightHourBudget, PollingMillis: 5000, EnforcePolling: true})
	return sc, clock, start.Add(length)
}

const eightHourBudget = 10000

// eventRun is what a simulated event spent and how late it stored chat.
type eventRun struct {
	units, chatUnits, videoUnits int64
	lags                         []time.Duration // publishedAt → committed, sorted
}

func (r eventRun) p(q int) time.Duration { return r.lags[len(r.lags)*q/100] }

// simulateEvent runs the watcher and one chat reader (polling through sc's
// real client, or streamer when set) over the scenario on its manual clock,
// one step at a time, until the stream is no longer tracked. It checks the
// budget at every step and that every served message was committed once.
func simulateEvent(t testing.TB, sc *scenario, clock *fakeyoutube.ManualClock, streamer ChatStreamer) eventRun {
	q, err := NewQuota(sc.store, "key", eightHourBudget, eightHourBudget/10, clock, sc.metrics)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(sc.yt, sc.store, q, clock, sc.metrics, testLogger(t), 4*time.Hour)
	ctx := context.Background()
	var poller *Poller
	var nextPoll, nextWatch time.Time
	if sim, ok := streamer.(*simStream); ok {
		sim.onTick = func() { // the watcher samples beside a long connection
			if !clock.Now().Before(nextWatch) {
				streams, _ := sc.store.TrackedStreams(ctx)
				nextWatch = w.Sample(ctx, streams)
			}
		}
	}
	for steps := 0; steps < 100000; steps++ {
		now := clock.Now()
		streams, _ := sc.store.TrackedStreams(ctx)
		if len(streams) == 0 {
			break
		}
		nextWatch = w.Sample(ctx, streams)
		if poller == nil && streams[0].ChatID != "" {
			poller = NewPoller(PollerConfig{Quota: q, Source: sc.yt, Streamer: streamer, Store: sc.store, Stream: streams[0],
				Clock: clock, Metrics: sc.metrics, Logger: testLogger(t)})
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
				nextPoll = clock.Now().Add(wait) // a stream connection moves the clock while it lasts
			}
		}
		next := nextWatch
		if !nextPoll.IsZero() && (next.IsZero() || nextPoll.Before(next)) {
			next = nextPoll
		}
		if next.IsZero() {
			next = clock.Now().Add(10 * time.Second)
		}
		if used := sc.store.quotaTotal(); used > eightHourBudget {
			t.Fatalf("budget exceeded: %d units", used)
		}
		clock.Set(next)
	}
	st := sc.store.stream(1)
	if st.State != attendance.StreamEnded || st.ChatState != attendance.ChatDrained {
		t.Fatalf("stream = %s/%s", st.State, st.ChatState)
	}
	var r eventRun
	sc.store.mu.Lock()
	for id, at := range sc.store.committed {
		r.lags = append(r.lags, at.Sub(sc.store.published[id]))
	}
	r.chatUnits = sc.store.quotaByM[MethodChatList] + sc.store.quotaByM[MethodChatStream]
	r.videoUnits = sc.store.quotaByM[MethodVideosList]
	sc.store.mu.Unlock()
	r.units = r.chatUnits + r.videoUnits
	slices.Sort(r.lags)
	return r
}

func TestEightHourEventWithinBudget(t *testing.T) {
	sc, clock, _ := eightHourScenario(t)
	r := simulateEvent(t, sc, clock, nil)
	checkExactlyOnce(t, sc)
	if got, all := len(sc.store.commits), len(sc.fake.Messages(sc.video)); got != all {
		t.Errorf("committed %d of %d messages", got, all)
	}
	if used := sc.fake.QuotaUsed(); used > eightHourBudget || used != r.units {
		t.Errorf("the fake charged %d units, the ledger %d, of %d", used, r.units, eightHourBudget)
	}
	t.Logf("8h event: %d messages, units used %d of %d (chat %d, videos %d), latency publishedAt→committed median %v p95 %v max %v",
		len(r.lags), r.units, eightHourBudget, r.chatUnits, r.videoUnits, r.p(50), r.p(95), r.lags[len(r.lags)-1])
	// The reader waits pollingIntervalMillis between reads. Only a read
	// that failed (a timeout on a loaded machine, after the fake had
	// answered it) may be followed by one that comes too soon, as it would
	// against YouTube, which then answers rateLimitExceeded and the reader
	// backs off: never more of those than failed reads.
	limited := testutil.ToFloat64(sc.metrics.errors.WithLabelValues(MethodChatList, "rate_limited"))
	failed := testutil.ToFloat64(sc.metrics.errors.WithLabelValues(MethodChatList, "transient"))
	if limited > failed {
		t.Errorf("read sooner than pollingIntervalMillis %v times, after %v failed reads", limited, failed)
	}
	if r.p(95) > 2*time.Minute {
		t.Errorf("p95 latency %v is too high", r.p(95))
	}
}

// TestCollectorResumesAfterRestart stops the collector mid-stream and
// starts a new one on the same store: it resumes from the stored page
// token, and every served message is stored exactly once.
func TestCollectorResumesAfterRestart(t *testing.T) {
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	// In a bubble the collector starts and makes its first read at the
	// scenario's first instant, however loaded the machine: five minutes
	// ahead of the first message is enough for the 20-message first-read
	// history (on a sped-up wall clock it took 40).
	inBubble(t, start.Add(-5*time.Minute), func(t *testing.T) {
		aud := fakeyoutube.Audience{Seed: 9, Attendees: attendees(100), Lurkers: 400,
			Floods: []fakeyoutube.Flood{{At: start.Add(20 * time.Minute), Size: 2500}}}
		sc := newBubbleScenario(t, start, time.Hour, aud, fakeyoutube.Options{PollingMillis: 3000, History: 20, ChatEndedGrace: 30 * time.Minute})
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
			c, err := New(Config{QuotaProject: "k", RefreshInterval: 10 * time.Second}, sc.yt, sc.store, nil, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			stop := runCollector(t, c)
			select {
			case <-stopAt:
			case <-c.Done():
			case <-time.After(2 * time.Hour):
				t.Errorf("neither stopped nor done within 2h: %+v", c.Health())
			}
			if err := stop(); err != nil {
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
	})
}
