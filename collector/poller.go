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
	// Streamer, when set, reads the chat with streamList (one connection
	// at a time, each pushed response committed as a page); Source is then
	// the fallback when YouTube refuses streaming for this chat.
	Streamer ChatStreamer
	// RequestSample asks the stream watcher to read videos.list for this
	// stream at once: a chat-level end while the video is live may mean a
	// new chat id or the end of the video. May be nil.
	RequestSample func()
	// GapReason, when set, is recorded with the first page this poller
	// commits (a chat that replaced another: attendance.GapChatReplaced).
	GapReason string
}

// Re-check bounds for a chat that says it has ended (or cannot be read)
// while its video is live: 15 s doubling to 2 min, for as long as the video
// is live.
const (
	recheckBase = 15 * time.Second
	recheckMax  = 2 * time.Minute
	// badRequestTries is how many times a request YouTube rejects as bad
	// (an unexpected 4xx) is sent before the stream stops loudly.
	badRequestTries = 2
)

// RecheckDelay is the wait before the n-th re-check (n from 1) of a chat
// that ended or cannot be read while its video is live.
func RecheckDelay(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 4 {
		return recheckMax
	}
	return min(recheckBase<<(n-1), recheckMax)
}

// Poller reads one live chat page by page, commits each page with its
// cursor, and stops once the chat is drained, ended, or cannot be read.
type Poller struct {
	cfg    PollerConfig
	stream attendance.Stream // as given; never changed
	log    *slog.Logger

	token          string
	errCount       int
	recheckCount   int    // chat-level ends in a row while the video is live
	badRequests    int    // ErrBadRequest answers in a row
	gapReason      string // recorded with the next committed page
	streamer       ChatStreamer
	wake           chan struct{}
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
		gapReason:      cfg.GapReason,
		streamer:       cfg.Streamer,
		wake:           make(chan struct{}, 1),
		serverInterval: DefaultPollInterval,
		log:            cfg.Logger.With("component", "chat_poller", "event", s.EventSlug, "video", s.VideoID, "stream_id", s.ID),
		health:         PollerHealth{StreamID: s.ID, Event: s.EventSlug, VideoID: s.VideoID},
	}
}

// UpdateTimes takes the stream's latest state and schedule (start, end) as
// the watcher saw it: the quota planner spaces reads by it, and a chat-level
// end is final only once the video has ended. A video that has just ended
// wakes the poller so its chat is drained at once.
func (p *Poller) UpdateTimes(s attendance.Stream) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.schedule.ScheduledStart, p.schedule.ScheduledEnd = s.ScheduledStart, s.ScheduledEnd
	p.schedule.ActualStart, p.schedule.ActualEnd = s.ActualStart, s.ActualEnd
	if s.State != "" && s.State != p.schedule.State {
		p.schedule.State = s.State
		if s.State == attendance.StreamEnded {
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
	}
}

