package dashboard

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// countingStore counts live computations, says when one has begun and can
// hold them.
type countingStore struct {
	Store
	n       atomic.Int64
	entered chan struct{} // one token when a computation begins, if there is room
	gate    chan struct{}
}

func (c *countingStore) LiveStreams(ctx context.Context, eventID int64) ([]attendance.LiveStream, error) {
	c.n.Add(1)
	select {
	case c.entered <- struct{}{}:
	default:
	}
	if c.gate != nil {
		<-c.gate
	}
	return c.Store.LiveStreams(ctx, eventID)
}

func TestSnapshotIsShared(t *testing.T) {
	h := newHarness(t)
	cs := &countingStore{Store: h.st, entered: make(chan struct{}, 1), gate: make(chan struct{})}
	srv, err := New(Config{Now: h.clock.Now, SnapshotTTL: time.Second}, cs)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// 50 viewers arrive before the first snapshot: one computation.
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := srv.snapshot(ctx, h.ev); err != nil {
				t.Error(err)
			}
		}()
	}
	<-cs.entered // the computation has begun; it waits at the gate
	close(cs.gate)
	wg.Wait()
	if n := cs.n.Load(); n != 1 {
		t.Fatalf("%d computations for 50 viewers, want 1", n)
	}
	// Fresh: served from the cache.
	first, _ := srv.snapshot(ctx, h.ev)
	if n := cs.n.Load(); n != 1 {
		t.Fatalf("fresh snapshot recomputed: %d", n)
	}
	// Stale: served at once, replaced in the background.
	cs.gate = make(chan struct{})
	h.clock.Add(2 * time.Second)
	got, err := srv.snapshot(ctx, h.ev)
	if err != nil || got != first {
		t.Fatalf("stale snapshot not served at once: %v", err)
	}
	<-cs.entered // the background computation has begun, holding e.compute
	close(cs.gate)
	e := srv.entry(h.ev.ID)
	e.compute.Lock() // taken once the background computation has stored its snapshot
	e.compute.Unlock()
	e.mu.Lock()
	replaced := e.snap != first
	e.mu.Unlock()
	if !replaced {
		t.Fatal("the background computation did not replace the stale snapshot")
	}
	if n := cs.n.Load(); n != 2 {
		t.Fatalf("%d computations, want 2", n)
	}
	// A change by staff: the next viewer gets a new snapshot right away.
	srv.forget(h.ev.ID)
	before, _ := srv.snapshot(ctx, h.ev)
	if n := cs.n.Load(); n != 3 || before == first {
		t.Fatalf("after a change: %d computations", n)
	}
}

func TestDownsample(t *testing.T) {
	var pts []Point
	for i := 0; i < 1081; i++ {
		pts = append(pts, Point{T: int64(i), V: int64(i % 100)})
	}
	pts[500].V = 9999
	got := downsample(pts, 480)
	if len(got) > 480 || got[0].T != 0 || got[len(got)-1] != pts[1080] {
		t.Fatalf("%d points, first %v, last %v", len(got), got[0], got[len(got)-1])
	}
	peak := false
	for _, p := range got {
		peak = peak || p.V == 9999
	}
	if !peak {
		t.Fatal("the peak was lost")
	}
	if short := pts[:10]; len(downsample(short, 480)) != 10 {
		t.Fatal("short series changed")
	}
}
