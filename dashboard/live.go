package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// Point is one point of a chart: a time (Unix milliseconds) and a value.
type Point struct {
	T int64 `json:"t"`
	V int64 `json:"v"`
}

// StreamFigures is one stream on the live page.
type StreamFigures struct {
	VideoID   string `json:"video_id"`
	Title     string `json:"title"`
	State     string `json:"state"`
	ChatState string `json:"chat_state"`
	Viewers   *int64 `json:"viewers"`
	Peak      int64  `json:"peak"`
}

// CheckpointFigures is one checkpoint on the live page. Word is set for
// admins only: it is the answer.
type CheckpointFigures struct {
	Number   int       `json:"number"`
	Word     string    `json:"word,omitempty"`
	OpensAt  time.Time `json:"opens_at"`
	ClosesAt time.Time `json:"closes_at"`
	Open     bool      `json:"open"`
	Upcoming bool      `json:"upcoming"`
	Hits     int64     `json:"hits"`
}

// GapFigures is a gap in a stream's chat: what the API no longer served,
// for staff to fill with a replay import. From is zero when nothing was
// read before it.
type GapFigures struct {
	VideoID string    `json:"video_id"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Reason  string    `json:"reason"`
}

// AnnouncementFigures is a checkpoint announcement that failed: staff
// announce that checkpoint by hand. Reply is YouTube's answer (no person
// in it; the text, which holds the word, is not shown).
type AnnouncementFigures struct {
	Checkpoint int    `json:"checkpoint"`
	VideoID    string `json:"video_id"`
	Reply      string `json:"reply"`
}

// MembersOnlyFigures says a stream's chat was members-only during a
// checkpoint: non-members could not answer. To is zero while it is on.
type MembersOnlyFigures struct {
	Checkpoint int       `json:"checkpoint"`
	VideoID    string    `json:"video_id"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
}

// CheckInFigures is one recent check-in (admins only: it names a person).
type CheckInFigures struct {
	Name    string    `json:"name"`
	Country string    `json:"country"`
	Method  string    `json:"method"`
	At      time.Time `json:"at"`
}

// HealthFigures is the collector's health as the page shows it.
type HealthFigures struct {
	Known       bool      `json:"known"`
	Running     bool      `json:"running"`
	LastPoll    time.Time `json:"last_poll"`
	Errors      int64     `json:"errors"`
	LastError   string    `json:"last_error,omitempty"`
	BackoffSecs float64   `json:"backoff_seconds"`
	QuotaPaused bool      `json:"quota_paused"`
	PausedUntil time.Time `json:"paused_until"`
}

// QuotaFigures is today's YouTube API quota.
type QuotaFigures struct {
	Project             string    `json:"project,omitempty"` // the Cloud project (a name, never a key)
	Used                int64     `json:"used"`
	Limit               int64     `json:"limit"`
	Remaining           int64     `json:"remaining"`
	Percent             float64   `json:"percent"`
	ProjectedExhaustion time.Time `json:"projected_exhaustion"`
}

// Snapshot is the live state of an event, computed at most once per
// SnapshotTTL and shared by every viewer. Names are in CheckIns only.
type Snapshot struct {
	At           time.Time            `json:"at"`
	State        string               `json:"state"`
	Viewers      *int64               `json:"viewers"`
	Peak         int64                `json:"peak"`
	Views        *int64               `json:"views"`
	Likes        *int64               `json:"likes"`
	ChatMessages int64                `json:"chat_messages"`
	Chatters     int64                `json:"chatters"`
	Registered   int64                `json:"registered"`
	Linked       int64                `json:"linked"`
	LinkedPct    float64              `json:"linked_pct"`
	Countries    []CountryRow         `json:"countries"`
	ViewerSeries []Point              `json:"viewer_series"`
	ChatSeries   []Point              `json:"chat_series"`
	Streams      []StreamFigures      `json:"streams"`
	Checkpoints  []CheckpointFigures  `json:"checkpoints"`
	Gaps         []GapFigures         `json:"gaps"`
	MembersOnly  []MembersOnlyFigures `json:"members_only"`
	// FailedAnnouncements are the checkpoint announcements rollcall could
	// not post (owner mode).
	FailedAnnouncements []AnnouncementFigures `json:"failed_announcements"`
	CheckIns            []CheckInFigures      `json:"check_ins,omitempty"`
	Quota               QuotaFigures          `json:"quota"`
	Health              HealthFigures         `json:"health"`

	// Prepared once per computation and shared by every viewer.
	viewer                *Snapshot
	adminJSON, viewerJSON []byte
}