// videoEnded says whether the watcher last saw the video ended: only then
// is a chat-level end final.
func (p *Poller) videoEnded() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.schedule.State == attendance.StreamEnded || !p.schedule.ActualEnd.IsZero()
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
		case <-p.wake:
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
	if p.streamer != nil {
		return p.streamStep(ctx, now)
	}
	// Charged before the call: a kill -9 between YouTube's answer and the
	// ledger write would otherwise leave the ledger below what YouTube
	// charged. Resends net/http made on its own are charged after it.
	if serr := q.Spend(context.WithoutCancel(ctx), MethodChatList, ChatReadCost); serr != nil {
		p.cfg.Metrics.countStoreError(OpQuotaLedger)
		p.log.Warn("quota ledger write failed", "err", serr)
	}
	callCtx, attempts := countAttempts(ctx)
	read, err := p.cfg.Source.ReadChat(callCtx, p.stream.ChatID, p.token)
	// The call may have reached YouTube even if ctx ended meanwhile: count it.
	if extra := attempts() - 1; extra > 0 {
		if serr := q.Spend(context.WithoutCancel(ctx), MethodChatList, ChatReadCost*extra); serr != nil {
			p.cfg.Metrics.countStoreError(OpQuotaLedger)
			p.log.Warn("quota ledger write failed", "err", serr)
		}
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

// errStopStream ends a streamList connection from inside its page
// callback: the poller is done.
var errStopStream = errors.New("poller done")

// errRecheck ends a streamList connection whose page said the chat is
// offline while the video is live: the poller waits its re-check delay.
var errRecheck = errors.New("chat offline while the video is live")

// streamStep opens one streamList connection (5 units, charged before it is
// opened) and commits every response as a page, exactly as a polled page,
// until the server closes the stream. The next connection is spaced by the
// quota planner, counted from this one's start: a server that holds streams
// open is reconnected at once, one that closes them every few seconds (the
// reference: about 10 s) is reconnected no sooner than the budget allows.
func (p *Poller) streamStep(ctx context.Context, start time.Time) (time.Duration, bool) {
	q := p.cfg.Quota
	if p.stateSet {
		p.cfg.Metrics.countReconnect(p.stream.EventSlug, p.stream.VideoID)
	}
	if err := q.Spend(context.WithoutCancel(ctx), MethodChatStream, ChatReadCost); err != nil {
		p.cfg.Metrics.countStoreError(OpQuotaLedger)
		p.log.Warn("quota ledger write failed", "err", err)
	}
	pages := 0
	done := false
	var recheck time.Duration // set when a page says the chat ended while the video is live
	err := p.streamer.StreamChat(ctx, p.stream.ChatID, p.token, func(read ChatRead) error {
		pages++
		rechecks := p.recheckCount
		var wait time.Duration
		wait, done = p.commit(ctx, read)
		if done {
			return errStopStream
		}
		if p.recheckCount > rechecks {
			recheck = wait
			return errRecheck
		}
		return nil
	})
	now := p.cfg.Clock.Now()
	p.setHealth(func(h *PollerHealth) { h.LastPoll, h.QuotaPaused = now, false })
	switch {
	case ctx.Err() != nil || done || errors.Is(err, errStopStream):
		return 0, true
	case errors.Is(err, errRecheck):
		return recheck, false
	case errors.Is(err, ErrStreamingUnsupported):
		p.log.Error("youtube refused streamList for this chat: falling back to polling (liveChatMessages.list)", "err", err)
		p.streamer = nil
		p.stateSet = false
		return 0, false
	case err != nil:
		return p.handleError(ctx, now, err)
	case pages == 0 && now.Sub(start) < MinPollInterval:
		// closed at once without a response: a fast repeated failure
		return p.backoff(now, ErrTransient, 0), false
	}
	p.cfg.Metrics.markUpToDate(p.stream.EventSlug, p.stream.VideoID, now)
	// Pushed responses carry no useful polling interval: the planner's
	// spacing runs from this connection's start.
	p.serverInterval, p.fullPage = MinPollInterval, false
	return max(p.plan(ctx, now)-now.Sub(start), 0), false
}

// readingState is the chat state of a chat being read by this poller.
func (p *Poller) readingState() attendance.ChatState {
	if p.streamer != nil {
		return attendance.ChatStreaming
	}
	return attendance.ChatPolling
}

func (p *Poller) commit(ctx context.Context, read ChatRead) (time.Duration, bool) {
	page := attendance.ChatPage{
		StreamID: p.stream.ID, Messages: read.Messages, NextPageToken: read.NextPageToken, OfflineAt: read.OfflineAt,
		Fence: p.cfg.Fence, GapReason: p.gapReason,
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
	if p.gapReason != "" {
		p.cfg.Metrics.countGap(p.stream.EventSlug, p.stream.VideoID)
		p.log.Warn("chat gap recorded: import a replay file for the span", "reason", p.gapReason)
		p.gapReason = ""
	}
	p.token = read.NextPageToken
	p.errCount = 0
	p.badRequests = 0
	p.slow /= 2
	p.cfg.Metrics.setBackoff(p.stream.EventSlug, p.stream.VideoID, false)
	p.observe(read.Messages, committed)
	p.setHealth(func(h *PollerHealth) {
		h.LastCommit, h.ConsecutiveErrors, h.BackingOff, h.LastError = committed, 0, false, ""
		h.Messages += int64(len(read.Messages))
	})
	if !p.stateSet {
		p.setState(ctx, p.readingState(), "")
		p.stateSet = true
	}
	if !read.OfflineAt.IsZero() {
		if p.draining && len(read.Messages) == 0 {
			if p.videoEnded() {
				p.setState(ctx, attendance.ChatDrained, "offline and every message read")
				p.log.Info("chat drained")
				return 0, true
			}
			// offlineAt while the video is live: an encoder drop, or the
			// end not yet seen by videos.list. Keep the token and look again.
			return p.recheck(ctx, committed, attendance.ChatBackoff, "chat offline while the video is live: re-checking", nil), false
		}
		p.draining = true
	} else {
		p.draining = false
		if p.recheckCount > 0 {
			p.recheckCount = 0
			p.setState(ctx, p.readingState(), "")
		}
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
		if p.videoEnded() {
			p.setState(ctx, attendance.ChatDrained, "live chat ended")
			p.log.Info("chat ended")
			return 0, true
		}
		return p.recheck(ctx, now, attendance.ChatBackoff, "live chat ended while the video is live: re-checking", err), false
	case errors.Is(err, ErrChatDisabled):
		if p.videoEnded() {
			p.setState(ctx, attendance.ChatDisabled, "live chat disabled")
			return 0, true
		}
		return p.recheck(ctx, now, attendance.ChatDisabled, "live chat disabled by the owner: re-checking while the video is live", err), false
	case errors.Is(err, ErrChatNotFound):
		if p.videoEnded() {
			p.setState(ctx, attendance.ChatNotFound, "live chat not found")
			return 0, true
		}
		return p.recheck(ctx, now, attendance.ChatNotFound, "live chat not found: re-checking while the video is live", err), false
	case errors.Is(err, ErrForbidden), errors.Is(err, ErrKeyInvalid), errors.Is(err, ErrGrantInvalid):
		if !p.loudOnce {
			p.log.Error("youtube refused to read this chat: check the api key or oauth grant (members-only and private chats need the owner's oauth token)", "err", err)
			p.loudOnce = true
		}
		if p.videoEnded() {
			p.setState(ctx, attendance.ChatForbidden, ReasonLabel(err)+": check the credential")
			return 0, true
		}
		return p.recheck(ctx, now, attendance.ChatForbidden, ReasonLabel(err)+": check the credential; re-checking while the video is live", err), false
	case errors.Is(err, ErrPageTokenInvalid):
		p.log.Warn("page token rejected: reading again without a token and recording a gap", "err", err)
		p.token = ""
		p.gapReason = attendance.GapTokenInvalid
		p.setState(ctx, attendance.ChatGap, "page token invalid: read again without a token; the gap is recorded")
		p.stateSet = false
		return p.serverInterval, false
	case errors.Is(err, ErrBadRequest):
		p.badRequests++
		if p.badRequests >= badRequestTries {
			p.setState(ctx, attendance.ChatStopped, "youtube rejected the request ("+reasonOf(err)+"): run rollcall stream rearm once fixed")
			p.log.Error("youtube rejected the chat request twice: this stream's chat is stopped", "reason", reasonOf(err), "err", err)
			return 0, true
		}
		p.log.Warn("youtube rejected the chat request: trying once more", "reason", reasonOf(err), "err", err)
		return p.backoff(now, err, hint), false
	default:
		p.log.Warn("chat read failed: backing off", "err", err, "errors_in_a_row", p.errCount+1)
		return p.backoff(now, err, hint), false
	}
}

// recheck handles a chat-level end while the video is live: it records
// state, asks the watcher for videos.list at once (a new chat id is
// followed at once by the collector), and waits 15 s doubling to 2 min
// before reading the same chat with the same token again.
func (p *Poller) recheck(ctx context.Context, now time.Time, st attendance.ChatState, detail string, err error) time.Duration {
	p.recheckCount++
	if p.recheckCount == 1 || st != attendance.ChatBackoff {
		p.setState(ctx, st, detail)
		p.stateSet = false
		p.log.Warn("chat cannot be read while the video is live: re-checking", "state", string(st), "reason", ReasonLabel(err))
	}
	if p.cfg.RequestSample != nil {
		p.cfg.RequestSample()
	}
	d := RecheckDelay(p.recheckCount)
	p.setHealth(func(h *PollerHealth) {
		h.BackingOff, h.NextPoll = true, now.Add(d)
		if err != nil {
			h.LastError = ReasonLabel(err)
		}
	})
	return d
}

// reasonOf is Google's reason of an API error, else its label.
func reasonOf(err error) string {
	if ae, ok := errors.AsType[*APIError](err); ok && ae.Reason != "" {
		return ae.Reason
	}
	return ReasonLabel(err)
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
	p.cfg.Metrics.setChatState(p.stream.EventSlug, p.stream.VideoID, MetricState(attendance.StreamLive, st))
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

// MetricState is the rollcall_chat_state value for a stream in video state
// vs and chat state cs.
func MetricState(vs attendance.StreamState, cs attendance.ChatState) string {
	if vs == attendance.StreamUnavailable {
		return StateUnavailable
	}
	switch cs {
	case attendance.ChatStreaming:
		return StateStreaming
	case attendance.ChatPolling:
		return StatePolling
	case attendance.ChatBackoff:
		return StateBackoff
	case attendance.ChatGap:
		return StateGap
	case attendance.ChatDrained:
		return StateEnded
	case attendance.ChatDisabled:
		return StateDisabled
	case attendance.ChatForbidden:
		return StateForbidden
	case attendance.ChatStopped:
		return StateStopped
	default: // waiting, not_found, none yet
		return StateWaiting
	}
}
