package collector

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// PollerConfig is what a chat poller needs besides its collaborators.
type PollerConfig struct {
	EventDuration time.Duration     // expected length when YouTube gives no scheduled end; default 4h
	Chats         func() int        // live chats sharing the budget; default 1
	Rand          func() float64    // jitter source in [0, 1); default math/rand/v2
	Clock         Clock             // default the wall clock
	Metrics       *Metrics          // may be nil
	Logger        *slog.Logger      // default discards
	Quota         *Quota            // required
	Source        ChatSource        // required
	Store         Store             // required
	Stream        attendance.Stream // the stream to read, with its stored page token
	Fence         int64             // the fence of the chat lease this poller holds; every page carries it
}

// Poller reads one live chat page by page, commits each page with its
// cursor, and stops once the chat is drained, ended, or cannot be read.
type Poller struct {
	cfg    PollerConfig
	stream attendance.Stream // as given; never changed
	log    *slog.Logger

	token          string
	errCount       int
	slow           time.Duration // extra wait after rateLimitExceeded, halves on success
	serverInterval time.Duration
	fullPage       bool
	draining       bool
	stateSet       bool
	loudOnce       bool
	final          attendance.ChatState // the state the poller ended in

	mu       sync.Mutex
	schedule attendance.Stream // the stream's latest times, updated by UpdateTimes
	health   PollerHealth
}

// PollerHealth is one poller's state for /readyz and the dashboard.
type PollerHealth struct {
	StreamID          int64
	Event             string
	VideoID           string
	LastPoll          time.Time
	LastCommit        time.Time
	NextPoll          time.Time
	ConsecutiveErrors int
	LastError         string // a reason label, never free text
	BackingOff        bool
	QuotaPaused       bool
	Messages          int64
}

// NewPoller returns a poller for cfg.Stream that resumes from its stored
// page token.
func NewPoller(cfg PollerConfig) *Poller {
	if cfg.EventDuration <= 0 {
		cfg.EventDuration = 4 * time.Hour
	}
	if cfg.Chats == nil {
		cfg.Chats = func() int { return 1 }
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := cfg.Stream
	return &Poller{
		cfg:            cfg,
		stream:         s,
		schedule:       s,
		token:          s.PageToken,
		serverInterval: DefaultPollInterval,
		stateSet:       s.ChatState == attendance.ChatPolling || s.ChatState == attendance.ChatGap,
		log:            cfg.Logger.With("component", "chat_poller", "event", s.EventSlug, "video", s.VideoID, "stream_id", s.ID),
		health:         PollerHealth{StreamID: s.ID, Event: s.EventSlug, VideoID: s.VideoID},
	}
}

// UpdateTimes takes the stream's latest schedule (start, end) as the
// watcher saw it, for the quota planner.
func (p *Poller) UpdateTimes(s attendance.Stream) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.schedule.ScheduledStart, p.schedule.ScheduledEnd = s.ScheduledStart, s.ScheduledEnd
	p.schedule.ActualStart, p.schedule.ActualEnd = s.ActualStart, s.ActualEnd
}

// FinalState is the chat state the poller last recorded (empty if none).
func (p *Poller) FinalState() attendance.ChatState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.final
}

// Health returns a snapshot of the poller's state.
func (p *Poller) Health() PollerHealth {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.health
}

// Run polls until the chat is finished or ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	for {
		wait, done := p.Step(ctx)
		if done || ctx.Err() != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-p.cfg.Clock.After(wait):
		}
	}
}

// Step makes at most one chat read and says how long to wait before the
// next, or that the poller is done.
func (p *Poller) Step(ctx context.Context) (wait time.Duration, done bool) {
	q := p.cfg.Quota
	now := p.cfg.Clock.Now()
	if wait, early := p.tooEarly(now); early {
		p.setHealth(func(h *PollerHealth) { h.NextPoll = now.Add(wait) })
		return wait, false
	}
	if err := q.Allow(ctx, ChatReadCost, false); err != nil {
		if ctx.Err() != nil {
			return 0, true
		}
		if !errors.Is(err, ErrQuotaPaused) {
			p.log.Error("quota ledger unavailable", "err", err)
			return p.backoff(now, err, 0), false
		}
		until := q.Status().PausedUntil
		if until.IsZero() {
			until = q.NextReset()
		}
		p.setHealth(func(h *PollerHealth) { h.QuotaPaused, h.NextPoll = true, until })
		return max(until.Sub(now), time.Second), false
	}
	callCtx, attempts := countAttempts(ctx)
	read, err := p.cfg.Source.ReadChat(callCtx, p.stream.ChatID, p.token)
	// The call may have reached YouTube even if ctx ended meanwhile: count it.
	if serr := q.Spend(context.WithoutCancel(ctx), MethodChatList, ChatReadCost*attempts()); serr != nil {
		p.cfg.Metrics.countStoreError(OpQuotaLedger)
		p.log.Warn("quota ledger write failed", "err", serr)
	}
	if ctx.Err() != nil {
		return 0, true
	}
	p.setHealth(func(h *PollerHealth) { h.LastPoll, h.QuotaPaused = now, false })
	if err != nil {
		return p.handleError(ctx, now, err)
	}
	return p.commit(ctx, read)
}

