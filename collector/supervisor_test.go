package collector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/seameo/rollcall/attendance"
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

// runCollector runs c inside the test's bubble. stop cancels it and checks
// that Run returned without any of the bubble's time passing; the test's
// cleanup stops it too, so a failing test leaves no goroutine behind.
func runCollector(t *testing.T, c *Collector) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			synctest.Wait()
			select {
			case err = <-errc:
			default:
				t.Error("Run did not return at once when cancelled")
				err = <-errc
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func done(c *Collector) bool {
	select {
	case <-c.Done():
		return true
	default:
		return false
	}
}

func TestCollectorShutdownWhileReading(t *testing.T) {
	inBubble(t, t0, func(t *testing.T) {
		store := newMemStore(SystemClock{}, attendance.Stream{ID: 1, EventSlug: "e", VideoID: "v1", State: attendance.StreamUpcoming})
		reading := make(chan struct{})
		src := sourceFuncs{
			videos: func(ctx context.Context, ids []string) ([]VideoSample, error) { return liveSample(ids), nil },
			chat: func(ctx context.Context, chatID, token string) (ChatRead, error) {
				close(reading)
				<-ctx.Done() // a slow YouTube: only cancellation ends the call
				return ChatRead{}, ctx.Err()
			},
		}
		c, err := New(Config{}, src, store, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		stop := runCollector(t, c)
		synctest.Wait()
		select {
		case <-reading:
		default:
			t.Fatal("the poller did not start reading in the first round")
		}
		time.Sleep(time.Minute) // a read that hangs a minute: still healthy
		synctest.Wait()
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
	})
}

func TestCollectorRunTwice(t *testing.T) {
	inBubble(t, t0, func(t *testing.T) {
		store := newMemStore(SystemClock{})
		c, err := New(Config{}, sourceFuncs{}, store, nil, nil)
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
	})
}

func TestCollectorListingErrorsAndRecovery(t *testing.T) {
	inBubble(t, t0, func(t *testing.T) {
		store := newMemStore(SystemClock{}, attendance.Stream{ID: 1, EventSlug: "e", VideoID: "v1", State: attendance.StreamUpcoming})
		failures := 3
		var listings []time.Duration
		store.listHook = func() error {
			listings = append(listings, time.Since(t0))
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
		c, err := New(Config{RefreshInterval: 10 * time.Second}, src, store, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		stop := runCollector(t, c)
		select {
		case <-c.Done():
		case <-time.After(time.Minute):
			t.Fatalf("not done a minute after three failed listings: %+v", c.Health())
		}
		// one listing per refresh interval: three failures, then the one
		// that finds the ended stream
		if fmt.Sprint(listings) != "[0s 10s 20s 30s]" {
			t.Errorf("listings at %v, want [0s 10s 20s 30s]", listings)
		}
		if h := c.Health(); h.ListErrors != 3 || !h.Finished {
			t.Errorf("health = %+v", h)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// The video owns the lifecycle: a disabled chat and an ended chat are
// re-checked while their videos are live, and the collector is done only
// once the videos have ended.
func TestCollectorRechecksChatsWhileLiveAndFinishesWhenTheVideosEnd(t *testing.T) {
	inBubble(t, t0, func(t *testing.T) {
		store := newMemStore(SystemClock{},
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
		c, err := New(Config{}, src, store, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		stop := runCollector(t, c)
		// re-checks 15 s doubling to 2 min: a third read of each chat within 1 min
		bubbleWaitFor(t, time.Minute, time.Second, func() bool { return count("chat-v1") >= 3 && count("chat-v2") >= 3 })
		time.Sleep(10 * time.Minute) // and the chats are re-checked for as long as the videos are live
		synctest.Wait()
		if done(c) {
			t.Fatal("done while the videos are live")
		}
		if n1, n2 := count("chat-v1"), count("chat-v2"); n1 < 7 || n2 < 7 {
			t.Errorf("reads after 11 live minutes: %d, %d; want the chats re-checked every 2 min", n1, n2)
		}
		if st := store.stream(1).ChatState; st != attendance.ChatDisabled {
			t.Errorf("stream 1 chat = %s, want disabled (re-checked)", st)
		}
		ended.Store(true)
		bubbleWaitFor(t, 5*time.Minute, time.Second, func() bool { return done(c) })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if s1, s2 := store.stream(1), store.stream(2); s1.ChatState != attendance.ChatDisabled || s2.ChatState != attendance.ChatDrained {
			t.Errorf("final chat states = %s, %s; want disabled, drained", s1.ChatState, s2.ChatState)
		}
	})
}

// A chat YouTube does not find while the video is live is re-checked with
// the same id; a new activeLiveChatId is followed at once.
func TestCollectorFollowsANewChatID(t *testing.T) {
	inBubble(t, t0, func(t *testing.T) {
		store := newMemStore(SystemClock{}, attendance.Stream{ID: 1, EventSlug: "e", VideoID: "v1", State: attendance.StreamUpcoming})
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
		c, err := New(Config{RefreshInterval: 10 * time.Second}, src, store, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		stop := runCollector(t, c)
		bubbleWaitFor(t, time.Minute, time.Second, func() bool { return count("chat-old") >= 3 })
		if count("chat-new") != 0 {
			t.Fatal("read a chat nobody announced")
		}
		chatID.Store("chat-new") // YouTube now gives another chat id
		// the watcher samples a live video every 30 s; the re-check asks it at once
		bubbleWaitFor(t, 2*time.Minute, time.Second, func() bool { return count("chat-new") >= 1 })
		bubbleWaitFor(t, time.Minute, time.Second, func() bool { return store.stream(1).ChatState == attendance.ChatPolling })
		old := count("chat-old")
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if n := count("chat-old"); n != old {
			t.Errorf("the replaced chat was read %d more times", n-old)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// A chat YouTube keeps rejecting as a bad request stops after two tries and
// stays stopped, without spending more units, until staff re-arm it (the
// stored state back to waiting).
func TestCollectorStoppedChatWaitsForRearm(t *testing.T) {
	inBubble(t, t0, func(t *testing.T) {
		store := newMemStore(SystemClock{}, attendance.Stream{ID: 1, EventSlug: "e", VideoID: "v1", State: attendance.StreamUpcoming})
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
		c, err := New(Config{RefreshInterval: 10 * time.Second}, src, store, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		stop := runCollector(t, c)
		bubbleWaitFor(t, time.Minute, time.Second, func() bool { return store.stream(1).ChatState == attendance.ChatStopped })
		if n := count(); n != 2 {
			t.Fatalf("%d reads before the stop, want 2", n)
		}
		chatUnits := func() int64 { store.mu.Lock(); defer store.mu.Unlock(); return store.quotaByM[MethodChatList] }
		units := chatUnits()
		time.Sleep(10 * time.Minute) // sixty rounds: nothing more is sent
		synctest.Wait()
		if n := count(); n != 2 {
			t.Fatalf("a stopped chat was read again (%d reads)", n)
		}
		if u := chatUnits(); u != units {
			t.Errorf("a stopped chat spent %d more units", u-units)
		}
		fixed.Store(true)
		store.mu.Lock()
		store.streams[1].ChatState = attendance.ChatWaiting // rollcall stream rearm
		store.mu.Unlock()
		bubbleWaitFor(t, time.Minute, time.Second, func() bool { return store.stream(1).ChatState == attendance.ChatPolling })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// A stream that leaves the tracked list (staff finished it, its event was
// deactivated) has its reader stopped at the next round.
func TestCollectorStopsTheReaderOfAnUntrackedStream(t *testing.T) {
	inBubble(t, t0, func(t *testing.T) {
		store := newMemStore(SystemClock{}, attendance.Stream{ID: 1, EventSlug: "e", VideoID: "v1", State: attendance.StreamUpcoming})
		var reads atomic.Int64
		src := sourceFuncs{
			videos: func(ctx context.Context, ids []string) ([]VideoSample, error) { return liveSample(ids), nil },
			chat: func(ctx context.Context, chatID, token string) (ChatRead, error) {
				reads.Add(1)
				return ChatRead{NextPageToken: token + "+", PollingMillis: 1000}, nil
			},
		}
		c, err := New(Config{RefreshInterval: 5 * time.Second}, src, store, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		stop := runCollector(t, c)
		bubbleWaitFor(t, time.Minute, time.Second, func() bool { return reads.Load() >= 3 })
		store.mu.Lock()
		store.streams[1].State, store.streams[1].ChatState = attendance.StreamEnded, attendance.ChatDrained // rollcall stream finish
		store.mu.Unlock()
		bubbleWaitFor(t, 5*time.Second, time.Second, func() bool { return len(c.Health().Pollers) == 0 }) // the next round
		before := reads.Load()
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if n := reads.Load(); n != before {
			t.Errorf("%d reads of an untracked stream's chat", n-before)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}
