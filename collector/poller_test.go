package collector

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// chatFunc is a ChatSource made of a function.
type chatFunc func(ctx context.Context, chatID, token string) (ChatRead, error)

func (f chatFunc) ReadChat(ctx context.Context, chatID, token string) (ChatRead, error) {
	return f(ctx, chatID, token)
}

func apiErr(sentinel error) error {
	return &APIError{Method: MethodChatList, Status: 403, sentinel: sentinel}
}

// newTestPoller returns a poller on a manual clock. The poller tests call
// Step themselves, in one goroutine, and set the clock between steps:
// nothing waits on the clock, so there are no sleepers to count and a
// synctest bubble would check nothing more. The collector's tests, where
// pollers run on their own goroutines, use bubbles.
func newTestPoller(t *testing.T, src ChatSource, daily int64) (*Poller, *memStore, *fakeyoutube.ManualClock, *Metrics) {
	t.Helper()
	clock := fakeyoutube.NewManualClock(t0)
	stream := attendance.Stream{ID: 7, EventSlug: "dialogue", VideoID: "vid00000001", ChatID: "chat", PageToken: "tok-1",
		State: attendance.StreamLive, ChatState: attendance.ChatPolling, ActualStart: t0, ScheduledEnd: t0.Add(4 * time.Hour)}
	store := newMemStore(clock, stream)
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	q, err := NewQuota(store, "key", daily, daily/10, clock, m)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPoller(PollerConfig{Quota: q, Source: src, Store: store, Stream: stream, Clock: clock, Metrics: m,
		Rand: func() float64 { return 0.5 }})
	return p, store, clock, m
}

func TestPollerErrorClasses(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantDone  bool
		wantWait  time.Duration // 0: don't check
		wantState attendance.ChatState
		wantToken string
		wantPause bool
		ended     bool // the video has ended (else it is live)
	}{
		{"transient backs off, same token", apiErr(ErrTransient), false, 500 * time.Millisecond, attendance.ChatPolling, "tok-1", false, false},
		{"rate limited slows down", apiErr(ErrRateLimited), false, 10 * time.Second, attendance.ChatPolling, "tok-1", false, false},
		{"quota exceeded pauses until pacific midnight", apiErr(ErrQuotaExceeded), false, 6 * time.Hour, attendance.ChatPolling, "tok-1", true, false},
		{"chat ended while live is re-checked", apiErr(ErrChatEnded), false, 15 * time.Second, attendance.ChatBackoff, "tok-1", false, false},
		{"chat disabled while live is re-checked", apiErr(ErrChatDisabled), false, 15 * time.Second, attendance.ChatDisabled, "tok-1", false, false},
		{"chat not found while live is re-checked", apiErr(ErrChatNotFound), false, 15 * time.Second, attendance.ChatNotFound, "tok-1", false, false},
		{"forbidden while live is re-checked", apiErr(ErrForbidden), false, 15 * time.Second, attendance.ChatForbidden, "tok-1", false, false},
		{"key invalid while live is re-checked", apiErr(ErrKeyInvalid), false, 15 * time.Second, attendance.ChatForbidden, "tok-1", false, false},
		{"chat ended after the video ended is drained", apiErr(ErrChatEnded), true, 0, attendance.ChatDrained, "tok-1", false, true},
		{"chat disabled after the video ended", apiErr(ErrChatDisabled), true, 0, attendance.ChatDisabled, "tok-1", false, true},
		{"chat not found after the video ended", apiErr(ErrChatNotFound), true, 0, attendance.ChatNotFound, "tok-1", false, true},
		{"forbidden after the video ended", apiErr(ErrForbidden), true, 0, attendance.ChatForbidden, "tok-1", false, true},
		{"page token invalid restarts without token", apiErr(ErrPageTokenInvalid), false, DefaultPollInterval, attendance.ChatGap, "", false, false},
		{"a bad request is tried again once", apiErr(ErrBadRequest), false, 500 * time.Millisecond, attendance.ChatPolling, "tok-1", false, false},
		{"unclassified error backs off", errors.New("boom"), false, 500 * time.Millisecond, attendance.ChatPolling, "tok-1", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tokens []string
			src := chatFunc(func(ctx context.Context, chatID, token string) (ChatRead, error) {
				tokens = append(tokens, token)
				return ChatRead{}, tt.err
			})
			p, store, _, m := newTestPoller(t, src, 10000)
			sampled := 0
			p.cfg.RequestSample = func() { sampled++ }
			if tt.ended {
				p.UpdateTimes(attendance.Stream{State: attendance.StreamEnded, ActualEnd: t0})
			}
			wait, done := p.Step(context.Background())
			if done != tt.wantDone {
				t.Fatalf("done = %v, want %v", done, tt.wantDone)
			}
			if tt.wantWait != 0 && wait != tt.wantWait {
				t.Errorf("wait = %v, want %v", wait, tt.wantWait)
			}
			if got := store.stream(7).ChatState; got != tt.wantState {
				t.Errorf("chat state = %s, want %s", got, tt.wantState)
			}
			if p.token != tt.wantToken {
				t.Errorf("token = %q, want %q", p.token, tt.wantToken)
			}
			if store.pages != 0 || store.stream(7).PageToken != "tok-1" {
				t.Errorf("a failed read committed something: pages=%d token=%q", store.pages, store.stream(7).PageToken)
			}
			if got := store.quotaByM[MethodChatList]; got != ChatReadCost {
				t.Errorf("failed read spent %d units, want %d", got, ChatReadCost)
			}
			if wantSample := tt.wantWait == 15*time.Second; (sampled == 1) != wantSample {
				t.Errorf("videos.list requested %d times, want it at once: %v", sampled, wantSample)
			}
			if got := testutil.ToFloat64(m.quotaPaused) == 1; got != tt.wantPause {
				t.Errorf("quota paused gauge = %v, want %v", got, tt.wantPause)
			}
			if tt.wantPause {
				// paused: the next step sends nothing
				wait, done := p.Step(context.Background())
				if done || wait < 5*time.Hour || len(tokens) != 1 {
					t.Errorf("paused step: wait=%v done=%v calls=%d", wait, done, len(tokens))
				}
			}
		})
	}
}

