package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// Source is what the collector reads YouTube through; *YouTube is one.
type Source interface {
	VideoSource
	ChatSource
}

// Config configures a Collector.
type Config struct {
	// QuotaProject names the Cloud project whose daily quota the ledger
	// keeps (YouTube counts per project: a key and an OAuth token of one
	// project share one budget). A name, never a secret; default "default".
	QuotaProject    string
	QuotaDaily      int64          // --quota-daily; default 10000
	StatsReserve    int64          // units kept for videos.list; default 10% of QuotaDaily
	EventDuration   time.Duration  // --event-duration; default 4h
	RefreshInterval time.Duration  // how often tracked streams are listed again; default 5 s
	Clock           Clock          // default the wall clock
	Rand            func() float64 // jitter source; default math/rand/v2
	// Holder names this replica in chat leases; default host name, pid and
	// a random suffix.
	Holder string
	// LeaseTTL is how long a chat lease lasts without renewal; default 15 s.
	// A standby takes a dead holder's stream over within LeaseTTL plus
	// RefreshInterval.
	LeaseTTL time.Duration
	// Streamer, when set, reads chats with streamList; the Source's
	// liveChatMessages.list is then the fallback for a chat YouTube will
	// not stream.
	Streamer ChatStreamer
	// MissSpacing is how far apart the three videos.list misses must be
	// before a video is marked unavailable; default 10 min.
	MissSpacing time.Duration
	// Owner is the channel owner's side of YouTube (broadcast discovery,
	// checkpoint announcements): the *YouTube built on an OAuth token; nil
	// with an API key, and both are then refused (loudly, and as failures
	// staff see). Owner mode runs when the Store is an OwnerStore.
	Owner OwnerSource
}

// Collector runs the stream watcher and one chat poller per live chat for
// every tracked stream, and reports health and completion.
type Collector struct {
	cfg     Config
	src     Source
	store   Store
	writes  *writeWatch // store, remembering whether its last write failed
	quota   *Quota
	watcher *Watcher
	metrics *Metrics
	log     *slog.Logger
	base    *slog.Logger // for pollers, which name their own component

	mu          sync.Mutex
	pollers     map[int64]*running
	chatOf      map[int64]string // stream id → chat id its last poller read
	stopped     map[int64]bool   // streams whose chat stopped (ChatStopped) in this process
	sampleNow   map[int64]bool   // streams the watcher must read at once
	wake        chan struct{}
	running     bool
	lastListing time.Time
	listErrors  int

	discoverer    *Discoverer // nil unless the store is an OwnerStore
	announcer     *Announcer
	nextDiscovery time.Time
	finished      bool
	done          chan struct{}
}

