package collector

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// sourceFuncs is a Source made of functions.
type sourceFuncs struct {
	videos func(ctx context.Context, ids []string) ([]VideoSample, error)
	chat   func(ctx context.Context, chatID, token string) (ChatRead, error)
}

func (s sourceFuncs) Videos(ctx context.Context, ids []string) ([]VideoSample, error) {
	return s.videos(ctx, ids)
}

func (s sourceFuncs) ReadChat(ctx context.Context, chatID, token string) (ChatRead, error) {
	return s.chat(ctx, chatID, token)
}

func liveSample(ids []string) []VideoSample {
	out := make([]VideoSample, len(ids))
	for i, id := range ids {
		out[i] = VideoSample{VideoID: id, Sample: attendance.StreamSample{State: attendance.StreamLive, ChatID: "chat-" + id, ActualStart: t0}}
	}
	return out
}

func runCollector(t *testing.T, c *Collector) (cancel func() error) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	return func() error {
		stop()
		select {
		case err := <-errc:
			return err
		case <-time.After(2 * time.Second):
			t.Fatal("Run did not return within 2s of cancel")
			return nil
		}
	}
}

func TestCollectorShutdownWhileReading(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	store := newMemStore(clock, attendance.Stream{ID: 1, EventSlug: "e", VideoID: "v1", State: attendance.StreamUpcoming})
	reading := make(chan struct{})
	src := sourceFuncs{
		videos: func(ctx context.Context, ids []string) ([]VideoSample, error) { return liveSample(ids), nil },
		chat: func(ctx context.Context, chatID, token string) (ChatRead, error) {
			close(reading)
			<-ctx.Done() // a slow YouTube: only cancellation ends the call
			return ChatRead{}, ctx.Err()
		},
	}
	c, err := New(Config{Clock: clock}, src, store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := runCollector(t, c)
	select {
	case <-reading:
	case <-time.After(5 * time.Second):
		t.Fatal("poller never started")
	}
	if h := c.Health(); !h.Running || len(h.Pollers) != 1 || !c.Ready() {
		t.Errorf("health while reading = %+v", h)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if c.Health().Running || c.Ready() {
		t.Error("still running after Run returned")
	}
	if store.pages != 0 {
		t.Error("a cancelled read committed a page")
	}
}

func TestCollectorRunTwice(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	store := newMemStore(clock)
	c, err := New(Config{Clock: clock}, sourceFuncs{}, store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := runCollector(t, c)
	<-c.Done() // nothing tracked: done after the first listing
	if err := c.Run(context.Background()); err == nil {
		t.Error("a second concurrent Run was accepted")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestCollectorListingErrorsAndRecovery(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	store := newMemStore(clock, attendance.Stream{ID: 1, EventSlug: "e", VideoID: "v1", State: attendance.StreamUpcoming})
	failures := 3
	listed := make(chan struct{}, 100)
	store.listHook = func() error {
		listed <- struct{}{}
		if failures > 0 {
			failures--
			return errors.New("database is locked")
		}
		return nil
	}
	ended := attendance.StreamSample{State: attendance.StreamEnded, ActualStart: t0, ActualEnd: t0.Add(time.Hour)}
	src := sourceFuncs{videos: func(ctx context.Context, ids []string) ([]VideoSample, error) {
		return []VideoSample{{VideoID: "v1", Sample: ended}}, nil
	}}
	c, err := New(Config{Clock: clock, RefreshInterval: 10 * time.Second}, src, store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := runCollector(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 4 {
		<-listed
		if err := clock.BlockUntil(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(10 * time.Second)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatalf("never done: %+v", c.Health())
	}
	if h := c.Health(); h.ListErrors != 3 || !h.Finished {
		t.Errorf("health = %+v", h)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// advanceUntil moves the clock by step until cond holds, giving the
// collector's goroutines a moment between moves; it fails after 10 s.
func advanceUntil(t *testing.T, clock *fakeyoutube.ManualClock, step time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		clock.Advance(step)
		time.Sleep(2 * time.Millisecond)
	}
}

// The video owns the lifecycle: a disabled chat and an ended chat are
// re-checked while their videos are live, and the collector is done only
// once the videos have ended.
func TestCollectorRechecksChatsWhileLiveAndFinishesWhenTheVideosEnd(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	store := newMemStore(clock,
		attendance.Stream{ID: 1, EventSlug: "e", VideoID: "v1", State: attendance.StreamUpcoming},
		attendance.Stream{ID: 2, EventSlug: "e", VideoID: "v2", State: attendance.StreamUpcoming})
	var mu sync.Mutex
	calls := map[string]int{}
	count := func(id string) int { mu.Lock(); defer mu.Unlock(); return calls[id] }
	var ended atomic.Bool
	src := sourceFuncs{
		videos: func(ctx context.Context, ids []string) ([]VideoSample, error) {
			if !ended.Load() {
				return liveSample(ids), nil
			}
			var out []VideoSample
			for _, id := range ids {
				out = append(out, VideoSample{VideoID: id, Sample: attendance.StreamSample{State: attendance.StreamEnded, ActualEnd: t0}})
			}
			return out, nil
		},
		chat: func(ctx context.Context, chatID, token string) (ChatRead, error) {
			mu.Lock()
			calls[chatID]++
			mu.Unlock()
			if chatID == "chat-v1" {
				return ChatRead{}, apiErr(ErrChatDisabled)
			}
			return ChatRead{}, apiErr(ErrChatEnded)
		},
	}
	c, err := New(Config{Clock: clock}, src, store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := runCollector(t, c)
	advanceUntil(t, clock, 5*time.Second, func() bool { return count("chat-v1") >= 3 && count("chat-v2") >= 3 })
	select {
	case <-c.Done():
		t.Fatal("done while the videos are live")
	default:
	}
	if st := store.stream(1).ChatState; st != attendance.ChatDisabled {
		t.Errorf("stream 1 chat = %s, want disabled (re-checked)", st)
	}
	ended.Store(true)
	advanceUntil(t, clock, 5*time.Second, func() bool {
		select {
		case <-c.Done():
			return true
		default:
			return false
		}
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if s1, s2 := store.stream(1), store.stream(2); s1.ChatState != attendance.ChatDisabled || s2.ChatState != attendance.ChatDrained {
		t.Errorf("final chat states = %s, %s; want disabled, drained", s1.ChatState, s2.ChatState)
	}
}

// A chat YouTube does not find while the video is live is re-checked with
// the same id; a new activeLiveChatId is followed at once.
func TestCollectorFollowsANewChatID(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	store := newMemStore(clock, attendance.Stream{ID: 1, EventSlug: "e", VideoID: "v1", State: attendance.StreamUpcoming})
	var chatID atomic.Value
	chatID.Store("chat-old")
	var mu sync.Mutex
	calls := map[string]int{}
	count := func(id string) int { mu.Lock(); defer mu.Unlock(); return calls[id] }
	src := sourceFuncs{
		videos: func(ctx context.Context, ids []string) ([]VideoSample, error) {
			return []VideoSample{{VideoID: "v1", Sample: attendance.StreamSample{State: attendance.StreamLive, ChatID: chatID.Load().(string)}}}, nil
		},
		chat: func(ctx context.Context, id, token string) (ChatRead, error) {
			mu.Lock()
			calls[id]++
			mu.Unlock()
			if id == "chat-old" {
				return ChatRead{}, apiErr(ErrChatNotFound)
			}
			return ChatRead{NextPageToken: "new-1"}, nil
		},
	}
	c, err := New(Config{Clock: clock, RefreshInterval: 10 * time.Second}, src, store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := runCollector(t, c)
	defer func() {
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}()
	advanceUntil(t, clock, 5*time.Second, func() bool { return count("chat-old") >= 3 })
	if count("chat-new") != 0 {
		t.Fatal("read a chat nobody announced")
	}
	chatID.Store("chat-new") // YouTube now gives another chat id
	advanceUntil(t, clock, 5*time.Second, func() bool { return count("chat-new") >= 1 })
	advanceUntil(t, clock, time.Second, func() bool { return store.stream(1).ChatState == attendance.ChatPolling })
}

// A chat YouTube keeps rejecting as a bad request stops after two tries and
// stays stopped, without spending more units, until staff re-arm it (the
// stored state back to waiting).
func TestCollectorStoppedChatWaitsForRearm(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	store := newMemStore(clock, attendance.Stream{ID: 1, EventSlug: "e", VideoID: "v1", State: attendance.StreamUpcoming})
	var mu sync.Mutex
	reads := 0
	count := func() int { mu.Lock(); defer mu.Unlock(); return reads }
	var fixed atomic.Bool
	src := sourceFuncs{
		videos: func(ctx context.Context, ids []string) ([]VideoSample, error) { return liveSample(ids), nil },
		chat: func(ctx context.Context, chatID, token string) (ChatRead, error) {
			mu.Lock()
			reads++
			mu.Unlock()
			if fixed.Load() {
				return ChatRead{NextPageToken: "ok"}, nil
			}
			return ChatRead{}, &APIError{Method: MethodChatList, Status: 400, Reason: "invalidValue", sentinel: ErrBadRequest}
		},
	}
	c, err := New(Config{Clock: clock, RefreshInterval: 10 * time.Second}, src, store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := runCollector(t, c)
	defer func() {
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}()
	advanceUntil(t, clock, time.Second, func() bool { return store.stream(1).ChatState == attendance.ChatStopped })
	if n := count(); n != 2 {
		t.Fatalf("%d reads before the stop, want 2", n)
	}
	for range 20 { // ten minutes of rounds: nothing more is sent
		clock.Advance(30 * time.Second)
		time.Sleep(2 * time.Millisecond)
	}
	if n := count(); n != 2 {
		t.Fatalf("a stopped chat was read again (%d reads)", n)
	}
	fixed.Store(true)
	store.mu.Lock()
	store.streams[1].ChatState = attendance.ChatWaiting // rollcall stream rearm
	store.mu.Unlock()
	advanceUntil(t, clock, time.Second, func() bool { return store.stream(1).ChatState == attendance.ChatPolling })
}

// A stream that leaves the tracked list (staff finished it, its event was
// deactivated) has its reader stopped at the next round.
func TestCollectorStopsTheReaderOfAnUntrackedStream(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	store := newMemStore(clock, attendance.Stream{ID: 1, EventSlug: "e", VideoID: "v1", State: attendance.StreamUpcoming})
	var reads atomic.Int64
	src := sourceFuncs{
		videos: func(ctx context.Context, ids []string) ([]VideoSample, error) { return liveSample(ids), nil },
		chat: func(ctx context.Context, chatID, token string) (ChatRead, error) {
			reads.Add(1)
			return ChatRead{NextPageToken: token + "+", PollingMillis: 1000}, nil
		},
	}
	c, err := New(Config{Clock: clock, RefreshInterval: 5 * time.Second}, src, store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := runCollector(t, c)
	defer func() {
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}()
	advanceUntil(t, clock, time.Second, func() bool { return reads.Load() >= 3 })
	store.mu.Lock()
	store.streams[1].State, store.streams[1].ChatState = attendance.StreamEnded, attendance.ChatDrained // rollcall stream finish
	store.mu.Unlock()
	advanceUntil(t, clock, time.Second, func() bool { return len(c.Health().Pollers) == 0 })
	before := reads.Load()
	for range 30 {
		clock.Advance(time.Second)
		time.Sleep(time.Millisecond)
	}
	if n := reads.Load(); n != before {
		t.Errorf("%d reads of an untracked stream's chat", n-before)
	}
}