func TestPollerBackoffGrowsAndResets(t *testing.T) {
	fail := 6
	src := chatFunc(func(ctx context.Context, chatID, token string) (ChatRead, error) {
		if fail > 0 {
			fail--
			return ChatRead{}, apiErr(ErrTransient)
		}
		return ChatRead{NextPageToken: "tok-2", PollingMillis: 2000, PageSize: 2000,
			Messages: []attendance.ChatMessage{{ID: "a", Type: attendance.MsgText, PublishedAt: t0}}}, nil
	})
	p, store, clock, m := newTestPoller(t, src, 10000)
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}
	for i, w := range want {
		wait, done := p.Step(context.Background())
		if done || wait != w {
			t.Fatalf("failure %d: wait %v done %v, want %v", i+1, wait, done, w)
		}
		if p.Health().ConsecutiveErrors != i+1 || !p.Health().BackingOff {
			t.Errorf("health = %+v", p.Health())
		}
		clock.Advance(wait)
	}
	if got := testutil.ToFloat64(m.backoff.WithLabelValues("dialogue", "vid00000001")); got != 1 {
		t.Errorf("backoff gauge = %v, want 1", got)
	}
	wait, done := p.Step(context.Background())
	if done || wait < 2*time.Second {
		t.Fatalf("after recovery: wait %v done %v", wait, done)
	}
	if store.stream(7).PageToken != "tok-2" || store.commits["a"] != 1 {
		t.Errorf("recovery did not commit: %+v", store.stream(7))
	}
	if got := testutil.ToFloat64(m.backoff.WithLabelValues("dialogue", "vid00000001")); got != 0 {
		t.Errorf("backoff gauge after recovery = %v, want 0", got)
	}
	if h := p.Health(); h.ConsecutiveErrors != 0 || h.BackingOff || h.Messages != 1 {
		t.Errorf("health after recovery = %+v", h)
	}
}