func (p *Poller) commit(ctx context.Context, read ChatRead) (time.Duration, bool) {
	page := attendance.ChatPage{
		StreamID: p.stream.ID, Messages: read.Messages, NextPageToken: read.NextPageToken, OfflineAt: read.OfflineAt,
		Fence: p.cfg.Fence,
	}
	if err := p.cfg.Store.CommitChatPage(ctx, page); err != nil {
		if ctx.Err() != nil {
			return 0, true
		}
		if errors.Is(err, attendance.ErrStaleFence) {
			// Another replica took the stream over (this one was paused or
			// cut off past its lease): it resumes from the last committed
			// token, so this page is read again there.
			p.log.Warn("chat lease lost: stopping this poller", "messages_not_committed", len(read.Messages))
			return 0, true
		}
		p.cfg.Metrics.countStoreError(OpCommitChatPage)
		p.log.Error("commit chat page failed", "err", err, "messages", len(read.Messages))
		return p.backoff(p.cfg.Clock.Now(), err, 0), false
	}
	committed := p.cfg.Clock.Now()
	p.token = read.NextPageToken
	p.errCount = 0
	p.slow /= 2
	p.cfg.Metrics.setBackoff(p.stream.EventSlug, p.stream.VideoID, false)
	p.observe(read.Messages, committed)
	p.setHealth(func(h *PollerHealth) {
		h.LastCommit, h.ConsecutiveErrors, h.BackingOff, h.LastError = committed, 0, false, ""
		h.Messages += int64(len(read.Messages))
	})
	if !p.stateSet {
		p.setState(ctx, attendance.ChatPolling, "")
		p.stateSet = true
	}
	if !read.OfflineAt.IsZero() {
		if p.draining && len(read.Messages) == 0 {
			p.setState(ctx, attendance.ChatDrained, "offline and every message read")
			p.log.Info("chat drained")
			return 0, true
		}
		p.draining = true
	}
	p.serverInterval = ClampPollInterval(read.PollingMillis)
	p.fullPage = read.PageSize > 0 && int64(len(read.Messages)) >= read.PageSize
	return p.plan(ctx, committed), false
}

// Chat reads before a scheduled start: none until an hour before, then at
// most one a minute until ten minutes before (people greet in the waiting
// room, and the first read only returns recent history).
const (
	earlyChatWindow = time.Hour
	lobbyWindow     = 10 * time.Minute
	lobbyInterval   = time.Minute
	earlyRecheck    = 5 * time.Minute
)

// tooEarly says whether the stream's scheduled start is so far away that
// the chat is not worth reading yet, and how long to sleep before checking
// again (short, in case the stream starts early).
func (p *Poller) tooEarly(now time.Time) (time.Duration, bool) {
	p.mu.Lock()
	s := p.schedule
	p.mu.Unlock()
	if !s.ActualStart.IsZero() || s.ScheduledStart.IsZero() {
		return 0, false
	}
	until := s.ScheduledStart.Sub(now)
	if until <= earlyChatWindow {
		return 0, false
	}
	return min(until-earlyChatWindow, earlyRecheck), true
}

// plan asks the quota planner for the wait before the next read.
func (p *Poller) plan(ctx context.Context, now time.Time) time.Duration {
	remaining, err := p.cfg.Quota.ChatRemaining(ctx)
	if err != nil {
		return p.serverInterval
	}
	p.mu.Lock()
	stream := p.schedule
	p.mu.Unlock()
	end := ExpectedEnd(stream, p.cfg.EventDuration, now)
	p.cfg.Metrics.setExpectedEnd(p.stream.EventSlug, p.stream.VideoID, end)
	wait, paused := PlanChatWait(Plan{
		Now: now, ExpectedEnd: end, NextReset: p.cfg.Quota.NextReset(), Remaining: remaining,
		Chats: p.cfg.Chats(), ServerInterval: p.serverInterval, FullPage: p.fullPage, Draining: p.draining,
	})
	wait += p.slow
	if stream.ActualStart.IsZero() && stream.ScheduledStart.Sub(now) > lobbyWindow && !paused {
		wait = max(wait, lobbyInterval)
	}
	p.setHealth(func(h *PollerHealth) { h.NextPoll, h.QuotaPaused = now.Add(wait), paused })
	return wait
}

