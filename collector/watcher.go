package collector

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// Watcher samples the state and reach of tracked streams with videos.list,
// batching up to 50 ids per call, often near a scheduled start, steadily
// while live, and not at all once a stream has ended.
type Watcher struct {
	src           VideoSource
	store         Store
	quota         *Quota
	clock         Clock
	metrics       *Metrics
	log           *slog.Logger
	rnd           func() float64
	eventDuration time.Duration

	next        map[int64]time.Time // stream id → next sample
	misses      map[int64]miss      // stream id → videos.list answers without the video
	missSpacing time.Duration
	errCount    int
	loudOnce    bool
	last        atomic.Int64 // unix nanoseconds of the last good videos.list
}

// NewWatcher returns a stream watcher.
func NewWatcher(src VideoSource, store Store, quota *Quota, clock Clock, metrics *Metrics, logger *slog.Logger, eventDuration time.Duration) *Watcher {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Watcher{
		src: src, store: store, quota: quota, clock: clock, metrics: metrics,
		log: logger.With("component", "stream_watcher"), rnd: rand.Float64, eventDuration: eventDuration,
		next: map[int64]time.Time{}, misses: map[int64]miss{}, missSpacing: defaultMissSpacing,
	}
}

// A video that videos.list stops returning (deleted, made private) is
// marked unavailable after missesToUnavailable misses at least missSpacing
// apart, then re-checked hourly: one missing answer is not proof.
const (
	missesToUnavailable = 3
	defaultMissSpacing  = 10 * time.Minute
	unavailableRecheck  = time.Hour
)

// miss counts the answers in a row without a video.
type miss struct {
	n    int
	last time.Time // when the last counted miss was seen
}

// Due makes a stream due at the next Sample, whatever its schedule.
func (w *Watcher) Due(id int64) { w.next[id] = time.Time{} }

// LastSample is when the watcher last read videos.list successfully.
func (w *Watcher) LastSample() time.Time {
	if n := w.last.Load(); n != 0 {
		return time.Unix(0, n).UTC()
	}
	return time.Time{}
}

// Sample reads every due stream of streams, records the samples, and
// updates streams in place (state, chat id, times) so the caller can start
// chat pollers at once. It returns when the next stream is due (zero when
// none will be).
func (w *Watcher) Sample(ctx context.Context, streams []attendance.Stream) time.Time {
	now := w.clock.Now()
	var due []int // indexes into streams
	tracked := map[int64]bool{}
	for i, s := range streams {
		tracked[s.ID] = true
		if s.State == attendance.StreamEnded {
			delete(w.next, s.ID)
			w.metrics.setLive(s, false)
			continue
		}
		if at, ok := w.next[s.ID]; !ok || !now.Before(at) {
			due = append(due, i)
		}
	}
	for id := range w.next {
		if !tracked[id] {
			delete(w.next, id)
			delete(w.misses, id)
		}
	}
	for start := 0; start < len(due); start += maxVideosPerCall {
		if !w.sampleBatch(ctx, streams, due[start:min(start+maxVideosPerCall, len(due))], now) {
			break
		}
	}
	var earliest time.Time
	for _, at := range w.next {
		if earliest.IsZero() || at.Before(earliest) {
			earliest = at
		}
	}
	return earliest
}

// sampleBatch reads one videos.list call's worth; false stops the round.
func (w *Watcher) sampleBatch(ctx context.Context, streams []attendance.Stream, batch []int, now time.Time) bool {
	delay := func(d time.Duration) {
		for _, i := range batch {
			w.next[streams[i].ID] = now.Add(d)
		}
	}
	if err := w.quota.Allow(ctx, 1, true); err != nil {
		reset := w.quota.NextReset()
		if st := w.quota.Status(); !st.PausedUntil.IsZero() {
			reset = st.PausedUntil
		}
		delay(max(reset.Sub(now), time.Minute))
		return false
	}
	ids := make([]string, 0, len(batch))
	seen := map[string]bool{}
	for _, i := range batch {
		if v := streams[i].VideoID; !seen[v] {
			seen[v] = true
			ids = append(ids, v)
		}
	}
	// Charged before the call (a kill -9 after YouTube's answer must not
	// leave the ledger short); resends net/http made on its own after it.
	if serr := w.quota.Spend(context.WithoutCancel(ctx), MethodVideosList, 1); serr != nil {
		w.log.Warn("quota ledger write failed", "err", serr)
	}
	callCtx, attempts := countAttempts(ctx)
	samples, err := w.src.Videos(callCtx, ids)
	// The call may have reached YouTube even if ctx ended meanwhile: count it.
	if extra := attempts() - 1; extra > 0 {
		if serr := w.quota.Spend(context.WithoutCancel(ctx), MethodVideosList, extra); serr != nil {
			w.log.Warn("quota ledger write failed", "err", serr)
		}
	}
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		switch {
		case errors.Is(err, ErrQuotaExceeded):
			until := w.quota.PauseUntilReset()
			w.log.Warn("youtube quota exceeded: no calls until the pacific midnight reset", "until", until)
			delay(until.Sub(now))
			return false
		case errors.Is(err, ErrForbidden), errors.Is(err, ErrKeyInvalid), errors.Is(err, ErrGrantInvalid):
			if !w.loudOnce {
				w.log.Error("youtube refused videos.list: check the api key or oauth grant", "err", err)
				w.loudOnce = true
			}
			delay(5 * time.Minute)
			return false
		default:
			w.errCount++
			d := NextDelay(w.errCount, 0, w.rnd)
			w.log.Warn("videos.list failed: backing off", "err", err, "wait", d)
			delay(d)
			return false
		}
	}
	w.errCount = 0
	w.last.Store(now.UnixNano())
	byVideo := map[string]attendance.StreamSample{}
	for _, s := range samples {
		s.Sample.At = now
		byVideo[s.VideoID] = s.Sample
	}
	for _, i := range batch {
		s := &streams[i]
		sample, ok := byVideo[s.VideoID]
		if !ok {
			w.missed(ctx, s, now)
			continue
		}
		delete(w.misses, s.ID)
		if err := w.store.RecordStreamSample(ctx, s.ID, sample); err != nil {
			w.metrics.countStoreError(OpRecordSample)
			w.log.Error("record stream sample failed", "event", s.EventSlug, "video", s.VideoID, "err", err)
			w.next[s.ID] = now.Add(NextDelay(1, 0, w.rnd))
			continue
		}
		apply(s, sample)
		w.publish(*s, sample, now)
		if s.State == attendance.StreamEnded {
			delete(w.next, s.ID)
			continue
		}
		w.next[s.ID] = now.Add(SampleInterval(*s, now))
	}
	return true
}

