// Package fakeyoutube is a fake of the YouTube Data API v3, faithful enough
// that the real google.golang.org/api/youtube/v3 client cannot tell it from
// YouTube: videos.list, liveChatMessages.list and insert, liveBroadcasts.list
// and channels.list with Google's JSON shapes, error bodies and reasons,
// page tokens, first-read history, pollingIntervalMillis, offlineAt, quota
// accounting per Pacific day and an API key check. It plays a scenario on a
// Clock that tests move by hand and the demo speeds up, injects faults on
// demand, and records every message it served so tests can check that each
// one was stored exactly once.
//
// Point the client at it with option.WithEndpoint(srv.URL + "/"). It also
// serves liveChatMessages.streamList over gRPC on the same timeline (see
// ServeGRPC for each streaming behaviour and its source).
//
// What it plays, and where each behaviour comes from (the references are
// developers.google.com/youtube/v3/live/docs/liveChatMessages/list and
// …/streamList, and the v3 error reference; ../shared/YOUTUBE.md
// summarises them). Where YouTube does not document a behaviour, the fake
// picks one and says so, and rollcall must be safe for every outcome:
//
//   - The first read without a page token returns the recent history only:
//     "up to 75 messages, plus ticker and gift events" (the list reference,
//     maxResults; Options.History, TickerWindow).
//   - Every answer carries nextPageToken; reading sooner than
//     pollingIntervalMillis answers 403 rateLimitExceeded (the list
//     reference and its errors; Options.EnforcePolling).
//   - A bad or expired page token answers 400 invalidPageToken, domain
//     youtube.parameter, location pageToken (the v3 error reference; older
//     pages say pageTokenInvalid). How long a token lives is not documented:
//     Options.PageTokenTTL picks a life for tests, zero keeps it forever.
//   - Once the video ends, answers carry offlineAt, and after
//     ChatEndedGrace reads answer 403 liveChatEnded (the list reference:
//     offlineAt, and the liveChatEnded error). How long the grace lasts is
//     not documented.
//   - Video.ChatReplacedAt: a broadcast's activeLiveChatId changes while the
//     video stays live and the old chat answers liveChatEnded (reported by
//     operators of long streams; YOUTUBE.md). When YouTube does it is not
//     documented, so rollcall follows any new id at once.
//   - Video.EncoderDrops: answers carry offlineAt while videos.list still
//     says live, and messages come again afterwards (an encoder that drops
//     and reconnects; reported, not documented).
//   - Video.MembersOnly: a members-only chat read with an API key answers
//     403 forbidden ("Private, members-only, or paid live chats ... require
//     OAuth 2.0 authorization", the streamList reference).
//   - Video.Forbidden: 403 forbidden for a span ("The request is not
//     properly authorized to retrieve the specified live chat", the list
//     errors), as when a grant is revoked mid-event.
//   - Video.DeletedAt: videos.list stops returning a deleted video (the
//     videos.list reference returns only found ids); what its chat answers
//     is not documented, the fake answers 404 liveChatNotFound.
//   - A video whose ActualStart is zero never starts: upcoming for ever.
//   - Super Chats carry the amount and the buyer's name in displayMessage
//     (`€2.00 from Brian Lough: "test"`, the real response YOUTUBE.md
//     quotes) and the person's words in superChatDetails.userComment;
//     member milestones in memberMilestoneChatDetails.userComment; Super
//     Stickers carry no comment (the liveChatMessages resource). The exact
//     displayMessage wording of stickers and milestones is not documented
//     (DisplayMessage).
//   - messageDeletedEvent, messageRetractedEvent and userBannedEvent carry
//     their target in their details (the liveChatMessages resource);
//     Audience.Moderation scripts them.
//   - channels.list forHandle gives a channel (SetHandle) with its uploads
//     playlist, and playlistItems.list of that playlist its public videos
//     and broadcasts, newest first (1 unit each; the channels.list and
//     playlistItems.list references); Video.Unlisted ones are not there,
//     as on YouTube, which is why discovery by handle is the less reliable
//     fallback of the owner's liveBroadcasts.list.
//   - Fault injects Google's error bodies, dropped connections, cut and
//     invalid bodies, huge bodies and odd polling intervals on demand.
//   - The channel owner's calls (liveBroadcasts.list, liveChatMessages.insert,
//     channels.list mine=true), a broadcast that restarts under a new video
//     id and a leaked foreign broadcast: owner.go lists each behaviour and
//     its source.
package fakeyoutube

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/api/youtube/v3"
)