func TestPollerCommitFailureKeepsCursor(t *testing.T) {
	src := chatFunc(func(ctx context.Context, chatID, token string) (ChatRead, error) {
		return ChatRead{NextPageToken: token + "+", Messages: []attendance.ChatMessage{{ID: "m-" + token, PublishedAt: t0}}}, nil
	})
	p, store, _, _ := newTestPoller(t, src, 10000)
	store.commitHook = func(attendance.ChatPage) error { return errors.New("database is locked") }
	if _, done := p.Step(context.Background()); done {
		t.Fatal("done after a failed commit")
	}
	if p.token != "tok-1" {
		t.Errorf("token advanced past an uncommitted page: %q", p.token)
	}
	store.commitHook = nil
	p.Step(context.Background())
	if p.token != "tok-1+" || store.commits["m-tok-1"] != 1 {
		t.Errorf("retry: token %q commits %v", p.token, store.commits)
	}
}

func TestPollerDrainsAfterOffline(t *testing.T) {
	offline := t0.Add(time.Hour)
	pages := []ChatRead{
		{NextPageToken: "t2", Messages: []attendance.ChatMessage{{ID: "1"}}},
		{NextPageToken: "t3", OfflineAt: offline, Messages: []attendance.ChatMessage{{ID: "2"}, {ID: "3"}}},
		{NextPageToken: "t4", OfflineAt: offline, Messages: []attendance.ChatMessage{{ID: "4"}}},
		{NextPageToken: "t5", OfflineAt: offline},
	}
	calls := 0
	src := chatFunc(func(ctx context.Context, chatID, token string) (ChatRead, error) {
		r := pages[calls]
		calls++
		r.PollingMillis = 3000
		return r, nil
	})
	p, store, _, _ := newTestPoller(t, src, 10000)
	p.UpdateTimes(attendance.Stream{State: attendance.StreamEnded, ActualEnd: offline})
	var waits []time.Duration
	for range 10 {
		wait, done := p.Step(context.Background())
		if done {
			break
		}
		waits = append(waits, wait)
	}
	if calls != 4 || store.stream(7).ChatState != attendance.ChatDrained {
		t.Fatalf("calls=%d state=%s", calls, store.stream(7).ChatState)
	}
	if waits[1] != 3*time.Second || waits[2] != 3*time.Second {
		t.Errorf("drain waits = %v, want the server's 3s", waits)
	}
	if !store.stream(7).OfflineAt.Equal(offline) || store.stream(7).PageToken != "t5" {
		t.Errorf("stream = %+v", store.stream(7))
	}
}

func TestPollerFullPageReadsAgainSoon(t *testing.T) {
	src := chatFunc(func(ctx context.Context, chatID, token string) (ChatRead, error) {
		msgs := make([]attendance.ChatMessage, 200)
		for i := range msgs {
			msgs[i] = attendance.ChatMessage{ID: fmt.Sprintf("%s-%d", token, i)}
		}
		return ChatRead{NextPageToken: token + "+", Messages: msgs, PageSize: 200, PollingMillis: 1500}, nil
	})
	p, _, _, _ := newTestPoller(t, src, 10000)
	wait, _ := p.Step(context.Background())
	if wait != 1500*time.Millisecond {
		t.Errorf("after a full page wait = %v, want the server's 1.5s", wait)
	}
	// with almost no budget left a full page does not trigger a burst
	p2, store2, _, _ := newTestPoller(t, src, 10000)
	loc, _ := LoadPacific()
	store2.quota["key|"+QuotaDay(t0, loc)] = 10000 - 1000 - 10 // one chat read left after this one
	if wait, _ := p2.Step(context.Background()); wait == 1500*time.Millisecond {
		t.Errorf("full page with one read left: wait = %v; want planned spacing", wait)
	}
}