// missed counts a videos.list answer without the stream's video: misses at
// least missSpacing apart count, and the third marks the stream
// unavailable (done for serve --until-ended), re-checked hourly.
func (w *Watcher) missed(ctx context.Context, s *attendance.Stream, now time.Time) {
	m := w.misses[s.ID]
	if m.n == 0 || now.Sub(m.last) >= w.missSpacing {
		m.n++
		m.last = now
	}
	w.misses[s.ID] = m
	if m.n < missesToUnavailable {
		w.log.Warn("video not returned by youtube (deleted, private or wrong id): checking again", "event", s.EventSlug, "video", s.VideoID, "misses", m.n)
		w.next[s.ID] = m.last.Add(w.missSpacing)
		return
	}
	w.next[s.ID] = now.Add(unavailableRecheck)
	if s.State == attendance.StreamUnavailable {
		return
	}
	if err := w.store.RecordStreamSample(ctx, s.ID, attendance.StreamSample{At: now, State: attendance.StreamUnavailable}); err != nil {
		w.metrics.countStoreError(OpRecordSample)
		w.log.Error("record stream unavailable failed", "event", s.EventSlug, "video", s.VideoID, "err", err)
		return
	}
	s.State = attendance.StreamUnavailable
	w.metrics.setLive(*s, false)
	w.metrics.setChatState(s.EventSlug, s.VideoID, StateUnavailable)
	w.log.Error("video unavailable: youtube no longer returns it (deleted or private); counted as done, re-checked hourly",
		"event", s.EventSlug, "video", s.VideoID, "misses", m.n)
}

// apply folds a sample into the stream as the store does.
func apply(s *attendance.Stream, x attendance.StreamSample) {
	if x.State != attendance.StreamUnknown && x.State != "" && s.State != attendance.StreamEnded {
		s.State = x.State
	}
	if x.ChatID != "" && x.ChatID != s.ChatID {
		if s.ChatID != "" {
			s.PageToken = "" // a token belongs to its chat
		}
		s.ChatID = x.ChatID
	}
	if x.Title != "" {
		s.Title = x.Title
	}
	for _, f := range []struct {
		dst *time.Time
		src time.Time
	}{{&s.ScheduledStart, x.ScheduledStart}, {&s.ScheduledEnd, x.ScheduledEnd}, {&s.ActualStart, x.ActualStart}, {&s.ActualEnd, x.ActualEnd}} {
		if !f.src.IsZero() {
			*f.dst = f.src
		}
	}
	if x.ConcurrentViewers != nil && *x.ConcurrentViewers > s.PeakConcurrentViewers {
		s.PeakConcurrentViewers = *x.ConcurrentViewers
	}
}

func (w *Watcher) publish(s attendance.Stream, x attendance.StreamSample, now time.Time) {
	m := w.metrics
	if m == nil {
		return
	}
	m.setLive(s, s.State == attendance.StreamLive)
	ev, vid := s.EventSlug, s.VideoID
	if x.ConcurrentViewers != nil {
		m.viewers.WithLabelValues(ev, vid).Set(float64(*x.ConcurrentViewers))
	} else if s.State != attendance.StreamLive {
		m.viewers.WithLabelValues(ev, vid).Set(0)
	}
	if x.Views != nil {
		m.views.WithLabelValues(ev, vid).Set(float64(*x.Views))
	}
	if x.Likes != nil {
		m.likes.WithLabelValues(ev, vid).Set(float64(*x.Likes))
	}
	m.setExpectedEnd(s.EventSlug, s.VideoID, ExpectedEnd(s, w.eventDuration, now))
	m.setScheduledStart(s.EventSlug, s.VideoID, s.ScheduledStart)
}