// Method names and what each call costs, as YouTube counts them.
const (
	MethodVideosList      = "videos.list"
	MethodChatList        = "liveChatMessages.list"
	MethodChatInsert      = "liveChatMessages.insert"
	MethodBroadcastsList  = "liveBroadcasts.list"
	MethodChannelsList    = "channels.list"
	MethodPlaylistItems   = "playlistItems.list"
	defaultDailyQuota     = 10000
	defaultHistory        = 75
	defaultPollingMillis  = 5000
	defaultChatEndedGrace = 2 * time.Minute
)

// costOf is what a call costs in quota units.
func costOf(method string) int64 {
	switch method {
	case MethodChatList, MethodChatStream, MethodBroadcastsList:
		return 5
	case MethodChatInsert:
		return 20
	default:
		return 1
	}
}

// Options configure a Server. The zero value is an open server (any or no
// credential accepted) with YouTube's defaults.
type Options struct {
	APIKey         string // accepted ?key=; empty with AccessToken empty accepts any caller
	AccessToken    string // accepted Bearer token (the OAuth path)
	OwnerChannelID string // the channel of the OAuth user (liveBroadcasts mine=true, insert author)
	DailyQuota     int64  // units per Pacific day; default 10000; negative means unlimited
	History        int    // messages a first read without a page token returns (ticker events aside); default 75, as the reference says
	// PageTokenTTL makes page tokens expire this long (fake time) after
	// they were issued: a read with an older one answers invalidPageToken.
	// YouTube does not document a token's life; zero never expires.
	PageTokenTTL time.Duration
	// TickerWindow is how far back a first read reaches for ticker events
	// (Super Chats, Super Stickers, new members, gifts) beyond History;
	// default 1h.
	TickerWindow   time.Duration
	PollingMillis  int64         // pollingIntervalMillis in chat responses; default 5000
	ChatEndedGrace time.Duration // how long after the end chat reads still work before liveChatEnded; default 2m
	// EnforcePolling answers rateLimitExceeded to a chat read that comes
	// sooner than the pollingIntervalMillis of the previous answer.
	EnforcePolling bool
	// StreamLifetime closes each streamList call normally after this much
	// fake time; default 10 s (see ServeGRPC); negative: never.
	StreamLifetime time.Duration
	// StreamDisconnectEvery ends a streamList call with UNAVAILABLE after
	// every n-th response; zero never.
	StreamDisconnectEvery int
	// StreamPoll is how often (wall time) an open stream looks for newly
	// visible messages; default 5 ms.
	StreamPoll time.Duration
}

// Point is one value of a curve at a time; values between points are
// interpolated linearly, after the last point it holds.
type Point struct {
	At    time.Time
	Value int64
}

// Span is a stretch of the fake's time, From inclusive, To exclusive; a
// zero To never ends.
type Span struct{ From, To time.Time }

func (sp Span) has(t time.Time) bool {
	return !t.Before(sp.From) && (sp.To.IsZero() || t.Before(sp.To))
}

func inSpans(spans []Span, t time.Time) (Span, bool) {
	for _, sp := range spans {
		if sp.has(t) {
			return sp, true
		}
	}
	return Span{}, false
}

