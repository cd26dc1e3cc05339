package collector

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// Owner mode (issue 13): with the channel owner's OAuth token the collector
// finds an event's streams among the channel's broadcasts and posts
// checkpoint announcements to its live chats. doc.go gives the costs, the
// cadence and the queue's rules.

// OwnerSource is what owner mode calls on YouTube; *YouTube is one. It is
// nil when serve runs with an API key: discovery and announcements are
// then refused, with a log line and, for announcements, a failure staff see.
type OwnerSource interface {
	MyBroadcasts(ctx context.Context, status, pageToken string) (BroadcastPage, error)
	MyChannel(ctx context.Context, q *Quota) (string, error)
	InsertChatMessage(ctx context.Context, chatID, text string) (string, error)
}

// OwnerStore is what owner mode needs from the store.
type OwnerStore interface {
	// DiscoveringEvents lists the active events with discovery on.
	DiscoveringEvents(ctx context.Context) ([]attendance.Event, error)
	// Streams lists an event's streams, ended and dropped ones included.
	Streams(ctx context.Context, eventID int64) ([]attendance.Stream, error)
	// BindDiscoveryChannel binds an unbound event to channelID and returns the bound channel.
	BindDiscoveryChannel(ctx context.Context, eventID int64, channelID string) (string, error)
	// AddDiscoveredStream adds a broadcast to an event unless it has it (dropped ones included).
	AddDiscoveredStream(ctx context.Context, eventID int64, videoID, title string) (bool, error)
	// QueueAnnouncements queues one announcement per open checkpoint and live chat, once.
	QueueAnnouncements(ctx context.Context, now time.Time) (int, error)
	// ClaimAnnouncement takes an announcement whose chat had no post attempt within spacing.
	ClaimAnnouncement(ctx context.Context, now time.Time, spacing time.Duration) (attendance.Announcement, bool, error)
	// FinishAnnouncement records posted, failed or pending (one more try).
	FinishAnnouncement(ctx context.Context, a attendance.Announcement, state, reply, messageID string) error
}

// Costs of owner-mode calls in quota units. liveBroadcasts.list has no
// published cost: 5 is the budget (../shared/YOUTUBE.md), and the fake
// charges the same.
const (
	BroadcastsListCost = 5
	ChatInsertCost     = 20
	ChannelsListCost   = 1
)

// Discovery cadence; see DiscoveryCadence.
const (
	hotActiveEvery   = time.Minute
	hotUpcomingEvery = 10 * time.Minute
	windowEvery      = 10 * time.Minute
	beforeEvery      = time.Hour
	hotLead          = 15 * time.Minute // before a known broadcast's scheduled start
	hotTail          = 30 * time.Minute // after a broadcast of the event ended: a restart comes back under a new id
)

// DiscoveryCadence says how often an event's broadcasts are listed now:
// active ones every minute while the event is on (a stream of it is live,
// due to start within 15 minutes or late, or ended within 30 minutes, so
// that a restart under a new video id is followed within a minute),
// upcoming ones every 10 minutes then; both every 10 minutes in the window
// otherwise, hourly before it, and not at all after it. ok is false when
// the event needs no listing.
func DiscoveryCadence(now time.Time, d attendance.Discovery, streams []attendance.Stream) (active, upcoming time.Duration, ok bool) {
	for _, s := range streams {
		switch {
		case s.State == attendance.StreamLive:
			return hotActiveEvery, hotUpcomingEvery, true
		case (s.State == attendance.StreamUpcoming || s.State == attendance.StreamUnknown) && !s.ScheduledStart.IsZero() &&
			!now.Before(s.ScheduledStart.Add(-hotLead)) && now.Before(d.To.Add(hotTail)):
			return hotActiveEvery, hotUpcomingEvery, true
		case s.State == attendance.StreamEnded && !s.ActualEnd.IsZero() && now.Sub(s.ActualEnd) < hotTail:
			return hotActiveEvery, hotUpcomingEvery, true
		}
	}
	switch {
	case now.Before(d.From):
		return beforeEvery, beforeEvery, true
	case now.Before(d.To):
		return windowEvery, windowEvery, true
	}
	return 0, 0, false
}