func TestPollerWaitsForTheScheduledStart(t *testing.T) {
	calls := 0
	src := chatFunc(func(ctx context.Context, chatID, token string) (ChatRead, error) {
		calls++
		return ChatRead{NextPageToken: token + "+", PollingMillis: 2000}, nil
	})
	p, _, clock, _ := newTestPoller(t, src, 10000)
	start := t0.Add(3 * time.Hour)
	p.UpdateTimes(attendance.Stream{ScheduledStart: start, ScheduledEnd: start.Add(2 * time.Hour)})
	steps := []struct {
		at       time.Time
		wantWait time.Duration
		wantCall int
	}{
		{t0, 5 * time.Minute, 0},                       // three hours ahead: no read
		{start.Add(-61 * time.Minute), time.Minute, 0}, // just over an hour ahead: sleep to the hour
		{start.Add(-30 * time.Minute), time.Minute, 1}, // the lobby: one read a minute
		{start.Add(-5 * time.Minute), 0, 2},            // last minutes: the planner's pace
	}
	for _, st := range steps {
		clock.Set(st.at)
		wait, done := p.Step(context.Background())
		if done || calls != st.wantCall {
			t.Fatalf("at %v: done=%v calls=%d, want %d", st.at, done, calls, st.wantCall)
		}
		if st.wantWait == 0 && (wait < 2*time.Second || wait >= time.Minute) {
			t.Errorf("at %v: wait %v, want the planner's pace", st.at, wait)
		}
		if st.wantWait != 0 && wait != st.wantWait {
			t.Errorf("at %v: wait %v, want %v", st.at, wait, st.wantWait)
		}
	}
	// an early start wakes the sleeping poller at the next recheck
	p2, _, clock2, _ := newTestPoller(t, src, 10000)
	p2.UpdateTimes(attendance.Stream{ScheduledStart: t0.Add(3 * time.Hour)})
	wait, _ := p2.Step(context.Background())
	clock2.Advance(wait)
	p2.UpdateTimes(attendance.Stream{ScheduledStart: t0.Add(3 * time.Hour), ActualStart: clock2.Now()})
	before := calls
	p2.Step(context.Background())
	if calls != before+1 {
		t.Error("an early start was not read")
	}
}

// A chat that answers liveChatEnded, or offlineAt with an empty page, while
// its video is live (a replaced chat, an encoder drop) is never drained:
// it is re-checked 15 s doubling to 2 min with the same token, videos.list
// is asked for at once, and reading resumes when messages come again.
func TestPollerNeverDrainsWhileTheVideoIsLive(t *testing.T) {
	offline := t0.Add(time.Minute)
	var reads []string
	script := []func() (ChatRead, error){
		func() (ChatRead, error) {
			return ChatRead{NextPageToken: "t2", Messages: []attendance.ChatMessage{{ID: "1"}}}, nil
		},
		func() (ChatRead, error) { return ChatRead{NextPageToken: "t3", OfflineAt: offline}, nil },
		func() (ChatRead, error) { return ChatRead{NextPageToken: "t4", OfflineAt: offline}, nil },
		func() (ChatRead, error) { return ChatRead{NextPageToken: "t5", OfflineAt: offline}, nil },
		func() (ChatRead, error) { return ChatRead{}, apiErr(ErrChatEnded) },
		func() (ChatRead, error) { return ChatRead{}, apiErr(ErrChatEnded) },
		func() (ChatRead, error) { return ChatRead{}, apiErr(ErrChatEnded) },
		func() (ChatRead, error) { return ChatRead{}, apiErr(ErrChatEnded) },
		func() (ChatRead, error) {
			return ChatRead{NextPageToken: "t6", Messages: []attendance.ChatMessage{{ID: "2"}}}, nil
		},
	}
	src := chatFunc(func(ctx context.Context, chatID, token string) (ChatRead, error) {
		reads = append(reads, token)
		return script[len(reads)-1]()
	})
	p, store, clock, m := newTestPoller(t, src, 10000)
	sampled := 0
	p.cfg.RequestSample = func() { sampled++ }
	var waits []time.Duration
	for range script {
		wait, done := p.Step(context.Background())
		if done {
			t.Fatalf("done after %d reads while the video is live (state %s)", len(reads), store.stream(7).ChatState)
		}
		waits = append(waits, wait)
		clock.Advance(wait)
	}
	want := []time.Duration{15 * time.Second, 30 * time.Second, 60 * time.Second, 2 * time.Minute, 2 * time.Minute, 2 * time.Minute}
	if got := waits[2:8]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("re-check waits = %v, want %v", got, want)
	}
	if fmt.Sprint(reads) != "[tok-1 t2 t3 t4 t5 t5 t5 t5 t5]" {
		t.Errorf("tokens read = %v: the token must be kept across re-checks", reads)
	}
	if sampled != 6 {
		t.Errorf("videos.list requested %d times, want once per re-check (6)", sampled)
	}
	if st := store.stream(7); st.ChatState != attendance.ChatPolling || st.PageToken != "t6" || store.commits["2"] != 1 {
		t.Errorf("after messages came again: %+v", st)
	}
	if got := testutil.ToFloat64(m.chatState.WithLabelValues("dialogue", "vid00000001", StatePolling)); got != 1 {
		t.Errorf("chat state gauge polling = %v, want 1", got)
	}
	// The video ends: the next empty offline page is final.
	p.UpdateTimes(attendance.Stream{State: attendance.StreamEnded, ActualEnd: clock.Now()})
	script = append(script,
		func() (ChatRead, error) { return ChatRead{NextPageToken: "t7", OfflineAt: offline}, nil },
		func() (ChatRead, error) { return ChatRead{NextPageToken: "t8", OfflineAt: offline}, nil })
	for range 2 {
		if _, done := p.Step(context.Background()); done {
			break
		}
	}
	if st := store.stream(7); st.ChatState != attendance.ChatDrained {
		t.Errorf("after the video ended: %s", st.ChatState)
	}
}