// New returns a collector. metrics may be nil; logger may be nil.
func New(cfg Config, src Source, store Store, metrics *Metrics, logger *slog.Logger) (*Collector, error) {
	if cfg.QuotaDaily == 0 {
		cfg.QuotaDaily = 10000
	}
	if cfg.StatsReserve == 0 {
		cfg.StatsReserve = cfg.QuotaDaily / 10
	}
	if cfg.EventDuration <= 0 {
		cfg.EventDuration = 4 * time.Hour
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = 5 * time.Second
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 15 * time.Second
	}
	if cfg.Holder == "" {
		host, _ := os.Hostname()
		cfg.Holder = fmt.Sprintf("%s-%d-%04x", host, os.Getpid(), rand.IntN(1<<16))
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.QuotaProject == "" {
		cfg.QuotaProject = "default"
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// The owner's side (discovery, announcements) needs the store's owner
	// methods, which the write watch does not carry: take them first.
	owner, isOwner := store.(OwnerStore)
	writes := &writeWatch{Store: store, clock: cfg.Clock}
	store = writes
	quota, err := NewQuota(store, cfg.QuotaProject, cfg.QuotaDaily, cfg.StatsReserve, cfg.Clock, metrics)
	if err != nil {
		return nil, fmt.Errorf("collector: %w", err)
	}
	log := logger.With("component", "collector")
	w := NewWatcher(src, store, quota, cfg.Clock, metrics, logger, cfg.EventDuration)
	w.rnd = cfg.Rand
	if cfg.MissSpacing > 0 {
		w.missSpacing = cfg.MissSpacing
	}
	c := &Collector{
		cfg: cfg, src: src, store: store, writes: writes, quota: quota, watcher: w, metrics: metrics, log: log, base: logger,
		pollers: map[int64]*running{}, chatOf: map[int64]string{}, stopped: map[int64]bool{}, sampleNow: map[int64]bool{},
		wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	if isOwner {
		c.discoverer = NewDiscoverer(cfg.Owner, owner, quota, cfg.Clock, logger)
		c.discoverer.rnd = cfg.Rand
		if p, ok := src.(PublicSource); ok {
			c.discoverer.UsePublic(p) // discovery by handle works with a key too
		}
		c.announcer = NewAnnouncer(cfg.Owner, owner, quota, cfg.Clock, logger)
	}
	return c, nil
}

// running is a chat poller and what stops it.
type running struct {
	*Poller
	stop context.CancelFunc
}

// requestSample makes the watcher read a stream at once, from any
// goroutine.
func (c *Collector) requestSample(id int64) {
	c.mu.Lock()
	c.sampleNow[id] = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Quota returns the collector's quota governor.
func (c *Collector) Quota() *Quota { return c.quota }

// Done is closed once every tracked stream has ended and its chat is
// drained (or cannot be read): what serve --until-ended waits for. With no
// tracked stream at all it closes after the first listing.
func (c *Collector) Done() <-chan struct{} { return c.done }

// Run lists tracked streams, samples them and keeps one chat poller per
// readable chat until ctx ends; it then stops every poller and returns nil.
func (c *Collector) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return errors.New("collector: already running")
	}
	c.running = true
	c.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	ended := make(chan int64)
	defer func() {
		cancel()
		// drain finished pollers while waiting so none blocks on send
		waited := make(chan struct{})
		go func() { wg.Wait(); close(waited) }()
		for {
			select {
			case <-ended:
			case <-waited:
				c.mu.Lock()
				c.running = false
				c.mu.Unlock()
				return
			}
		}
	}()

	for {
		next := c.round(ctx, &wg, ended)
		wait := c.cfg.RefreshInterval
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(c.cfg.Clock.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return nil
		case id := <-ended:
			c.mu.Lock()
			if p := c.pollers[id]; p != nil && p.FinalState() == attendance.ChatStopped {
				c.stopped[id] = true
			}
			delete(c.pollers, id)
			c.mu.Unlock()
		case <-c.wake:
		case <-c.cfg.Clock.After(wait):
		}
	}
}

// round lists, samples, starts pollers and checks completion; it returns
// when the watcher next wants to sample.
func (c *Collector) round(ctx context.Context, wg *sync.WaitGroup, ended chan<- int64) time.Time {
	if c.discoverer != nil && !c.cfg.Clock.Now().Before(c.nextDiscovery) {
		c.nextDiscovery = c.discoverer.Step(ctx)
	}
	streams, err := c.store.TrackedStreams(ctx)
	if err != nil {
		if ctx.Err() == nil {
			c.metrics.countStoreError(OpTrackedStreams)
			c.log.Error("list tracked streams failed", "err", err)
			c.mu.Lock()
			c.listErrors++
			c.mu.Unlock()
		}
		return time.Time{}
	}
	c.mu.Lock()
	for id := range c.sampleNow {
		c.watcher.Due(id)
	}
	clear(c.sampleNow)
	c.mu.Unlock()
	next := c.watcher.Sample(ctx, streams)
	if c.announcer != nil {
		c.announcer.Step(ctx)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastListing = c.cfg.Clock.Now()
	tracked := make(map[int64]bool, len(streams))
	for _, s := range streams {
		tracked[s.ID] = true
	}
	for id, r := range c.pollers {
		if !tracked[id] { // finished by staff, or its event deactivated
			r.stop()
		}
	}
	finished := true
	for _, s := range streams {
		r, isRunning := c.pollers[s.ID]
		if isRunning {
			r.UpdateTimes(s)
			if s.State == attendance.StreamUnavailable {
				c.log.Warn("video unavailable: its chat reader stops", "event", s.EventSlug, "video", s.VideoID)
				r.stop()
			} else if s.ChatID != "" && s.ChatID != r.stream.ChatID {
				// The video has a new activeLiveChatId: the old chat is
				// over. Its poller stops; the new chat is read from the
				// next round on, without the old chat's token.
				c.log.Warn("live chat replaced: following the new chat", "event", s.EventSlug, "video", s.VideoID)
				r.stop()
			}
		}
		if s.ChatState != attendance.ChatStopped {
			delete(c.stopped, s.ID)
		}
		if !isRunning && c.needsPoller(s) && ctx.Err() == nil {
			isRunning = c.startLocked(ctx, s, wg, ended)
			if !isRunning && (s.ChatState == attendance.ChatPolling || s.ChatState == attendance.ChatStreaming) {
				finished = false // another replica is reading it
			}
		}
		c.metrics.track(s.EventSlug, s.VideoID)
		if !isRunning {
			c.metrics.setChatState(s.EventSlug, s.VideoID, MetricState(s.State, s.ChatState))
		}
		if isRunning || (s.State != attendance.StreamEnded && s.State != attendance.StreamUnavailable) {
			finished = false
		}
	}
	if c.discoverer != nil && c.discoverer.Pending(c.cfg.Clock.Now()) {
		finished = false // a discovering event's window is open: more may come
	}
	if finished && !c.finished {
		c.finished = true
		close(c.done)
		c.log.Info("every tracked stream has ended and its chat is drained")
	}
	return next
}

// needsPoller says whether a stream's chat is there to be read. The video
// owns the lifecycle: while it has not ended, its chat is read whatever
// its stored state (a poller re-checks a chat that cannot be read), except
// a chat stopped in this process for a request YouTube will never accept,
// until staff re-arm it. Once the video has ended, only a chat that is not
// final is read (to drain it).
func (c *Collector) needsPoller(s attendance.Stream) bool {
	switch {
	case s.ChatID == "", s.State == attendance.StreamUnavailable:
		return false
	case s.ChatState == attendance.ChatStopped && c.stopped[s.ID]:
		return false
	case s.State == attendance.StreamEnded:
		return !attendance.ChatFinal(s.ChatState)
	default:
		return true
	}
}

func (c *Collector) startLocked(ctx context.Context, s attendance.Stream, wg *sync.WaitGroup, ended chan<- int64) bool {
	lease, ok, err := c.store.AcquireLease(ctx, s.ID, c.cfg.Holder, c.cfg.LeaseTTL)
	if err != nil {
		if ctx.Err() == nil {
			c.metrics.countStoreError(OpLease)
			c.log.Error("acquire chat lease failed", "event", s.EventSlug, "video", s.VideoID, "err", err)
		}
		return false
	}
	if !ok {
		return false // another replica polls this chat; this one stands by
	}
	gap := ""
	if prev, ok := c.chatOf[s.ID]; ok && prev != s.ChatID {
		// a replaced chat: the stored token is the old chat's
		s.PageToken, gap = "", attendance.GapChatReplaced
	}
	c.chatOf[s.ID] = s.ChatID
	id := s.ID
	p := NewPoller(PollerConfig{
		EventDuration: c.cfg.EventDuration,
		Chats:         c.chatCount,
		Rand:          c.cfg.Rand,
		Clock:         c.cfg.Clock,
		Metrics:       c.metrics,
		Logger:        c.base,
		Quota:         c.quota,
		Source:        c.src,
		Store:         c.store,
		Stream:        s,
		Fence:         lease.Fence,
		Streamer:      c.cfg.Streamer,
		RequestSample: func() { c.requestSample(id) },
		GapReason:     gap,
	})
	pctx, stop := context.WithCancel(ctx)
	c.pollers[s.ID] = &running{Poller: p, stop: stop}
	c.log.Info("chat reader started", "event", s.EventSlug, "video", s.VideoID, "resume", s.PageToken != "",
		"fence", lease.Fence, "streaming", c.cfg.Streamer != nil)
	wg.Add(1)
	go func() {
		defer wg.Done()
		kept := make(chan attendance.Lease, 1)
		go func() { kept <- c.keepLease(pctx, stop, lease) }()
		_ = p.Run(pctx)
		stop()
		last := <-kept
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		if err := c.store.ReleaseLease(rctx, last); err != nil {
			c.log.Warn("release chat lease failed", "video", s.VideoID, "err", err)
		}
		cancel()
		select {
		case ended <- s.ID:
		case <-ctx.Done():
		}
	}()
	return true
}

// keepLease renews a chat lease every third of its TTL until ctx ends, and
// stops the poller (lost) when the lease is gone or about to run out without
// a successful renewal. It returns the lease as last renewed.
func (c *Collector) keepLease(ctx context.Context, lost context.CancelFunc, l attendance.Lease) attendance.Lease {
	for {
		select {
		case <-ctx.Done():
			return l
		case <-c.cfg.Clock.After(c.cfg.LeaseTTL / 3):
		}
		renewed, err := c.store.RenewLease(ctx, l, c.cfg.LeaseTTL)
		switch {
		case err == nil:
			l = renewed
		case ctx.Err() != nil:
			return l
		case errors.Is(err, attendance.ErrLeaseLost):
			c.log.Warn("chat lease lost to another replica: stopping this poller", "stream_id", l.StreamID)
			lost()
			return l
		default:
			c.metrics.countStoreError(OpLease)
			c.log.Warn("renew chat lease failed", "stream_id", l.StreamID, "err", err)
			if !c.cfg.Clock.Now().Before(l.Expires.Add(-c.cfg.LeaseTTL / 3)) {
				lost() // better to stop than to write past the lease
				return l
			}
		}
	}
}

func (c *Collector) chatCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return max(len(c.pollers), 1)
}

// Health is the collector's state for /readyz and the dashboard.
type Health struct {
	Running     bool
	LastListing time.Time
	LastSample  time.Time
	ListErrors  int
	Finished    bool
	// WritesFailingSince is when the database started refusing the
	// collector's writes (an outage, a read-only file); zero when its last
	// write succeeded.
	WritesFailingSince time.Time
	Quota              QuotaStatus
	Pollers            []PollerHealth
}

// Ready says whether the collector is running, has listed streams within
// the last few refresh intervals, and the database took its last write.
func (h Health) Ready(now time.Time, refresh time.Duration) bool {
	return h.Running && !h.LastListing.IsZero() && now.Sub(h.LastListing) < 4*refresh && h.WritesFailingSince.IsZero()
}

// Health reports the collector's state.
func (c *Collector) Health() Health {
	c.mu.Lock()
	h := Health{Running: c.running, LastListing: c.lastListing, ListErrors: c.listErrors, Finished: c.finished,
		WritesFailingSince: c.writes.failingSince()}
	pollers := make([]*Poller, 0, len(c.pollers))
	for _, r := range c.pollers {
		pollers = append(pollers, r.Poller)
	}
	c.mu.Unlock()
	h.LastSample = c.watcher.LastSample()
	h.Quota = c.quota.Status()
	for _, p := range pollers {
		h.Pollers = append(h.Pollers, p.Health())
	}
	return h
}

// Ready says whether the collector is running and listed its streams
// recently: what /readyz reports for the collector.
func (c *Collector) Ready() bool {
	return c.Health().Ready(c.cfg.Clock.Now(), c.cfg.RefreshInterval)
}
