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
	Credential      string         // non-secret label of the credential for the quota ledger, e.g. "api-key" or "oauth:UC…"
	QuotaDaily      int64          // --quota-daily; default 10000
	StatsReserve    int64          // units kept for videos.list; default 10% of QuotaDaily
	EventDuration   time.Duration  // --event-duration; default 4h
	RefreshInterval time.Duration  // how often tracked streams are listed again; default 15s
	Clock           Clock          // default the wall clock
	Rand            func() float64 // jitter source; default math/rand/v2
	// Holder names this replica in chat leases; default host name, pid and
	// a random suffix.
	Holder string
	// LeaseTTL is how long a chat lease lasts without renewal; default 15 s.
	// A standby takes a dead holder's stream over within LeaseTTL plus
	// RefreshInterval.
	LeaseTTL time.Duration
}

// Collector runs the stream watcher and one chat poller per live chat for
// every tracked stream, and reports health and completion.
type Collector struct {
	cfg     Config
	src     Source
	store   Store
	quota   *Quota
	watcher *Watcher
	metrics *Metrics
	log     *slog.Logger
	base    *slog.Logger // for pollers, which name their own component

	mu          sync.Mutex
	pollers     map[int64]*Poller
	notFound    map[int64]string // stream id → chat id that YouTube did not find
	running     bool
	lastListing time.Time
	listErrors  int
	finished    bool
	done        chan struct{}
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
	if cfg.Credential == "" {
		cfg.Credential = "default"
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	quota, err := NewQuota(store, cfg.Credential, cfg.QuotaDaily, cfg.StatsReserve, cfg.Clock, metrics)
	if err != nil {
		return nil, fmt.Errorf("collector: %w", err)
	}
	log := logger.With("component", "collector")
	w := NewWatcher(src, store, quota, cfg.Clock, metrics, logger, cfg.EventDuration)
	w.rnd = cfg.Rand
	return &Collector{
		cfg: cfg, src: src, store: store, quota: quota, watcher: w, metrics: metrics, log: log, base: logger,
		pollers: map[int64]*Poller{}, notFound: map[int64]string{}, done: make(chan struct{}),
	}, nil
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
			if p := c.pollers[id]; p != nil && p.FinalState() == attendance.ChatNotFound {
				c.notFound[id] = p.stream.ChatID
			}
			delete(c.pollers, id)
			c.mu.Unlock()
		case <-c.cfg.Clock.After(wait):
		}
	}
}

// round lists, samples, starts pollers and checks completion; it returns
// when the watcher next wants to sample.
func (c *Collector) round(ctx context.Context, wg *sync.WaitGroup, ended chan<- int64) time.Time {
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
	next := c.watcher.Sample(ctx, streams)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastListing = c.cfg.Clock.Now()
	finished := true
	for _, s := range streams {
		p, running := c.pollers[s.ID]
		if running {
			p.UpdateTimes(s)
		}
		retry := s.ChatState == attendance.ChatNotFound && s.ChatID != "" && s.ChatID != c.notFound[s.ID]
		if !running && (needsPoller(s) || retry) && ctx.Err() == nil {
			running = c.startLocked(ctx, s, wg, ended)
			if !running && s.ChatState == attendance.ChatPolling {
				finished = false // another replica is reading it
			}
		}
		if running || s.State != attendance.StreamEnded {
			finished = false
		}
	}
	if finished && !c.finished {
		c.finished = true
		close(c.done)
		c.log.Info("every tracked stream has ended and its chat is drained")
	}
	return next
}

// needsPoller says whether a stream's chat is there to be read.
func needsPoller(s attendance.Stream) bool {
	if s.ChatID == "" {
		return false
	}
	switch s.ChatState {
	case "", attendance.ChatWaiting, attendance.ChatPolling, attendance.ChatGap:
		return true
	default:
		return false
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
	})
	c.pollers[s.ID] = p
	c.log.Info("chat poller started", "event", s.EventSlug, "video", s.VideoID, "resume", s.PageToken != "", "fence", lease.Fence)
	wg.Add(1)
	go func() {
		defer wg.Done()
		pctx, stop := context.WithCancel(ctx)
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
	Quota       QuotaStatus
	Pollers     []PollerHealth
}

// Ready says whether the collector is running and has listed streams
// within the last few refresh intervals.
func (h Health) Ready(now time.Time, refresh time.Duration) bool {
	return h.Running && !h.LastListing.IsZero() && now.Sub(h.LastListing) < 4*refresh
}

// Health reports the collector's state.
func (c *Collector) Health() Health {
	c.mu.Lock()
	h := Health{Running: c.running, LastListing: c.lastListing, ListErrors: c.listErrors, Finished: c.finished}
	pollers := make([]*Poller, 0, len(c.pollers))
	for _, p := range c.pollers {
		pollers = append(pollers, p)
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
