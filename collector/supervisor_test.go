package collector

import (
	"context"
	"errors"
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

func TestCollectorStopsPollerOnDisabledChatAndFinishes(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	store := newMemStore(clock,
		attendance.Stream{ID: 1, EventSlug: "e", VideoID: "v1", State: attendance.StreamUpcoming},
		attendance.Stream{ID: 2, EventSlug: "e", VideoID: "v2", State: attendance.StreamUpcoming})
	calls := map[string]int{}
	callc := make(chan string, 100)
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
			callc <- chatID
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
	for range 2 {
		calls[<-callc]++
	}
	if calls["chat-v1"] != 1 || calls["chat-v2"] != 1 {
		t.Fatalf("calls = %v", calls)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The poller records the disabled chat after its read returns; the
	// watcher may already be asleep on the clock by then, so wait for the
	// stored state itself, not for the clock's sleepers.
	for store.stream(1).ChatState != attendance.ChatDisabled {
		select {
		case <-ctx.Done():
			t.Fatalf("stream 1 chat = %s, want %s", store.stream(1).ChatState, attendance.ChatDisabled)
		case <-time.After(time.Millisecond):
		}
	}
	if err := clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	ended.Store(true)
	for {
		select {
		case <-c.Done():
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if len(callc) != 0 {
				t.Errorf("a finished chat was read again")
			}
			return
		case <-ctx.Done():
			t.Fatalf("never done: %+v", c.Health())
		default:
		}
		if err := clock.BlockUntil(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(30 * time.Second)
	}
}

func TestCollectorRetriesNotFoundChatWithNewID(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	store := newMemStore(clock, attendance.Stream{ID: 1, EventSlug: "e", VideoID: "v1", State: attendance.StreamUpcoming})
	var chatID atomic.Value
	chatID.Store("chat-old")
	callc := make(chan string, 100)
	src := sourceFuncs{
		videos: func(ctx context.Context, ids []string) ([]VideoSample, error) {
			return []VideoSample{{VideoID: "v1", Sample: attendance.StreamSample{State: attendance.StreamLive, ChatID: chatID.Load().(string)}}}, nil
		},
		chat: func(ctx context.Context, id, token string) (ChatRead, error) {
			callc <- id
			if id == "chat-old" {
				return ChatRead{}, apiErr(ErrChatNotFound)
			}
			return ChatRead{}, apiErr(ErrChatEnded)
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
	if got := <-callc; got != "chat-old" {
		t.Fatalf("first read of %s", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// same chat id: not read again
	for range 3 {
		if err := clock.BlockUntil(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(30 * time.Second)
	}
	if err := clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if len(callc) != 0 {
		t.Fatalf("a not-found chat was read again with the same id: %s", <-callc)
	}
	chatID.Store("chat-new") // YouTube now gives another chat id
	// Abandoned After channels still count as sleepers, so the watcher may
	// be between rounds: keep moving the clock until it samples again.
	for {
		clock.Advance(30 * time.Second)
		select {
		case got := <-callc:
			if got != "chat-new" {
				t.Fatalf("read %s, want chat-new", got)
			}
			return
		case <-ctx.Done():
			t.Fatal("the new chat id was never read")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