// Discoverer lists the channel owner's broadcasts (liveBroadcasts.list,
// one broadcastStatus filter a call, every page) and adds those that
// belong to a discovering event.
type Discoverer struct {
	src   OwnerSource
	store OwnerStore
	quota *Quota
	clock Clock
	log   *slog.Logger
	rnd   func() float64

	channel      string    // the token's channel, read once
	lastActive   time.Time // last listing of active broadcasts
	lastUpcoming time.Time // last listing of upcoming broadcasts
	retryAt      time.Time // no listing before, after a failure
	errCount     int
	told         map[string]bool          // log lines said once: refusals, ignored broadcasts
	pub          PublicSource             // the handle fallback; nil: none
	lastPublic   map[int64]time.Time      // last reading of each handle event's uploads
	handles      map[string]handleChannel // handles found (lower case): their channel and uploads
	// windowsEnd is when the last discovering event's window closes: until
	// then a broadcast may still appear, so the collector is not done.
	windowsEnd time.Time
}

// Pending reports whether a discovering event's window is still open at
// now, as of the last Step: more broadcasts may appear, so the event is
// not over even if every stream found so far has ended.
func (d *Discoverer) Pending(now time.Time) bool {
	return (d.src != nil || d.pub != nil) && now.Before(d.windowsEnd)
}

// NewDiscoverer returns a discoverer; src nil refuses discovery loudly.
func NewDiscoverer(src OwnerSource, store OwnerStore, quota *Quota, clock Clock, logger *slog.Logger) *Discoverer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &Discoverer{src: src, store: store, quota: quota, clock: clock, log: logger.With("component", "discovery"),
		rnd: rand.Float64, told: map[string]bool{}, lastPublic: map[int64]time.Time{},
		handles: map[string]handleChannel{}}
	if p, ok := src.(PublicSource); ok {
		d.pub = p
	}
	return d
}

// UsePublic sets the source of discovery by handle (the collector's
// YouTube client, with a key or a token).
func (d *Discoverer) UsePublic(p PublicSource) {
	if p != nil {
		d.pub = p
	}
}

// once logs a line the first time key is seen.
func (d *Discoverer) once(key string, level slog.Level, msg string, args ...any) {
	if d.told[key] {
		return
	}
	d.told[key] = true
	d.log.Log(context.Background(), level, msg, args...)
}

// Step lists broadcasts when a listing is due and returns when the next
// one is.
func (d *Discoverer) Step(ctx context.Context) time.Time {
	now := d.clock.Now()
	events, err := d.store.DiscoveringEvents(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("list discovering events failed", "err", err)
		}
		return now.Add(time.Minute)
	}
	d.windowsEnd = time.Time{}
	for _, e := range events {
		if e.Discovery.To.After(d.windowsEnd) {
			d.windowsEnd = e.Discovery.To
		}
	}
	// Events discovered by handle read the channel's public uploads; the
	// others list the owner's broadcasts.
	var byHandle, owned []attendance.Event
	for _, e := range events {
		if IsHandle(e.Discovery.ChannelID) {
			byHandle = append(byHandle, e)
		} else {
			owned = append(owned, e)
		}
	}
	nextPublic := now.Add(time.Hour)
	if len(byHandle) > 0 {
		nextPublic = d.stepPublic(ctx, now, byHandle)
	}
	return minTime(nextPublic, d.stepOwned(ctx, now, owned))
}