// Video is one scripted broadcast. Zero ActualStart means it never starts,
// zero ActualEnd means it never ends.
type Video struct {
	ID           string
	Title        string
	ChannelID    string
	ChatID       string // the first chat's id; default derived from ID
	ChatDisabled bool
	// MembersOnly: chat reads without an OAuth token answer 403 forbidden
	// (the reference: members-only chats need OAuth).
	MembersOnly bool
	// ChatReplacedAt: at each of these times the video gets a new
	// activeLiveChatId while it stays live; the old chat answers
	// liveChatEnded from then on, and later messages go to the new chat.
	ChatReplacedAt []time.Time
	// EncoderDrops: while the time is in one of these spans, chat
	// responses carry offlineAt (the span's start) although videos.list
	// still says live; messages come again after it.
	EncoderDrops []Span
	// Forbidden: while the time is in one of these spans, chat reads
	// answer 403 forbidden (a revoked grant, a key restricted mid-event).
	Forbidden []Span
	// DeletedAt: from then on videos.list no longer returns the video and
	// its chats answer 404 liveChatNotFound (zero: never deleted).
	DeletedAt time.Time
	// Unlisted broadcasts (and private ones) are not in the channel's
	// uploads playlist, so the public fallback of discovery (a handle and
	// an API key) cannot find them; the owner's liveBroadcasts.list can.
	Unlisted       bool
	ScheduledStart time.Time
	ScheduledEnd   time.Time
	ActualStart    time.Time
	ActualEnd      time.Time
	Viewers        []Point // concurrent viewers while live
	Views          []Point
	Likes          []Point
}

// Message is one chat item of the scenario. It becomes visible once the
// clock passes PublishedAt.
type Message struct {
	ID              string
	Type            string // default textMessageEvent
	AuthorChannelID string
	AuthorName      string
	Text            string
	PublishedAt     time.Time
	TargetID        string // deletions/retractions: message id; bans: channel id
	// Amount is a Super Chat's or Super Sticker's amountDisplayString
	// (default "$5.00"); Text is then the buyer's own comment.
	Amount string
	// MemberMonth is a member milestone's month count (default 6).
	MemberMonth int64
	// ChatOwner marks a message of the channel that owns the chat
	// (authorDetails.isChatOwner, the liveChatMessages resource), as every
	// message posted with liveChatMessages.insert by the owner's token.
	ChatOwner bool
}

type chat struct {
	id      string
	videoID string
	from    time.Time // when it became the video's active chat (zero: the first)
	endedAt time.Time // when another chat replaced it (zero: never)
	msgs    []Message // sorted by PublishedAt
	served  []string  // ids of messages in every response the client received whole
	lastAt  time.Time // when the last chat page was answered
	wait    time.Duration
}

// Server is the fake YouTube API. It is an http.Handler; all methods are
// safe for concurrent use.
type Server struct {
	clock Clock
	opts  Options
	mux   *http.ServeMux
	loc   *time.Location

	mu        sync.Mutex
	videos    map[string]*Video
	chats     map[string]*chat
	byVideo   map[string][]*chat // a video's chats, oldest first
	quotaDay  string
	quotaUsed int64
	calls     map[string]int // per method
	faults    []*faultRule
	nextID    int
	posted    []Posted          // liveChatMessages.insert calls that succeeded, in order
	leaked    map[string]bool   // videos every broadcast list answers with, whatever their channel (LeakBroadcast)
	handles   map[string]string // lower-case handle without @ → channel id (SetHandle)
	grpc      grpcState         // streamList over gRPC: see ServeGRPC
}

