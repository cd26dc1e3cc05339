package collector

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// The watcher tests call Sample themselves, in one goroutine, and set a
// manual clock between calls: nothing waits on the clock, so they need no
// synctest bubble (see newTestPoller).

func TestWatcherBatchesAndStopsWhenEnded(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	var streams []attendance.Stream
	for i := range 120 {
		streams = append(streams, attendance.Stream{ID: int64(i + 1), EventSlug: "e", VideoID: fmt.Sprintf("v%03d", i), State: attendance.StreamUpcoming})
	}
	store := newMemStore(clock, streams...)
	var batches []int
	state := attendance.StreamLive
	src := sourceFuncs{videos: func(ctx context.Context, ids []string) ([]VideoSample, error) {
		batches = append(batches, len(ids))
		out := make([]VideoSample, 0, len(ids))
		for _, id := range ids {
			if id == "v007" {
				continue // deleted video: not returned
			}
			n := int64(1234)
			out = append(out, VideoSample{VideoID: id, Sample: attendance.StreamSample{State: state, ChatID: "chat-" + id, ConcurrentViewers: &n, ActualStart: t0}})
		}
		return out, nil
	}}
	reg := prometheus.NewRegistry()
	m, _ := NewMetrics(reg)
	q, _ := NewQuota(store, "key", 10000, 1000, clock, m)
	w := NewWatcher(src, store, q, clock, m, nil, 4*time.Hour)
	ctx := context.Background()
	next := w.Sample(ctx, streams)
	if fmt.Sprint(batches) != "[50 50 20]" {
		t.Errorf("batches = %v, want [50 50 20]", batches)
	}
	if store.quotaByM[MethodVideosList] != 3 {
		t.Errorf("units = %d, want 3", store.quotaByM[MethodVideosList])
	}
	if streams[0].ChatID != "chat-v000" || streams[0].State != attendance.StreamLive || streams[0].PeakConcurrentViewers != 1234 {
		t.Errorf("stream not updated in place: %+v", streams[0])
	}
	if got := testutil.ToFloat64(m.streamLive.WithLabelValues("e", "v000")); got != 1 {
		t.Errorf("live gauge = %v", got)
	}
	if got := testutil.ToFloat64(m.viewers.WithLabelValues("e", "v000")); got != 1234 {
		t.Errorf("viewers gauge = %v", got)
	}
	if !next.Equal(t0.Add(30 * time.Second)) {
		t.Errorf("next sample at %v, want in 30s (live)", next)
	}
	// nothing is due before then
	batches = nil
	clock.Advance(10 * time.Second)
	w.Sample(ctx, streams)
	if len(batches) != 0 {
		t.Errorf("sampled early: %v", batches)
	}
	// the streams end; after that they are never sampled again
	state = attendance.StreamEnded
	clock.Advance(20 * time.Second)
	w.Sample(ctx, streams)
	batches = nil
	clock.Advance(time.Hour)
	w.Sample(ctx, streams)
	if fmt.Sprint(batches) != "[1]" { // only the video YouTube did not return is asked again
		t.Errorf("ended streams sampled again: %v", batches)
	}
}