// stepOwned lists the owner's broadcasts for events when a listing is due
// and returns when the next one is.
func (d *Discoverer) stepOwned(ctx context.Context, now time.Time, events []attendance.Event) time.Time {
	if len(events) == 0 {
		return now.Add(time.Minute)
	}
	if d.src == nil {
		for _, e := range events {
			d.once("refused/"+e.Slug, slog.LevelError,
				"broadcast discovery needs the channel owner's oauth token (rollcall auth login, serve --oauth-token-file): this event's streams are not discovered; add them with event set --video",
				"event", e.Slug)
		}
		return now.Add(5 * time.Minute)
	}
	var active, upcoming time.Duration
	var wanted []attendance.Event
	for _, e := range events {
		streams, err := d.store.Streams(ctx, e.ID)
		if err != nil {
			d.log.Error("list streams of a discovering event failed", "event", e.Slug, "err", err)
			continue
		}
		a, u, ok := DiscoveryCadence(now, e.Discovery, streams)
		if !ok {
			continue
		}
		wanted = append(wanted, e)
		if active == 0 || a < active {
			active = a
		}
		if upcoming == 0 || u < upcoming {
			upcoming = u
		}
	}
	if len(wanted) == 0 {
		return now.Add(10 * time.Minute)
	}
	// Due times follow from the last listing and the cadence now, so a
	// quicker cadence (the event went live) applies at once.
	dueUpcoming := d.lastUpcoming.Add(upcoming)
	dueActive := d.lastActive.Add(active)
	next := minTime(dueActive, dueUpcoming)
	if now.Before(d.retryAt) {
		return d.retryAt
	}
	var statuses []string
	if !now.Before(dueUpcoming) {
		statuses = append(statuses, BroadcastsUpcoming)
	}
	if !now.Before(dueActive) {
		statuses = append(statuses, BroadcastsActive)
	}
	if len(statuses) == 0 {
		return next
	}
	found, err := d.list(ctx, statuses)
	if err != nil {
		if ctx.Err() != nil {
			return now
		}
		d.retryAt = now.Add(d.failed(err, now))
		return d.retryAt
	}
	d.errCount = 0
	for _, s := range statuses {
		if s == BroadcastsUpcoming {
			d.lastUpcoming = now
		} else {
			d.lastActive = now
		}
	}
	for _, e := range wanted {
		d.adopt(ctx, e, found)
	}
	return minTime(d.lastActive.Add(active), d.lastUpcoming.Add(upcoming))
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// list reads the token's channel (once) and every page of each status,
// each call charged to the ledger; broadcasts are deduplicated by id (a
// broadcast that changes status between pages can come twice).
func (d *Discoverer) list(ctx context.Context, statuses []string) ([]Broadcast, error) {
	if d.channel == "" {
		if err := d.quota.Allow(ctx, ChannelsListCost, true); err != nil {
			return nil, err
		}
		ch, err := d.src.MyChannel(ctx, d.quota) // charges itself
		if err != nil {
			return nil, err
		}
		if ch == "" {
			return nil, errors.New("discovery: the oauth token has no channel")
		}
		d.channel = ch
	}
	seen := map[string]bool{}
	var out []Broadcast
	for _, status := range statuses {
		token := ""
		for range maxBroadcastPages {
			if err := d.quota.Allow(ctx, BroadcastsListCost, true); err != nil {
				return nil, err
			}
			callCtx, attempts := countAttempts(ctx)
			page, err := d.src.MyBroadcasts(callCtx, status, token)
			charge(ctx, d.quota, MethodBroadcastsList, BroadcastsListCost*attempts())
			if err != nil {
				return nil, err
			}
			for _, b := range page.Broadcasts {
				if !seen[b.VideoID] && b.VideoID != "" {
					seen[b.VideoID] = true
					out = append(out, b)
				}
			}
			if page.NextPageToken == "" || page.NextPageToken == token {
				break
			}
			token = page.NextPageToken
		}
	}
	return out, nil
}

// failed handles a listing that failed and returns when to list again.
func (d *Discoverer) failed(err error, now time.Time) time.Duration {
	switch {
	case errors.Is(err, ErrQuotaPaused):
		return 10 * time.Minute
	case errors.Is(err, ErrQuotaExceeded):
		until := d.quota.PauseUntilReset()
		d.log.Warn("youtube quota exceeded: no calls until the pacific midnight reset", "until", until)
		return max(until.Sub(now), time.Minute)
	case errors.Is(err, ErrForbidden), errors.Is(err, ErrKeyInvalid), errors.Is(err, ErrGrantInvalid):
		d.once("forbidden", slog.LevelError, "youtube refused liveBroadcasts.list: check the channel owner's oauth grant (rollcall auth check)", "err", err)
		return 5 * time.Minute
	default:
		d.errCount++
		wait := NextDelay(d.errCount, 0, d.rnd)
		d.log.Warn("liveBroadcasts.list failed: backing off", "err", err, "wait", wait)
		return wait
	}
}

// adopt adds the broadcasts that belong to e; the rest are ignored with a
// log line (once per broadcast) that names the video, never a person.
func (d *Discoverer) adopt(ctx context.Context, e attendance.Event, found []Broadcast) {
	bound := e.Discovery.ChannelID
	if bound == "" {
		var err error
		if bound, err = d.store.BindDiscoveryChannel(ctx, e.ID, d.channel); err != nil {
			d.log.Error("bind event to the token's channel failed", "event", e.Slug, "err", err)
			return
		}
		d.log.Info("event bound to the oauth token's channel for discovery", "event", e.Slug)
	}
	if bound != d.channel {
		d.once("bound/"+e.Slug, slog.LevelError, "event is bound to another channel than the oauth token's: nothing is discovered for it", "event", e.Slug)
		return
	}
	e.Discovery.ChannelID = bound
	for _, b := range found {
		start := b.ScheduledStart
		if start.IsZero() {
			start = b.ActualStart
		}
		ok, why := e.Discovery.Accepts(b.ChannelID, b.Title, start)
		if !ok {
			d.once("ignored/"+e.Slug+"/"+b.VideoID, slog.LevelInfo, "broadcast ignored", "event", e.Slug, "video", b.VideoID, "why", why)
			continue
		}
		added, err := d.store.AddDiscoveredStream(ctx, e.ID, b.VideoID, b.Title)
		if err != nil {
			d.log.Error("add discovered stream failed", "event", e.Slug, "video", b.VideoID, "err", err)
			continue
		}
		if added {
			d.log.Info("stream discovered", "event", e.Slug, "video", b.VideoID, "scheduled_start", start)
		}
	}
}

// AnnounceSpacing is the least time between two posts to one chat.
const AnnounceSpacing = time.Minute

// Announcer drains the announcement queue: it queues one announcement per
// open checkpoint and live chat of the events that announce, and posts
// them (liveChatMessages.insert, 20 units), at most one a minute per chat,
// once more after a transient failure, never after a 4xx.
type Announcer struct {
	src   OwnerSource
	store OwnerStore
	quota *Quota
	clock Clock
	log   *slog.Logger
}

// NewAnnouncer returns an announcer; src nil fails every announcement with
// a reason staff see.
func NewAnnouncer(src OwnerSource, store OwnerStore, quota *Quota, clock Clock, logger *slog.Logger) *Announcer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Announcer{src: src, store: store, quota: quota, clock: clock, log: logger.With("component", "announcer")}
}