// New returns a fake YouTube playing on clock.
func New(clock Clock, opts Options) *Server {
	if opts.DailyQuota == 0 {
		opts.DailyQuota = defaultDailyQuota
	}
	if opts.History <= 0 {
		opts.History = defaultHistory
	}
	if opts.PollingMillis == 0 {
		opts.PollingMillis = defaultPollingMillis
	}
	if opts.ChatEndedGrace <= 0 {
		opts.ChatEndedGrace = defaultChatEndedGrace
	}
	if opts.TickerWindow <= 0 {
		opts.TickerWindow = time.Hour
	}
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		loc = time.UTC
	}
	s := &Server{
		clock:   clock,
		opts:    opts,
		mux:     http.NewServeMux(),
		loc:     loc,
		videos:  map[string]*Video{},
		chats:   map[string]*chat{},
		byVideo: map[string][]*chat{},
		calls:   map[string]int{},
	}
	s.mux.HandleFunc("GET /youtube/v3/videos", s.api(MethodVideosList, s.videosList))
	s.mux.HandleFunc("GET /youtube/v3/liveChat/messages", s.api(MethodChatList, s.chatList))
	s.mux.HandleFunc("POST /youtube/v3/liveChat/messages", s.api(MethodChatInsert, s.chatInsert))
	s.mux.HandleFunc("GET /youtube/v3/liveBroadcasts", s.api(MethodBroadcastsList, s.broadcastsList))
	s.mux.HandleFunc("GET /youtube/v3/channels", s.api(MethodChannelsList, s.channelsList))
	s.mux.HandleFunc("GET /youtube/v3/playlistItems", s.api(MethodPlaylistItems, s.playlistItems))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "global", "notFound", "Not Found")
	})
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// ChatIDOf is the live chat id the fake gives a video.
func ChatIDOf(videoID string) string {
	return "Cg0KC" + base64.RawURLEncoding.EncodeToString([]byte(videoID)) + "ASAA"
}

// ReplacementChatID is the id of the n-th chat (1-based) that replaces a
// video's first chat (Video.ChatReplacedAt).
func ReplacementChatID(videoID string, n int) string {
	return ChatIDOf(fmt.Sprintf("%s~%d", videoID, n))
}

// AddVideo adds or replaces a scripted video and its chats (one, and one
// more for each ChatReplacedAt).
func (s *Server) AddVideo(v Video) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v.ChatID == "" {
		v.ChatID = ChatIDOf(v.ID)
	}
	v.ChatReplacedAt = slices.Clone(v.ChatReplacedAt)
	slices.SortFunc(v.ChatReplacedAt, time.Time.Compare)
	s.videos[v.ID] = &v
	chats := []*chat{{id: v.ChatID, videoID: v.ID}}
	for i, at := range v.ChatReplacedAt {
		chats[i].endedAt = at
		chats = append(chats, &chat{id: ReplacementChatID(v.ID, i+1), videoID: v.ID, from: at})
	}
	for _, c := range s.byVideo[v.ID] {
		delete(s.chats, c.id)
	}
	for _, c := range chats {
		s.chats[c.id] = c
	}
	s.byVideo[v.ID] = chats
}

// chatAtLocked is the video's chat that is active at t.
func (s *Server) chatAtLocked(videoID string, t time.Time) *chat {
	chats := s.byVideo[videoID]
	for i := len(chats) - 1; i > 0; i-- {
		if !t.Before(chats[i].from) {
			return chats[i]
		}
	}
	return chats[0]
}

// AddMessages adds scripted chat messages to a video's chat (the one
// active at each message's publishedAt). Messages are kept in publishedAt
// order; ids are assigned where empty.
func (s *Server) AddMessages(videoID string, msgs ...Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.videos[videoID]; !ok {
		return fmt.Errorf("fakeyoutube: add messages: unknown video %q", videoID)
	}
	touched := map[*chat]bool{}
	for _, m := range msgs {
		if m.ID == "" {
			m.ID = s.newIDLocked()
		}
		if m.Type == "" {
			m.Type = "textMessageEvent"
		}
		c := s.chatAtLocked(videoID, m.PublishedAt)
		c.msgs = append(c.msgs, m)
		touched[c] = true
	}
	for c := range touched {
		sort.SliceStable(c.msgs, func(i, j int) bool { return c.msgs[i].PublishedAt.Before(c.msgs[j].PublishedAt) })
	}
	return nil
}