func TestWatcherNearStartAndFailures(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	streams := []attendance.Stream{
		{ID: 1, EventSlug: "e", VideoID: "soon", State: attendance.StreamUpcoming, ScheduledStart: t0.Add(5 * time.Minute)},
		{ID: 2, EventSlug: "e", VideoID: "later", State: attendance.StreamUpcoming, ScheduledStart: t0.Add(3 * time.Hour)},
	}
	store := newMemStore(clock, streams...)
	fail := error(nil)
	calls := 0
	src := sourceFuncs{videos: func(ctx context.Context, ids []string) ([]VideoSample, error) {
		calls++
		if fail != nil {
			return nil, fail
		}
		var out []VideoSample
		for i, id := range ids {
			out = append(out, VideoSample{VideoID: id, Sample: attendance.StreamSample{State: attendance.StreamUpcoming, ScheduledStart: streams[i].ScheduledStart}})
		}
		return out, nil
	}}
	q, _ := NewQuota(store, "key", 10000, 1000, clock, nil)
	w := NewWatcher(src, store, q, clock, nil, nil, 4*time.Hour)
	ctx := context.Background()
	if next := w.Sample(ctx, streams); !next.Equal(t0.Add(15 * time.Second)) {
		t.Errorf("near start: next %v, want 15s", next)
	}
	if at := w.next[2]; !at.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("far start: next %v, want 5m", at)
	}
	fail = apiErr(ErrTransient)
	clock.Advance(15 * time.Second)
	w.Sample(ctx, streams)
	if at := w.next[1]; !at.After(clock.Now()) || at.After(clock.Now().Add(time.Second)) {
		t.Errorf("after a transient error next = %v (now %v)", at, clock.Now())
	}
	fail = apiErr(ErrQuotaExceeded)
	clock.Advance(time.Second)
	w.Sample(ctx, streams)
	if st := q.Status(); st.PausedUntil.IsZero() {
		t.Error("quota not paused")
	}
	before := calls
	clock.Advance(time.Hour)
	w.Sample(ctx, streams)
	if calls != before {
		t.Error("videos.list called while the quota is paused")
	}
	if w.LastSample() != t0 {
		t.Errorf("last sample = %v", w.LastSample())
	}
}

// A video videos.list stops returning is sampled again every missSpacing,
// marked unavailable on the third miss (done for --until-ended), then
// re-checked hourly; one that comes back is followed again.
func TestWatcherMarksAMissingVideoUnavailable(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	streams := []attendance.Stream{{ID: 1, EventSlug: "e", VideoID: "gone", State: attendance.StreamLive, ChatID: "c"}}
	store := newMemStore(clock, streams...)
	back := false
	calls := 0
	src := sourceFuncs{videos: func(ctx context.Context, ids []string) ([]VideoSample, error) {
		calls++
		if back {
			return liveSample(ids), nil
		}
		return nil, nil // deleted or private: not in the answer
	}}
	q, _ := NewQuota(store, "key", 10000, 1000, clock, nil)
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(src, store, q, clock, m, nil, 4*time.Hour)
	ctx := context.Background()
	var nexts []time.Duration
	for range 3 {
		next := w.Sample(ctx, streams)
		nexts = append(nexts, next.Sub(clock.Now()))
		clock.Set(next)
	}
	if fmt.Sprint(nexts) != "[10m0s 10m0s 1h0m0s]" {
		t.Errorf("waits after each miss = %v, want 10m, 10m, then the hourly re-check", nexts)
	}
	if got := store.stream(1).State; got != attendance.StreamUnavailable || streams[0].State != attendance.StreamUnavailable {
		t.Fatalf("after three misses: stored %s, in memory %s; want unavailable", got, streams[0].State)
	}
	if got := testutil.ToFloat64(m.chatState.WithLabelValues("e", "gone", StateUnavailable)); got != 1 {
		t.Errorf("chat state gauge unavailable = %v", got)
	}
	// a miss sooner than missSpacing (an early sample) does not count
	w2 := NewWatcher(src, newMemStore(clock, streams[0]), q, clock, nil, nil, 4*time.Hour)
	s2 := []attendance.Stream{{ID: 1, EventSlug: "e", VideoID: "gone", State: attendance.StreamLive}}
	for range 3 {
		w2.Due(1)
		w2.Sample(ctx, s2)
		clock.Advance(time.Minute)
	}
	if s2[0].State == attendance.StreamUnavailable {
		t.Error("three misses a minute apart marked the video unavailable")
	}
	// the video comes back at the hourly re-check
	back = true
	clock.Set(clock.Now().Add(time.Hour))
	w.Sample(ctx, streams)
	if got := streams[0].State; got != attendance.StreamLive {
		t.Errorf("a video that came back is %s, want live", got)
	}
}