// prepare computes the viewer copy and both JSON encodings once.
func (sn *Snapshot) prepare() error {
	v := sn.forViewer()
	var err error
	if sn.adminJSON, err = json.Marshal(sn); err != nil {
		return fmt.Errorf("dashboard: encode snapshot: %w", err)
	}
	if v.viewerJSON, err = json.Marshal(v); err != nil {
		return fmt.Errorf("dashboard: encode snapshot: %w", err)
	}
	sn.viewer, sn.viewerJSON = v, v.viewerJSON
	return nil
}

// forRole returns the snapshot and its JSON as an admin or a viewer may
// see them.
func (sn *Snapshot) forRole(admin bool) (*Snapshot, []byte) {
	if admin {
		return sn, sn.adminJSON
	}
	return sn.forViewer(), sn.viewerJSON
}

// CountryRow is registered and linked people of one country.
type CountryRow struct {
	Country    string  `json:"country"`
	Registered int64   `json:"registered"`
	Linked     int64   `json:"linked"`
	Pct        float64 `json:"pct"`
}

// forViewer returns a copy without what only admins may see.
func (sn *Snapshot) forViewer() *Snapshot {
	if sn.viewer != nil {
		return sn.viewer
	}
	c := *sn
	c.adminJSON = nil
	c.CheckIns = nil
	c.Checkpoints = make([]CheckpointFigures, len(sn.Checkpoints))
	for i, cp := range sn.Checkpoints {
		cp.Word = ""
		c.Checkpoints[i] = cp
	}
	return &c
}

// chatWindow is how far back the chat-per-minute chart reaches.
const chatWindow = 60 // minutes

// liveEntry caches one event's snapshot. mu guards the fields; compute
// serialises computations, so that concurrent viewers share one.
type liveEntry struct {
	mu         sync.Mutex
	snap       *Snapshot
	at         time.Time
	refreshing bool
	gen        uint64 // bumped when staff change something the snapshot shows
	snapGen    uint64 // gen when snap's computation began

	compute sync.Mutex
	minutes map[int64]int64 // chat per minute, kept between computations
	doneTo  int64           // minutes before this one are final in minutes
	// Figures that change slowly and cost most are recomputed every
	// slowFigures only: the country breakdown and, for events of several
	// streams, the distinct chatters across them.
	slowAt      time.Time
	slowGen     uint64
	countries   []CountryRow
	chatters    int64
	gaps        []GapFigures
	membersOnly []MembersOnlyFigures
	failed      []AnnouncementFigures
}

// slowFigures is how long the costly, slowly changing figures are reused.
const slowFigures = 10 * time.Second

func (s *Server) entry(eventID int64) *liveEntry {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	e := s.live[eventID]
	if e == nil {
		e = &liveEntry{minutes: map[int64]int64{}}
		s.live[eventID] = e
	}
	return e
}

// snapshot returns the event's live figures. A fresh snapshot (younger
// than SnapshotTTL) is shared; a stale one is served at once while one
// background computation replaces it, so that no viewer waits for the
// database once the first snapshot exists.
func (s *Server) snapshot(ctx context.Context, ev attendance.Event) (*Snapshot, error) {
	e := s.entry(ev.ID)
	e.mu.Lock()
	now := s.cfg.Now()
	if sn := e.snap; sn != nil && e.snapGen == e.gen {
		if now.Sub(e.at) >= s.cfg.SnapshotTTL && !e.refreshing {
			e.refreshing = true
			go s.refresh(ev, e)
		}
		e.mu.Unlock()
		return sn, nil
	}
	e.mu.Unlock()
	// No snapshot yet: compute it now (one computation for all who wait).
	e.compute.Lock()
	defer e.compute.Unlock()
	e.mu.Lock()
	sn, current := e.snap, e.snapGen == e.gen
	e.mu.Unlock()
	if sn != nil && current {
		return sn, nil
	}
	return s.computeAndStore(ctx, ev, e)
}

func (s *Server) refresh(ev attendance.Event, e *liveEntry) {
	e.compute.Lock()
	defer e.compute.Unlock()
	if _, err := s.computeAndStore(context.Background(), ev, e); err != nil {
		s.log.Warn("live snapshot", "event", ev.Slug, "err", err)
	}
	e.mu.Lock()
	e.refreshing = false
	e.mu.Unlock()
}