// Served returns the ids of every message the fake delivered whole for a
// video's chats (REST and gRPC), chat by chat in order, repeats included.
func (s *Server) Served(videoID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.byVideo[videoID] {
		out = append(out, c.served...)
	}
	return out
}

// Messages returns a copy of a video's scripted messages, chat by chat.
func (s *Server) Messages(videoID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, c := range s.byVideo[videoID] {
		out = append(out, c.msgs...)
	}
	return out
}

// QuotaUsed is the units spent on the fake's current Pacific day.
func (s *Server) QuotaUsed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rollDayLocked()
	return s.quotaUsed
}

// Calls is how many requests of a method reached the fake.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

func (s *Server) newIDLocked() string {
	s.nextID++
	return fmt.Sprintf("LCC.fake%08d", s.nextID)
}

func (s *Server) rollDayLocked() {
	day := s.clock.Now().In(s.loc).Format(time.DateOnly)
	if day != s.quotaDay {
		s.quotaDay, s.quotaUsed = day, 0
	}
}

// credential is what a caller presented: an API key or a bearer token.
type credential struct {
	key    string
	bearer string // the token after "Bearer "; empty without one
	hasTok bool   // an Authorization: Bearer header was sent, even empty
}

// oauth says whether the caller came with an OAuth token.
func (c credential) oauth() bool { return c.hasTok }

func restCredential(r *http.Request) credential {
	c := credential{key: r.URL.Query().Get("key")}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		c.bearer, c.hasTok = tok, true
	}
	return c
}

// apiError is an answer in Google's error shape, for REST and gRPC alike.
type apiError struct {
	status   int
	domain   string
	reason   string
	message  string
	location string // the parameter at fault, if any
}

// authorize checks the caller's credential.
func (s *Server) authorize(c credential) *apiError {
	if s.opts.APIKey == "" && s.opts.AccessToken == "" {
		return nil
	}
	if c.key != "" && c.key == s.opts.APIKey {
		return nil
	}
	if c.hasTok && s.opts.AccessToken != "" && c.bearer == s.opts.AccessToken {
		return nil
	}
	if c.hasTok {
		return &apiError{status: http.StatusUnauthorized, domain: "global", reason: "authError", message: "Invalid Credentials"}
	}
	return &apiError{status: http.StatusBadRequest, domain: "global", reason: "keyInvalid", message: "API key not valid. Please pass a valid API key."}
}

// admit is what every YouTube call goes through after the credential
// check: the call is counted and charged to the day's quota (failed calls
// cost too), and a pending fault is taken.
func (s *Server) admit(method string, c credential) (*Fault, *apiError) {
	if e := s.authorize(c); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[method]++
	s.rollDayLocked()
	cost := costOf(method)
	if s.opts.DailyQuota > 0 && s.quotaUsed+cost > s.opts.DailyQuota {
		return nil, &apiError{status: http.StatusForbidden, domain: "youtube.quota", reason: "quotaExceeded",
			message: "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>."}
	}
	s.quotaUsed += cost
	return s.takeFaultLocked(method), nil
}

// api wraps a method handler with what every YouTube call goes through:
// credential check, quota accounting, then fault injection.
func (s *Server) api(method string, h func(w http.ResponseWriter, r *http.Request, f *Fault)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, e := s.admit(method, restCredential(r))
		if e != nil {
			writeAPIError(w, e)
			return
		}
		if f != nil && !applyFault(w, r, f) {
			return
		}
		h(w, r, f)
	}
}

func bearer(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ")
}