// maxPostsPerStep bounds one step's posts (each to another chat).
const maxPostsPerStep = 20

// Step queues what opened and posts what may be posted now.
func (a *Announcer) Step(ctx context.Context) {
	now := a.clock.Now()
	n, err := a.store.QueueAnnouncements(ctx, now)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Error("queue checkpoint announcements failed", "err", err)
		}
		return
	}
	if n > 0 {
		a.log.Info("checkpoint announcements queued", "count", n)
	}
	for range maxPostsPerStep {
		ann, ok, err := a.store.ClaimAnnouncement(ctx, now, AnnounceSpacing)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Error("claim checkpoint announcement failed", "err", err)
			}
			return
		}
		if !ok {
			return
		}
		a.post(ctx, ann)
	}
}

// post sends one claimed announcement and records the outcome. The text
// holds the checkpoint word: it is never logged.
func (a *Announcer) post(ctx context.Context, ann attendance.Announcement) {
	finish := func(state, reply, id string) {
		if err := a.store.FinishAnnouncement(context.WithoutCancel(ctx), ann, state, reply, id); err != nil {
			a.log.Error("record checkpoint announcement failed", "announcement", ann.String(), "err", err)
		}
	}
	if a.src == nil {
		finish(attendance.AnnounceFailed, "not posted: serve has no channel owner's oauth token (rollcall auth login, serve --oauth-token-file)", "")
		a.log.Error("checkpoint announcement not posted: no oauth token", "announcement", ann.String())
		return
	}
	if err := a.quota.Allow(ctx, ChatInsertCost, true); err != nil {
		finish(attendance.AnnounceFailed, "not posted: "+err.Error(), "")
		a.log.Warn("checkpoint announcement not posted: quota", "announcement", ann.String(), "err", err)
		return
	}
	callCtx, attempts := countAttempts(ctx)
	id, err := a.src.InsertChatMessage(callCtx, ann.ChatID, ann.Text)
	charge(ctx, a.quota, MethodChatInsert, ChatInsertCost*attempts())
	switch {
	case err == nil:
		finish(attendance.AnnouncePosted, "", id)
		a.log.Info("checkpoint announced", "announcement", ann.String())
	case ctx.Err() != nil:
		// Shutting down mid-post: the row stays posting and is sent once
		// more a minute later at the soonest, or failed after two tries.
	case errors.Is(err, ErrTransient) && ann.Attempts < attendance.MaxAnnounceAttempts:
		finish(attendance.AnnouncePending, err.Error(), "")
		a.log.Warn("checkpoint announcement failed: one more try in a minute", "announcement", ann.String(), "err", err)
	default:
		if errors.Is(err, ErrQuotaExceeded) {
			a.quota.PauseUntilReset()
		}
		finish(attendance.AnnounceFailed, err.Error(), "")
		a.log.Error("checkpoint announcement failed: not sent again", "announcement", ann.String(), "err", err)
	}
}