// computeAndStore computes a snapshot and caches it; e.compute is held.
func (s *Server) computeAndStore(ctx context.Context, ev attendance.Event, e *liveEntry) (*Snapshot, error) {
	// A computation serves many viewers: one leaving must not cancel it.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := s.cfg.Now()
	e.mu.Lock()
	gen := e.gen
	e.mu.Unlock()
	sn, err := s.computeSnapshot(cctx, ev, e, now)
	if err != nil {
		return nil, err
	}
	if err := sn.prepare(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.snap, e.at, e.snapGen = sn, now, gen
	e.mu.Unlock()
	return sn, nil
}

func (s *Server) computeSnapshot(ctx context.Context, ev attendance.Event, e *liveEntry, now time.Time) (*Snapshot, error) {
	sn := &Snapshot{At: now.UTC(), Countries: []CountryRow{}, ViewerSeries: []Point{}, ChatSeries: []Point{},
		Streams: []StreamFigures{}, Checkpoints: []CheckpointFigures{}, CheckIns: []CheckInFigures{},
		Gaps: []GapFigures{}, MembersOnly: []MembersOnlyFigures{}, FailedAnnouncements: []AnnouncementFigures{}}
	streams, err := s.st.LiveStreams(ctx, ev.ID)
	if err != nil {
		return nil, err
	}
	sn.State = string(attendance.StreamUnknown)
	rank := map[string]int{"unknown": 0, "ended": 1, "upcoming": 2, "live": 3}
	for _, st := range streams {
		sn.Streams = append(sn.Streams, StreamFigures{VideoID: st.VideoID, Title: st.Title, State: st.State,
			ChatState: st.ChatState, Viewers: st.ConcurrentViewers, Peak: st.PeakConcurrentViewers})
		if rank[st.State] > rank[sn.State] {
			sn.State = st.State
		}
		sn.Viewers = addPtr(sn.Viewers, st.ConcurrentViewers)
		sn.Views = addPtr(sn.Views, st.Views)
		sn.Likes = addPtr(sn.Likes, st.Likes)
		sn.Peak += st.PeakConcurrentViewers
		sn.ChatMessages += st.ChatMessages
	}
	samples, err := s.st.ViewerSamples(ctx, ev.ID, now.Add(-24*time.Hour), 2000)
	if err != nil {
		return nil, err
	}
	sn.ViewerSeries = viewerSeries(samples)
	if sn.ChatSeries, err = s.chatSeries(ctx, ev.ID, e, now); err != nil {
		return nil, err
	}
	if sn.Registered, err = s.st.RegistrationCount(ctx, ev.ID); err != nil {
		return nil, err
	}
	if sn.Linked, err = s.st.LinkedCount(ctx, ev.ID); err != nil {
		return nil, err
	}
	sn.LinkedPct = pct(sn.Linked, sn.Registered)
	e.mu.Lock()
	gen := e.gen
	slow := e.countries == nil || now.Sub(e.slowAt) >= slowFigures || e.slowGen != gen
	e.mu.Unlock()
	if slow {
		countries, err := s.st.LinkedByCountry(ctx, ev.ID)
		if err != nil {
			return nil, err
		}
		rows := make([]CountryRow, 0, len(countries))
		for _, c := range countries {
			name := c.Country
			if name == "" {
				name = "(not given)"
			}
			rows = append(rows, CountryRow{Country: name, Registered: c.Registered, Linked: c.Linked, Pct: pct(c.Linked, c.Registered)})
		}
		var chatters int64
		if len(streams) > 1 {
			// Channels that wrote in several streams count once.
			if chatters, err = s.st.DistinctChatters(ctx, ev.ID); err != nil {
				return nil, err
			}
		}
		// Chat capture notices change rarely: a gap comes with a page, a
		// members-only switch with a moderator's act.
		gaps, err := s.st.Gaps(ctx, ev.ID)
		if err != nil {
			return nil, err
		}
		notices, err := s.st.MembersOnlyNotices(ctx, ev.ID)
		if err != nil {
			return nil, err
		}
		anns, err := s.st.Announcements(ctx, ev.ID)
		if err != nil {
			return nil, err
		}
		af := []AnnouncementFigures{}
		for _, a := range anns {
			if a.State == attendance.AnnounceFailed {
				af = append(af, AnnouncementFigures{Checkpoint: a.CheckpointNumber, VideoID: a.VideoID, Reply: a.Reply})
			}
		}
		gf := make([]GapFigures, len(gaps))
		for i, g := range gaps {
			gf[i] = GapFigures{VideoID: g.VideoID, From: g.From.UTC(), To: g.To.UTC(), Reason: g.Reason}
		}
		mf := make([]MembersOnlyFigures, len(notices))
		for i, n := range notices {
			mf[i] = MembersOnlyFigures{Checkpoint: n.Checkpoint, VideoID: n.VideoID, From: n.From.UTC(), To: n.To.UTC()}
		}
		e.countries, e.chatters, e.slowAt, e.slowGen = rows, chatters, now, gen
		e.gaps, e.membersOnly, e.failed = gf, mf, af
	}
	sn.Countries = e.countries
	sn.Gaps, sn.MembersOnly, sn.FailedAnnouncements = e.gaps, e.membersOnly, e.failed
	if len(streams) > 1 {
		sn.Chatters = e.chatters
	} else {
		for _, st := range streams {
			sn.Chatters = st.ChatAuthors // the stream's own counter, kept at ingest
		}
	}
	cps, err := s.st.Checkpoints(ctx, ev.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range cps {
		sn.Checkpoints = append(sn.Checkpoints, CheckpointFigures{Number: c.Number, Word: c.Word, OpensAt: c.OpensAt.UTC(),
			ClosesAt: c.ClosesAt.UTC(), Open: !now.Before(c.OpensAt) && now.Before(c.ClosesAt), Upcoming: now.Before(c.OpensAt), Hits: c.Hits})
	}
	ins, err := s.st.RecentCheckIns(ctx, ev.ID, 12)
	if err != nil {
		return nil, err
	}
	for _, c := range ins {
		sn.CheckIns = append(sn.CheckIns, CheckInFigures{Name: c.FullName, Country: c.Country, Method: c.Method, At: c.At})
	}
	sn.Quota = s.quota(ctx)
	if s.cfg.Health != nil {
		h := s.cfg.Health(ctx)
		sn.Health = HealthFigures{Known: true, Running: h.Running, LastPoll: h.LastPoll, Errors: h.Errors, LastError: h.LastError,
			BackoffSecs: h.Backoff.Seconds(), QuotaPaused: h.QuotaPaused, PausedUntil: h.PausedUntil}
	}
	return sn, nil
}

func addPtr(sum, v *int64) *int64 {
	if v == nil {
		return sum
	}
	n := *v
	if sum != nil {
		n += *sum
	}
	return &n
}

func pct(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return math.Round(float64(part)*1000/float64(whole)) / 10
}

// viewerSeries adds up the streams' concurrent viewers: at each reading,
// the latest count of every stream.
func viewerSeries(samples []attendance.ViewerSample) []Point {
	latest := map[int64]int64{}
	out := make([]Point, 0, len(samples))
	for _, smp := range samples {
		latest[smp.StreamID] = smp.Viewers
		var sum int64
		for _, v := range latest {
			sum += v
		}
		t := smp.At.UnixMilli()
		if n := len(out); n > 0 && out[n-1].T == t {
			out[n-1].V = sum
			continue
		}
		out = append(out, Point{T: t, V: sum})
	}
	return downsample(out, maxChartPoints)
}

// maxChartPoints bounds a chart's points: more would not show on a screen
// and would make every pushed update heavier.
const maxChartPoints = 480

// downsample merges neighbouring points into at most n, keeping the highest
// value of each run so that peaks stay visible, and the last point as is.
func downsample(pts []Point, n int) []Point {
	if len(pts) <= n {
		return pts
	}
	step := (len(pts) + n - 2) / (n - 1)
	out := make([]Point, 0, n)
	for i := 0; i < len(pts)-1; i += step {
		p := pts[i]
		for _, q := range pts[i:min(i+step, len(pts)-1)] {
			if q.V > p.V {
				p.V = q.V
			}
		}
		out = append(out, p)
	}
	return append(out, pts[len(pts)-1])
}

// chatSeries returns messages per minute over the last chatWindow minutes.
// Minutes more than two minutes old are final and kept between
// computations, so that each computation reads only the newest minutes of
// the (stream_id, published_at) index.
func (s *Server) chatSeries(ctx context.Context, eventID int64, e *liveEntry, now time.Time) ([]Point, error) {
	nowMin := now.Unix() / 60
	first := nowMin - chatWindow + 1
	from := max(first, e.doneTo)
	counts, err := s.st.ChatPerMinute(ctx, eventID, from)
	if err != nil {
		return nil, err
	}
	for m := range e.minutes {
		if m < first || m >= from {
			delete(e.minutes, m)
		}
	}
	for _, c := range counts {
		e.minutes[c.Minute] = c.N
	}
	e.doneTo = nowMin - 2
	out := make([]Point, 0, chatWindow)
	for m := first; m <= nowMin; m++ {
		out = append(out, Point{T: m * 60_000, V: e.minutes[m]})
	}
	return out, nil
}

// quota is the collector's view of the day's quota: one ledger, one
// projection (the collector's), whatever page shows it. Without a collector
// (QuotaStatus nil) only the limit is known.
func (s *Server) quota(ctx context.Context) QuotaFigures {
	q := QuotaFigures{Limit: s.cfg.DailyQuota}
	if s.cfg.QuotaStatus != nil {
		st := s.cfg.QuotaStatus(ctx)
		q = QuotaFigures{Project: st.Project, Used: st.Used, Limit: st.Limit, ProjectedExhaustion: st.ProjectedExhaustion}
	}
	q.Remaining = max(q.Limit-q.Used, 0)
	q.Percent = pct(q.Used, q.Limit)
	return q
}

// liveEvent loads the event named in the path. Events change rarely (their
// policy, from the command line); a read is reused for a few seconds.
func (s *Server) liveEvent(r *http.Request) (attendance.Event, error) {
	slug := r.PathValue("slug")
	now := s.cfg.Now()
	s.liveMu.Lock()
	c, ok := s.events[slug]
	s.liveMu.Unlock()
	if ok && now.Sub(c.readAt) < sessionCacheTTL && !now.Before(c.readAt) {
		return c.ev, nil
	}
	ev, err := s.st.Event(r.Context(), slug)
	if err != nil {
		return ev, err
	}
	s.liveMu.Lock()
	if len(s.events) > 1000 {
		clear(s.events)
	}
	s.events[slug] = cachedEvent{ev: ev, readAt: now}
	s.liveMu.Unlock()
	return ev, nil
}

// eventSnapshot is the event of the request's path and its live snapshot;
// on failure it has answered the request and ok is false.
func (s *Server) eventSnapshot(w http.ResponseWriter, r *http.Request) (ev attendance.Event, sn *Snapshot, ok bool) {
	ev, err := s.liveEvent(r)
	if err == nil {
		sn, err = s.snapshot(r.Context(), ev)
	}
	if err != nil {
		s.fail(w, r, err)
		return ev, nil, false
	}
	return ev, sn, true
}

// cachedEvent is an event as read from the store.
type cachedEvent struct {
	ev     attendance.Event
	readAt time.Time
}

func (s *Server) liveJSON(w http.ResponseWriter, r *http.Request, ss *session) {
	_, sn, ok := s.eventSnapshot(w, r)
	if !ok {
		return
	}
	_, b := sn.forRole(ss.admin())
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// sseWriteTimeout bounds one write of the event stream: the server has no
// WriteTimeout (a certificate ZIP may take minutes), and a stream is meant
// to outlive any, so each write gets its own deadline and a reader that
// stopped reading is let go.
const sseWriteTimeout = 30 * time.Second

// liveStream pushes the event's snapshot as server-sent events every
// LiveInterval, with a comment line as heartbeat in between, until the
// client leaves, the server shuts down, the stream has run MaxStreamLife
// (the browser reconnects), or the session is no longer what it was:
// signed out, expired, disabled, or its role changed. That is checked at
// every tick, through the session cache, so it takes effect within
// sessionCacheTTL + LiveInterval.
func (s *Server) liveStream(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	// The server's ReadTimeout would otherwise end the stream: the
	// connection's read deadline also bounds the wait for the client to
	// leave. There is no body to read.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ctx := r.Context()
	write := func(format string, args ...any) error {
		_ = rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return err
		}
		return rc.Flush()
	}
	send := func() error {
		sn, err := s.snapshot(ctx, ev)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("live snapshot", "event", ev.Slug, "err", err)
			}
			return write(": snapshot unavailable\n\n")
		}
		_, b := sn.forRole(ss.admin())
		return write("retry: 3000\nevent: snapshot\ndata: %s\n\n", b)
	}
	if send() != nil {
		return
	}
	tick := time.NewTicker(s.cfg.LiveInterval)
	defer tick.Stop()
	heartbeat := time.NewTicker(15 * time.Second)
	defer heartbeat.Stop()
	life := time.NewTimer(s.cfg.MaxStreamLife)
	defer life.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-life.C:
			return
		case <-heartbeat.C:
			if write(": heartbeat\n\n") != nil {
				return
			}
		case <-tick.C:
			switch cur := s.sessionByHash(ctx, ss.tokenHash, false); {
			case cur == nil || cur.userID != ss.userID:
				// The page is told, so that it goes to the sign-in page
				// instead of reconnecting into a 401.
				_ = write("event: signedout\ndata: {}\n\n")
				return
			case cur.role != ss.role:
				return // the browser reconnects and gets what the new role may see
			}
			if send() != nil {
				return
			}
		}
	}
}

// sortedCountries is a helper for the reach report: most registered first.
func sortedCountries(rows []CountryRow) []CountryRow {
	out := append([]CountryRow(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Registered > out[j].Registered })
	return out
}