func (p *Poller) handleError(ctx context.Context, now time.Time, err error) (time.Duration, bool) {
	var hint time.Duration
	if ae, ok := errors.AsType[*APIError](err); ok {
		hint = ae.RetryAfter
	}
	switch {
	case errors.Is(err, ErrQuotaExceeded):
		until := p.cfg.Quota.PauseUntilReset()
		p.log.Warn("youtube quota exceeded: no calls until the pacific midnight reset", "until", until)
		p.setHealth(func(h *PollerHealth) { h.QuotaPaused, h.NextPoll, h.LastError = true, until, ReasonLabel(err) })
		return max(until.Sub(now), time.Second), false
	case errors.Is(err, ErrRateLimited):
		p.slow = min(max(2*p.slow, p.serverInterval), MaxPollInterval)
		p.log.Warn("youtube rate limit: slowing down", "extra_wait", p.slow)
		return p.backoff(now, err, p.serverInterval+p.slow), false
	case errors.Is(err, ErrChatEnded):
		p.setState(ctx, attendance.ChatDrained, "live chat ended")
		p.log.Info("chat ended")
		return 0, true
	case errors.Is(err, ErrChatDisabled):
		p.setState(ctx, attendance.ChatDisabled, "live chat disabled: stats only")
		p.log.Warn("chat disabled on this broadcast: stats only")
		return 0, true
	case errors.Is(err, ErrChatNotFound):
		p.setState(ctx, attendance.ChatNotFound, "live chat not found: stats only")
		p.log.Warn("chat not found: stats only")
		return 0, true
	case errors.Is(err, ErrForbidden), errors.Is(err, ErrKeyInvalid), errors.Is(err, ErrGrantInvalid):
		p.setState(ctx, attendance.ChatForbidden, ReasonLabel(err)+": check the credential")
		if !p.loudOnce {
			p.log.Error("youtube refused to read this chat: check the api key or oauth grant; polling stopped", "err", err)
			p.loudOnce = true
		}
		return 0, true
	case errors.Is(err, ErrPageTokenInvalid):
		p.log.Warn("page token rejected: restarting without a token, messages may be missing", "err", err)
		p.token = ""
		p.setState(ctx, attendance.ChatGap, "page token invalid: restarted without a token")
		p.stateSet = true
		return p.serverInterval, false
	default:
		p.log.Warn("chat read failed: backing off", "err", err, "errors_in_a_row", p.errCount+1)
		return p.backoff(now, err, hint), false
	}
}

func (p *Poller) backoff(now time.Time, err error, hint time.Duration) time.Duration {
	p.errCount++
	d := NextDelay(p.errCount, hint, p.cfg.Rand)
	p.cfg.Metrics.setBackoff(p.stream.EventSlug, p.stream.VideoID, true)
	p.setHealth(func(h *PollerHealth) {
		h.ConsecutiveErrors, h.BackingOff, h.LastError, h.NextPoll = p.errCount, true, ReasonLabel(err), now.Add(d)
	})
	return d
}

func (p *Poller) setState(ctx context.Context, st attendance.ChatState, detail string) {
	p.mu.Lock()
	p.final = st
	p.mu.Unlock()
	if err := p.cfg.Store.SetChatState(ctx, p.stream.ID, p.cfg.Fence, st, detail); err != nil {
		p.cfg.Metrics.countStoreError(OpSetChatState)
		p.log.Error("record chat state failed", "state", string(st), "err", err)
	}
}

func (p *Poller) observe(msgs []attendance.ChatMessage, committed time.Time) {
	m := p.cfg.Metrics
	if m == nil {
		return
	}
	ev, vid := p.stream.EventSlug, p.stream.VideoID
	lag := m.pollLag.WithLabelValues(ev, vid)
	counts := map[string]int{}
	for _, msg := range msgs {
		counts[msg.Type]++
		if !msg.PublishedAt.IsZero() {
			lag.Observe(max(committed.Sub(msg.PublishedAt).Seconds(), 0))
		}
	}
	for typ, n := range counts {
		m.messages.WithLabelValues(ev, vid, typeLabel(typ)).Add(float64(n))
	}
	m.lastCommit.WithLabelValues(ev, vid).Set(float64(committed.Unix()))
}

// typeLabel bounds the type label: known YouTube types pass, anything else
// is "other" (types come from the server and could be anything).
func typeLabel(t string) string {
	switch t {
	case attendance.MsgText, attendance.MsgSuperChat, attendance.MsgSuperSticker, attendance.MsgNewSponsor,
		attendance.MsgMessageDeleted, attendance.MsgMessageRetract, attendance.MsgUserBanned, attendance.MsgPoll,
		attendance.MsgChatEnded, attendance.MsgTombstone, attendance.MsgMemberMilestone,
		"membershipGiftingEvent", "giftMembershipReceivedEvent", "giftEvent", "fanFundingEvent",
		"sponsorOnlyModeStartedEvent", "sponsorOnlyModeEndedEvent":
		return t
	default:
		return "other"
	}
}

func (p *Poller) setHealth(f func(*PollerHealth)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.health)
}