// A request YouTube will never accept is sent twice, then the chat stops
// loudly instead of being retried for ever.
func TestPollerStopsAfterTwoBadRequests(t *testing.T) {
	calls := 0
	src := chatFunc(func(ctx context.Context, chatID, token string) (ChatRead, error) {
		calls++
		return ChatRead{}, &APIError{Method: MethodChatList, Status: 400, Reason: "invalidValue", sentinel: ErrBadRequest}
	})
	p, store, clock, m := newTestPoller(t, src, 10000)
	for i := 0; i < 5; i++ {
		wait, done := p.Step(context.Background())
		if done {
			break
		}
		clock.Advance(wait)
	}
	if calls != 2 || store.stream(7).ChatState != attendance.ChatStopped {
		t.Fatalf("calls = %d, state = %s; want 2 and stopped", calls, store.stream(7).ChatState)
	}
	if got := testutil.ToFloat64(m.chatState.WithLabelValues("dialogue", "vid00000001", StateStopped)); got != 1 {
		t.Errorf("chat state gauge stopped = %v", got)
	}
}

// After invalidPageToken the poller reads without a token and the first
// page it commits carries the gap, counted once.
func TestPollerRecordsAGapAfterAnInvalidToken(t *testing.T) {
	var pages []attendance.ChatPage
	first := true
	src := chatFunc(func(ctx context.Context, chatID, token string) (ChatRead, error) {
		if first {
			first = false
			return ChatRead{}, &APIError{Method: MethodChatList, Status: 400, Reason: "invalidPageToken", sentinel: ErrPageTokenInvalid}
		}
		return ChatRead{NextPageToken: token + "+", Messages: []attendance.ChatMessage{{ID: "m" + token, PublishedAt: t0}}}, nil
	})
	p, store, clock, m := newTestPoller(t, src, 10000)
	store.commitHook = func(pg attendance.ChatPage) error { pages = append(pages, pg); return nil }
	for range 3 {
		wait, _ := p.Step(context.Background())
		clock.Advance(wait)
	}
	if len(pages) != 2 || pages[0].GapReason != attendance.GapTokenInvalid || pages[1].GapReason != "" {
		t.Fatalf("pages = %+v", pages)
	}
	if pages[0].Messages[0].ID != "m" {
		t.Errorf("the read after the gap used token %q, want none", pages[0].Messages[0].ID[1:])
	}
	if got := testutil.ToFloat64(m.gaps.WithLabelValues("dialogue", "vid00000001")); got != 1 {
		t.Errorf("gaps counter = %v", got)
	}
}