// parts reads the part parameter, repeated or comma-separated.
func parts(r *http.Request) map[string]bool {
	out := map[string]bool{}
	for _, p := range r.URL.Query()["part"] {
		for _, q := range strings.Split(p, ",") {
			if q = strings.TrimSpace(q); q != "" {
				out[q] = true
			}
		}
	}
	return out
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func interp(curve []Point, t time.Time) int64 {
	if len(curve) == 0 || t.Before(curve[0].At) {
		return 0
	}
	for i := 1; i < len(curve); i++ {
		a, b := curve[i-1], curve[i]
		if t.Before(b.At) {
			span := b.At.Sub(a.At)
			if span <= 0 {
				return b.Value
			}
			frac := float64(t.Sub(a.At)) / float64(span)
			return a.Value + int64(frac*float64(b.Value-a.Value))
		}
	}
	return curve[len(curve)-1].Value
}

type videoState int

const (
	upcoming videoState = iota
	live
	ended
)

func (v *Video) state(now time.Time) videoState {
	switch {
	case v.ActualStart.IsZero() || now.Before(v.ActualStart):
		return upcoming
	case v.ActualEnd.IsZero() || now.Before(v.ActualEnd):
		return live
	default:
		return ended
	}
}

func (s *Server) videosList(w http.ResponseWriter, r *http.Request, f *Fault) {
	q := r.URL.Query()
	if q.Get("id") == "" {
		writeError(w, http.StatusBadRequest, "youtube.parameter", "missingRequiredParameter", "No filter selected. Expected one of: id, chart, myRated.")
		return
	}
	var ids []string
	for _, p := range q["id"] {
		for _, id := range strings.Split(p, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) > 50 {
		writeError(w, http.StatusBadRequest, "youtube.parameter", "invalidFilters", "Too many video ids: at most 50 are allowed.")
		return
	}
	want := parts(r)
	now := s.clock.Now()
	resp := &youtube.VideoListResponse{Kind: "youtube#videoListResponse", Etag: "fake-etag"}
	s.mu.Lock()
	for _, id := range ids {
		v, ok := s.videos[id]
		if !ok || (!v.DeletedAt.IsZero() && !now.Before(v.DeletedAt)) {
			continue
		}
		st := v.state(now)
		item := &youtube.Video{Kind: "youtube#video", Etag: "fake-etag-" + id, Id: id}
		if want["snippet"] {
			lbc := map[videoState]string{upcoming: "upcoming", live: "live", ended: "none"}[st]
			item.Snippet = &youtube.VideoSnippet{
				Title: v.Title, ChannelId: v.ChannelID, LiveBroadcastContent: lbc,
				PublishedAt: rfc3339(v.ScheduledStart), CategoryId: "27",
			}
		}
		if want["liveStreamingDetails"] {
			d := &youtube.VideoLiveStreamingDetails{
				ScheduledStartTime: rfc3339(v.ScheduledStart),
				ScheduledEndTime:   rfc3339(v.ScheduledEnd),
			}
			if st != upcoming {
				d.ActualStartTime = rfc3339(v.ActualStart)
			}
			if st == ended {
				d.ActualEndTime = rfc3339(v.ActualEnd)
			} else if !v.ChatDisabled {
				d.ActiveLiveChatId = s.chatAtLocked(v.ID, now).id
			}
			if st == live {
				d.ConcurrentViewers = uint64(max(interp(v.Viewers, now), 0))
				d.ForceSendFields = []string{"ConcurrentViewers"}
			}
			item.LiveStreamingDetails = d
		}
		if want["statistics"] {
			item.Statistics = &youtube.VideoStatistics{
				ViewCount: uint64(max(interp(v.Views, now), 0)), LikeCount: uint64(max(interp(v.Likes, now), 0)),
				ForceSendFields: []string{"ViewCount", "LikeCount", "FavoriteCount", "CommentCount"},
			}
		}
		resp.Items = append(resp.Items, item)
	}
	s.mu.Unlock()
	resp.PageInfo = &youtube.PageInfo{TotalResults: int64(len(resp.Items)), ResultsPerPage: int64(len(resp.Items))}
	writeJSON(w, resp, f)
}

func (s *Server) chatInsert(w http.ResponseWriter, r *http.Request, f *Fault) {
	if !bearer(r) {
		writeError(w, http.StatusUnauthorized, "global", "required", "Login Required.")
		return
	}
	var in youtube.LiveChatMessage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil || in.Snippet == nil || in.Snippet.TextMessageDetails == nil {
		writeError(w, http.StatusBadRequest, "global", "parseError", "Parse Error")
		return
	}
	text := in.Snippet.TextMessageDetails.MessageText
	if n := len([]rune(text)); n == 0 || n > 200 {
		writeError(w, http.StatusBadRequest, "youtube.liveChat", "messageTextInvalid", "The message text is empty or longer than 200 characters.")
		return
	}
	now := s.clock.Now()
	s.mu.Lock()
	c, ok := s.chats[in.Snippet.LiveChatId]
	if !ok {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "youtube.liveChat", "liveChatNotFound", "The live chat that you are trying to retrieve cannot be found.")
		return
	}
	if s.videos[c.videoID].state(now) == ended || (!c.endedAt.IsZero() && !now.Before(c.endedAt)) {
		s.mu.Unlock()
		writeError(w, http.StatusForbidden, "youtube.liveChat", "liveChatEnded", "The live chat is no longer live.")
		return
	}
	// The posted message is the channel owner's: it appears in the chat at
	// once with authorDetails.isChatOwner (the liveChatMessages resource).
	m := Message{ID: s.newIDLocked(), Type: "textMessageEvent", AuthorChannelID: s.opts.OwnerChannelID, AuthorName: "Owner",
		Text: text, PublishedAt: now, ChatOwner: true}
	s.posted = append(s.posted, Posted{ChatID: c.id, VideoID: c.videoID, MessageID: m.ID, Text: text, At: now})
	pos := sort.Search(len(c.msgs), func(i int) bool { return c.msgs[i].PublishedAt.After(now) })
	c.msgs = append(c.msgs, Message{})
	copy(c.msgs[pos+1:], c.msgs[pos:])
	c.msgs[pos] = m
	s.mu.Unlock()
	writeJSON(w, toResource(c.id, m, map[string]bool{"snippet": true, "authorDetails": true}), f)
}

func (s *Server) channelsList(w http.ResponseWriter, r *http.Request, f *Fault) {
	q := r.URL.Query()
	resp := &youtube.ChannelListResponse{Kind: "youtube#channelListResponse", Etag: "fake-etag"}
	switch {
	case q.Get("mine") == "true":
		if !bearer(r) {
			writeError(w, http.StatusUnauthorized, "global", "required", "Login Required.")
			return
		}
		resp.Items = []*youtube.Channel{{Kind: "youtube#channel", Id: s.opts.OwnerChannelID}}
	case q.Get("forHandle") != "":
		// channels.list forHandle (with or without the @) answers the
		// channel with its uploads playlist in contentDetails; an unknown
		// handle answers an empty list, as for an unknown id (the
		// channels.list reference: forHandle, relatedPlaylists.uploads).
		s.mu.Lock()
		id, ok := s.handles[strings.ToLower(strings.TrimPrefix(q.Get("forHandle"), "@"))]
		s.mu.Unlock()
		if ok {
			resp.Items = []*youtube.Channel{{Kind: "youtube#channel", Id: id,
				ContentDetails: &youtube.ChannelContentDetails{RelatedPlaylists: &youtube.ChannelContentDetailsRelatedPlaylists{Uploads: uploadsOf(id)}}}}
		}
	case q.Get("id") != "":
		// unknown channels: an empty list, as YouTube answers
	default:
		writeError(w, http.StatusBadRequest, "youtube.parameter", "missingRequiredParameter", "No filter selected.")
		return
	}
	resp.PageInfo = &youtube.PageInfo{TotalResults: int64(len(resp.Items)), ResultsPerPage: int64(len(resp.Items))}
	writeJSON(w, resp, f)
}

// SetHandle gives a channel its public handle (@name), for channels.list
// forHandle.
func (s *Server) SetHandle(handle, channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handles == nil {
		s.handles = map[string]string{}
	}
	s.handles[strings.ToLower(strings.TrimPrefix(handle, "@"))] = channelID
}

// uploadsOf is a channel's uploads playlist id: its id with UU for UC, as
// YouTube forms it (observed; the reference only says to read it from
// contentDetails, which rollcall does).
func uploadsOf(channelID string) string {
	if rest, ok := strings.CutPrefix(channelID, "UC"); ok {
		return "UU" + rest
	}
	return "UU" + channelID
}

// playlistItems answers playlistItems.list for a channel's uploads
// playlist: its public videos and broadcasts, newest first (by scheduled
// or actual start), maxResults 0–50 (default 5), one page (the
// playlistItems.list reference; 1 unit). An unknown playlist answers 404
// playlistNotFound.
func (s *Server) playlistItems(w http.ResponseWriter, r *http.Request, f *Fault) {
	q := r.URL.Query()
	pl := q.Get("playlistId")
	if pl == "" {
		writeError(w, http.StatusBadRequest, "youtube.parameter", "missingRequiredParameter", "No filter selected. Expected one of: playlistId, id")
		return
	}
	maxResults := 5
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 50 {
			writeError(w, http.StatusBadRequest, "youtube.parameter", "invalidParameter", "Invalid value for parameter maxResults")
			return
		}
		maxResults = n
	}
	now := s.clock.Now()
	s.mu.Lock()
	known := false
	for _, id := range s.handles {
		known = known || uploadsOf(id) == pl
	}
	var vids []*Video
	for _, v := range s.videos {
		if uploadsOf(v.ChannelID) == pl {
			known = true
			if !v.Unlisted && (v.DeletedAt.IsZero() || now.Before(v.DeletedAt)) {
				vids = append(vids, v)
			}
		}
	}
	s.mu.Unlock()
	if !known {
		writeError(w, http.StatusNotFound, "youtube.playlistItem", "playlistNotFound", "The playlist identified with the request's playlistId parameter cannot be found.")
		return
	}
	startOf := func(v *Video) time.Time {
		if !v.ScheduledStart.IsZero() {
			return v.ScheduledStart
		}
		return v.ActualStart
	}
	sort.Slice(vids, func(i, j int) bool { return startOf(vids[i]).After(startOf(vids[j])) })
	if len(vids) > maxResults {
		vids = vids[:maxResults]
	}
	resp := &youtube.PlaylistItemListResponse{Kind: "youtube#playlistItemListResponse", Etag: "fake-etag",
		PageInfo: &youtube.PageInfo{TotalResults: int64(len(vids)), ResultsPerPage: int64(maxResults)}}
	for _, v := range vids {
		resp.Items = append(resp.Items, &youtube.PlaylistItem{Kind: "youtube#playlistItem", Id: "PLI" + v.ID,
			ContentDetails: &youtube.PlaylistItemContentDetails{VideoId: v.ID}})
	}
	writeJSON(w, resp, f)
}

type errorItem struct {
	Message      string `json:"message"`
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Location     string `json:"location,omitempty"`
	LocationType string `json:"locationType,omitempty"`
}

type errorBody struct {
	Error struct {
		Code    int         `json:"code"`
		Message string      `json:"message"`
		Errors  []errorItem `json:"errors"`
		Status  string      `json:"status,omitempty"`
	} `json:"error"`
}

// writeError answers with Google's error body.
func writeError(w http.ResponseWriter, code int, domain, reason, message string) {
	writeAPIError(w, &apiError{status: code, domain: domain, reason: reason, message: message})
}

// writeAPIError answers with Google's error body for e.
func writeAPIError(w http.ResponseWriter, e *apiError) {
	code, message := e.status, e.message
	var b errorBody
	b.Error.Code = code
	b.Error.Message = message
	item := errorItem{Message: message, Domain: e.domain, Reason: e.reason}
	if e.location != "" {
		item.Location, item.LocationType = e.location, "parameter"
	}
	b.Error.Errors = []errorItem{item}
	b.Error.Status = map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
		404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}[code]
	body, _ := json.Marshal(b)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Vary", "Origin")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
